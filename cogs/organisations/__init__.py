"""/org: the directory of WIM organisations, who speaks for each, and the claims moderators decide.

Discord glue only: commands parse options, check what only Discord knows (moderator roles, whether a
member is a bot), call ``OrganisationService`` and render. Side effects of a change (the claim's
mod-log post, the outcome DM, the leaders role) are timers the service wrote with the change; the
handlers here carry them out and are idempotent (``_handlers.py``).

Replies speak the member's language; the mod-log post and the notices to moderators speak mod-log's
(``channel_languages``, else ``config.language``); the outcome DM speaks the language the member
claimed in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.core.bot import WimBot


async def setup(bot: WimBot) -> None:
    from cogs.organisations._cog import PERSISTENT_ITEMS, Organisations

    await bot.add_cog(Organisations(bot))
    bot.add_dynamic_items(*PERSISTENT_ITEMS)
