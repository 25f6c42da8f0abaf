"""Elections: nominations by representatives, answers, the close of nominations (short or voting),
and an STV count of 3 seats among the accepted candidates."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.clock import FakeClock
from bot.db import Database
from bot.errors import UserFacingError
from bot.services.consultations import (
    ELECTION_ANNOUNCE,
    ELECTION_NOMINATION,
    ELECTION_NOMINATIONS_CLOSE,
    ELECTION_SHORT,
    NOMINATION_DM_RETRY,
    POLL_POST,
    ConsultationService,
    ElectionDraft,
)
from bot.services.organisations import OrganisationService
from bot.services.timers import Timer, TimerService
from bot.timeutil import utc_iso
from tests.services.consultations.helpers import (
    CHANNEL,
    GUILD,
    MEMBER,
    MODERATOR,
    add_organisations,
    timers_of,
)


def election(**overrides: object) -> ElectionDraft:
    values: dict[str, object] = {
        "guild_id": GUILD,
        "channel_id": CHANNEL,
        "creator_id": MODERATOR,
        "title": "Steering Committee officers 2027",
        "seats": 3,
        "nominations_close": "7d",
        "voting_closes": "7d",
        "max_nominations": 2,
    }
    values.update(overrides)
    return ElectionDraft(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"seats": 0}, "consultations.errors.bad_seats"),
        ({"seats": 21}, "consultations.errors.bad_seats"),
        ({"max_nominations": 0}, "consultations.errors.bad_max_nominations"),
        ({"title": ""}, "consultations.errors.question_empty"),
        ({"nominations_close": "yesterday"}, "consultations.errors.bad_closes"),
        ({"voting_closes": "400d"}, "consultations.errors.closes_too_far"),
    ],
)
async def test_bad_elections_are_refused(
    service: ConsultationService, db: Database, overrides: dict[str, object], key: str
) -> None:
    with pytest.raises(UserFacingError) as refused:
        await service.elections.create(election(**overrides))
    assert refused.value.key == key
    assert await db.fetchval("SELECT count(*) FROM elections") == 0


async def test_an_election_with_nominations_a_decline_and_an_stv_count_of_three_seats(
    service: ConsultationService, organisations: OrganisationService, db: Database, clock: FakeClock
) -> None:
    made = await add_organisations(organisations, leaders=2)
    created = await service.elections.create(election())
    assert created.voting_closes_at == created.nominations_close_at + timedelta(days=7)
    assert len(await timers_of(db, ELECTION_NOMINATIONS_CLOSE)) == 1

    nominations = []
    for _, [rep], leaders in made:
        for leader in leaders:
            nominations.append(await service.elections.nominate(created.id, rep, leader, guild_id=GUILD))
    assert len(await timers_of(db, ELECTION_NOMINATION)) == 8

    # Refusals: a third nominee, a leader of another organisation, twice, not a representative.
    peru_rep, chile_leader = made[0][1][0], made[1][2][0]
    for user, nominee, key in (
        (peru_rep, made[0][1][0], "consultations.errors.too_many_nominations"),
        (made[1][1][0], made[0][2][0], "consultations.errors.nominee_not_leader"),
        (MEMBER, chile_leader, "consultations.errors.not_representative"),
    ):
        with pytest.raises(UserFacingError) as refused:
            await service.elections.nominate(created.id, user, nominee, guild_id=GUILD)
        assert refused.value.key == key

    with pytest.raises(UserFacingError) as not_theirs:
        await service.elections.answer(nominations[0].id, MEMBER, accept=True)
    assert not_theirs.value.key == "consultations.errors.not_your_nomination"
    declined = await service.elections.answer(nominations[0].id, nominations[0].nominee_id, accept=False)
    assert (declined.nomination.status, declined.answered_now) == ("declined", True)
    again = await service.elections.answer(nominations[0].id, nominations[0].nominee_id, accept=True)
    assert (again.nomination.status, again.answered_now) == ("declined", False)
    accepted = nominations[1:6]  # five accept, two never answer
    for nomination in accepted:
        await service.elections.answer(nomination.id, nomination.nominee_id, accept=True)

    clock.advance(timedelta(days=7))
    names = {n.nominee_id: f"Candidate {i}" for i, n in enumerate(nominations)}
    outcome = await service.elections.close_nominations(created.id, names)
    assert outcome is not None and outcome.poll is not None
    poll = outcome.poll
    assert [c.nominee_id for c in outcome.candidates] == [n.nominee_id for n in accepted]
    assert [o.candidate_id for o in poll.options] == [n.nominee_id for n in accepted]
    assert (poll.kind, poll.voters, poll.seats, poll.election_id) == (
        "ranked",
        "organisations",
        3,
        created.id,
    )
    assert poll.closes_at == created.voting_closes_at
    assert (await service.elections.get(created.id)).status == "voting"
    assert any(t["poll_id"] == poll.id for t in await timers_of(db, POLL_POST))
    assert (await service.elections.close_nominations(created.id)).poll == poll  # type: ignore[union-attr]  # idempotent

    # Four organisations rank the five candidates (positions 1-5).
    for (_, [rep], _), ranking in zip(made, ([1, 2, 3], [1, 3, 2], [4, 5, 1], [5, 4, 2]), strict=True):
        await service.vote(poll.id, rep, ranking, [], guild_id=GUILD)
    clock.advance(timedelta(days=7))
    closed = await service.close_due(poll.id)
    assert closed is not None and closed.closed_now
    tally = await service.tally(poll.id)
    assert tally.ranked is not None and tally.ranked.method == "stv" and tally.ranked.quota == 2.0
    assert len(tally.winners) == 3 and tally.winners[0] == 1
    assert (await service.elections.get(created.id)).status == "closed"


async def test_too_few_candidates_at_the_close_is_reported_and_nominations_can_be_extended(
    service: ConsultationService, organisations: OrganisationService, db: Database, clock: FakeClock
) -> None:
    made = await add_organisations(organisations, leaders=1)
    created = await service.elections.create(election(seats=3))
    nomination = await service.elections.nominate(created.id, made[0][1][0], made[0][2][0], guild_id=GUILD)
    await service.elections.answer(nomination.id, nomination.nominee_id, accept=True)

    clock.advance(timedelta(days=7))
    outcome = await service.elections.close_nominations(created.id)
    assert outcome is not None and (outcome.poll, outcome.short_by, outcome.election.status) == (
        None,
        2,
        "short",
    )
    assert len(await timers_of(db, ELECTION_SHORT)) == 1
    assert await db.fetchval("SELECT count(*) FROM polls") == 0

    extended = await service.elections.extend(created.id, "3d", "UTC", guild_id=GUILD)
    assert extended.status == "nominating"
    assert extended.nominations_close_at == clock.now() + timedelta(days=3)
    assert extended.voting_closes_at > extended.nominations_close_at
    [pending] = await timers_of(db, ELECTION_NOMINATIONS_CLOSE)
    assert pending["due_at"] == extended.nominations_close_at.isoformat()


async def test_creating_an_election_writes_its_call_for_nominations_with_it(
    service: ConsultationService, db: Database
) -> None:
    created = await service.elections.create(election())
    [announce] = await timers_of(db, ELECTION_ANNOUNCE)
    assert (announce["guild_id"], announce["election_id"]) == (GUILD, created.id)
    [close] = await timers_of(db, ELECTION_NOMINATIONS_CLOSE)
    assert close["election_id"] == created.id


async def test_elections_are_found_by_part_of_their_title_and_status(
    service: ConsultationService, organisations: OrganisationService, clock: FakeClock
) -> None:
    made = await add_organisations(organisations, leaders=1)
    officers = await service.elections.create(election(title="Steering Committee officers 2027"))
    treasurer = await service.elections.create(
        election(title="Treasurer 2027", seats=1, nominations_close="1d")
    )
    other_guild = await service.elections.create(election(guild_id=GUILD + 1, title="Treasurer 2027 (other)"))
    assert [e.id for e in await service.elections.search(GUILD, "2027")] == [treasurer.id, officers.id]
    assert [e.id for e in await service.elections.search(GUILD, "treasurer")] == [treasurer.id]
    assert await service.elections.search(GUILD, "100%_") == []  # LIKE's wildcards are literal
    assert other_guild.id not in [e.id for e in await service.elections.search(GUILD, "")]
    # Nominations close with too few candidates: "short", found only when asked for.
    nomination = await service.elections.nominate(treasurer.id, made[0][1][0], made[0][2][0], guild_id=GUILD)
    await service.elections.answer(nomination.id, nomination.nominee_id, accept=False)
    clock.advance(timedelta(days=1, minutes=1))
    await service.elections.close_nominations(treasurer.id)
    assert [e.id for e in await service.elections.search(GUILD, "2027", statuses=("nominating",))] == [
        officers.id
    ]
    found = await service.elections.search(GUILD, "2027")
    assert [(e.id, e.status) for e in found] == [(treasurer.id, "short"), (officers.id, "nominating")]
    assert await service.elections.search(GUILD, "2027", limit=0) == []


async def test_a_nominee_out_of_reach_is_sent_the_nomination_again_until_nominations_close(
    service: ConsultationService,
    organisations: OrganisationService,
    timers: TimerService,
    db: Database,
    clock: FakeClock,
) -> None:
    """Closed DMs: the handler asks for the DM again in NOMINATION_DM_RETRY while the nomination is
    pending; one pending retry however often it asks, none that would fall after the close of
    nominations, none once the nominee has answered."""
    [(_, [rep], [leader, other]), *_] = await add_organisations(organisations, leaders=2)
    created = await service.elections.create(election(nominations_close="1d"))
    nomination = await service.elections.nominate(created.id, rep, leader, guild_id=GUILD)
    asked: list[bool] = []

    async def unreachable(timer: Timer) -> None:  # the cog's handler when send_dm fails
        asked.append(await service.elections.dm_again_later(int(timer.payload["nomination_id"])))

    timers.register(ELECTION_NOMINATION, unreachable)
    assert not await service.elections.awaiting_retry(nomination.id)  # not tried yet
    await timers.run_due()
    assert asked == [True] and await service.elections.awaiting_retry(nomination.id)
    [retry] = await timers_of(db, ELECTION_NOMINATION)
    assert retry["nomination_id"] == nomination.id
    assert retry["due_at"] == utc_iso(clock.now() + NOMINATION_DM_RETRY)
    assert await service.elections.dm_again_later(nomination.id)  # asked again (a re-run): the same one
    assert len(await timers_of(db, ELECTION_NOMINATION)) == 1

    clock.advance(NOMINATION_DM_RETRY)
    await timers.run_due()  # the retry: still unreachable, another in 6 hours
    assert asked == [True, True] and len(await timers_of(db, ELECTION_NOMINATION)) == 1
    clock.advance(timedelta(days=1) - 2 * NOMINATION_DM_RETRY + timedelta(minutes=1))
    assert not await service.elections.dm_again_later(nomination.id)  # it would fall after the close

    answered = await service.elections.nominate(created.id, rep, other, guild_id=GUILD)
    await service.elections.answer(answered.id, other, accept=True)
    assert not await service.elections.dm_again_later(answered.id)
    assert not await service.elections.awaiting_retry(answered.id)
