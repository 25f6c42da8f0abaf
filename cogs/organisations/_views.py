"""Buttons of the directory.

The Approve/Decline buttons of a claim's mod-log post are ``DecisionButton``s whose custom_id holds
only the claim id and the decision (``org:claim:<claim_id>:approve|decline``); each click reads the
database, so they work after a restart. Moderators decide (the base checks every click); the click
goes to the cog.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import discord

from bot.core.views import DecisionButton, loaded_cog
from bot.i18n import Catalog

if TYPE_CHECKING:
    from cogs.organisations._cog import Organisations


class ClaimButton(DecisionButton, prefix="org:claim", labels="orgs.ui.claim"):
    """``org:claim:<claim_id>:<approve|decline>``"""

    async def decide(self, interaction: discord.Interaction) -> None:
        cog = cast("Organisations", loaded_cog(interaction, "Organisations"))
        await cog.decide(interaction, self.target_id, approve=self.approve)


def claim_buttons(catalog: Catalog, lang: str, claim_id: int, *, decided: bool = False) -> discord.ui.View:
    """Approve and Decline under a claim's mod-log post; disabled once the claim is decided (a click
    that raced the edit is told what was decided)."""
    return ClaimButton.buttons(catalog, lang, claim_id, disabled=decided)
