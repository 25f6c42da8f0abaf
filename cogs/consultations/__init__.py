"""/poll: polls of the members, consultations of the WIM organisations, Steering Committee elections.

A package of small modules, each with one responsibility:

* ``_cog.py``: the ``Consultations`` cog, its life cycle, the /poll commands and the entry points of
  the persistent components (Discord glue: parse options, check permissions, call
  ``ConsultationService``, render);
* ``_elections.py``: /poll election, nominate, extend (added to the cog's /poll group with
  ``bot.core.subcommands``) and the entry points of the nominee's Accept / Decline and the Extend;
* ``_handlers.py``: the timer handlers (post the poll, refresh its tally, the results at the close, the
  24-hour reminder, the nudge DMs; an election's call for nominations, the nominee's DM, the close of
  nominations, the moderators' notice of too few candidates);
* ``_views.py``: persistent buttons and selects (ids only in their custom_id) and the two modals;
* ``_render.py``: embeds and texts, pure functions; ``_chart.py``: the PNG charts.

Imports only go down that list, so there is no runtime import cycle. This module only holds
``setup``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.core.bot import WimBot


async def setup(bot: WimBot) -> None:
    from cogs.consultations._cog import PERSISTENT_ITEMS, Consultations

    await bot.add_cog(Consultations(bot))
    bot.add_dynamic_items(*PERSISTENT_ITEMS)
