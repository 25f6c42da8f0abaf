"""/digest: the weekly digest, posted once per ISO week in the digest channel and sent by direct
message to its subscribers.

Discord glue only: the commands and timer handlers call ``DigestService`` (``bot/services/digest``),
which gathers the sections, lays them out within Discord's limits and guards each week; this package
renders the laid-out embeds (``_render.py``) and posts them (``_handlers.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.core.bot import WimBot


async def setup(bot: WimBot) -> None:
    from cogs.digest._cog import DigestCog

    await bot.add_cog(DigestCog(bot))
