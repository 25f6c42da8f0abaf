"""The shared PNG charts: a figure kept for the next chart of its size draws exactly what a new one
would, whatever it drew before (no bar, label, note or legend left over)."""

from __future__ import annotations

from collections.abc import Callable

from bot import charts

PNG = b"\x89PNG\r\n\x1a\n"


def _bar(labels: list[str], values: list[int], title: str = "Consultation: adopt the charter?") -> bytes:
    return charts.bar_chart_png(labels, values, title=title, axis_label="Ballots")


def _grouped(series: int, notes: bool) -> bytes:
    months = ["2026-09", "2026-10", "2026-11"]
    return charts.grouped_bar_chart_png(
        months,
        [(f"Series {n}", [n + 1, 2 * n + 3, 5]) for n in range(series)],
        title="Going and checked in",
        axis_label="Members",
        notes=["40%", "", "75%"] if notes else None,
    )


def test_a_kept_figure_draws_what_a_new_one_would() -> None:
    charts._TEMPLATES.clear()
    first_bar = _bar(["Yes", "No", "Abstain"], [12, 7, 1])
    first_grouped = _grouped(3, notes=True)
    assert first_bar.startswith(PNG) and first_grouped.startswith(PNG)
    # Other charts of the same sizes in between: longer labels, other values, fewer series, no notes.
    _bar(["Oui, avec des réserves importantes", "Non", "Abstention"], [0, 450, 3], title="Autre")
    _grouped(1, notes=False)
    assert _bar(["Yes", "No", "Abstain"], [12, 7, 1]) == first_bar
    assert _grouped(3, notes=True) == first_grouped


def test_figures_are_kept_for_a_few_sizes_only() -> None:
    charts._TEMPLATES.clear()
    for rows in range(1, charts._KEPT + 5):
        _bar([f"Option {n}" for n in range(rows)], list(range(rows)))
    assert len(charts._TEMPLATES) == charts._KEPT


def test_charts_drawn_together_are_those_drawn_one_by_one_in_order() -> None:
    jobs: list[Callable[[], bytes]] = [
        lambda: _bar(["Yes", "No"], [3, 1]),
        lambda: _grouped(2, notes=True),
        lambda: _bar(["Oui", "Non", "Abstention"], [5, 5, 0], title="Autre"),
        lambda: _grouped(1, notes=False),
    ]
    assert charts.draw_all(jobs) == [job() for job in jobs]
    assert charts.draw_all(jobs[:1]) == [jobs[0]()] and charts.draw_all([]) == []
