"""The shared input checks: what they accept, what they refuse and with which key."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import ParamSpec

import pytest

from bot import validation
from bot.errors import Term, UserFacingError

FIELD = "events.fields.title"
NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
P = ParamSpec("P")


def refused(call: Callable[P, object], *args: P.args, **kwargs: P.kwargs) -> UserFacingError:
    with pytest.raises(UserFacingError) as caught:
        call(*args, **kwargs)
    return caught.value


def test_text_is_stripped_and_measured_in_code_points() -> None:
    assert validation.text("  Table ronde  ", field=FIELD, max_length=12) == "Table ronde"
    assert validation.text("é" * 5, field=FIELD, max_length=5) == "ééééé"


@pytest.mark.parametrize("value", ["\x00", "a\x00b", "tab\there", "bell\x07", "line\u2028sep", "\ud800"])
def test_text_refuses_control_characters_sqlite_would_mismeasure(value: str) -> None:
    error = refused(validation.text, value, field=FIELD, max_length=100)
    assert error.key == "validation.bad_characters"
    assert error.params["field"] == Term(FIELD)


def test_multiline_text_keeps_line_breaks_and_normalises_them() -> None:
    assert validation.text("a\r\nb\tc", field=FIELD, max_length=10, multiline=True) == "a\nb\tc"
    assert refused(validation.text, "a\nb", field=FIELD, max_length=10).key == "validation.bad_characters"


def test_format_characters_of_real_scripts_and_emoji_are_kept() -> None:
    family = "👩\u200d👩\u200d👧"
    assert validation.text(f"Mujeres {family}", field=FIELD, max_length=30) == f"Mujeres {family}"
    assert validation.text("\u200fمرحبا", field=FIELD, max_length=30) == "\u200fمرحبا"


def test_blank_empty_too_long_and_too_short() -> None:
    assert refused(validation.text, "   ", field=FIELD, max_length=5).key == "validation.required"
    assert refused(validation.text, None, field=FIELD, max_length=5).key == "validation.required"
    error = refused(validation.text, "x" * 6000, field=FIELD, max_length=100)
    assert (error.key, error.params["length"], error.params["limit"]) == ("validation.too_long", 6000, 100)
    assert (
        refused(validation.text, "ab", field=FIELD, max_length=9, min_length=3).key == "validation.too_short"
    )
    assert validation.text("", field=FIELD, max_length=5, min_length=0) == ""
    assert validation.optional_text("  ", field=FIELD, max_length=5) is None


@pytest.mark.parametrize(
    "url",
    [
        "https://meet.example.org/join?room=wim",
        "http://wim.example.com:8080/a%20b#top",
        "https://xn--rseau-femmes-ghb.example.fr/",
        "https://[2001:db8::1]/call",
    ],
)
def test_web_urls_accepted(url: str) -> None:
    assert validation.web_url(f" {url} ", field=FIELD) == url


@pytest.mark.parametrize(
    "url",
    [
        "https://meet.example.org/join?room=<wim>",
        "javascript:alert(1)",
        "ftp://files.example.org/",
        "https://",
        "https://localhost/",
        "https://exa mple.org/",
        "https://user:pw@example.org/",
        "https://example.org:port/",
        "https://example.org/%zz",
        "https://-bad-.example.org/",
        "https://example.org/" + "a" * 600,
        'https://example.org/"quote"',
        "https://réseau.example.fr/",  # not a URI until the browser encodes it: ask for the copied address
    ],
)
def test_web_urls_refused(url: str) -> None:
    assert refused(validation.web_url, url, field=FIELD).key == "validation.bad_url"


def test_optional_web_url() -> None:
    assert validation.optional_web_url("", field=FIELD) is None
    assert validation.optional_web_url(None, field=FIELD) is None
    assert refused(validation.web_url, " ", field=FIELD).key == "validation.required"


def test_zone_names_in_any_case_and_refusals_quote_only_an_excerpt() -> None:
    assert validation.zone_name(" europe/PARIS ") == "Europe/Paris"
    assert str(validation.zone("America/Lima")) == "America/Lima"
    assert refused(validation.zone, "").key == "validation.timezone_required"
    assert refused(validation.zone, "   ").key == "validation.timezone_required"
    assert refused(validation.zone, "localtime").key == "validation.unknown_timezone"
    error = refused(validation.zone, "Mars/Olympus" * 500)
    assert error.key == "validation.unknown_timezone"
    assert len(error.params["timezone"]) <= 60


def test_moment_range() -> None:
    assert validation.moment(NOW + timedelta(days=1), field=FIELD, now=NOW) == NOW + timedelta(days=1)
    assert refused(validation.moment, NOW, field=FIELD, now=NOW).key == "validation.in_past"
    far = datetime(9999, 12, 31, 23, 59, tzinfo=UTC)
    assert refused(validation.moment, far, field=FIELD, now=NOW).key == "validation.too_far"
    ahead = refused(
        validation.moment, NOW + timedelta(days=400), field=FIELD, now=NOW, ahead=timedelta(days=366)
    )
    assert ahead.key == "validation.too_far"
    with pytest.raises(ValueError):
        validation.moment(datetime(2027, 1, 1), field=FIELD)


def test_calendar_dates() -> None:
    assert validation.calendar_date("2027-06-15", field=FIELD) == date(2027, 6, 15)
    assert refused(validation.calendar_date, "15/06/2027", field=FIELD).key == "validation.bad_date"
    assert refused(validation.calendar_date, "2027-02-30", field=FIELD).key == "validation.bad_date"
    assert refused(validation.calendar_date, "2027-01-01", field=FIELD, today=date(2027, 3, 1)).key == (
        "validation.in_past"
    )
    assert refused(validation.calendar_date, "9999-12-31", field=FIELD).key == "validation.too_far"
    assert refused(validation.calendar_date, "", field=FIELD).key == "validation.required"
