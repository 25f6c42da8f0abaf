"""The PNG chart of a poll's results (matplotlib, no Discord): a bar per option, or for a ranked poll
the votes of every option in each round of the count.

Rendered with the Agg canvas directly in a worker thread (``render_async``), so the event loop never
waits on it; one chart at a time, since matplotlib's text layout caches are not thread-safe.
"""

from __future__ import annotations

import asyncio
import io
import threading
from typing import Final

from bot import charts
from bot.i18n import Catalog
from bot.limits import clip
from bot.services.consultations import Tally

ROUND_COLOURS: Final = ("#8E44AD", "#3498DB", "#1ABC9C", "#F1C40F", "#E67E22", "#E74C3C", "#95A5A6")
QUOTA_COLOUR: Final = "#2C3E50"
_LABEL: Final = 40
_LOCK = threading.Lock()


def filename(tally: Tally) -> str:
    suffix = "rounds" if tally.ranked is not None else "results"
    return f"poll-{tally.poll.id}-{suffix}.png"


def render(catalog: Catalog, lang: str, tally: Tally) -> bytes:
    """The chart of ``tally`` (which must not be hidden) as PNG bytes."""
    t = catalog.t
    with _LOCK:
        if tally.ranked is None:
            return charts.bar_chart_png(
                [clip(f"{o.position}. {o.label}", _LABEL) for o in tally.options],
                [o.count for o in tally.options],
                title=t(lang, "consultations_ui.chart.title"),
                axis_label=t(lang, "consultations_ui.chart.axis"),
            )
        return _rounds(catalog, lang, tally)


def _rounds(catalog: Catalog, lang: str, tally: Tally) -> bytes:
    """Grouped horizontal bars: for each option (top to bottom in ballot order), one bar per round it
    took part in; the quota as a dashed line."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    t = catalog.t
    assert tally.ranked is not None
    ranked = tally.ranked
    options = tally.poll.options
    rounds = ranked.rounds
    width_px = 900
    height_px = 140 + 34 * max(len(options), 1)
    figure = Figure(figsize=(width_px / charts.DPI, height_px / charts.DPI), dpi=charts.DPI)
    FigureCanvasAgg(figure)
    longest = max((len(clip(o.label, _LABEL)) + 4 for o in options), default=0)
    figure.subplots_adjust(
        left=min(0.5, (longest * 7.4 + 24) / width_px),
        right=0.97,
        top=1 - 40 / height_px,
        bottom=90 / height_px,
    )
    axes = figure.add_subplot()
    count = max(len(rounds), 1)
    bar = 0.8 / count
    top = max((votes for r in rounds for _, votes in r.votes), default=0.0) or 1.0
    for index, round_ in enumerate(rounds):
        votes = dict(round_.votes)
        rows = [row for row, option in enumerate(options) if option.position in votes]
        values = [votes[options[row].position] for row in rows]
        axes.barh(
            [row - 0.4 + bar * (index + 0.5) for row in rows],
            values,
            height=bar,
            color=ROUND_COLOURS[index % len(ROUND_COLOURS)],
            label=t(lang, "consultations_ui.chart.round", number=round_.number),
        )
    axes.axvline(ranked.quota, color=QUOTA_COLOUR, linestyle="--", linewidth=1)
    axes.text(
        ranked.quota,
        -0.6,
        t(lang, "consultations_ui.chart.quota"),
        color=QUOTA_COLOUR,
        ha="center",
        va="bottom",
        fontsize=8,
    )
    axes.set_ylim(max(len(options), 1) - 0.5, -0.7)
    axes.set_xlim(0, max(top, ranked.quota) * 1.1)
    axes.set_yticks(range(len(options)))
    axes.set_yticklabels([clip(f"{o.position}. {o.label}", _LABEL) for o in options])
    axes.set_title(t(lang, "consultations_ui.chart.rounds_title"))
    axes.set_xlabel(t(lang, "consultations_ui.chart.votes"))
    axes.legend(
        loc="upper center", bbox_to_anchor=(0.5, -60 / height_px * 1.6), ncol=min(count, 7), fontsize=8
    )
    axes.spines[["top", "right"]].set_visible(False)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", pil_kwargs={"compress_level": 3})
    return buffer.getvalue()


async def render_async(catalog: Catalog, lang: str, tally: Tally) -> bytes:
    return await asyncio.to_thread(render, catalog, lang, tally)
