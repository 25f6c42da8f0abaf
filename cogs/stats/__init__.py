"""/stats: the engagement report for moderators (attendance, consultation turnout, working-group
activity, member and organisation growth, meeting-link click-through), as short tables with one chart
per section and the same figures in one CSV.

Discord glue only: ``StatsService`` (``bot/services/stats``) parses the period, gathers, words and
draws; this package defers, attaches and answers (``_render.py`` makes the embeds). It also records
the server's member joins and leaves, which Discord keeps no history of, for the growth section.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.core.bot import WimBot


async def setup(bot: WimBot) -> None:
    from cogs.stats._cog import StatsCog

    await bot.add_cog(StatsCog(bot))
