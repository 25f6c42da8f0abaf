"""Buttons of the directory.

The Approve/Decline buttons of a claim's mod-log post are ``DynamicItem``s whose custom_id holds only
the claim id and the decision (``org:claim:<claim_id>:approve|decline``); each click reads the
database, so they work after a restart. They hand the click to the cog.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Final, cast

import discord

from bot.core.tree import reporting_errors
from bot.core.views import loaded_cog
from bot.i18n import Catalog

if TYPE_CHECKING:
    from cogs.organisations._cog import Organisations

DECISIONS: Final = ("approve", "decline")
_STYLES: Final = {"approve": discord.ButtonStyle.success, "decline": discord.ButtonStyle.danger}


def _cog(interaction: discord.Interaction) -> Organisations:
    return cast("Organisations", loaded_cog(interaction, "Organisations"))


class ClaimButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"org:claim:(?P<claim_id>[0-9]{1,20}):(?P<decision>approve|decline)",
):
    """``org:claim:<claim_id>:<approve|decline>``"""

    def __init__(self, claim_id: int, decision: str, *, label: str, disabled: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                style=_STYLES[decision],
                custom_id=f"org:claim:{claim_id}:{decision}",
                disabled=disabled,
            )
        )
        self.claim_id = claim_id
        self.decision = decision

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ClaimButton:
        return cls(int(match["claim_id"]), match["decision"], label=getattr(item, "label", None) or "?")

    async def callback(self, interaction: discord.Interaction) -> None:
        async with reporting_errors(interaction):
            await _cog(interaction).decide(interaction, self.claim_id, approve=self.decision == "approve")


def claim_buttons(catalog: Catalog, lang: str, claim_id: int, *, decided: bool = False) -> discord.ui.View:
    """Approve and Decline under a claim's mod-log post. Persistent: never times out. Once the claim
    is decided they stay, disabled, so the post still shows what was asked; a click that raced the
    edit is told what was decided."""
    view = discord.ui.View(timeout=None)
    for decision in DECISIONS:
        label = catalog.t(lang, f"orgs.ui.claim.{decision}")
        view.add_item(ClaimButton(claim_id, decision, label=label, disabled=decided))
    return view
