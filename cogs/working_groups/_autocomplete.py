"""Suggestions as a member types a /wg option: the group, an event, a country, and one of the
group's workplan items, deliverables or documents.

Free functions of ``(interaction, current)``, so every command module and sub-group uses them
whatever its command is bound to; the bot is ``interaction.client``.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, Final, Literal, cast

import discord
from discord import app_commands

from bot import limits
from bot.core.countries import country_choices
from bot.core.groups import group_choices
from bot.errors import UserFacingError
from bot.services.working_groups import Group

if TYPE_CHECKING:
    from bot.core.bot import WimBot

AUTOCOMPLETE_LIMIT: Final = limits.AUTOCOMPLETE_CHOICES

WorkKind = Literal["item", "deliverable", "document"]
Autocomplete = Callable[[discord.Interaction, str], Coroutine[Any, Any, list[app_commands.Choice[str]]]]


def _bot(interaction: discord.Interaction) -> WimBot:
    # Commands only run in the bot, whose client discord.py types as a plain Client.
    return cast("WimBot", interaction.client)


async def group_autocomplete(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    return await group_choices(_bot(interaction), interaction, current)


async def country_autocomplete(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    return country_choices(current, _bot(interaction).lang_for(interaction))


async def event_autocomplete(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    if interaction.guild is None:
        return []
    found = await _bot(interaction).services.events.search(
        interaction.guild.id, current, limit=AUTOCOMPLETE_LIMIT
    )
    return [
        app_commands.Choice(
            name=limits.clip(f"{o.title} · {o.starts_at.date().isoformat()}", limits.CHOICE_NAME),
            value=str(o.id),
        )
        for o in found
    ]


async def _namespace_group(bot: WimBot, interaction: discord.Interaction) -> Group | None:
    """The group already chosen in the command's ``group`` option, if it names one."""
    value = getattr(interaction.namespace, "group", None)
    if interaction.guild is None or not value:
        return None
    try:
        return await bot.services.working_groups.find(interaction.guild.id, str(value))
    except UserFacingError:
        return None


async def _titles(bot: WimBot, group_id: int, kind: WorkKind, lang: str) -> list[tuple[int, str]]:
    service = bot.services.working_groups
    if kind == "item":
        return [(item.id, item.title.get(lang)) for item in await service.work.workplan(group_id)]
    if kind == "deliverable":
        return [(d.id, d.title.get(lang)) for d in await service.work.deliverables(group_id)]
    return [(d.id, d.title) for d in await service.posts.documents(group_id)]


def _matching(current: str, items: list[tuple[int, str]]) -> list[app_commands.Choice[str]]:
    wanted = current.casefold().strip()
    found = [(i, t) for i, t in items if wanted in t.casefold() or wanted == str(i)]
    return [
        app_commands.Choice(name=limits.clip(f"{i} · {t}", limits.CHOICE_NAME), value=str(i))
        for i, t in found[:AUTOCOMPLETE_LIMIT]
    ]


def work_autocomplete(kind: WorkKind) -> Autocomplete:
    """The ``kind`` rows of the group in the ``group`` option whose title holds what was typed (or
    whose id it is), as ``"<id> · <title>"``; the value is the id."""

    async def autocomplete(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        bot = _bot(interaction)
        group = await _namespace_group(bot, interaction)
        if group is None:
            return []
        return _matching(current, await _titles(bot, group.id, kind, bot.lang_for(interaction)))

    return autocomplete


item_autocomplete: Final = work_autocomplete("item")
deliverable_autocomplete: Final = work_autocomplete("deliverable")
document_autocomplete: Final = work_autocomplete("document")
