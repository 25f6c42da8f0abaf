"""/wg: the Alliance's working groups — roles and channels, coordinators, status, workplans,
deliverables, progress updates, meeting summaries, documents, search and the moderators' report.

A package of small modules, each with one responsibility:

* ``_cog.py``: the ``WorkingGroups`` cog: life cycle, /wg list, info, join, leave, panel, the
  buttons' entry points and the helpers the command modules share;
* ``_manage.py``: /wg create, edit, archive, repair and the /wg coordinator group (moderators);
* ``_work.py``: /wg status, update, summary, search, report and the workplan, deliverable and doc
  groups;
* ``_initiatives.py``: the /wg initiative group, /wg initiatives and export, the entries' decisions;
* ``_options.py`` (choices, option parsing, how a module's commands join /wg) and
  ``_autocomplete.py`` (groups, events, workplan items, deliverables, documents);
* ``_handlers.py``: the timer handlers (the outbox); ``_discord.py``: roles, channels, overwrites;
* ``_render.py``: embeds and texts, pure functions; ``_chart.py``: the report's chart;
  ``_views.py``: buttons and modals.

This module only holds ``setup``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.core.bot import WimBot


async def setup(bot: WimBot) -> None:
    from cogs.working_groups._cog import PERSISTENT_ITEMS, WorkingGroups

    await bot.add_cog(WorkingGroups(bot))
    bot.add_dynamic_items(*PERSISTENT_ITEMS)
