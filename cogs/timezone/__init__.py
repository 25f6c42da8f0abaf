"""/timezone set|show: the member's IANA time zone, used to read the times they type."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.core.bot import WimBot


async def setup(bot: WimBot) -> None:
    from cogs.timezone._cog import TimeZones

    await bot.add_cog(TimeZones(bot))
