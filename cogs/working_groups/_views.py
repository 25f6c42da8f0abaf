"""Buttons and modals of the working-groups feature.

Persistent buttons are ``DynamicItem``s whose custom_id holds only ids, so they keep working after a
restart: the panel's Join/Leave toggle (``wg:toggle:<group_id>``), and the ``DecisionButton``s of a
join request (``wg:join:<request_id>:<approve|decline>``) and of an index entry
(``wg:initiative:<initiative_id>:<approve|decline>``). The click is handed to the cog, which reads the
database. Modals (meeting summary, index entry) live only as long as the member has them open.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, Final, cast

import discord

from bot import limits
from bot.core.tree import handle_interaction_error, reporting_errors
from bot.core.views import DecisionButton, loaded_cog
from bot.i18n import Catalog
from bot.services.working_groups import (
    INITIATIVE_DESCRIPTION_LIMIT,
    INITIATIVE_TITLE_LIMIT,
    ORGANISATION_LIMIT,
    SUMMARY_TITLE_LIMIT,
    Group,
)

if TYPE_CHECKING:
    from cogs.working_groups._cog import WorkingGroups

PANEL_BUTTONS: Final = 25  # five rows of five
SUMMARY_PARTS: Final = 3  # three text inputs of 4,000 characters each


def _cog(interaction: discord.Interaction) -> WorkingGroups:
    return cast("WorkingGroups", loaded_cog(interaction, "WorkingGroups"))


class ToggleButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"wg:toggle:(?P<group_id>[0-9]{1,20})",
):
    """``wg:toggle:<group_id>``: join the group if not in it, else leave it."""

    def __init__(self, group_id: int, *, label: str = "") -> None:
        super().__init__(
            discord.ui.Button(
                label=limits.clip(label or str(group_id), limits.BUTTON_LABEL),
                style=discord.ButtonStyle.secondary,
                custom_id=f"wg:toggle:{group_id}",
            )
        )
        self.group_id = group_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ToggleButton:
        return cls(int(match["group_id"]), label=getattr(item, "label", None) or "")

    async def callback(self, interaction: discord.Interaction) -> None:
        async with reporting_errors(interaction):
            await _cog(interaction).toggle_membership(interaction, self.group_id)


class JoinDecisionButton(DecisionButton, prefix="wg:join", labels="working_groups.join.buttons"):
    """``wg:join:<request_id>:<approve|decline>``"""

    # A group's coordinators decide too: the service judges the click, with the group it reads.
    moderators_only = False

    async def decide(self, interaction: discord.Interaction) -> None:
        await _cog(interaction).decide_join(interaction, self.target_id, self.approve)


class InitiativeDecisionButton(DecisionButton, prefix="wg:initiative", labels="working_groups.join.buttons"):
    """``wg:initiative:<initiative_id>:<approve|decline>``"""

    moderators_only = False  # as for a join request

    async def decide(self, interaction: discord.Interaction) -> None:
        await _cog(interaction).decide_initiative(interaction, self.target_id, self.approve)


def panel_view(catalog: Catalog, lang: str, groups: Sequence[Group]) -> discord.ui.View:
    """One toggle per active group (at most 25: Discord's five rows of five). Never times out."""
    view = discord.ui.View(timeout=None)
    for group in groups[:PANEL_BUTTONS]:
        view.add_item(ToggleButton(group.id, label=group.name.get(lang)))
    return view


def decision_view(catalog: Catalog, lang: str, request_id: int, *, disabled: bool = False) -> discord.ui.View:
    return JoinDecisionButton.buttons(catalog, lang, request_id, disabled=disabled)


def initiative_view(
    catalog: Catalog, lang: str, initiative_id: int, *, disabled: bool = False
) -> discord.ui.View:
    return InitiativeDecisionButton.buttons(catalog, lang, initiative_id, disabled=disabled)


SummaryHandler = Callable[[discord.Interaction, str, str], Awaitable[None]]


class SummaryModal(discord.ui.Modal):
    """Meeting notes: a title and up to three parts of 4,000 characters (Discord's text-input limit),
    joined into one summary."""

    def __init__(self, catalog: Catalog, lang: str, group_name: str, on_submit: SummaryHandler) -> None:
        super().__init__(
            title=limits.clip(catalog.t(lang, "working_groups.summary.modal_title", group=group_name), 45),
            custom_id="wg:summary",
            timeout=30 * 60,
        )
        self._on_submit = on_submit
        self.summary_title: discord.ui.TextInput[SummaryModal] = discord.ui.TextInput(
            label=limits.clip(catalog.t(lang, "working_groups.summary.title_label"), 45),
            custom_id="title",
            max_length=SUMMARY_TITLE_LIMIT,
            required=True,
        )
        self.add_item(self.summary_title)
        self.parts: list[discord.ui.TextInput[SummaryModal]] = []
        for index in range(SUMMARY_PARTS):
            part: discord.ui.TextInput[SummaryModal] = discord.ui.TextInput(
                label=limits.clip(catalog.t(lang, f"working_groups.summary.part_{index + 1}"), 45),
                custom_id=f"notes{index + 1}",
                style=discord.TextStyle.paragraph,
                max_length=limits.MODAL_TEXT_INPUT,
                required=index == 0,
            )
            self.parts.append(part)
            self.add_item(part)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        body = "\n\n".join(part.value.strip() for part in self.parts if part.value and part.value.strip())
        await self._on_submit(interaction, self.summary_title.value, body)

    # Modal.on_error takes no item, unlike the BaseView.on_error it overrides in discord.py's own
    # annotations: this matches Modal's (the one discord.py calls), so mypy sees BaseView's mismatch.
    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:  # type: ignore[override]
        await handle_interaction_error(interaction, error)


InitiativeHandler = Callable[[discord.Interaction, dict[str, str]], Awaitable[None]]


class InitiativeModal(discord.ui.Modal):
    """An entry for a group's index: title, organisation, link (optional), description. The country is
    the command's option, where autocomplete offers the directory's countries (a modal has none)."""

    FIELDS: Final = (
        ("title", INITIATIVE_TITLE_LIMIT, False, True),
        ("organisation", ORGANISATION_LIMIT, False, True),
        ("link", limits.MODAL_TEXT_INPUT // 8, False, False),
        ("description", INITIATIVE_DESCRIPTION_LIMIT, True, True),
    )

    def __init__(self, catalog: Catalog, lang: str, group_name: str, on_submit: InitiativeHandler) -> None:
        super().__init__(
            title=limits.clip(catalog.t(lang, "working_groups.initiative.modal_title", group=group_name), 45),
            custom_id="wg:initiative",
            timeout=30 * 60,
        )
        self._on_submit = on_submit
        self.inputs: dict[str, discord.ui.TextInput[InitiativeModal]] = {}
        for name, max_length, paragraph, required in self.FIELDS:
            field_input: discord.ui.TextInput[InitiativeModal] = discord.ui.TextInput(
                label=limits.clip(catalog.t(lang, f"working_groups.initiative.labels.{name}"), 45),
                custom_id=name,
                style=discord.TextStyle.paragraph if paragraph else discord.TextStyle.short,
                max_length=max_length,
                required=required,
            )
            self.inputs[name] = field_input
            self.add_item(field_input)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await self._on_submit(interaction, {name: field.value or "" for name, field in self.inputs.items()})

    # Modal.on_error takes no item, unlike the BaseView.on_error it overrides in discord.py's own
    # annotations: this matches Modal's (the one discord.py calls), so mypy sees BaseView's mismatch.
    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:  # type: ignore[override]
        await handle_interaction_error(interaction, error)
