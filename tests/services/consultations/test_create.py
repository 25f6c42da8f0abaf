"""Creating a poll: what is written (rows and outbox timers), and every bad input refused with
nothing written."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest

from bot.clock import FakeClock
from bot.db import Database
from bot.errors import UserFacingError
from bot.services.consultations import POLL_CLOSE, POLL_POST, POLL_REMIND, ConsultationService
from bot.services.consultations.validation import deadline
from tests.services.consultations.helpers import counts, draft, timers_of


async def test_create_writes_the_poll_its_options_and_its_three_timers(
    service: ConsultationService, db: Database, clock: FakeClock
) -> None:
    poll = await service.create(draft(options="Safety\nLeadership\n\nDiversity"))

    assert [o.label for o in poll.options] == ["Safety", "Leadership", "Diversity"]
    assert [o.position for o in poll.options] == [1, 2, 3]
    assert poll.closes_at == clock.now() + timedelta(days=3)
    assert (poll.kind, poll.voters, poll.results, poll.status) == ("single", "members", "live", "open")
    payload = {"guild_id": poll.guild_id, "poll_id": poll.id}
    assert [{k: v for k, v in t.items() if k != "due_at"} for t in await timers_of(db, POLL_POST)] == [
        payload
    ]
    [close] = await timers_of(db, POLL_CLOSE)
    [remind] = await timers_of(db, POLL_REMIND)
    assert close["due_at"] == poll.closes_at.isoformat()
    assert remind["due_at"] == (poll.closes_at - timedelta(hours=24)).isoformat()


async def test_a_poll_shorter_than_a_day_has_no_reminder(service: ConsultationService, db: Database) -> None:
    await service.create(draft(closes="12h"))
    assert await timers_of(db, POLL_REMIND) == []
    assert len(await timers_of(db, POLL_CLOSE)) == 1


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"question": "   "}, "consultations.errors.question_empty"),
        ({"question": "q" * 301}, "consultations.errors.question_too_long"),
        ({"options": "Only one"}, "consultations.errors.too_few_options"),
        ({"options": ";".join(f"o{i}" for i in range(21))}, "consultations.errors.too_many_options"),
        ({"options": "Fine; " + "x" * 81}, "consultations.errors.option_too_long"),
        ({"options": "Minería; Safety; MINERIA"}, "consultations.errors.duplicate_option"),
        ({"options": "Énergie ; energie"}, "consultations.errors.duplicate_option"),
        ({"kind": "approval"}, "consultations.errors.bad_kind"),
        ({"voters": "everyone"}, "consultations.errors.bad_voters"),
        ({"results": "never"}, "consultations.errors.bad_results"),
        ({"language": "de"}, "consultations.errors.bad_language"),
        ({"kind": "multiple", "max_choices": 4}, "consultations.errors.bad_max_choices"),
        ({"kind": "multiple", "max_choices": 0}, "consultations.errors.bad_max_choices"),
        ({"quorum": "ten"}, "consultations.errors.bad_quorum"),
        ({"quorum": "0"}, "consultations.errors.quorum_out_of_range"),
        ({"quorum": "100001"}, "consultations.errors.quorum_out_of_range"),
        ({"quorum": "101%", "voters": "organisations"}, "consultations.errors.quorum_out_of_range"),
        ({"quorum": "50%"}, "consultations.errors.percent_quorum_members"),
        ({"closes": ""}, "consultations.errors.closes_required"),
        ({"closes": "soon"}, "consultations.errors.bad_closes"),
        ({"closes": "3 parsecs"}, "consultations.errors.bad_closes"),
        ({"closes": "2027-02-30 10:00"}, "consultations.errors.bad_closes"),
        ({"closes": "2027-02-28 10:00"}, "consultations.errors.closes_in_past"),
        ({"closes": "0h"}, "consultations.errors.closes_in_past"),
        ({"closes": "367d"}, "consultations.errors.closes_too_far"),
        ({"closes": "2028-03-05 10:00"}, "consultations.errors.closes_too_far"),
        ({"question": "bad\x00question"}, "validation.bad_characters"),
    ],
)
async def test_bad_input_is_refused_and_nothing_is_written(
    service: ConsultationService, db: Database, overrides: dict[str, object], key: str
) -> None:
    with pytest.raises(UserFacingError) as refused:
        await service.create(draft(**overrides))
    assert refused.value.key == key
    assert await counts(db) == (0, 0, 0)
    assert await db.fetchval("SELECT count(*) FROM timers") == 0


@pytest.mark.parametrize(
    ("typed", "hours"),
    [("3d", 72), ("12h", 12), ("2j", 48), ("1sem", 168), ("1w 2d", 216), ("90min", 1.5), ("1d12h", 36)],
)
def test_a_deadline_reads_durations_in_every_language(clock: FakeClock, typed: str, hours: float) -> None:
    assert deadline(typed, "UTC", clock.now()) == clock.now() + timedelta(hours=hours)


def test_a_deadline_reads_a_local_date_and_time_in_the_members_zone(clock: FakeClock) -> None:
    # 2027-03-02 10:00 in Lima (UTC-5) is 15:00 UTC.
    moment = deadline("2027-03-02 10:00", "America/Lima", clock.now())
    assert moment.isoformat() == "2027-03-02T15:00:00+00:00"


def test_a_local_time_a_clock_change_skips_is_refused(clock: FakeClock) -> None:
    with pytest.raises(UserFacingError) as refused:
        deadline("2027-03-28 02:30", "Europe/Paris", clock.now())
    assert refused.value.key == "consultations.errors.bad_closes"


async def test_quorum_is_stored_as_ballots_or_percent(service: ConsultationService) -> None:
    by_ballots = await service.create(draft(quorum="12"))
    by_percent = await service.create(draft(quorum=" 40 %", voters="organisations"))
    assert (by_ballots.quorum_kind, by_ballots.quorum) == ("ballots", 12)
    assert (by_percent.quorum_kind, by_percent.quorum) == ("percent", 40)


async def test_max_choices_is_kept_only_for_multiple_choice(service: ConsultationService) -> None:
    multiple = await service.create(draft(kind="multiple", max_choices=2))
    single = await service.create(draft(kind="single", max_choices=2))
    assert multiple.max_choices == 2
    assert single.max_choices is None


async def test_the_database_refuses_what_the_validation_would(db: Database) -> None:
    # A percent quorum in members mode: the CHECK refuses it as the validation does.
    def bad(conn: sqlite3.Connection) -> None:
        conn.execute(
            "INSERT INTO polls (guild_id, channel_id, creator_id, question, kind, voters, quorum_kind,"
            " quorum, opens_at, closes_at, created_at) VALUES (1, 1, 1, 'q', 'single', 'members',"
            " 'percent', 50, '2027-01-01', '2027-01-02', '2027-01-01')"
        )

    with pytest.raises(sqlite3.IntegrityError):
        await db.write(bad)
