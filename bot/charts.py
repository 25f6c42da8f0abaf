"""PNG charts with matplotlib, for exports (organisations per region) and any feature that needs one.

Rendered with the Agg canvas directly (``Figure`` + ``FigureCanvasAgg``, no pyplot): no global state,
safe in a worker thread, so callers run it with ``asyncio.to_thread`` and never block the event loop.
matplotlib is imported on first use: it costs a few hundred milliseconds the bot need not pay at start.

Labels are drawn as plain texts rather than tick labels, and the margins are computed instead of
``tight_layout``: matplotlib's tick objects and layout passes were most of the rendering time.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

BAR_COLOUR = "#8E44AD"
DPI = 100
#: Width of one label character at matplotlib's default 10 pt font and 100 dpi, with a little room.
_CHAR_PX = 7.4


def bar_chart_png(
    labels: Sequence[str], values: Sequence[int], *, title: str, axis_label: str, width_px: int = 900
) -> bytes:
    """A horizontal bar chart, one bar per label in the given order (top to bottom), each bar with
    its value, as PNG bytes."""
    if len(labels) != len(values):
        raise ValueError("one value per label")
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator
    from matplotlib.transforms import blended_transform_factory

    count = len(labels)
    height_px = 110 + 30 * max(count, 1)
    figure = Figure(figsize=(width_px / DPI, height_px / DPI), dpi=DPI)
    FigureCanvasAgg(figure)
    longest = max((len(label) for label in labels), default=0)
    figure.subplots_adjust(
        left=min(0.55, (longest * _CHAR_PX + 24) / width_px),
        right=0.95,
        top=1 - 40 / height_px,
        bottom=50 / height_px,
    )
    axes = figure.add_subplot()
    top = max(values, default=0) or 1
    axes.barh(range(count), list(values), color=BAR_COLOUR)
    axes.set_ylim(max(count, 1) - 0.5, -0.5)  # the first label on top (an empty chart keeps one row)
    axes.set_xlim(0, top * 1.1)
    axes.set_yticks([])
    beside_axis = blended_transform_factory(axes.transAxes, axes.transData)
    for row, (label, value) in enumerate(zip(labels, values, strict=True)):
        axes.text(-0.01, row, label, transform=beside_axis, ha="right", va="center")
        axes.text(value + top * 0.01, row, str(value), va="center")
    axes.set_title(title)
    axes.set_xlabel(axis_label)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=6))
    axes.spines[["top", "right", "left"]].set_visible(False)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", pil_kwargs={"compress_level": 3})
    return buffer.getvalue()


#: Colours of the series of a grouped chart: distinct on white, the figure's own background, which
#: Discord shows as a light card in its dark theme and its light theme alike.
SERIES_COLOURS = ("#8E44AD", "#16A085", "#E67E22", "#2980B9", "#C0392B")


def grouped_bar_chart_png(
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[int]]],
    *,
    title: str,
    axis_label: str,
    notes: Sequence[str] | None = None,
    width_px: int = 900,
) -> bytes:
    """Vertical bars: for each category (left to right), one bar per series, with a legend; ``notes``
    (one per category, e.g. a rate) are written above each group. PNG bytes."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    count = max(len(categories), 1)
    height_px = 420
    figure = Figure(figsize=(width_px / DPI, height_px / DPI), dpi=DPI, facecolor="white")
    FigureCanvasAgg(figure)
    figure.subplots_adjust(left=0.08, right=0.98, top=1 - 50 / height_px, bottom=110 / height_px)
    axes = figure.add_subplot()
    width = 0.8 / max(len(series), 1)
    top = max((value for _, values in series for value in values), default=0) or 1
    for index, (name, values) in enumerate(series):
        axes.bar(
            [column - 0.4 + width * (index + 0.5) for column in range(len(values))],
            list(values),
            width=width,
            color=SERIES_COLOURS[index % len(SERIES_COLOURS)],
            label=name,
        )
    if notes:
        for column, note in enumerate(notes):
            if note:
                group_top = max((values[column] for _, values in series if column < len(values)), default=0)
                axes.text(column, group_top + top * 0.02, note, ha="center", va="bottom", fontsize=8)
    axes.set_xlim(-0.6, count - 0.4)
    axes.set_ylim(0, top * 1.15)
    step = max(1, len(categories) // 12)  # at most a dozen labels under the axis
    axes.set_xticks(range(0, len(categories), step))
    axes.set_xticklabels(list(categories)[::step], rotation=30, ha="right", fontsize=8)
    axes.set_title(title)
    axes.set_ylabel(axis_label)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=6))
    axes.legend(loc="upper left", fontsize=8, frameon=False)
    axes.spines[["top", "right"]].set_visible(False)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", pil_kwargs={"compress_level": 3})
    return buffer.getvalue()
