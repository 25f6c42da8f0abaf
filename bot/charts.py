"""PNG charts with matplotlib, for exports (organisations per region) and any feature that needs one.

Rendered with the Agg canvas directly (``Figure`` + ``FigureCanvasAgg``, no pyplot): no global state,
safe in a worker thread, so callers run it with ``asyncio.to_thread`` and never block the event loop.
matplotlib is imported on first use: it costs a few hundred milliseconds the bot need not pay at start.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

BAR_COLOUR = "#8E44AD"


def bar_chart_png(
    labels: Sequence[str], values: Sequence[int], *, title: str, axis_label: str, width_px: int = 1000
) -> bytes:
    """A horizontal bar chart (one bar per label, largest on top of the given order) as PNG bytes."""
    if len(labels) != len(values):
        raise ValueError("one value per label")
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    dpi = 100
    height_px = 160 + 42 * max(len(labels), 1)
    figure = Figure(figsize=(width_px / dpi, height_px / dpi), dpi=dpi)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    positions = list(range(len(labels)))
    bars = axes.barh(positions, list(values), color=BAR_COLOUR)
    axes.set_yticks(positions, labels=list(labels))
    axes.invert_yaxis()  # the first label on top
    axes.set_title(title)
    axes.set_xlabel(axis_label)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.bar_label(bars, padding=3)
    axes.spines[["top", "right"]].set_visible(False)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
