"""Bases of the bot's views: short-lived ones (owner-only, time-limited, disabled when they expire) and
the persistent approve/decline button every two-way decision shares."""

from __future__ import annotations

import contextlib
import re
from typing import Any, ClassVar, Final, Self

import discord
from discord.ext import commands

from bot import limits
from bot.core.tree import handle_interaction_error, reporting_errors
from bot.errors import UserFacingError
from bot.i18n import Catalog

DECISIONS: Final = ("approve", "decline")
_DECISION_STYLES: Final = {"approve": discord.ButtonStyle.success, "decline": discord.ButtonStyle.danger}


def loaded_cog(interaction: discord.Interaction, name: str) -> commands.Cog:
    """The cog a persistent button's callback hands the click to. Its views only run in the bot,
    whose ``interaction.client`` is a ``commands.Bot`` even though discord.py types it ``Client``."""
    client = interaction.client
    cog = client.get_cog(name) if isinstance(client, commands.Bot) else None
    if cog is None:
        raise RuntimeError(f"the {name} cog is not loaded")
    return cog


class OwnedView(discord.ui.View):
    """A view only its owner may use. On timeout every item is disabled on the message."""

    def __init__(self, owner_id: int, *, timeout: float = 180.0) -> None:
        super().__init__(timeout=timeout)
        self.owner_id = owner_id
        self.message: discord.Message | discord.InteractionMessage | None = None

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        if interaction.user.id == self.owner_id:
            return True
        bot: Any = interaction.client
        await interaction.response.send_message(bot.t(interaction, "errors.not_your_view"), ephemeral=True)
        return False

    def disable_all(self) -> None:
        for item in self.children:
            if isinstance(item, discord.ui.Button | discord.ui.Select):
                item.disabled = True

    async def on_timeout(self) -> None:
        self.disable_all()
        if self.message is not None:
            # The message is gone or the token expired: nothing left to tidy.
            with contextlib.suppress(discord.HTTPException):
                await self.message.edit(view=self)

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any]
    ) -> None:
        await handle_interaction_error(interaction, error)


class DecisionButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    # Never registered itself: each subclass brings its own template, made from its prefix.
    template=r"(?!)",
):
    """Approve or Decline of one pending thing (a claim, a join request, an index entry...), as a
    persistent button whose custom_id holds only ``<prefix>:<id>:<approve|decline>``, so a post keeps
    working after a restart. A subclass names its prefix, the catalog keys of its two labels and the
    handler the click goes to::

        class ClaimButton(DecisionButton, prefix="org:claim", labels="orgs.ui.claim"):
            async def decide(self, interaction: discord.Interaction) -> None:
                await cog(interaction).decide(interaction, self.target_id, approve=self.approve)

    Every click is checked again (``ensure_allowed``, or the service where it judges): a post in a
    channel can be clicked by anyone who sees it, and roles change after it was posted. The handler
    decides at most once (the service's conditional write) and tells a later click (a double click,
    a second moderator, a post not yet refreshed) what was decided instead of deciding again. Errors
    reach the member as a command's would.
    """

    prefix: ClassVar[str]
    labels: ClassVar[str]
    moderators_only: ClassVar[bool] = True

    def __init_subclass__(cls, *, prefix: str, labels: str) -> None:
        super().__init_subclass__(
            template=rf"{re.escape(prefix)}:(?P<target_id>[0-9]{{1,20}}):(?P<decision>approve|decline)"
        )
        cls.prefix = prefix
        cls.labels = labels

    def __init__(self, target_id: int, decision: str, *, label: str = "", disabled: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                label=limits.clip(label or decision, limits.BUTTON_LABEL),
                style=_DECISION_STYLES[decision],
                custom_id=f"{self.prefix}:{target_id}:{decision}",
                disabled=disabled,
            )
        )
        self.target_id = target_id
        self.decision = decision

    @property
    def approve(self) -> bool:
        return self.decision == "approve"

    @classmethod
    def buttons(
        cls, catalog: Catalog, lang: str, target_id: int, *, disabled: bool = False
    ) -> discord.ui.View:
        """Approve and Decline under a post. Persistent: never times out. Once decided they stay,
        disabled, so the post still shows what was asked."""
        view = discord.ui.View(timeout=None)
        for decision in DECISIONS:
            label = catalog.t(lang, f"{cls.labels}.{decision}")
            view.add_item(cls(target_id, decision, label=label, disabled=disabled))
        return view

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        return cls(int(match["target_id"]), match["decision"], label=getattr(item, "label", None) or "")

    async def callback(self, interaction: discord.Interaction) -> None:
        async with reporting_errors(interaction):
            await self.ensure_allowed(interaction)
            await self.decide(interaction)

    async def ensure_allowed(self, interaction: discord.Interaction) -> None:
        """Who may decide, checked on every click before the handler: moderators, unless the subclass
        sets ``moderators_only = False`` because its service judges the click (a working group's
        coordinators decide too, which only the group, read in the handler, can tell)."""
        if not self.moderators_only:
            return
        bot: Any = interaction.client  # a WimBot; discord.py types it Client
        if not bot.is_moderator(interaction.user):
            raise UserFacingError("errors.not_moderator")

    async def decide(self, interaction: discord.Interaction) -> None:
        """Hand the click to the feature (``self.target_id``, ``self.approve``)."""
        raise NotImplementedError
