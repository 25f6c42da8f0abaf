"""The weekly digest's service: sections from real records, the quiet week, the layout within
Discord's limits, the schedule across a daylight-saving change, once per ISO week, and the late start.

Real SQLite with every migration, a FakeClock starting Monday 2027-03-01 09:00 UTC (tests/conftest.py).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.clock import FakeClock
from bot.config import Config, parse_config
from bot.db import Database
from bot.errors import UserFacingError
from bot.limits import EMBED_DESCRIPTION, EMBED_TOTAL, EMBEDS_PER_MESSAGE
from bot.services.container import Services, build_services
from bot.services.digest import DIGEST_DM, DIGEST_POST, DIGEST_WEEKLY, LATE_LIMIT, Section
from bot.services.digest.layout import pack, section_embeds
from bot.services.digest.model import EmbedSpec
from bot.services.events import EventDraft
from bot.services.organisations import OrganisationDraft
from bot.services.timers import Timer
from bot.services.working_groups import Actor

GUILD = 1000
MODERATOR = Actor(2001, moderator=True)
CHANNEL = 4000
REPO = Path(__file__).resolve().parents[3]


def make_config(zone: str = "UTC", **digest: Any) -> Config:
    shipped = yaml.safe_load((REPO / "config.yml").read_text(encoding="utf-8"))
    data: dict[str, Any] = {
        "guild_ids": [GUILD],
        "timezone": zone,
        "working_groups": shipped["working_groups"],
        "digest": {"day": "monday", "time": "09:00", "timezone": zone, **digest},
    }
    return parse_config(data, base_dir=Path("/srv"), environ={})


@pytest.fixture
def services(db: Database, clock: FakeClock) -> Services:
    return build_services(make_config(), db, clock)


async def pending(db: Database, kind: str) -> list[dict[str, Any]]:
    rows = await db.fetchall(
        "SELECT payload, due_at FROM timers WHERE kind = ? AND status = 'pending' ORDER BY id", (kind,)
    )
    return [{**json.loads(row["payload"]), "due_at": row["due_at"]} for row in rows]


async def fire(services: Services) -> None:
    """Run what is due as the dispatcher would, with the weekly timer's handler (the cog's, less Discord)."""

    async def weekly(timer: Timer) -> None:
        await services.digest.on_slot(int(timer.payload["guild_id"]), timer.due_at)

    services.timers.register(DIGEST_WEEKLY, weekly)
    await services.timers.run_due()


def text_of(messages: tuple[tuple[EmbedSpec, ...], ...]) -> str:
    return "\n".join(f"{embed.title}\n{embed.description}" for message in messages for embed in message)


async def seed_week(services: Services, clock: FakeClock) -> None:
    """An event in three days with one member going, a working-group update and status change, and a
    new organisation with a verified leader: one record for each section."""
    groups = await services.working_groups.seed(GUILD, make_config().working_groups)
    for index, group in enumerate(groups):
        await services.working_groups.admin.set_discord(
            group.id, role_id=7000 + index, channel_id=8000 + index
        )
    start = (clock.now() + timedelta(days=3)).strftime("%Y-%m-%d %H:%M")
    event = await services.events.create_event(
        EventDraft(
            guild_id=GUILD,
            organiser_id=2001,
            title="Global WIM Call",
            start=start,
            channel_id=CHANNEL,
            timezone="UTC",
            link="https://meet.example.org/wim",
        )
    )
    await services.events.rsvp(event.id, 3000, "going", [], guild_id=GUILD)
    await services.working_groups.posts.post_update(
        groups[0].id, "Survey sent to 30 WIM organisations", MODERATOR, "en"
    )
    await services.working_groups.work.set_status(groups[1].id, "needs_attention", None, MODERATOR, "en")
    organisation = await services.organisations.add(
        GUILD,
        2001,
        OrganisationDraft(name="Women in Mining Peru", country="PE", website="https://wim.example.pe"),
    )
    await services.organisations.verify(GUILD, organisation.id, 3001, "leader", 2001)


async def test_the_directory_lists_the_first_organisations_and_verifications_and_counts_the_rest(
    services: Services, clock: FakeClock
) -> None:
    """A bulk import of 40 organisations in a week: the first 15 by name, then one line for the rest;
    the same for verified leaders; the section stays one embed."""
    since = clock.now()
    clock.advance(timedelta(minutes=1))
    for n in range(40):
        organisation = await services.organisations.add(
            GUILD,
            2001,
            OrganisationDraft(
                name=f"WIM Chapter {n:02d}", country="PE", website=f"https://wim{n}.example.pe"
            ),
        )
        if n < 17:
            await services.organisations.verify(GUILD, organisation.id, 3000 + n, "leader", 2001)
        clock.advance(timedelta(seconds=1))
    digest = await services.digest.build(GUILD, since, clock.now(), "en")
    section = next(section for section in digest.sections if section.key == "directory")
    names = [item for item in section.items if item.startswith("New WIM organisation")]
    assert [name.split("**")[1] for name in names] == [f"WIM Chapter {n:02d}" for n in range(15)]
    assert "…and 25 more new organisations: see /org list." in section.items
    assert sum(item.startswith("Newly verified") for item in section.items) == 15
    assert section.items[-1] == "…and 2 more newly verified leaders and representatives."
    assert len(section_embeds(section, str, None)) == 1
    spanish = await services.digest.build(GUILD, since, clock.now(), "es")
    items = next(s for s in spanish.sections if s.key == "directory").items
    assert (
        "… y 25 organizaciones nuevas más: vea /org lista." in items
        and items[-1] == "… y 2 verificaciones más de líderes y representantes."
    )


async def test_sections_hold_each_feature_and_leave_out_what_is_empty(
    services: Services, clock: FakeClock
) -> None:
    since = clock.now()
    clock.advance(timedelta(minutes=1))
    await seed_week(services, clock)
    clock.advance(timedelta(minutes=1))
    digest = await services.digest.build(GUILD, since, clock.now(), "en")
    assert [section.key for section in digest.sections] == ["events", "working_groups", "directory"]
    text = text_of(digest.messages)
    assert "Weekly digest · week 9 of 2027" in text
    assert (
        "**Global WIM Call**" in text
        and "Going: 1" in text
        and "[Meeting link](https://meet.example.org/wim)" in text
    )
    starts = int((since + timedelta(days=3, minutes=1)).timestamp())
    assert f"<t:{starts}:F>" in text and f"<t:{starts}:R>" in text
    assert "Progress update: Survey sent to 30 WIM organisations" in text
    assert "Status: Needs attention" in text
    assert "New WIM organisation: **Women in Mining Peru** (Peru)" in text
    assert "Newly verified: <@3001> as leader of **Women in Mining Peru**" in text
    # In French, the same window: the glossary's words.
    french = text_of((await services.digest.build(GUILD, since, clock.now(), "fr")).messages)
    assert (
        "Résumé hebdomadaire" in french and "Je participe : 1" in french and "Statut : À surveiller" in french
    )
    # Nothing happened in a later window: only what is coming is left.
    later = await services.digest.build(GUILD, clock.now(), clock.now() + timedelta(hours=1), "en")
    assert [section.key for section in later.sections] == ["events"]


async def test_last_weeks_attendance_counts_going_against_check_ins(
    services: Services, clock: FakeClock
) -> None:
    since = clock.now()
    start = (clock.now() + timedelta(hours=1)).strftime("%Y-%m-%d %H:%M")
    event = await services.events.create_event(
        EventDraft(
            guild_id=GUILD,
            organiser_id=2001,
            title="Roundtable",
            start=start,
            channel_id=CHANNEL,
            timezone="UTC",
            duration_minutes=60,
        )
    )
    for user_id in (3000, 3001, 3002):
        await services.events.rsvp(event.id, user_id, "going", [], guild_id=GUILD)
    clock.advance(timedelta(hours=1, minutes=5))
    await services.events.check_in(event.id, 3000, [])
    await services.events.check_in(event.id, 3004, [])
    clock.advance(timedelta(days=1))
    digest = await services.digest.build(GUILD, since, clock.now(), "en")
    attendance = next(section for section in digest.sections if section.key == "attendance")
    assert attendance.items == (
        f"**Roundtable** (<t:{int(event.starts_at.timestamp())}:D>) · Going: 3 · Checked in: 2",
    )


async def test_a_quiet_week_is_one_short_line(services: Services, clock: FakeClock) -> None:
    digest = await services.digest.build(GUILD, clock.now() - timedelta(days=7), clock.now(), "es")
    assert digest.quiet
    assert len(digest.messages) == 1 and len(digest.messages[0]) == 1
    (header,) = digest.messages[0]
    assert header.title == "Resumen semanal · semana 9 de 2027"
    assert header.description.startswith("Semana tranquila: nada nuevo desde el <t:")


async def test_a_private_groups_work_stays_out_of_the_digest(services: Services, clock: FakeClock) -> None:
    since = clock.now()
    groups = await services.working_groups.seed(GUILD, make_config().working_groups)
    await services.working_groups.admin.edit(groups[0].id, MODERATOR, "en", private=True)
    await services.working_groups.posts.post_update(groups[0].id, "Confidential budget talk", MODERATOR, "en")
    clock.advance(timedelta(minutes=1))
    digest = await services.digest.build(GUILD, since, clock.now(), "en")
    assert "Confidential" not in text_of(digest.messages)


async def test_a_busy_group_shows_its_first_entries_and_counts_the_rest(
    services: Services, clock: FakeClock
) -> None:
    groups = await services.working_groups.seed(GUILD, make_config().working_groups)
    clock.advance(timedelta(minutes=1))
    since = clock.now()  # the groups' seeding (their first status, their deliverables) is older news
    await services.working_groups.work.set_status(groups[0].id, "needs_attention", None, MODERATOR, "en")
    for n in range(12):
        clock.advance(timedelta(minutes=1))
        await services.working_groups.posts.post_update(
            groups[0].id, f"Update number {n:02d}", MODERATOR, "en"
        )
    await services.working_groups.posts.post_summary(
        groups[1].id, "Roundtable notes", "Notes of the roundtable", MODERATOR, "en"
    )
    clock.advance(timedelta(minutes=1))
    digest = await services.digest.build(GUILD, since, clock.now(), "en")
    section = next(section for section in digest.sections if section.key == "working_groups")
    busy = next(item for item in section.items if "Update number" in item)
    lines = busy.split("\n")[1:]
    # The status first, then the updates oldest first, MAX_GROUP_ENTRIES (8) in all; 13 less 8 counted.
    assert lines[0] == "• Status: Needs attention"
    assert [line.split(": ", 1)[1] for line in lines[1:8]] == [f"Update number {n:02d}" for n in range(7)]
    assert lines[8:] == ["• …and 5 more"]
    quiet = next(item for item in section.items if "Roundtable notes" in item)
    assert "more" not in quiet and quiet.count("\n• ") == 1


# --- the layout within Discord's limits ----------------------------------------------------------------


def _continued(title: str) -> str:
    return f"{title} (continued)"


async def test_an_oversized_digest_is_split_at_section_boundaries_never_mid_item(
    services: Services, clock: FakeClock
) -> None:
    big = tuple(f"item {n:03d} " + "x" * 480 for n in range(60))  # about 30,000 characters
    small = ("one short line",)

    async def oversized(guild_id: int, since: datetime, until: datetime, lang: str) -> Section | None:
        return Section("big", "A very long section", big)

    async def short(guild_id: int, since: datetime, until: datetime, lang: str) -> Section | None:
        return Section("small", "A short section", small)

    async def nothing(guild_id: int, since: datetime, until: datetime, lang: str) -> Section | None:
        return None

    services.digest.register_section("big", oversized, order=1)
    services.digest.register_section("small", short, order=2)
    services.digest.register_section("empty", nothing, order=3)
    digest = await services.digest.build(GUILD, clock.now() - timedelta(days=7), clock.now(), "en")
    assert [section.key for section in digest.sections] == ["big", "small"]
    assert len(digest.messages) > 1
    for message in digest.messages:
        assert sum(embed.size() for embed in message) <= EMBED_TOTAL
        assert len(message) <= EMBEDS_PER_MESSAGE
        assert all(len(embed.description) <= EMBED_DESCRIPTION for embed in message)
    # Every item whole, in exactly one embed, in order.
    found = [
        item for message in digest.messages for embed in message for item in embed.description.split("\n\n")
    ]
    assert [item for item in found if item.startswith("item ")] == list(big)
    titles = [embed.title for message in digest.messages for embed in message]
    assert titles.count("A very long section") == 1 and "A very long section (continued)" in titles
    # Each message after the first opens with a titled embed: a reader knows what it continues.
    assert all(message[0].title for message in digest.messages)


def test_a_section_that_does_not_fit_what_is_left_starts_the_next_message() -> None:
    first = Section("a", "First", ("a" * 1400, "a" * 1400))
    second = Section("b", "Second", ("b" * 1200, "b" * 1200, "b" * 1200))
    third = Section("c", "Third", ("c" * 100,))
    blocks = [section_embeds(section, _continued, None) for section in (first, second, third)]
    messages = pack(blocks)
    assert [[embed.title for embed in message] for message in messages] == [["First"], ["Second", "Third"]]


def test_eleven_small_sections_take_two_messages() -> None:
    blocks = [section_embeds(Section(str(n), f"S{n}", ("x",)), _continued, None) for n in range(11)]
    messages = pack(blocks)
    assert [len(message) for message in messages] == [10, 1]


# --- scheduling: the local hour, once per week, late starts ----------------------------------------------


async def test_the_digest_stays_at_the_local_hour_across_daylight_saving(db: Database) -> None:
    # Paris leaves winter time on Sunday 28 March 2027: 09:00 is 08:00 UTC before, 07:00 UTC after.
    clock = FakeClock(datetime(2027, 3, 20, 12, 0, tzinfo=UTC))
    services = build_services(make_config("Europe/Paris"), db, clock)
    due = await services.digest.arm(GUILD)
    assert due == datetime(2027, 3, 22, 8, 0, tzinfo=UTC)
    clock.set(due)
    await fire(services)
    assert (await services.digest.get_week(GUILD, "2027-W12")) is not None
    (next_week,) = await pending(db, DIGEST_WEEKLY)
    assert next_week["due_at"].startswith("2027-03-29T07:00:00")
    # Back to winter time in October: 09:00 local is 08:00 UTC again.
    assert services.digest.next_slot(datetime(2027, 10, 30, tzinfo=UTC)) == datetime(
        2027, 11, 1, 8, 0, tzinfo=UTC
    )


async def test_once_per_iso_week_whoever_asks(services: Services, db: Database, clock: FakeClock) -> None:
    due = await services.digest.arm(GUILD)
    assert due == datetime(2027, 3, 8, 9, 0, tzinfo=UTC)  # 09:00 of today (the clock) has just passed
    assert await services.digest.arm(GUILD) == due  # one pending timer, however often armed
    assert len(await pending(db, DIGEST_WEEKLY)) == 1
    await services.digest.subscribe(GUILD, 3000)
    await services.digest.subscribe(GUILD, 3001)
    clock.set(due + timedelta(seconds=2))
    first = await services.digest.on_slot(GUILD, due)
    assert first.claimed and first.week == "2027-W10"
    again = await services.digest.on_slot(GUILD, due)  # a restart ran the same slot again
    assert not again.claimed and not again.skipped
    with pytest.raises(UserFacingError) as refused:
        await services.digest.send_now(GUILD, 2001)
    assert refused.value.key == "digest.errors.already_sent"
    assert len(await pending(db, DIGEST_POST)) == 1 and len(await pending(db, DIGEST_DM)) == 1
    assert await services.digest.delivery_counts(GUILD, "2027-W10") == {"pending": 2}
    # The next week's timer is armed once, beside the slot's own (the dispatcher marks that one done).
    assert [timer["due_at"][:16] for timer in await pending(db, DIGEST_WEEKLY)] == [
        "2027-03-08T09:00",
        "2027-03-15T09:00",
    ]


async def test_a_moderators_send_counts_as_the_weeks(
    services: Services, db: Database, clock: FakeClock
) -> None:
    due = await services.digest.arm(GUILD)  # Monday 8 March
    clock.set(due - timedelta(hours=20))  # Sunday 7 March: week 9
    assert await services.digest.send_now(GUILD, 2001) == "2027-W09"
    clock.set(due.replace(hour=8))  # Monday 8 March, 08:00: week 10
    assert await services.digest.send_now(GUILD, 2001) == "2027-W10"
    clock.set(due)
    assert not (await services.digest.on_slot(GUILD, due)).claimed  # week 10 went out at 08:00
    week = await services.digest.get_week(GUILD, "2027-W10")
    assert week is not None and week.trigger == "moderator" and week.actor_id == 2001


async def test_a_digest_missed_by_less_than_12_hours_is_sent_at_start(
    services: Services, clock: FakeClock
) -> None:
    due = await services.digest.arm(GUILD)
    clock.set(due + LATE_LIMIT - timedelta(minutes=1))
    claim = await services.digest.on_slot(GUILD, due)
    assert claim.claimed and not claim.skipped


async def test_a_digest_missed_by_12_hours_or_more_is_skipped(
    services: Services, db: Database, clock: FakeClock
) -> None:
    due = await services.digest.arm(GUILD)
    clock.set(due + LATE_LIMIT)
    claim = await services.digest.on_slot(GUILD, due)
    assert claim.skipped and not claim.claimed and claim.late_by == LATE_LIMIT
    assert await pending(db, DIGEST_POST) == []
    week = await services.digest.get_week(GUILD, claim.week)
    assert week is not None and week.status == "skipped"
    # Skipped once: the same slot again reports nothing new; the next week is armed.
    assert not (await services.digest.on_slot(GUILD, due)).skipped
    assert [timer["due_at"][:16] for timer in await pending(db, DIGEST_WEEKLY)][-1:] == ["2027-03-15T09:00"]
    # A moderator may still post that week's.
    assert await services.digest.send_now(GUILD, 2001) == claim.week
    assert len(await pending(db, DIGEST_POST)) == 1


async def test_the_channel_post_is_laid_out_once(services: Services, clock: FakeClock) -> None:
    week = await services.digest.send_now(GUILD, 2001)
    plan = await services.digest.post_plan(GUILD, week, "fr")
    assert plan is not None and len(plan.parts) == 1 and plan.parts[0].message_id is None
    await services.organisations.add(
        GUILD, 2001, OrganisationDraft(name="WIM Chile", country="CL", website="https://wim.example.cl")
    )
    again = await services.digest.post_plan(GUILD, week, "en")  # a retry: the same parts, in French
    assert again is not None and again.parts == plan.parts
    await services.digest.record_part(GUILD, week, 0, CHANNEL, 555)
    recorded = await services.digest.post_plan(GUILD, week, "fr")
    assert recorded is not None and recorded.posted_ids == {555}
    with pytest.raises(UserFacingError):
        await services.digest.send_now(GUILD, 2001)
    # The next digest covers what happened since this one.
    since, _ = await services.digest.window(GUILD)
    assert since == (await services.digest.get_week(GUILD, week)).until  # type: ignore[union-attr]


async def test_subscriptions_and_deliveries(services: Services, clock: FakeClock) -> None:
    assert await services.digest.subscribe(GUILD, 3000)
    assert not await services.digest.subscribe(GUILD, 3000)
    assert await services.digest.subscribe(GUILD, 3001)
    week = await services.digest.send_now(GUILD, 2001)
    found = await services.digest.pending_deliveries(GUILD, week)
    assert found is not None and [d.user_id for d in found[1]] == [3000, 3001]
    await services.digest.start_delivery(GUILD, week, 3001)
    await services.digest.record_delivery(GUILD, week, 3000, parts_sent=1, done=True)
    found = await services.digest.pending_deliveries(GUILD, week)
    assert found is not None
    (left,) = found[1]
    assert left.user_id == 3001 and left.started_at is not None and left.parts_sent == 0
    await services.digest.record_delivery(GUILD, week, 3001, parts_sent=0, done=True, closed=True)
    assert await services.digest.delivery_counts(GUILD, week) == {"sent": 1, "skipped_closed": 1}
    assert await services.digest.is_subscribed(GUILD, 3001)  # a closed DM keeps the subscription
    assert await services.digest.unsubscribe(GUILD, 3001)
    assert not await services.digest.unsubscribe(GUILD, 3001)
