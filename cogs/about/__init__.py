"""/about: what this bot is and how it is doing, in the member's language."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.core.bot import WimBot


async def setup(bot: WimBot) -> None:
    from cogs.about._cog import About

    await bot.add_cog(About(bot))
