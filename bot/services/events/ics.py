"""iCalendar (RFC 5545) export of event series, so members can add Alliance events to their calendars.

One VEVENT per series, with a stable UID (``series-<id>@wim-alliance-bot``) so re-importing updates
rather than duplicates:

* a one-off event has DTSTART/DTEND in UTC;
* a recurring series has DTSTART/DTEND in its zone (TZID, with the VTIMEZONE added) and the RRULE
  from :mod:`bot.services.events.recurrence`, so clients expand it exactly as we materialise it (13:00 Paris
  stays 13:00 Paris across daylight-saving changes);
* a cancelled occurrence of an active series is an EXDATE; an occurrence edited on its own is a
  second VEVENT with the same UID and RECURRENCE-ID = its rule start;
* occurrences that a re-anchored series' rule no longer produces (the ones before the edit) are
  RDATEs, so they stay in the calendar;
* a series cancelled from some occurrence on ends (RRULE UNTIL) after the last occurrence kept;
* a cancelled event, or a series cancelled from its first occurrence, has STATUS:CANCELLED;
* SEQUENCE grows with every edit.

No Discord here: the cog attaches the returned bytes as a file.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Hashable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from bot.repositories.events import Occurrence, Series
from bot.services.events.recurrence import occurrence_starts, parse_local_start, rrule_text
from bot.timeutil import get_zone

if TYPE_CHECKING:
    from icalendar import Event

# icalendar is imported where a calendar is built, not at start-up: it is a tenth of the bot's import
# time and only /event export and the .ics attachments need it.

PRODID = "-//International WIM Alliance//wim-alliance-bot//EN"
UID_DOMAIN = "wim-alliance-bot"


def series_uid(series_id: int) -> str:
    return f"series-{series_id}@{UID_DOMAIN}"


def build_calendar(
    entries: Sequence[tuple[Series, Sequence[Occurrence]]],
    *,
    stamp: datetime,
    links: bool = True,
    cache: EventTextCache | None = None,
) -> bytes:
    """A VCALENDAR with the given series and their stored occurrences; ``stamp`` becomes DTSTAMP.
    ``links=False`` leaves the meeting links out (URL, LOCATION).

    Each series' VEVENTs are serialised by icalendar on their own and the calendar is their
    concatenation between the VCALENDAR's properties and one VTIMEZONE per zone used, the bytes
    ``Calendar.to_ical`` writes for the same components. With a ``cache`` (the web hub's feeds), a
    series whose rows have not changed since the last build is not serialised again.
    """
    from icalendar import Calendar

    stamp = stamp.astimezone(UTC)
    texts: list[bytes] = []
    zones: set[str] = set()
    for series, occurrences in entries:
        slot, key = (series.id, stamp, links), (series, tuple(occurrences))
        built = None if cache is None else cache.get(slot, key)
        if built is None:
            built = _serialise(_components(series, occurrences, stamp, links))
            if cache is not None:
                cache.put(slot, key, built)
        texts.append(built[0])
        zones.update(built[1])
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    head: bytes = calendar.to_ical()  # icalendar leaves Component.to_ical unannotated
    assert head.endswith(_END)
    return b"".join((head[: -len(_END)], *(_vtimezone(tzid) for tzid in sorted(zones)), *texts, _END))


_END = b"END:VCALENDAR\r\n"


class EventTextCache:
    """The serialised VEVENTs of each series, with everything they were built from: the DTSTAMP, the
    series row and its occurrence rows (frozen structs, compared whole). An entry is used only
    when all of that is equal, so it is never stale: any change to a row the VEVENT shows (an edit, a
    cancellation, an RSVP count too) makes it be rebuilt, and no writer has to remember to bump a
    version. One entry per series and variant (stamp, links): the cache is as large as the calendar.
    Thread-safe: feeds are built on worker threads.
    """

    def __init__(self) -> None:
        self._entries: dict[Hashable, tuple[Hashable, tuple[bytes, frozenset[str]]]] = {}
        self._lock = threading.Lock()
        self.misses = 0  # series serialised (the tests read it)

    def get(self, slot: Hashable, key: Hashable) -> tuple[bytes, frozenset[str]] | None:
        with self._lock:
            entry = self._entries.get(slot)
        return entry[1] if entry is not None and entry[0] == key else None

    def put(self, slot: Hashable, key: Hashable, built: tuple[bytes, frozenset[str]]) -> None:
        with self._lock:
            self.misses += 1
            self._entries[slot] = (key, built)

    def __len__(self) -> int:
        return len(self._entries)


def _serialise(components: Sequence[Event]) -> tuple[bytes, frozenset[str]]:
    """The components' bytes, and the zones (TZID parameters, UTC aside) they refer to."""
    tzids = {
        value.params.get("TZID")
        for component in components
        for values in component.values()
        for value in (values if isinstance(values, list) else (values,))
        if hasattr(value, "params")
    }
    return b"".join(component.to_ical() for component in components), frozenset(tzids - {None, "UTC"})


@functools.cache
def _vtimezone(tzid: str) -> bytes:
    """The VTIMEZONE that ``Calendar.add_missing_timezones`` would add for ``tzid``, built once per
    zone and process; empty for a zone icalendar does not know (it adds none either)."""
    from icalendar import Timezone

    try:
        timezone = Timezone.from_tzid(
            tzid, first_date=Timezone.DEFAULT_FIRST_DATE, last_date=Timezone.DEFAULT_LAST_DATE
        )
    except ValueError:
        return b""
    text: bytes = timezone.to_ical()
    return text


def _components(
    series: Series, occurrences: Sequence[Occurrence], stamp: datetime, links: bool
) -> list[Event]:
    if series.recurrence == "none":
        return [_one_off(series, occurrences[0], stamp, links)] if occurrences else []
    return _recurring(series, occurrences, stamp, links)


def _texts(event: Event, title: str, description: str, link: str | None) -> None:
    event.add("summary", title)
    if description:
        event.add("description", description)
    if link:
        event.add("url", link)
        event.add("location", link)  # most calendar apps show LOCATION, few show URL


def _one_off(series: Series, occurrence: Occurrence, stamp: datetime, links: bool) -> Event:
    from icalendar import Event

    event = Event()
    event.add("uid", series_uid(series.id))
    event.add("dtstamp", stamp)
    event.add("created", series.created_at)
    event.add("dtstart", occurrence.starts_at.astimezone(UTC))
    event.add("dtend", occurrence.ends_at.astimezone(UTC))
    _texts(event, occurrence.title, occurrence.description, occurrence.link if links else None)
    event.add("sequence", series.sequence + occurrence.sequence)
    cancelled = series.status == "cancelled" or occurrence.status == "cancelled"
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    return event


def _recurring(
    series: Series, occurrences: Sequence[Occurrence], stamp: datetime, links: bool
) -> list[Event]:
    zone = get_zone(series.timezone)
    anchor = parse_local_start(series.local_start)
    rule = rrule_text(series.recurrence, anchor)
    assert rule is not None
    kept = [o.original_start for o in occurrences if o.status == "scheduled" and o.original_start is not None]
    stopped = series.status == "cancelled"
    if stopped and kept:
        # Cancelled from some occurrence on: the series ends after the last one that was kept.
        rule += f";UNTIL={max(kept).astimezone(UTC):%Y%m%dT%H%M%SZ}"
    start = anchor.replace(tzinfo=zone)
    from icalendar import Event, vRecur

    master = Event()
    master.add("uid", series_uid(series.id))
    master.add("dtstamp", stamp)
    master.add("created", series.created_at)
    master.add("dtstart", start)
    # Wall-clock arithmetic in the zone, as RFC 5545 does for DTEND of a local DTSTART.
    master.add("dtend", start + timedelta(minutes=series.duration_minutes))
    master.add("rrule", vRecur.from_ical(rule))
    _texts(master, series.title, series.description, series.link if links else None)
    master.add("sequence", series.sequence)
    master.add("status", "CANCELLED" if stopped and not kept else "CONFIRMED")
    components = [master]
    if stopped and not kept:
        return components
    # Occurrences of an older date pattern (kept when the series was re-anchored from a later
    # occurrence) are not produced by the rule any more: list them as RDATEs so they stay in the
    # calendar and their RECURRENCE-ID overrides point at a real instance.
    originals = [o.original_start for o in occurrences if o.original_start is not None]
    if originals:
        produced = set(
            occurrence_starts(series.recurrence, anchor, zone, after=min(originals), until=max(originals))
        )
        extra = [start.astimezone(zone) for start in originals if start not in produced]
        if extra:
            master.add("rdate", extra)
    excluded = [
        o.original_start.astimezone(zone) for o in occurrences if o.status == "cancelled" and o.original_start
    ]
    if excluded:
        master.add("exdate", excluded)
    for occurrence in occurrences:
        if (
            occurrence.status != "scheduled"
            or not occurrence.has_overrides
            or occurrence.original_start is None
        ):
            continue
        override = Event()
        override.add("uid", series_uid(series.id))
        override.add("dtstamp", stamp)
        override.add("recurrence-id", occurrence.original_start.astimezone(zone))
        override.add("dtstart", occurrence.starts_at.astimezone(zone))
        override.add("dtend", occurrence.ends_at.astimezone(zone))
        _texts(override, occurrence.title, occurrence.description, occurrence.link if links else None)
        override.add("sequence", series.sequence + occurrence.sequence)
        override.add("status", "CONFIRMED")
        components.append(override)
    return components
