"""Event embeds stay within Discord's limits for the longest inputs the service accepts, in every language."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import discord
import pytest

from bot.i18n import LANGUAGES, Catalog
from bot.services.events import (
    MAX_DESCRIPTION_LENGTH,
    MAX_LINK_LENGTH,
    MAX_TITLE_LENGTH,
    Attendees,
    CheckIn,
    Occurrence,
    Rsvp,
    RsvpCounts,
)
from cogs.events import _render

CATALOG = Catalog.load()
START = datetime(2027, 3, 10, 13, 0, tzinfo=UTC)
LONG_LINK = "https://example.org/" + "a" * (MAX_LINK_LENGTH - len("https://example.org/"))


def make_occurrence(**overrides: Any) -> Occurrence:
    values: dict[str, Any] = {
        "id": 987654,
        "series_id": 4321,
        "guild_id": 1,
        "title": "W" * MAX_TITLE_LENGTH,
        "description": "é" * MAX_DESCRIPTION_LENGTH,
        "link": LONG_LINK,
        "timezone": "America/Argentina/ComodRivadavia",
        "starts_at": START,
        "ends_at": START + timedelta(minutes=10080),
        "duration_minutes": 10079,
        "recurrence": "every_2_months",
        "channel_id": 2,
        "audience_role_id": 2**63 - 1,
        "organiser_id": 3,
        "status": "scheduled",
        "lead_times": (timedelta(days=7),),
        "announcement_channel_id": None,
        "announcement_message_id": None,
        "discord_event_id": None,
        "counts": RsvpCounts(going=10**6, maybe=10**6, declined=10**6),
    }
    values.update(overrides)
    return Occurrence(**values)


def assert_within_discord_limits(embed: discord.Embed) -> None:
    assert len(embed.title or "") <= 256
    assert len(embed.description or "") <= 4096
    assert len(embed.fields) <= 25
    for field in embed.fields:
        assert 1 <= len(field.name or "") <= 256, field.name
        assert 1 <= len(field.value or "") <= 1024, field.value
    assert len(embed.footer.text or "") <= 2048
    assert len(embed) <= 6000


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("status", ["scheduled", "cancelled"])
def test_announcement_of_a_maximal_event_fits_and_shows_everything(lang: str, status: str) -> None:
    occurrence = make_occurrence(status=status)
    embed = _render.announcement_embed(CATALOG, lang, occurrence, ended=True, checked_in=10**6)
    assert_within_discord_limits(embed)
    text = "\n".join([embed.title or "", embed.description or ""] + [f.value or "" for f in embed.fields])
    assert occurrence.title in text
    assert occurrence.description in text
    assert LONG_LINK not in text and embed.url is None  # behind the "Join the meeting" button
    assert f"<t:{int(START.timestamp())}:F>" in text
    assert f"<t:{int(START.timestamp())}:R>" in text
    assert occurrence.timezone in text
    assert f"<@&{occurrence.audience_role_id}>" in text
    assert "1000000" in text
    assert str(occurrence.id) in (embed.footer.text or "")


def test_announcement_without_link_or_audience_names_everyone_and_the_duration() -> None:
    occurrence = make_occurrence(link=None, audience_role_id=None, description="", duration_minutes=90)
    embed = _render.announcement_embed(CATALOG, "en", occurrence)
    values = {field.name: field.value for field in embed.fields}
    assert values["For"] == "Everyone"
    assert values["Duration"] == "1 h 30 min"
    assert "Link" not in values
    assert embed.description is None
    assert embed.url is None


def test_cancelled_announcement_is_marked_in_title_and_description() -> None:
    occurrence = make_occurrence(title="Table ronde", status="cancelled")
    embed = _render.announcement_embed(CATALOG, "fr", occurrence)
    assert embed.title == "[Événement annulé] Table ronde"
    assert "annulé" in (embed.description or "")


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("people", [0, 1, 40, 5000])
def test_attendees_embed_truncates_with_and_n_more_within_limits(lang: str, people: int) -> None:
    now = START
    rsvps = tuple(
        Rsvp(user_id=10**18 + index, status=("going", "maybe", "declined")[index % 3], updated_at=now)
        for index in range(people)
    )
    check_ins = tuple(CheckIn(user_id=10**18 + index, checked_in_at=now) for index in range(people))
    embed = _render.attendees_embed(
        CATALOG, lang, make_occurrence(), Attendees(rsvps=rsvps, check_ins=check_ins)
    )
    assert_within_discord_limits(embed)
    checked_field = embed.fields[3]
    shown = (checked_field.value or "").count("<@")
    if people == 0:
        assert shown == 0
        assert checked_field.value == CATALOG.t(lang, "events_ui.attendees.nobody")
    elif people <= 40:
        assert shown == people  # 40 mentions of 21 characters fit in one field: nobody is hidden
    else:
        hidden = people - shown
        assert hidden > 0
        assert (checked_field.value or "").endswith(CATALOG.t(lang, "events_ui.attendees.more", count=hidden))
    assert str(people) in (checked_field.name or "")


def test_mention_list_never_cuts_a_mention_in_half() -> None:
    ids = list(range(10**17, 10**17 + 200))
    text = _render.mention_list(CATALOG, "en", ids, limit=100)
    assert len(text) <= 100
    mentions, _, tail = text.partition(" and ")
    for mention in mentions.split(", "):
        assert mention.startswith("<@") and mention.endswith(">")
    assert tail == f"{200 - len(mentions.split(', '))} more"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_list_page_of_ten_maximal_events_fits(lang: str) -> None:
    items = [make_occurrence(id=10**12 + index) for index in range(_render.LIST_PAGE_SIZE)]
    embed = _render.list_page_embed(CATALOG, lang, items, days=3650, page=99, pages=100)
    assert_within_discord_limits(embed)
    assert (embed.description or "").count("\n") == _render.LIST_PAGE_SIZE - 1
    assert "100" in (embed.footer.text or "")


def test_empty_list_says_so_for_the_requested_days() -> None:
    embed = _render.list_page_embed(CATALOG, "es", [], days=14, page=0, pages=0)
    assert embed.description == "No hay eventos en los próximos 14 días."


@pytest.mark.parametrize("lang", LANGUAGES)
def test_reminder_texts_fit_a_message_and_mark_lateness(lang: str) -> None:
    occurrence = make_occurrence()
    role = f"<@&{occurrence.audience_role_id}>"
    text = _render.reminder_text(CATALOG, lang, occurrence, late=True, role_mention=role)
    assert len(text) <= 2000
    assert text.startswith(role + " ")
    assert text.count("<@") == 1  # the role is the only mention
    assert CATALOG.t(lang, "events_ui.reminder.late").strip() in text
    on_time = _render.reminder_text(CATALOG, lang, occurrence, late=False, role_mention=None)
    assert "<@" not in on_time
    assert CATALOG.t(lang, "events_ui.reminder.late").strip() not in on_time
    assert LONG_LINK in on_time
    dm = _render.reminder_dm_text(CATALOG, lang, occurrence, late=False)
    assert len(dm) <= 2000 and occurrence.title in dm
    assert len(_render.start_text(CATALOG, lang, occurrence)) <= 2000


def test_durations_read_naturally() -> None:
    assert _render.format_duration(CATALOG, "en", 45) == "45 min"
    assert _render.format_duration(CATALOG, "en", 120) == "2 h"
    assert _render.format_duration(CATALOG, "fr", 10080) == "168 h"
    assert _render.format_duration(CATALOG, "es", 61) == "1 h 1 min"
