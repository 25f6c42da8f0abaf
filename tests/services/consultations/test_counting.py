"""The ranked count against published worked examples, and its tie rule.

* STV: the food election of Wikipedia's "Single transferable vote" article (20 voters, 3 seats,
  Droop quota 6): Chocolate is elected in round 1 and its surplus of 6 goes to Strawberries (4) and
  Hamburgers (2); Pears is eliminated and elects Oranges with 6; Hamburgers is eliminated and
  Strawberries takes the last seat. Elected: Chocolate, Oranges, Strawberries.
* IRV: the Tennessee capital example of Wikipedia's "Instant-runoff voting" article (Memphis 42%,
  Nashville 26%, Chattanooga 15%, Knoxville 17%): Chattanooga, then Nashville are eliminated and
  Knoxville wins with 58 against 42; and the library example of Lippman's *Math in Society*
  (OpenTextBookStore, "Voting Theory"): L 66, F 39, C 45 of 150; F is eliminated and L wins 79-71.
  (A FairVote worked example with its figures was not at hand; these two are published with theirs.)
"""

from __future__ import annotations

from bot.services.consultations import ConsultationService, Transfer, count_ranked
from bot.services.consultations.model import QUOTA_RULE, TIE_RULE, TRANSFER_RULE
from bot.services.organisations import OrganisationService
from tests.services.consultations.helpers import GUILD, MODERATOR, add_organisations, draft

ORANGES, PEARS, CHOCOLATE, STRAWBERRIES, HAMBURGERS = 1, 2, 3, 4, 5


def test_stv_food_election_of_wikipedia() -> None:
    ballots = (
        [[ORANGES, PEARS]] * 4
        + [[PEARS, ORANGES]] * 2
        + [[CHOCOLATE, STRAWBERRIES]] * 8
        + [[CHOCOLATE, HAMBURGERS]] * 4
        + [[STRAWBERRIES]]
        + [[HAMBURGERS]]
    )
    result = count_ranked(ballots, [1, 2, 3, 4, 5], 3)

    assert (result.method, result.valid_ballots, result.quota) == ("stv", 20, 6.0)
    assert result.winners == (CHOCOLATE, ORANGES, STRAWBERRIES)
    r1, r2, r3, r4, r5 = result.rounds
    assert dict(r1.votes) == {ORANGES: 4, PEARS: 2, CHOCOLATE: 12, STRAWBERRIES: 1, HAMBURGERS: 1}
    assert r1.elected == (CHOCOLATE,)
    assert r1.transfers == (Transfer(CHOCOLATE, STRAWBERRIES, 4.0), Transfer(CHOCOLATE, HAMBURGERS, 2.0))
    assert dict(r2.votes) == {CHOCOLATE: 6, ORANGES: 4, PEARS: 2, STRAWBERRIES: 5, HAMBURGERS: 3}
    assert (r2.elected, r2.eliminated) == ((), (PEARS,))
    assert r2.transfers == (Transfer(PEARS, ORANGES, 2.0),)
    assert dict(r3.votes)[ORANGES] == 6 and r3.elected == (ORANGES,) and r3.transfers == ()
    assert r4.eliminated == (HAMBURGERS,) and r4.transfers == (Transfer(HAMBURGERS, None, 3.0),)
    assert (r5.elected, r5.exhausted) == ((STRAWBERRIES,), 3.0)
    assert (result.quota_rule, result.transfer_rule, result.tie_rule) == (QUOTA_RULE, TRANSFER_RULE, TIE_RULE)


def test_irv_tennessee_capital_of_wikipedia() -> None:
    memphis, nashville, chattanooga, knoxville = 1, 2, 3, 4
    ballots = (
        [[memphis, nashville, chattanooga, knoxville]] * 42
        + [[nashville, chattanooga, knoxville, memphis]] * 26
        + [[chattanooga, knoxville, nashville, memphis]] * 15
        + [[knoxville, chattanooga, nashville, memphis]] * 17
    )
    result = count_ranked(ballots, [1, 2, 3, 4], 1)

    assert result.method == "irv" and result.winners == (knoxville,)
    assert [r.eliminated for r in result.rounds] == [(chattanooga,), (nashville,), ()]
    assert result.rounds[0].transfers == (Transfer(chattanooga, knoxville, 15.0),)
    assert dict(result.rounds[1].votes) == {memphis: 42, nashville: 26, knoxville: 32}
    assert dict(result.rounds[2].votes) == {memphis: 42, knoxville: 58}
    assert result.quota == 51.0


def test_irv_library_example_of_math_in_society() -> None:
    library, fire, coffee = 1, 2, 3
    ballots = (
        [[library, fire, coffee]] * 41
        + [[library, coffee, fire]] * 25
        + [[fire, library, coffee]] * 13
        + [[fire, coffee, library]] * 26
        + [[coffee, fire, library]] * 30
        + [[coffee, library, fire]] * 15
    )
    result = count_ranked(ballots, [1, 2, 3], 1)
    assert dict(result.rounds[0].votes) == {library: 66, fire: 39, coffee: 45}
    assert result.rounds[0].eliminated == (fire,)
    assert dict(result.rounds[1].votes) == {library: 79, coffee: 71}
    assert result.winners == (library,)


def test_half_the_votes_is_not_a_majority_and_ties_follow_the_earlier_rounds() -> None:
    # A 5, B 4, C 1 -> C's ballot goes to B: 5-5. B had fewer votes in round 1, so B is eliminated.
    result = count_ranked([[1]] * 5 + [[2]] * 4 + [[3, 2]], [1, 2, 3], 1)
    assert [r.eliminated for r in result.rounds] == [(3,), (2,), ()]
    assert result.rounds[1].tie_broken and result.winners == (1,)
    # Never differed: the option listed later is eliminated, the same way every time.
    assert count_ranked([[1], [2]], [1, 2], 1).winners == (1,)
    assert count_ranked([[1], [2]], [2, 1], 1).winners == (2,)


def test_repeats_unknown_options_and_empty_ballots_are_ignored() -> None:
    result = count_ranked([[9], [], [1, 1, 2], [2]], [1, 2], 1)
    assert result.valid_ballots == 2
    assert count_ranked([], [1, 2], 1).winners == ()


async def test_a_ranked_poll_tally_carries_the_rounds(
    service: ConsultationService, organisations: OrganisationService
) -> None:
    made = await add_organisations(organisations)
    poll = await service.create(draft(kind="ranked", voters="organisations"))
    for (_, [rep], _), ranking in zip(made, ([1, 2], [1, 3], [2, 3], [3, 2]), strict=True):
        await service.vote(poll.id, rep, ranking, [], guild_id=GUILD)
    tally = await service.tally(poll.id, viewer_is_moderator=True)
    assert tally.ranked is not None and tally.ranked.method == "irv"
    assert [o.count for o in tally.options] == [2, 1, 1]  # first preferences
    # 2 and 3 tie last and never differed: 3 (listed later) goes; 1 and 2 then tie, 2 had fewer.
    assert tally.winners == tally.ranked.winners == (1,)
    await service.close(poll.id, MODERATOR, is_moderator=True, guild_id=GUILD)
