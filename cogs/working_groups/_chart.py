"""The report's chart: one PNG of every group's progress (matplotlib, no Discord).

Two horizontal bars per group (workplan items and deliverables done, in percent), coloured by the
group's status, with the days since its last update written at the end of the row. Rendered in a
worker thread so the event loop never waits on it.
"""

from __future__ import annotations

import asyncio
import io
import threading
from collections.abc import Sequence
from typing import Final

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure

from bot.i18n import Catalog
from bot.services.working_groups import ReportLine

STATUS_COLOURS: Final = {
    "not_started": "#9e9e9e",
    "in_progress": "#1f77b4",
    "needs_attention": "#ff7f0e",
    "completed": "#2ca02c",
}
# matplotlib's text layout caches are not thread-safe: one chart at a time.
_LOCK = threading.Lock()


def _percent(done: int, total: int) -> float:
    return 100.0 * done / total if total else 0.0


def render(catalog: Catalog, lang: str, lines: Sequence[ReportLine]) -> bytes:
    """The chart as PNG bytes."""
    t = catalog.t
    with _LOCK:
        height = max(2.5, 0.45 * len(lines) + 1.5)
        figure = Figure(figsize=(9, height), dpi=100)
        axes = figure.add_subplot()
        labels = [line.row.key for line in lines]
        positions = list(range(len(lines)))
        workplan = [_percent(line.row.workplan_done, line.row.workplan_total) for line in lines]
        deliverables = [_percent(line.row.deliverables_done, line.row.deliverables_total) for line in lines]
        colours = [STATUS_COLOURS.get(line.row.status, "#9e9e9e") for line in lines]
        axes.barh(
            [p - 0.2 for p in positions],
            workplan,
            height=0.38,
            color=colours,
            label=t(lang, "working_groups.report.workplan"),
        )
        axes.barh(
            [p + 0.2 for p in positions],
            deliverables,
            height=0.38,
            color=colours,
            alpha=0.55,
            label=t(lang, "working_groups.report.deliverables"),
        )
        for position, line in zip(positions, lines, strict=True):
            mark = " ⚠" if line.stale else ""
            axes.text(
                101,
                position,
                t(lang, "working_groups.report.days_short", days=line.days_since_update) + mark,
                va="center",
                fontsize=8,
            )
        axes.set_yticks(positions, labels, fontsize=8)
        axes.invert_yaxis()
        axes.set_xlim(0, 125)
        axes.set_xlabel(t(lang, "working_groups.report.percent_done"))
        axes.set_title(t(lang, "working_groups.report.title"))
        axes.legend(loc="lower right", fontsize=8)
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        return buffer.getvalue()


async def render_async(catalog: Catalog, lang: str, lines: Sequence[ReportLine]) -> bytes:
    return await asyncio.to_thread(render, catalog, lang, list(lines))
