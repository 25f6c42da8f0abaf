"""Voting: record, replace, refusals (nothing changed), organisation mode, and bursts."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.clock import FakeClock
from bot.db import Database
from bot.errors import UserFacingError
from bot.services.consultations import POLL_REFRESH, ConsultationService
from bot.services.organisations import OrganisationService
from tests.services.consultations.helpers import (
    GUILD,
    MEMBER,
    ROLE,
    add_organisations,
    counts,
    draft,
    timers_of,
)


async def test_a_vote_is_recorded_and_a_second_click_replaces_it(
    service: ConsultationService, db: Database, clock: FakeClock
) -> None:
    poll = await service.create(draft())
    first = await service.vote(poll.id, MEMBER, [2], [], guild_id=GUILD)
    clock.advance(timedelta(minutes=5))
    second = await service.vote(poll.id, MEMBER, [3], [], guild_id=GUILD)

    assert (first.replaced, first.ballot.choices, first.poll.ballot_count) == (False, (2,), 1)
    assert (second.replaced, second.ballot.choices, second.poll.ballot_count) == (True, (3,), 1)
    assert second.ballot.cast_at == clock.now()
    assert await counts(db) == (1, 1, 1)
    assert (await service.my_ballot(poll.id, MEMBER, guild_id=GUILD)) == second.ballot
    tally = await service.tally(poll.id)
    assert [(o.label, o.count) for o in tally.options] == [("Safety", 0), ("Leadership", 0), ("Diversity", 1)]


async def test_votes_leave_one_pending_refresh_due_two_seconds_after_the_first(
    service: ConsultationService, db: Database, clock: FakeClock
) -> None:
    poll = await service.create(draft())
    for user in range(20):
        await service.vote(poll.id, MEMBER + user, [1], [], guild_id=GUILD)
    [refresh] = await timers_of(db, POLL_REFRESH)
    assert refresh == {
        "guild_id": GUILD,
        "poll_id": poll.id,
        "due_at": (clock.now() + timedelta(seconds=2)).isoformat(),
    }


async def test_multiple_choice_takes_up_to_its_maximum(service: ConsultationService, db: Database) -> None:
    poll = await service.create(draft(kind="multiple", max_choices=2))
    receipt = await service.vote(poll.id, MEMBER, [3, 1], [], guild_id=GUILD)
    assert receipt.ballot.choices == (3, 1)
    with pytest.raises(UserFacingError) as refused:
        await service.vote(poll.id, MEMBER, [1, 2, 3], [], guild_id=GUILD)
    assert refused.value.key == "consultations.errors.too_many_choices"
    assert (await service.my_ballot(poll.id, MEMBER, guild_id=GUILD)) == receipt.ballot


@pytest.mark.parametrize(
    ("choices", "key"),
    [
        ([], "consultations.errors.no_choice"),
        ([4], "consultations.errors.bad_choice"),
        ([1, 1], "consultations.errors.bad_choice"),
        ([1, 2], "consultations.errors.single_choice"),
    ],
)
async def test_a_bad_ballot_is_refused_and_nothing_is_written(
    service: ConsultationService, db: Database, choices: list[int], key: str
) -> None:
    poll = await service.create(draft())
    with pytest.raises(UserFacingError) as refused:
        await service.vote(poll.id, MEMBER, choices, [], guild_id=GUILD)
    assert refused.value.key == key
    assert await counts(db) == (1, 0, 0)
    assert await timers_of(db, POLL_REFRESH) == []


async def test_comments_are_kept_up_to_their_limit_and_only_where_allowed(
    service: ConsultationService, db: Database
) -> None:
    without = await service.create(draft())
    with pytest.raises(UserFacingError) as off:
        await service.vote(without.id, MEMBER, [1], [], guild_id=GUILD, comment="My view")
    assert off.value.key == "consultations.errors.comments_off"

    poll = await service.create(draft(comments=True))
    with pytest.raises(UserFacingError) as long:
        await service.vote(poll.id, MEMBER, [1], [], guild_id=GUILD, comment="x" * 1001)
    assert long.value.key == "consultations.errors.comment_too_long"
    assert await counts(db) == (2, 0, 0)

    kept = await service.vote(poll.id, MEMBER, [1], [], guild_id=GUILD, comment="x" * 1000)
    assert kept.ballot.comment == "x" * 1000
    unchanged = await service.vote(poll.id, MEMBER, [2], [], guild_id=GUILD)  # None keeps it
    assert unchanged.ballot.comment == "x" * 1000
    cleared = await service.vote(poll.id, MEMBER, [2], [], guild_id=GUILD, comment="")
    assert cleared.ballot.comment is None


async def test_unknown_poll_other_guild_audience_and_closed_are_refused(
    service: ConsultationService, db: Database, clock: FakeClock
) -> None:
    poll = await service.create(draft(audience_role_id=ROLE, closes="1h"))
    for poll_id, guild in ((poll.id + 1, GUILD), (poll.id, GUILD + 1)):
        with pytest.raises(UserFacingError) as unknown:
            await service.vote(poll_id, MEMBER, [1], [ROLE], guild_id=guild)
        assert unknown.value.key == "consultations.errors.unknown_poll"
    with pytest.raises(UserFacingError) as outside:
        await service.vote(poll.id, MEMBER, [1], [ROLE + 1], guild_id=GUILD)
    assert (outside.value.key, outside.value.params) == (
        "consultations.errors.not_in_audience",
        {"role_id": ROLE},
    )
    await service.vote(poll.id, MEMBER, [1], [ROLE], guild_id=GUILD)

    clock.advance(timedelta(hours=1))  # at the deadline, before the close timer ran
    with pytest.raises(UserFacingError) as late:
        await service.vote(poll.id, MEMBER, [2], [ROLE], guild_id=GUILD)
    assert late.value.key == "consultations.errors.poll_closed"
    assert (await service.my_ballot(poll.id, MEMBER, guild_id=GUILD)).choices == (1,)  # type: ignore[union-attr]


async def test_after_close_a_vote_is_refused_and_nothing_changes(
    service: ConsultationService, db: Database
) -> None:
    poll = await service.create(draft())
    await service.vote(poll.id, MEMBER, [1], [], guild_id=GUILD)
    await service.close(poll.id, poll.creator_id, is_moderator=False, guild_id=GUILD)
    with pytest.raises(UserFacingError) as refused:
        await service.vote(poll.id, MEMBER, [2], [], guild_id=GUILD)
    assert refused.value.key == "consultations.errors.poll_closed"
    with pytest.raises(UserFacingError) as new_voter:
        await service.vote(poll.id, MEMBER + 1, [2], [], guild_id=GUILD)
    assert new_voter.value.key == "consultations.errors.poll_closed"
    assert await counts(db) == (1, 1, 1)


async def test_options_cannot_be_edited_once_a_ballot_exists(service: ConsultationService) -> None:
    poll = await service.create(draft())
    edited = await service.edit_options(poll.id, poll.creator_id, "A; B", is_moderator=False, guild_id=GUILD)
    assert [o.label for o in edited.options] == ["A", "B"]
    with pytest.raises(UserFacingError) as other:
        await service.edit_options(poll.id, MEMBER, "C; D", is_moderator=False, guild_id=GUILD)
    assert other.value.key == "consultations.errors.not_poll_manager"
    await service.vote(poll.id, MEMBER, [1], [], guild_id=GUILD)
    with pytest.raises(UserFacingError) as locked:
        await service.edit_options(poll.id, poll.creator_id, "C; D", is_moderator=True, guild_id=GUILD)
    assert locked.value.key == "consultations.errors.options_locked"
    assert [o.label for o in (await service.get(poll.id)).options] == ["A", "B"]


# --- organisation mode ---------------------------------------------------------------------------------


async def test_one_ballot_per_organisation_the_second_representative_replaces_it(
    service: ConsultationService, organisations: OrganisationService, db: Database, clock: FakeClock
) -> None:
    [(org_id, (amara, valentina), _), *_] = await add_organisations(organisations, representatives=2)
    poll = await service.create(draft(voters="organisations"))

    first = await service.vote(poll.id, amara, [1], [], guild_id=GUILD)
    clock.advance(timedelta(minutes=1))
    second = await service.vote(poll.id, valentina, [2], [], guild_id=GUILD)

    assert (first.organisation_id, first.organisation_name) == (org_id, "Mujeres en Minería Perú")
    assert (first.replaced, first.ballot.cast_by) == (False, amara)
    assert (second.replaced, second.previous_cast_by, second.ballot.cast_by) == (True, amara, valentina)
    assert second.ballot.organisation_id == org_id and second.ballot.user_id is None
    assert await counts(db) == (1, 1, 1)
    assert await service.my_ballot(poll.id, amara, guild_id=GUILD) == second.ballot


async def test_a_member_who_is_not_a_representative_is_refused(
    service: ConsultationService, organisations: OrganisationService, db: Database
) -> None:
    [(_, _, [leader]), *_] = await add_organisations(organisations, leaders=1)
    poll = await service.create(draft(voters="organisations"))
    for user in (MEMBER, leader):
        with pytest.raises(UserFacingError) as refused:
            await service.vote(poll.id, user, [1], [], guild_id=GUILD)
        assert refused.value.key == "consultations.errors.not_representative"
    assert await counts(db) == (1, 0, 0)


async def test_a_representative_who_left_keeps_the_ballot_but_cannot_change_it(
    service: ConsultationService, organisations: OrganisationService
) -> None:
    [(org_id, [amara], _), *_] = await add_organisations(organisations)
    poll = await service.create(draft(voters="organisations"))
    receipt = await service.vote(poll.id, amara, [3], [], guild_id=GUILD)
    await organisations.forget_member(GUILD, amara)  # left the server

    with pytest.raises(UserFacingError) as refused:
        await service.vote(poll.id, amara, [1], [], guild_id=GUILD)
    assert refused.value.key == "consultations.errors.not_representative"
    export = await service.export(poll.id, guild_id=GUILD)
    [row] = export.rows
    assert (row.organisation_id, row.choices, row.cast_by) == (org_id, ("Diversity",), amara)
    assert receipt.ballot.choices == (3,)


# --- bursts --------------------------------------------------------------------------------------------


async def test_a_thousand_concurrent_votes_are_all_stored_none_doubled(
    service: ConsultationService, db: Database
) -> None:
    poll = await service.create(draft())
    voters = [MEMBER + n for n in range(1000)]
    receipts = await asyncio.gather(
        *(service.vote(poll.id, u, [1 + u % 3], [], guild_id=GUILD) for u in voters)
    )

    assert len({r.ballot.id for r in receipts}) == 1000
    assert await counts(db) == (1, 1000, 1000)
    assert (await service.get(poll.id)).ballot_count == 1000
    assert len(await timers_of(db, POLL_REFRESH)) == 1
    tally = await service.tally(poll.id)
    assert sum(o.count for o in tally.options) == 1000


async def test_concurrent_clicks_for_one_organisation_leave_exactly_one_ballot(
    service: ConsultationService, organisations: OrganisationService, db: Database
) -> None:
    made = await add_organisations(organisations, representatives=3)
    poll = await service.create(draft(voters="organisations"))
    reps = [rep for _, org_reps, _ in made for rep in org_reps]
    receipts = await asyncio.gather(
        *(service.vote(poll.id, rep, [1 + n % 3], [], guild_id=GUILD) for n in range(50) for rep in reps)
    )

    assert sum(not r.replaced for r in receipts) == 4  # one new ballot per organisation, the rest replace
    assert await counts(db) == (1, 4, 4)
    assert (await service.get(poll.id)).ballot_count == 4
