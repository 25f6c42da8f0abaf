"""The report's chart: one PNG of every group's progress (matplotlib, no Discord).

Two horizontal bars per group (workplan items done, then deliverables done, in percent, the second
lighter), coloured by the group's status; each row is labelled with the group's key and the days since
its last update, ⚠ when it is stale. Rendered in a worker thread so the event loop never waits on it.
"""

from __future__ import annotations

import asyncio
import io
import threading
from collections.abc import Sequence
from typing import Final

import matplotlib

matplotlib.use("Agg")

from matplotlib.collections import PolyCollection
from matplotlib.colors import to_rgba
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
    """The chart as PNG bytes.

    Kept cheap for 50 groups and more: every bar is in one ``PolyCollection`` (one artist instead of
    a hundred rectangles), group names are plain texts rather than tick objects, no automatic layout,
    light PNG compression.
    """
    t = catalog.t
    with _LOCK:
        rows = max(1, len(lines))
        height = 1.2 + 0.3 * rows
        figure = Figure(figsize=(8, height), dpi=80)
        axes = figure.add_axes((0.3, 0.75 / height, 0.66, 1 - 1.25 / height))
        polygons = []
        colours = []
        for row_index, line in enumerate(lines):
            colour = to_rgba(STATUS_COLOURS.get(line.row.status, "#9e9e9e"))
            for offset, value, alpha in (
                (-0.4, _percent(line.row.workplan_done, line.row.workplan_total), 1.0),
                (0.02, _percent(line.row.deliverables_done, line.row.deliverables_total), 0.5),
            ):
                top = row_index + offset
                polygons.append([(0, top), (value, top), (value, top + 0.38), (0, top + 0.38)])
                colours.append((*colour[:3], alpha))
            label = (
                f"{line.row.key} · {t(lang, 'working_groups.report.days_short', days=line.days_since_update)}"
            )
            axes.text(
                -2, row_index, label + (" ⚠" if line.stale else ""), ha="right", va="center", fontsize=8
            )
        axes.add_collection(PolyCollection(polygons, facecolors=colours, edgecolors="none"))
        axes.set_xlim(0, 100)
        axes.set_ylim(rows - 0.5, -0.5)
        axes.set_yticks([])
        axes.set_xticks([0, 25, 50, 75, 100])
        axes.tick_params(labelsize=8)
        legend = t(lang, "working_groups.report.legend_chart")
        axes.set_xlabel(f"{t(lang, 'working_groups.report.percent_done')} · {legend}", fontsize=8)
        axes.set_title(t(lang, "working_groups.report.title"), fontsize=10)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", pil_kwargs={"compress_level": 1})
        return buffer.getvalue()


async def render_async(catalog: Catalog, lang: str, lines: Sequence[ReportLine]) -> bytes:
    return await asyncio.to_thread(render, catalog, lang, list(lines))
