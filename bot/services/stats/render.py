"""The report worded and drawn: per section a summary line, a short monospace table and one PNG chart,
and every figure once more in one CSV (long format: section, item, metric, value; English column
names, read by spreadsheets rather than members). Pure and synchronous: ``StatsService.render`` runs
it in a worker thread, one report at a time (matplotlib's text caches are not thread-safe).
"""

from __future__ import annotations

import csv
import io
import json
import threading
from collections.abc import Callable, Sequence
from functools import partial

import msgspec
from msgspec.structs import replace

from bot import charts
from bot.i18n import Catalog
from bot.limits import clip
from bot.services.stats.model import Report, rate

_LOCK = threading.Lock()
#: Rows of a table: an embed holds a few of them, the CSV holds all.
TABLE_ROWS = 8
LABEL = 24
CHART_BARS = 12


class RenderedSection(msgspec.Struct, frozen=True):
    key: str
    title: str
    summary: str
    table: str  # a code block, or "" when the section has no figures
    chart: bytes | None
    filename: str  # of the chart


class Rendered(msgspec.Struct, frozen=True):
    title: str
    sections: tuple[RenderedSection, ...]
    csv: str
    csv_name: str


def percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}%"


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A monospace table, the first column left-aligned and clipped, the others right-aligned."""
    if not rows:
        return ""
    cells = [[clip(str(headers[0]), LABEL), *map(str, headers[1:])]] + [
        [clip(str(row[0]), LABEL), *map(str, row[1:])] for row in rows
    ]
    widths = [max(len(line[column]) for line in cells) for column in range(len(headers))]
    lines = [
        "  ".join(
            cell.ljust(widths[column]) if column == 0 else cell.rjust(widths[column])
            for column, cell in enumerate(line)
        ).rstrip()
        for line in cells
    ]
    return "```\n" + "\n".join(lines) + "\n```"


def group_name(name: str, lang: str) -> str:
    texts = json.loads(name)
    return str(texts.get(lang) or texts.get("en") or next(iter(texts.values()), ""))


def render_report(catalog: Catalog, lang: str, report: Report) -> Rendered:
    with _LOCK:
        return _render(catalog, lang, report)


def _render(catalog: Catalog, lang: str, report: Report) -> Rendered:
    def t(key: str, **params: object) -> str:
        return catalog.t(lang, key, **params)

    period = report.period
    rows: list[tuple[str, str, str, object]] = []
    sections: list[RenderedSection] = []
    # Each section's chart, drawn at the end with the others (charts.draw_all): None for none.
    jobs: list[Callable[[], bytes] | None] = []
    stem = f"stats-{period.first_day.isoformat()}-{period.last_day.isoformat()}"

    # --- attendance ---------------------------------------------------------------------------------
    for event in report.events:
        item = f"{event.starts_at.date().isoformat()} {event.title}"
        rows += [
            ("attendance", item, "going", event.going),
            ("attendance", item, "checked_in", event.checked_in),
        ]
    for series in report.series:
        rows += [
            ("attendance_series", series.title, "events", series.events),
            ("attendance_series", series.title, "going", series.going),
            ("attendance_series", series.title, "checked_in", series.checked_in),
        ]
    for bucket in report.buckets:
        rows += [
            ("attendance_over_time", bucket.label, "going", bucket.going),
            ("attendance_over_time", bucket.label, "checked_in", bucket.checked_in),
        ]
    chart: Callable[[], bytes] | None = None
    if report.events:
        chart = partial(
            charts.grouped_bar_chart_png,
            [bucket.label for bucket in report.buckets],
            [
                (t("stats.chart.going"), [bucket.going for bucket in report.buckets]),
                (t("stats.chart.checked_in"), [bucket.checked_in for bucket in report.buckets]),
            ],
            title=t("stats.attendance.chart"),
            axis_label=t("stats.chart.members"),
            notes=[percent(bucket.rate) if bucket.rate is not None else "" for bucket in report.buckets],
        )
    jobs.append(chart)
    sections.append(
        RenderedSection(
            "attendance",
            t("stats.attendance.title"),
            t(
                "stats.attendance.summary",
                count=len(report.events),
                going=report.going,
                checked_in=report.checked_in,
                rate=percent(rate(report.checked_in, report.going)),
            )
            if report.events
            else t("stats.empty"),
            table(
                [
                    t("stats.columns.series"),
                    t("stats.columns.events"),
                    t("stats.columns.going"),
                    t("stats.columns.checked_in"),
                    "%",
                ],
                [
                    (s.title, s.events, s.going, s.checked_in, percent(s.rate))
                    for s in report.series[:TABLE_ROWS]
                ],
            ),
            None,
            f"{stem}-attendance.png",
        )
    )

    # --- consultations -----------------------------------------------------------------------------------
    def region(code: str) -> str:
        return catalog.t(lang, f"orgs.regions.{code}")

    for figures in report.regions:
        rows += [
            ("consultation_regions", figures.region, "answered", figures.answered),
            ("consultation_regions", figures.region, "registered", figures.registered),
        ]
    for organisation in report.organisations:
        rows.append(("consultation_organisations", organisation.name, "answered", organisation.answered))
    rows += [
        ("consultations", "organisations", "closed", report.consultations),
        ("consultations", "members", "closed", report.member_polls),
        ("consultations", "members", "ballots", report.member_ballots),
    ]
    chart = None
    if report.regions:
        chart = partial(
            charts.bar_chart_png,
            [clip(region(f.region), 40) for f in report.regions],
            [round(f.rate or 0) for f in report.regions],
            title=t("stats.consultations.chart"),
            axis_label=t("stats.consultations.axis"),
        )
    organisation_lines = ", ".join(f"{clip(o.name, 40)} ({o.answered})" for o in report.organisations[:5])
    summary = (
        t(
            "stats.consultations.summary",
            count=report.consultations,
            polls=report.member_polls,
            ballots=report.member_ballots,
        )
        if report.consultations or report.member_polls
        else t("stats.empty")
    )
    if organisation_lines:
        summary += "\n" + t("stats.consultations.most", organisations=organisation_lines)
    jobs.append(chart)
    sections.append(
        RenderedSection(
            "consultations",
            t("stats.consultations.title"),
            summary,
            table(
                [t("stats.columns.region"), t("stats.columns.answered"), t("stats.columns.registered"), "%"],
                [
                    (region(f.region), f.answered, f.registered, percent(f.rate))
                    for f in report.regions[:TABLE_ROWS]
                ],
            ),
            None,
            f"{stem}-turnout.png",
        )
    )

    # --- working groups ---------------------------------------------------------------------------------
    for group in report.groups:
        for metric in ("updates", "summaries", "deliverables", "status_changes", "initiatives"):
            rows.append(("working_groups", group.key, metric, getattr(group, metric)))
    active = [
        g
        for g in report.groups
        if g.updates + g.summaries + g.deliverables + g.status_changes + g.initiatives
    ]
    chart = None
    if active:
        shown = active[:CHART_BARS]
        chart = partial(
            charts.grouped_bar_chart_png,
            [clip(group_name(g.name, lang), 28) for g in shown],
            [
                (t("stats.columns.updates"), [g.updates for g in shown]),
                (t("stats.columns.notes"), [g.summaries for g in shown]),
                (t("stats.columns.deliverables"), [g.deliverables for g in shown]),
                (t("stats.columns.initiatives"), [g.initiatives for g in shown]),
            ],
            title=t("stats.working_groups.chart"),
            axis_label=t("stats.working_groups.axis"),
        )
    jobs.append(chart)
    sections.append(
        RenderedSection(
            "working_groups",
            t("stats.working_groups.title"),
            t("stats.working_groups.summary", active=len(active), total=len(report.groups))
            if report.groups
            else t("stats.empty"),
            table(
                [
                    t("stats.columns.group"),
                    t("stats.columns.updates"),
                    t("stats.columns.notes"),
                    t("stats.columns.deliverables"),
                ],
                [
                    (group_name(g.name, lang), g.updates, g.summaries, g.deliverables)
                    for g in report.groups[:TABLE_ROWS]
                ],
            ),
            None,
            f"{stem}-working-groups.png",
        )
    )

    # --- growth -------------------------------------------------------------------------------------------
    for bucket in report.buckets:
        for metric in ("organisations", "verified", "joined", "left"):
            rows.append(("growth", bucket.label, metric, getattr(bucket, metric)))
    rows += [
        ("growth", "total", "organisations", report.organisations_total),
        ("growth", "total", "verified", report.verified_total),
    ]
    new_organisations = sum(b.organisations for b in report.buckets)
    new_verified = sum(b.verified for b in report.buckets)
    joined = sum(b.joined for b in report.buckets)
    left = sum(b.left for b in report.buckets)
    chart = partial(
        charts.grouped_bar_chart_png,
        [b.label for b in report.buckets],
        [
            (t("stats.columns.organisations"), [b.organisations for b in report.buckets]),
            (t("stats.columns.verified"), [b.verified for b in report.buckets]),
            (t("stats.columns.joined"), [b.joined for b in report.buckets]),
        ],
        title=t("stats.growth.chart"),
        axis_label=t("stats.chart.new"),
    )
    jobs.append(chart)
    sections.append(
        RenderedSection(
            "growth",
            t("stats.growth.title"),
            t(
                "stats.growth.summary",
                organisations=report.organisations_total,
                new_organisations=new_organisations,
                verified=report.verified_total,
                new_verified=new_verified,
                joined=joined,
                left=left,
            ),
            table(
                [
                    t("stats.columns.period"),
                    t("stats.columns.organisations"),
                    t("stats.columns.verified"),
                    t("stats.columns.joined"),
                    t("stats.columns.left"),
                ],
                [
                    (b.label, b.organisations, b.verified, b.joined, b.left)
                    for b in report.buckets[-TABLE_ROWS:]
                ],
            ),
            None,
            f"{stem}-growth.png",
        )
    )

    # --- click-through -----------------------------------------------------------------------------------
    linked = report.linked
    for event in linked:
        item = f"{event.starts_at.date().isoformat()} {event.title}"
        rows += [
            ("clicks", item, "going", event.going),
            ("clicks", item, "unique_members", event.clickers),
            ("clicks", item, "clicks", event.clicks),
        ]
    ranked = sorted(linked, key=lambda e: (-e.clickers, e.starts_at))
    chart = None
    if linked:
        top = ranked[:CHART_BARS]
        chart = partial(
            charts.bar_chart_png,
            [clip(f"{e.starts_at.date().isoformat()} {e.title}", 40) for e in top],
            [e.clickers for e in top],
            title=t("stats.clicks.chart"),
            axis_label=t("stats.clicks.axis"),
        )
    clickers = sum(e.clickers for e in linked)
    going = sum(e.going for e in linked)
    jobs.append(chart)
    sections.append(
        RenderedSection(
            "clicks",
            t("stats.clicks.title"),
            t(
                "stats.clicks.summary",
                count=clickers,
                events=len(linked),
                clicks=sum(e.clicks for e in linked),
                rate=percent(rate(clickers, going)),
            )
            if linked
            else t("stats.empty"),
            table(
                [t("stats.columns.event"), t("stats.columns.going"), t("stats.columns.opened"), "%"],
                [
                    (e.title, e.going, e.clickers, percent(rate(e.clickers, e.going)))
                    for e in ranked[:TABLE_ROWS]
                ],
            ),
            None,
            f"{stem}-clicks.png",
        )
    )

    drawn = [(index, job) for index, job in enumerate(jobs) if job is not None]
    for (index, _), png in zip(drawn, charts.draw_all([job for _, job in drawn]), strict=True):
        sections[index] = replace(sections[index], chart=png)

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["section", "item", "metric", "value"])
    writer.writerow(["period", period.first_day.isoformat(), "first_day", ""])
    writer.writerow(["period", period.last_day.isoformat(), "last_day", ""])
    for section, item, metric, value in rows:
        # A title members typed must not run as a spreadsheet formula (OWASP CSV injection).
        safe = "'" + item if item[:1] in ("=", "+", "-", "@", "\t", "\r") else item
        writer.writerow([section, safe, metric, value])
    return Rendered(
        title=t("stats.title", first=period.first_day.isoformat(), last=period.last_day.isoformat()),
        sections=tuple(sections),
        csv=out.getvalue(),
        csv_name=f"{stem}.csv",
    )
