"""The engagement report of /stats: attendance per event and per series (RSVP Going against check-ins,
and the rate over time), consultation turnout by organisation and UN region, working-group activity,
member and organisation growth, and the meeting link's click-through. No ``discord`` here.

``StatsService.report(guild_id, period)`` gathers the figures in one read (``bot.repositories.stats``,
one snapshot); ``render(report, lang)`` words them (short tables), draws one PNG chart per section
(matplotlib, in a worker thread) and writes the same figures as one CSV.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections import Counter
from datetime import date, datetime, timedelta

from bot.clock import Clock
from bot.config import Config
from bot.countries import SUBREGIONS
from bot.db import Database
from bot.i18n import Catalog
from bot.repositories import stats as repo
from bot.services.events.model import MAX_DURATION
from bot.services.stats.model import SECTIONS, Bucket, RegionFigures, Report, SeriesFigures
from bot.services.stats.period import DEFAULT, EXAMPLES, Period, parse_period
from bot.services.stats.render import Rendered, RenderedSection, render_report

__all__ = [
    "DEFAULT",
    "EXAMPLES",
    "SECTIONS",
    "Period",
    "Rendered",
    "RenderedSection",
    "Report",
    "StatsService",
    "gather",
]

_REGION_ORDER = {code: rank for rank, code in enumerate(SUBREGIONS)}
#: Up to this long a period is shown week by week, beyond it month by month.
WEEKLY_UP_TO = timedelta(days=92)


def _bucket_key(moment: datetime, period: Period, zone: object) -> str:
    local = moment.astimezone(zone).date()  # type: ignore[arg-type]
    if period.end - period.start <= WEEKLY_UP_TO:
        return (local - timedelta(days=local.weekday())).isoformat()
    return f"{local.year:04d}-{local.month:02d}"


def _bucket_labels(period: Period) -> list[str]:
    """Every week (by its Monday) or month of the period, in order, empty ones included."""
    if period.end - period.start <= WEEKLY_UP_TO:
        day = period.first_day - timedelta(days=period.first_day.weekday())
        labels = []
        while day <= period.last_day:
            labels.append(day.isoformat())
            day += timedelta(days=7)
        return labels
    year, month = period.first_day.year, period.first_day.month
    labels = []
    while date(year, month, 1) <= period.last_day:
        labels.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return labels


def gather(conn: sqlite3.Connection, guild_id: int, period: Period, zone: object) -> Report:
    """Every figure of the report from one connection (one snapshot): the bot's reader, or the
    newsletter command's read-only connection."""
    events = repo.events_ended(conn, guild_id, period.start, period.end, MAX_DURATION)
    series: dict[int, list[repo.EventFigures]] = {}
    for event in events:
        series.setdefault(event.series_id, []).append(event)
    series_figures = sorted(
        (
            SeriesFigures(
                series_id=series_id,
                title=items[0].series_title,
                events=len(items),
                going=sum(item.going for item in items),
                checked_in=sum(item.checked_in for item in items),
            )
            for series_id, items in series.items()
        ),
        key=lambda s: (-s.going, s.title),
    )
    labels = _bucket_labels(period)
    going: Counter[str] = Counter()
    checked: Counter[str] = Counter()
    for event in events:
        key = _bucket_key(event.starts_at, period, zone)
        going[key] += event.going
        checked[key] += event.checked_in
    organisations = Counter(
        _bucket_key(at, period, zone)
        for at in repo.organisations_created(conn, guild_id, period.start, period.end)
    )
    verified = Counter(
        _bucket_key(at, period, zone)
        for at in repo.members_verified(conn, guild_id, period.start, period.end)
    )
    joined: Counter[str] = Counter()
    left: Counter[str] = Counter()
    for kind, at in repo.member_events(conn, guild_id, period.start, period.end):
        (joined if kind == "joined" else left)[_bucket_key(at, period, zone)] += 1
    buckets = tuple(
        Bucket(
            label,
            going=going[label],
            checked_in=checked[label],
            organisations=organisations[label],
            verified=verified[label],
            joined=joined[label],
            left=left[label],
        )
        for label in labels
    )
    polls = repo.polls_closed(conn, guild_id, period.start, period.end)
    by_organisation = [poll for poll in polls if poll.voters == "organisations"]
    turnout = repo.organisation_turnout(conn, [poll.id for poll in by_organisation])
    registered: Counter[str] = Counter()
    for poll in by_organisation:
        for code, count in dict((poll.eligible or {}).get("regions", {}) or {}).items():  # type: ignore[call-overload]
            registered[str(code)] += int(count)
    answered: Counter[str] = Counter()
    for row in turnout:
        answered[row.region] += row.answered
    regions = tuple(
        RegionFigures(code, answered[code], registered[code])
        for code in sorted(set(registered) | set(answered), key=lambda c: (_REGION_ORDER.get(c, 999), c))
    )
    members = [poll for poll in polls if poll.voters == "members"]
    organisations_total, verified_total = repo.totals(conn, guild_id, period.end)
    return Report(
        guild_id=guild_id,
        period=period,
        events=tuple(events),
        series=tuple(series_figures),
        buckets=buckets,
        consultations=len(by_organisation),
        member_polls=len(members),
        member_ballots=sum(poll.ballots for poll in members),
        regions=regions,
        organisations=tuple(turnout),
        groups=tuple(repo.group_activity(conn, guild_id, period.start, period.end)),
        organisations_total=organisations_total,
        verified_total=verified_total,
    )


class StatsService:
    """``StatsService(db, clock, config, catalog)``."""

    def __init__(self, db: Database, clock: Clock, config: Config, catalog: Catalog | None = None) -> None:
        self._db = db
        self._clock = clock
        self._config = config
        self._catalog = catalog if catalog is not None else Catalog.load()

    def period(self, text: str | None) -> Period:
        """The period a moderator typed, in the server's zone (``stats.errors.bad_period``,
        ``stats.errors.future_period``)."""
        return parse_period(text, self._clock.now(), self._config.zone)

    async def report(self, guild_id: int, period: Period) -> Report:
        return await self._db.read(gather, guild_id, period, self._config.zone)

    async def render(self, report: Report, lang: str) -> Rendered:
        """Tables, charts and the CSV; the charts are drawn in a worker thread."""
        return await asyncio.to_thread(render_report, self._catalog, lang, report)
