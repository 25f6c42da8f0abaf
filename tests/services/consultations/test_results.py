"""Closing (once), tallies (hidden results, quorum, turnout by region), the export (anonymous: no
names), nudges, reminders and the organisation directory's removal guard."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from bot.clock import FakeClock
from bot.db import Database
from bot.errors import UserFacingError
from bot.services.consultations import (
    OPEN_BALLOT_GUARD,
    POLL_CLOSE,
    POLL_NUDGE,
    POLL_REFRESH,
    POLL_REMIND,
    POLL_RESULTS,
    ConsultationService,
)
from bot.services.organisations import OrganisationService
from tests.services.consultations.helpers import GUILD, MEMBER, MODERATOR, add_organisations, draft, timers_of


async def test_close_happens_once_and_writes_the_results_post(
    service: ConsultationService, db: Database, clock: FakeClock
) -> None:
    poll = await service.create(draft())
    with pytest.raises(UserFacingError) as refused:
        await service.close(poll.id, MEMBER, is_moderator=False, guild_id=GUILD)
    assert refused.value.key == "consultations.errors.not_poll_manager"

    first = await service.close(poll.id, MODERATOR, is_moderator=True, guild_id=GUILD)
    again = await service.close(poll.id, poll.creator_id, is_moderator=False, guild_id=GUILD)
    at_deadline = await service.close_due(poll.id)

    assert (first.closed_now, again.closed_now) == (True, False)
    assert at_deadline is not None and not at_deadline.closed_now
    assert (first.poll.status, first.poll.closed_by, first.poll.closed_at) == (
        "closed",
        MODERATOR,
        clock.now(),
    )
    assert await timers_of(db, POLL_CLOSE) == [] and await timers_of(db, POLL_REMIND) == []
    assert len(await timers_of(db, POLL_RESULTS)) == 1
    assert len(await timers_of(db, POLL_REFRESH)) == 1
    assert await service.results_to_post(poll.id) is not None
    assert await service.record_results_posted(poll.id, 1, 2) is True
    assert await service.record_results_posted(poll.id, 1, 3) is False
    assert await service.results_to_post(poll.id) is None


async def test_hidden_results_show_only_turnout_to_members_until_the_close(
    service: ConsultationService,
) -> None:
    poll = await service.create(draft(results="hidden"))
    await service.vote(poll.id, MEMBER, [2], [], guild_id=GUILD)

    member_view = await service.tally(poll.id)
    moderator_view = await service.tally(poll.id, viewer_is_moderator=True)
    assert (member_view.hidden, member_view.options, member_view.turnout.ballots) == (True, (), 1)
    assert not moderator_view.hidden and moderator_view.options[1].count == 1

    await service.close(poll.id, MODERATOR, is_moderator=True, guild_id=GUILD)
    after = await service.tally(poll.id)
    assert not after.hidden and after.winners == (2,)
    assert [o.percent for o in after.options] == [0.0, 100.0, 0.0]


async def test_quorum_in_ballots_not_reached_then_reached(service: ConsultationService) -> None:
    poll = await service.create(draft(quorum="3"))
    await service.vote(poll.id, MEMBER, [1], [], guild_id=GUILD)
    await service.vote(poll.id, MEMBER + 1, [1], [], guild_id=GUILD)
    assert (await service.tally(poll.id)).quorum_reached is False
    await service.vote(poll.id, MEMBER + 2, [2], [], guild_id=GUILD)
    assert (await service.tally(poll.id)).quorum_reached is True
    assert (await service.tally((await service.create(draft())).id)).quorum_reached is None


async def test_organisation_turnout_by_region_and_percent_quorum(
    service: ConsultationService, organisations: OrganisationService
) -> None:
    made = await add_organisations(organisations)
    poll = await service.create(draft(voters="organisations", quorum="75%"))
    for _, [rep], _ in made[:2]:  # Peru and Chile: South America (005)
        await service.vote(poll.id, rep, [1], [], guild_id=GUILD)
    await service.vote(poll.id, made[2][1][0], [2], [], guild_id=GUILD)  # South Africa (018)

    tally = await service.tally(poll.id)
    assert (tally.turnout.ballots, tally.turnout.registered, tally.turnout.percent) == (3, 4, 75.0)
    assert {(r.region, r.answered, r.registered) for r in tally.turnout.by_region} == {
        ("419", 2, 2),
        ("202", 1, 1),
        ("154", 0, 1),
    }
    assert tally.quorum_reached is True

    # The turnout of a closed consultation keeps the registered organisations of its close.
    await service.close(poll.id, MODERATOR, is_moderator=True, guild_id=GUILD)
    await organisations.remove(GUILD, made[3][0], MODERATOR)
    assert (await service.tally(poll.id)).turnout.registered == 4


async def test_percent_quorum_not_reached(
    service: ConsultationService, organisations: OrganisationService
) -> None:
    made = await add_organisations(organisations)
    poll = await service.create(draft(voters="organisations", quorum="50%"))
    await service.vote(poll.id, made[0][1][0], [1], [], guild_id=GUILD)
    assert (await service.tally(poll.id)).quorum_reached is False


async def test_export_one_row_per_organisation_and_anonymous_has_no_names(
    service: ConsultationService, organisations: OrganisationService
) -> None:
    made = await add_organisations(organisations)
    named = await service.create(draft(voters="organisations", comments=True, kind="ranked"))
    anonymous = await service.create(draft(voters="organisations", comments=True, anonymous=True))
    for poll, choices in ((named, [3, 1]), (anonymous, [2])):
        await service.vote(poll.id, made[0][1][0], choices, [], guild_id=GUILD, comment="=cmd|' /C calc'!A0")

    export = await service.export(named.id, guild_id=GUILD)
    [row] = export.rows
    assert (row.name, row.country, row.region, row.choices, row.cast_by) == (
        "Mujeres en Minería Perú",
        "PE",
        "419",
        ("Diversity", "Safety"),
        made[0][1][0],
    )
    assert "'=cmd" in export.csv  # a spreadsheet never runs a member's text as a formula
    assert "cast_by" in export.csv and str(made[0][1][0]) in export.csv

    hidden = await service.export(anonymous.id, guild_id=GUILD)
    assert [r.cast_by for r in hidden.rows] == [None]
    assert "cast_by" not in hidden.csv and str(made[0][1][0]) not in hidden.csv
    parsed = list(csv.reader(io.StringIO(hidden.csv)))
    assert parsed[0] == ["option", "votes", "percent"]
    assert ["Leadership", "1", "100.0"] in parsed
    assert parsed[-1][:4] == ["Mujeres en Minería Perú", "PE", "419", "Leadership"]


async def test_anonymous_members_poll_never_returns_voters(service: ConsultationService) -> None:
    poll = await service.create(draft(anonymous=True, comments=True))
    await service.vote(poll.id, MEMBER, [1], [], guild_id=GUILD, comment="A view")
    export = await service.export(poll.id, guild_id=GUILD)
    assert str(MEMBER) not in export.csv and "A view" in export.csv
    assert export.rows == ()


async def test_nudge_at_most_once_a_day_per_organisation(
    service: ConsultationService, organisations: OrganisationService, db: Database, clock: FakeClock
) -> None:
    made = await add_organisations(organisations, representatives=2)
    poll = await service.create(draft(voters="organisations"))
    await service.vote(poll.id, made[0][1][0], [1], [], guild_id=GUILD)

    unanswered = await service.unanswered(poll.id)
    # By region code, country, name: Sweden (154), South Africa (202), Chile (419).
    assert [t.organisation_id for t in unanswered.organisations] == [made[3][0], made[2][0], made[1][0]]
    first = await service.nudge(poll.id, MODERATOR, guild_id=GUILD)
    again = await service.nudge(poll.id, MODERATOR, guild_id=GUILD)
    assert sorted(t.organisation_id for t in first.nudged) == sorted(o for o, _, _ in made[1:])
    assert {t.representative_ids for t in first.nudged} == {tuple(reps) for _, reps, _ in made[1:]}
    assert (again.nudged, len(again.already_today)) == ((), 3)
    assert len(await timers_of(db, POLL_NUDGE)) == 3

    clock.advance(timedelta(days=1))
    tomorrow = await service.nudge(poll.id, MODERATOR, guild_id=GUILD, organisation_ids={made[1][0]})
    assert [t.organisation_id for t in tomorrow.nudged] == [made[1][0]]
    await service.vote(poll.id, made[1][1][0], [1], [], guild_id=GUILD)
    assert await service.nudge_delivery(poll.id, made[1][0]) is None  # answered meanwhile
    assert await service.nudge_delivery(poll.id, made[2][0]) is not None

    members_poll = await service.create(draft())
    with pytest.raises(UserFacingError) as refused:
        await service.nudge(members_poll.id, MODERATOR, guild_id=GUILD)
    assert refused.value.key == "consultations.errors.not_organisation_poll"


async def test_reminder_is_read_once(
    service: ConsultationService, organisations: OrganisationService
) -> None:
    await add_organisations(organisations)
    poll = await service.create(draft(voters="organisations"))
    reminder = await service.reminder_to_post(poll.id)
    assert reminder is not None and len(reminder.organisations) == 4
    assert await service.record_reminder_posted(poll.id, 1, 99)
    assert await service.reminder_to_post(poll.id) is None


async def test_an_organisation_with_a_ballot_in_an_open_consultation_cannot_be_removed(
    service: ConsultationService, organisations: OrganisationService
) -> None:
    made = await add_organisations(organisations)
    poll = await service.create(draft(voters="organisations"))
    await service.vote(poll.id, made[0][1][0], [1], [], guild_id=GUILD)

    with pytest.raises(UserFacingError) as refused:
        await organisations.remove(GUILD, made[0][0], MODERATOR)
    assert refused.value.key == "orgs.errors.removal_blocked"
    assert refused.value.params["reason"] == OPEN_BALLOT_GUARD
    assert (await organisations.get(GUILD, made[0][0])).active

    await organisations.remove(GUILD, made[1][0], MODERATOR)  # no ballot: removed
    await service.close(poll.id, MODERATOR, is_moderator=True, guild_id=GUILD)
    removed = await organisations.remove(GUILD, made[0][0], MODERATOR)
    assert not removed.organisation.active
