"""PNG charts with matplotlib, for exports (organisations per region) and any feature that needs one.

Rendered with the Agg canvas directly (``Figure`` + ``FigureCanvasAgg``, no pyplot): no global state,
safe in a worker thread, so callers run it with ``asyncio.to_thread`` and never block the event loop.
matplotlib is imported on first use: it costs a few hundred milliseconds the bot need not pay at start.

Labels are drawn as plain texts rather than tick labels, and the margins are computed instead of
``tight_layout``: matplotlib's tick objects and layout passes were most of the rendering time.

A figure with its axes is kept per kind and size of chart (``_Template``) and drawn again for the next
chart of that size, with only what changes replaced: building the axes and their ticks cost as much
as drawing them, and the canvas keeps its renderer, so matplotlib's caches of text sizes (tick labels,
titles, option labels a report repeats) stay warm. One chart is drawn at a time (``_DRAWING``):
matplotlib's figures and text caches are not thread-safe, and under the GIL drawing two at once is no
faster.
"""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

BAR_COLOUR = "#8E44AD"
DPI = 100
#: Width of one label character at matplotlib's default 10 pt font and 100 dpi, with a little room.
_CHAR_PX = 7.4
#: zlib level of the PNGs: 3 is about as small as 6 (the default) for flat-coloured charts, and faster.
_PNG = {"compress_level": 3}

#: Figures kept for the next chart of the same kind and size (a bar chart's height follows its rows):
#: /stats draws three sizes, the newsletter one per number of options; each kept figure holds its
#: canvas (0.7 to 2.5 MB), so a few, not one per size ever drawn.
_KEPT = 6
_DRAWING = threading.Lock()


class _Template:
    """A figure and its axes, kept between charts: what one chart added (bars, texts, a legend) is
    taken away before the next is drawn; titles, labels, limits and margins are set by each chart."""

    def __init__(self, figure: Figure, axes: Axes) -> None:
        self.figure = figure
        self.axes = axes
        self._added: list[Any] = []

    def add(self, *artists: Any) -> None:
        self._added.extend(artists)

    def clear(self) -> None:
        for artist in self._added:
            artist.remove()
        self._added.clear()
        legend = self.axes.get_legend()
        if legend is not None:
            legend.remove()

    def pixels(self) -> Any:
        """The chart drawn, as a copy of its RGBA pixels (the figure draws the next chart next)."""
        import numpy

        canvas = self.figure.canvas
        canvas.draw()
        return numpy.array(canvas.buffer_rgba())  # type: ignore[attr-defined]


def _png(pixels: Any) -> bytes:
    """The pixels as PNG bytes, as ``savefig`` writes them. Outside ``_DRAWING``: Pillow compresses
    without holding the GIL, so one chart is encoded while the next is drawn."""
    from matplotlib.image import imsave

    buffer = io.BytesIO()
    imsave(buffer, pixels, format="png", dpi=DPI, pil_kwargs=_PNG)
    return buffer.getvalue()


def draw_all(charts: Sequence[Callable[[], bytes]]) -> list[bytes]:
    """Several charts (each a call of this module's functions) drawn by two threads, in order: one
    is drawn while the one before is encoded, which is all that two threads win here (drawing holds
    the GIL and ``_DRAWING``)."""
    if len(charts) < 2:
        return [chart() for chart in charts]
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="charts") as pool:
        return list(pool.map(lambda chart: chart(), charts))


_TEMPLATES: OrderedDict[tuple[object, ...], _Template] = OrderedDict()


def _template(
    key: tuple[object, ...], width_px: int, height_px: int, setup: Callable[[Axes], None]
) -> _Template:
    """The kept figure of ``key`` (made with ``setup`` the first time), emptied of the last chart.
    Called with ``_DRAWING`` held."""
    template = _TEMPLATES.get(key)
    if template is None:
        import matplotlib

        matplotlib.use("Agg", force=False)
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        figure = Figure(figsize=(width_px / DPI, height_px / DPI), dpi=DPI, facecolor="white")
        FigureCanvasAgg(figure)
        axes = figure.add_subplot()
        setup(axes)
        template = _TEMPLATES[key] = _Template(figure, axes)
        while len(_TEMPLATES) > _KEPT:
            _TEMPLATES.popitem(last=False)
    else:
        _TEMPLATES.move_to_end(key)
        template.clear()
    return template


def _bars(
    template: _Template,
    corners: Sequence[tuple[float, float]],
    sizes: Sequence[tuple[float, float]],
    colour: str,
) -> list[Any]:
    """Bars as plain rectangles (lower-left corner, width and height in data units), what
    ``Axes.bar`` draws: it also widens the axes' data limits bar by bar, for limits these charts set
    themselves, and that was a fifth of a grouped chart's time."""
    from matplotlib.patches import Rectangle

    bars = [
        template.axes.add_artist(Rectangle(corner, width, height, facecolor=colour, label="_nolegend_"))
        for corner, (width, height) in zip(corners, sizes, strict=True)
    ]
    template.add(*bars)
    return bars


def _bar_axes(axes: Axes) -> None:
    from matplotlib.ticker import MaxNLocator

    # No ticks nor label on the y axis (the labels are texts beside it): drawn invisible, it would
    # still place its ticks and label each time.
    axes.yaxis.set_visible(False)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=6))
    axes.spines[["top", "right", "left"]].set_visible(False)


def bar_chart_png(
    labels: Sequence[str], values: Sequence[int], *, title: str, axis_label: str, width_px: int = 900
) -> bytes:
    """A horizontal bar chart, one bar per label in the given order (top to bottom), each bar with
    its value, as PNG bytes."""
    if len(labels) != len(values):
        raise ValueError("one value per label")
    count = len(labels)
    height_px = 110 + 30 * max(count, 1)
    with _DRAWING:
        from matplotlib.transforms import blended_transform_factory

        template = _template(("bar", width_px, height_px), width_px, height_px, _bar_axes)
        figure, axes = template.figure, template.axes
        longest = max((len(label) for label in labels), default=0)
        figure.subplots_adjust(
            left=min(0.55, (longest * _CHAR_PX + 24) / width_px),
            right=0.95,
            top=1 - 40 / height_px,
            bottom=50 / height_px,
        )
        top = max(values, default=0) or 1
        _bars(
            template, [(0, row - 0.4) for row in range(count)], [(value, 0.8) for value in values], BAR_COLOUR
        )
        axes.set_ylim(max(count, 1) - 0.5, -0.5)  # the first label on top (an empty chart keeps one row)
        axes.set_xlim(0, top * 1.1)
        beside_axis = blended_transform_factory(axes.transAxes, axes.transData)
        for row, (label, value) in enumerate(zip(labels, values, strict=True)):
            template.add(
                axes.text(-0.01, row, label, transform=beside_axis, ha="right", va="center"),
                axes.text(value + top * 0.01, row, str(value), va="center"),
            )
        axes.set_title(title)
        axes.set_xlabel(axis_label)
        pixels = template.pixels()
    return _png(pixels)


#: Colours of the series of a grouped chart: distinct on white, the figure's own background, which
#: Discord shows as a light card in its dark theme and its light theme alike.
SERIES_COLOURS = ("#8E44AD", "#16A085", "#E67E22", "#2980B9", "#C0392B")


def _grouped_axes(axes: Axes) -> None:
    from matplotlib.ticker import MaxNLocator

    axes.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=6))
    axes.spines[["top", "right"]].set_visible(False)


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
    count = max(len(categories), 1)
    height_px = 420
    with _DRAWING:
        template = _template(("grouped", width_px, height_px), width_px, height_px, _grouped_axes)
        figure, axes = template.figure, template.axes
        figure.subplots_adjust(left=0.08, right=0.98, top=1 - 50 / height_px, bottom=110 / height_px)
        width = 0.8 / max(len(series), 1)
        top = max((value for _, values in series for value in values), default=0) or 1
        handles = []
        for index, (_, values) in enumerate(series):
            bars = _bars(
                template,
                [(column - 0.4 + width * index, 0) for column in range(len(values))],
                [(width, value) for value in values],
                SERIES_COLOURS[index % len(SERIES_COLOURS)],
            )
            handles.append(bars[0] if bars else None)
        if notes:
            for column, note in enumerate(notes):
                if note:
                    group_top = max(
                        (values[column] for _, values in series if column < len(values)), default=0
                    )
                    template.add(
                        axes.text(column, group_top + top * 0.02, note, ha="center", va="bottom", fontsize=8)
                    )
        axes.set_xlim(-0.6, count - 0.4)
        axes.set_ylim(0, top * 1.15)
        step = max(1, len(categories) // 12)  # at most a dozen labels under the axis
        axes.set_xticks(range(0, len(categories), step))
        axes.set_xticklabels(list(categories)[::step], rotation=30, ha="right", fontsize=8)
        axes.set_title(title)
        axes.set_ylabel(axis_label)
        named = [
            (handle, name) for handle, (name, _) in zip(handles, series, strict=True) if handle is not None
        ]
        axes.legend(
            [handle for handle, _ in named],
            [name for _, name in named],
            loc="upper left",
            fontsize=8,
            frameon=False,
        )
        pixels = template.pixels()
    return _png(pixels)
