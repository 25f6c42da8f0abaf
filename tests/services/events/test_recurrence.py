"""Recurrence rules: local-time expansion across DST, month-end clamping, gap/overlap detection."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from dateutil.rrule import rrulestr

from bot.services.events.recurrence import (
    first_start_not_before,
    occurrence_starts,
    rrule_text,
    to_utc,
    wall_time_problem,
)
from bot.timeutil import get_zone

PARIS = get_zone("Europe/Paris")
NEW_YORK = get_zone("America/New_York")


@pytest.mark.parametrize(
    ("recurrence", "anchor", "expected"),
    [
        ("none", datetime(2027, 3, 10, 13, 0), None),
        ("weekly", datetime(2027, 3, 10, 13, 0), "FREQ=WEEKLY"),
        ("monthly", datetime(2027, 3, 10, 13, 0), "FREQ=MONTHLY;BYMONTHDAY=10"),
        ("monthly", datetime(2027, 1, 31, 13, 0), "FREQ=MONTHLY;BYMONTHDAY=28,29,30,31;BYSETPOS=-1"),
        (
            "every_2_months",
            datetime(2027, 3, 30, 13, 0),
            "FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=28,29,30;BYSETPOS=-1",
        ),
        ("yearly", datetime(2027, 6, 15, 13, 0), "FREQ=YEARLY"),
        ("yearly", datetime(2028, 2, 29, 13, 0), "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=28,29;BYSETPOS=-1"),
    ],
)
def test_rrule_text(recurrence: str, anchor: datetime, expected: str | None) -> None:
    assert rrule_text(recurrence, anchor) == expected


def test_unknown_recurrence_is_refused() -> None:
    with pytest.raises(ValueError, match="daily"):
        rrule_text("daily", datetime(2027, 1, 1, 10, 0))


def test_monthly_on_the_31st_falls_on_the_last_day_of_shorter_months() -> None:
    starts = occurrence_starts(
        "monthly", datetime(2027, 1, 31, 13, 0), get_zone("UTC"), until=datetime(2027, 6, 30, tzinfo=UTC)
    )
    assert [s.date().isoformat() for s in starts] == [
        "2027-01-31",
        "2027-02-28",
        "2027-03-31",
        "2027-04-30",
        "2027-05-31",
    ]


def test_every_two_months_on_the_30th_clamps_to_february_end_in_leap_years() -> None:
    starts = occurrence_starts(
        "every_2_months",
        datetime(2027, 12, 30, 13, 0),
        get_zone("UTC"),
        until=datetime(2028, 7, 1, tzinfo=UTC),
    )
    assert [s.date().isoformat() for s in starts] == ["2027-12-30", "2028-02-29", "2028-04-30", "2028-06-30"]


def test_yearly_on_29_february_falls_on_28_february_in_common_years() -> None:
    starts = occurrence_starts(
        "yearly", datetime(2028, 2, 29, 10, 0), get_zone("UTC"), until=datetime(2030, 12, 31, tzinfo=UTC)
    )
    assert [s.date().isoformat() for s in starts] == ["2028-02-29", "2029-02-28", "2030-02-28"]


def test_local_time_is_kept_across_daylight_saving_change() -> None:
    # Europe/Paris moves to summer time on Sunday 2027-03-28: 13:00 local is 12:00 UTC, then 11:00 UTC.
    starts = occurrence_starts(
        "weekly", datetime(2027, 3, 17, 13, 0), PARIS, until=datetime(2027, 4, 8, tzinfo=UTC)
    )
    assert [s.isoformat() for s in starts] == [
        "2027-03-17T12:00:00+00:00",
        "2027-03-24T12:00:00+00:00",
        "2027-03-31T11:00:00+00:00",
        "2027-04-07T11:00:00+00:00",
    ]
    assert all(s.astimezone(PARIS).hour == 13 for s in starts)


def test_expansion_matches_the_rrule_text_a_calendar_client_would_use() -> None:
    anchor = datetime(2027, 1, 31, 13, 0)
    ours = occurrence_starts("monthly", anchor, PARIS, until=datetime(2028, 1, 31, 23, 0, tzinfo=UTC))
    text = rrule_text("monthly", anchor)
    assert text is not None
    theirs = list(
        rrulestr(text, dtstart=anchor.replace(tzinfo=PARIS)).between(
            anchor.replace(tzinfo=PARIS), datetime(2028, 2, 1, tzinfo=UTC), inc=True
        )
    )
    assert ours == [t.astimezone(UTC) for t in theirs]
    assert len(ours) == 13


def test_bounds_select_a_window() -> None:
    starts = occurrence_starts(
        "weekly",
        datetime(2027, 1, 6, 9, 0),
        get_zone("UTC"),
        after=datetime(2027, 3, 1, tzinfo=UTC),
        until=datetime(2027, 3, 17, 9, 0, tzinfo=UTC),
    )
    assert [s.date().isoformat() for s in starts] == ["2027-03-03", "2027-03-10", "2027-03-17"]


def test_one_off_yields_its_start_only_inside_the_window() -> None:
    anchor = datetime(2027, 6, 15, 14, 0)
    utc = get_zone("UTC")
    assert occurrence_starts("none", anchor, utc, until=datetime(2027, 12, 1, tzinfo=UTC)) == [
        datetime(2027, 6, 15, 14, 0, tzinfo=UTC)
    ]
    assert occurrence_starts("none", anchor, utc, until=datetime(2027, 6, 1, tzinfo=UTC)) == []


def test_first_start_not_before() -> None:
    utc = get_zone("UTC")
    moment = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
    assert first_start_not_before("every_2_months", datetime(2027, 2, 9, 13, 0), utc, moment) == datetime(
        2027, 4, 9, 13, 0, tzinfo=UTC
    )
    assert first_start_not_before("none", datetime(2027, 2, 9, 13, 0), utc, moment) is None
    assert first_start_not_before("none", datetime(2027, 3, 9, 13, 0), utc, moment) == datetime(
        2027, 3, 9, 13, 0, tzinfo=UTC
    )


def test_wall_time_problems_in_new_york() -> None:
    assert wall_time_problem(datetime(2027, 3, 14, 2, 30), NEW_YORK) == "nonexistent"
    assert wall_time_problem(datetime(2027, 11, 7, 1, 30), NEW_YORK) == "ambiguous"
    assert wall_time_problem(datetime(2027, 3, 14, 3, 30), NEW_YORK) is None
    assert wall_time_problem(datetime(2027, 11, 7, 2, 30), NEW_YORK) is None
    assert wall_time_problem(datetime(2027, 3, 14, 2, 30), get_zone("UTC")) is None


def test_generated_times_in_a_gap_use_the_offset_before_it_as_rfc_5545_says() -> None:
    # A weekly 02:30 New York series meets the spring-forward gap on 2027-03-14: 02:30 EST = 07:30 UTC.
    assert to_utc(datetime(2027, 3, 14, 2, 30), NEW_YORK) == datetime(2027, 3, 14, 7, 30, tzinfo=UTC)
    # An ambiguous time means its first instance (still daylight time, -04:00).
    assert to_utc(datetime(2027, 11, 7, 1, 30), NEW_YORK) == datetime(2027, 11, 7, 5, 30, tzinfo=UTC)
