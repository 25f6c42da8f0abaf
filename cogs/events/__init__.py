"""/event: create, list, edit, cancel, RSVP, check in and export Alliance events.

A package of small modules, each with one responsibility:

* ``_cog.py``: the ``Events`` cog, the slash commands and the button entry points (Discord glue:
  parse options, check what only Discord knows, call ``EventService``, render);
* ``_announcements.py``: the announcement card's lifecycle (post, refresh, move, find again);
* ``_mirror.py``: the Events-tab mirror (Discord scheduled events);
* ``_handlers.py``: the timer handlers (reminders, start, end, horizon, the outbox, refresh), built
  from the two parts above;
* ``_render.py``: embeds and texts, pure functions; ``_views.py``: buttons and the scope chooser.

Imports only go down that list (``_cog`` -> ``_handlers`` -> parts -> ``_render``/``_views``),
so there is no runtime import cycle. This module only holds ``setup``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.core.bot import WimBot


async def setup(bot: WimBot) -> None:
    from cogs.events._cog import PERSISTENT_ITEMS, Events

    await bot.add_cog(Events(bot))
    bot.add_dynamic_items(*PERSISTENT_ITEMS)
