"""The bi-monthly newsletter's draft: Global WIM Calls and roundtables held (attendance, their notes),
working-group progress, consultation results with their charts, new organisations, what is coming;
as Markdown or as one self-contained HTML file (inline styles, no scripts, charts as data URIs) that
a mailing tool accepts. No ``discord`` here.

Rendered with Jinja2 templates (``templates/``, shipped as package data), worded from the catalogs
(``newsletter.*``). ``gather`` reads everything from one ``sqlite3.Connection``: the bot's reader
(``db.read``) for ``/digest newsletter``, or a read-only connection for ``python -m bot newsletter``,
which never starts the bot nor writes to its database.
"""

from __future__ import annotations

import asyncio
import base64
import json
import sqlite3
import threading
from datetime import date, datetime, time, timedelta
from functools import partial
from typing import Any, Final
from zoneinfo import ZoneInfo

import jinja2
import msgspec
import msgspec.structs

from bot import charts
from bot.clock import Clock
from bot.config import Config
from bot.countries import country_name
from bot.db import Database
from bot.errors import UserFacingError
from bot.i18n import LANGUAGES, Catalog
from bot.limits import clip, excerpt
from bot.repositories import consultations as polls_repo
from bot.repositories import stats as repo
from bot.services.consultations.tally import eligible_now, tally_of
from bot.services.events.model import MAX_DURATION

FORMATS: Final = ("markdown", "html")
#: What is coming: the events of this long after the newsletter's last day.
AHEAD: Final = timedelta(days=62)
MAX_UPCOMING: Final = 30
#: The longest newsletter: a year (the Secretariat writes one every two months).
MAX_DAYS: Final = 366
NOTE_EXCERPT: Final = 600

_LOCK = threading.Lock()
_ENVIRONMENT = jinja2.Environment(
    loader=jinja2.PackageLoader("bot.services.newsletter", "templates"),
    autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
    undefined=jinja2.StrictUndefined,
)


class EventHeld(msgspec.Struct, frozen=True):
    title: str
    starts_at: datetime
    going: int
    checked_in: int
    notes: tuple[str, ...]


class GroupProgress(msgspec.Struct, frozen=True):
    name: str
    status: str
    updates: tuple[str, ...]


class Result(msgspec.Struct, frozen=True):
    poll_id: int
    question: str
    by_organisation: bool
    closed_at: datetime
    options: tuple[tuple[str, int, float], ...]  # label, count, percent
    winners: tuple[str, ...]
    ballots: int
    registered: int | None
    chart: bytes | None


class NewsletterData(msgspec.Struct, frozen=True):
    first_day: date
    last_day: date
    events: tuple[EventHeld, ...]
    groups: tuple[GroupProgress, ...]
    results: tuple[Result, ...]
    organisations: tuple[tuple[str, str, str], ...]
    upcoming: tuple[repo.Upcoming, ...]


class Draft(msgspec.Struct, frozen=True):
    filename: str
    text: str

    @property
    def data(self) -> bytes:
        return self.text.encode("utf-8")


def parse_dates(first: str, last: str, now: datetime, zone: ZoneInfo) -> tuple[date, date]:
    """``--from`` and ``--to`` (YYYY-MM-DD, both included). Raises ``newsletter.errors.{bad_date,
    order, future, too_long}``."""
    days = []
    for value in (first, last):
        try:
            days.append(date.fromisoformat(value.strip()))
        except ValueError:
            raise UserFacingError("newsletter.errors.bad_date", value=excerpt(value, 40)) from None
    start, end = days
    if end < start:
        raise UserFacingError("newsletter.errors.order", first=start.isoformat(), last=end.isoformat())
    if start > now.astimezone(zone).date():
        raise UserFacingError("newsletter.errors.future", first=start.isoformat())
    if (end - start).days >= MAX_DAYS:
        raise UserFacingError("newsletter.errors.too_long", days=MAX_DAYS)
    return start, end


def _group_name(name: str, lang: str) -> str:
    texts = json.loads(name)
    return str(texts.get(lang) or texts.get("en") or next(iter(texts.values()), ""))


def gather(
    conn: sqlite3.Connection, guild_id: int, first: date, last: date, now: datetime, zone: ZoneInfo, lang: str
) -> NewsletterData:
    start = datetime.combine(first, time(0), zone)
    end = min(datetime.combine(last + timedelta(days=1), time(0), zone), now)
    posts = repo.public_posts(conn, guild_id, start, end)
    notes: dict[int, list[str]] = {}
    for post in posts:
        if post.kind == "summary" and post.occurrence_id is not None:
            notes.setdefault(post.occurrence_id, []).append(excerpt(post.body, NOTE_EXCERPT))
    events = tuple(
        EventHeld(e.title, e.starts_at, e.going, e.checked_in, tuple(notes.get(e.occurrence_id, ())))
        for e in repo.events_ended(conn, guild_id, start, end, MAX_DURATION)
    )
    activity = {g.group_id: g for g in repo.group_activity(conn, guild_id, start, end)}
    by_group: dict[int, list[str]] = {}
    names: dict[int, str] = {}
    for post in posts:
        if post.group_id not in names:
            names[post.group_id] = _group_name(post.group_name, lang)
        text = post.title if post.kind == "summary" and post.title else post.body
        by_group.setdefault(post.group_id, []).append(excerpt(text, NOTE_EXCERPT))
    groups = tuple(
        GroupProgress(
            names[group_id], activity[group_id].status if group_id in activity else "", tuple(lines)
        )
        for group_id, lines in by_group.items()
    )
    results = []
    for figures in repo.polls_closed(conn, guild_id, start, end):
        poll = polls_repo.get_poll(conn, figures.id)
        assert poll is not None
        ballots = polls_repo.ballots_of(conn, poll.id, show_caster=False)
        eligible = None
        regions: dict[int, str] = {}
        if poll.by_organisation:
            organisations = polls_repo.organisations_by_id(
                conn, [b.organisation_id for b in ballots if b.organisation_id]
            )
            regions = {org_id: row["region"] for org_id, row in organisations.items()}
            eligible = polls_repo.eligible_at_close(conn, poll.id) or eligible_now(
                polls_repo.active_organisations(conn, guild_id)
            )
        tally = tally_of(poll, ballots, eligible, regions, hidden=False)
        labels = {o.position: o.label for o in poll.options}
        results.append(
            Result(
                poll_id=poll.id,
                question=poll.question,
                by_organisation=poll.by_organisation,
                closed_at=figures.closed_at,
                options=tuple((o.label, o.count, o.percent) for o in tally.options),
                winners=tuple(labels[p] for p in tally.winners if p in labels),
                ballots=tally.turnout.ballots,
                registered=tally.turnout.registered,
                chart=None,
            )
        )
    return NewsletterData(
        first_day=first,
        last_day=last,
        events=events,
        groups=groups,
        results=tuple(results),
        organisations=tuple(repo.new_organisations(conn, guild_id, start, end)),
        upcoming=tuple(repo.upcoming(conn, guild_id, max(end, now), max(end, now) + AHEAD, MAX_UPCOMING)),
    )


def with_charts(catalog: Catalog, lang: str, data: NewsletterData) -> NewsletterData:
    """The data with each consultation's chart drawn (once, for however many formats follow)."""
    if all(result.chart is not None for result in data.results):
        return data
    with _LOCK:
        return _with_charts(catalog, lang, data)


def _with_charts(catalog: Catalog, lang: str, data: NewsletterData) -> NewsletterData:
    drawn = charts.draw_all(
        [
            partial(
                charts.bar_chart_png,
                [clip(label, 40) for label, _, _ in result.options],
                [count for _, count, _ in result.options],
                title=clip(result.question, 80),
                axis_label=catalog.t(lang, "newsletter.chart_axis"),
            )
            for result in data.results
        ]
    )
    results = tuple(
        msgspec.structs.replace(result, chart=chart)
        for result, chart in zip(data.results, drawn, strict=True)
    )
    return msgspec.structs.replace(data, results=results)


def render(catalog: Catalog, lang: str, data: NewsletterData, fmt: str) -> Draft:
    """The draft as Markdown or HTML, the charts drawn and embedded as data URIs (one file)."""
    drawn = with_charts(catalog, lang, data)

    def t(key: str, **params: Any) -> str:
        return catalog.t(lang, key, **params)

    def day(moment: datetime | date) -> str:
        return (
            moment if isinstance(moment, date) and not isinstance(moment, datetime) else moment.date()
        ).isoformat()

    def data_uri(png: bytes | None) -> str:
        return "" if png is None else "data:image/png;base64," + base64.b64encode(png).decode("ascii")

    template = _ENVIRONMENT.get_template("newsletter.html.j2" if fmt == "html" else "newsletter.md.j2")
    text = template.render(
        t=t,
        day=day,
        data_uri=data_uri,
        country=lambda code: country_name(code, lang),
        status=lambda key: t(f"working_groups.status.{key}") if key else "",
        lang=lang,
        data=drawn,
    )
    suffix = "html" if fmt == "html" else "md"
    return Draft(f"newsletter-{data.first_day.isoformat()}-{data.last_day.isoformat()}-{lang}.{suffix}", text)


class NewsletterService:
    """``NewsletterService(db, clock, config, catalog)``: the draft for ``/digest newsletter``."""

    def __init__(self, db: Database, clock: Clock, config: Config, catalog: Catalog) -> None:
        self._db = db
        self._clock = clock
        self._config = config
        self._catalog = catalog

    def dates(self, first: str, last: str) -> tuple[date, date]:
        return parse_dates(first, last, self._clock.now(), self._config.zone)

    async def drafts(self, guild_id: int, first: date, last: date, lang: str) -> list[Draft]:
        """The Markdown and the HTML draft, from one snapshot of the database."""
        if lang not in LANGUAGES:
            raise UserFacingError("newsletter.errors.language", language=excerpt(lang, 10))
        data = await self._db.read(gather, guild_id, first, last, self._clock.now(), self._config.zone, lang)
        return await asyncio.to_thread(lambda: [render(self._catalog, lang, data, fmt) for fmt in FORMATS])
