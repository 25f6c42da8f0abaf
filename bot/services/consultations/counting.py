"""Counting ranked ballots: instant-runoff for one seat, single transferable vote for several.

Written here rather than taken from a package, after reading the two on the index:

* ``pyrankvote`` 2.0.6 counts wrongly: its instant-runoff elects a candidate holding exactly half of
  the votes (``>= ceil(n / 2)``, so 5 of 10 wins before a 5-5 final round is looked at); its STV quota
  is ``votes / (seats + 1)`` (Hagenbach-Bischoff, although the docstring says Droop), and a surplus is
  shared by the number of ballots a candidate holds, ignoring the value those ballots already carry
  after an earlier transfer.
* ``pyrcv`` 1.2.6 counts the Droop quota and weighted Gregory transfers right (it reproduces the
  published example in the tests), but breaks every tie with ``numpy.random.choice``, unseeded: the
  same ballots could elect someone else in the results posted at the close than in the export made
  afterwards. It is also GPL-3 (this bot is MIT) and imports pandas, plotly, click and icontract.

The rules, stated in every result (``RankedCount.quota_rule``, ``transfer_rule``, ``tie_rule``):

* **Quota**: Droop, ``floor(valid / (seats + 1)) + 1`` over the ballots ranking at least one option.
  With one seat (instant-runoff) a candidate needs more than half of the continuing votes of a round.
* **Transfers**: an elected candidate's surplus moves with every ballot they hold, each at its current
  value times ``surplus / votes`` (the weighted inclusive Gregory method: exact fractions, no random
  sample); an eliminated candidate's ballots move at their full current value. A ballot goes to its
  next preference still hopeful; with none it is exhausted. Surpluses are transferred before any
  elimination; candidates reaching the quota in the same round are elected together, largest first.
* **Ties**: for the lowest (eliminated) or the order of election, the candidate with fewer votes in the
  latest earlier round where the tied candidates differed; if they never differed, the one listed later
  on the ballot is eliminated (elected after). Deterministic: the same ballots always give the same
  rounds.

Counts are exact (``fractions.Fraction``); the rounds carry them as floats for display.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from fractions import Fraction

from bot.services.consultations.model import RankedCount, Round, Transfer

__all__ = ["count_ranked"]


class _Pile:
    """Identical rankings counted together: where they stand now and what they are worth."""

    __slots__ = ("at", "next_index", "ranking", "value")

    def __init__(self, ranking: tuple[int, ...], value: Fraction) -> None:
        self.ranking = ranking
        self.value = value
        self.next_index = 1
        self.at: int | None = ranking[0]


def count_ranked(ballots: Sequence[Sequence[int]], positions: Sequence[int], seats: int) -> RankedCount:
    """Count ``ballots`` (each a ranking of option positions, first preference first) for ``seats``
    among the options at ``positions`` (in ballot order): instant-runoff when ``seats`` is 1, else
    single transferable vote. Positions not in ``positions`` and repeats on a ballot are ignored."""
    if seats < 1:
        raise ValueError("seats must be at least 1")
    known = set(positions)
    order = {position: index for index, position in enumerate(positions)}
    rankings: Counter[tuple[int, ...]] = Counter()
    for ballot in ballots:
        seen: list[int] = []
        for position in ballot:
            if position in known and position not in seen:
                seen.append(position)
        if seen:
            rankings[tuple(seen)] += 1
    valid = sum(rankings.values())
    method = "irv" if seats == 1 else "stv"
    quota = Fraction(valid // (seats + 1) + 1)
    piles = [_Pile(ranking, Fraction(n)) for ranking, n in rankings.items()]
    hopeful = list(positions)
    elected: list[int] = []
    held: dict[int, Fraction] = {}  # an elected candidate keeps the quota
    history: list[dict[int, Fraction]] = []
    rounds: list[Round] = []
    exhausted = Fraction(0)
    if valid == 0:
        return RankedCount(method, seats, 0, float(quota), (), ())

    def ranked_key(position: int, votes: dict[int, Fraction]) -> tuple[Fraction, tuple[Fraction, ...], int]:
        # Higher is better: votes now, then the earlier rounds from the latest back, then the order.
        earlier = tuple(past.get(position, Fraction(0)) for past in reversed(history[:-1]))
        return votes[position], earlier, -order[position]

    def move(pile: _Pile, factor: Fraction, transfers: dict[tuple[int, int | None], Fraction]) -> Fraction:
        """Send ``pile`` on to its next hopeful preference at ``factor`` of its value; returns the
        value exhausted (no further hopeful preference)."""
        source = pile.at
        assert source is not None
        if factor != 1:
            pile.value *= factor
        ranking, index = pile.ranking, pile.next_index
        while index < len(ranking) and ranking[index] not in hopeful_set:
            index += 1
        target = ranking[index] if index < len(ranking) else None
        pile.next_index = index + 1
        pile.at = target
        key = (source, target)
        transfers[key] = transfers.get(key, Fraction(0)) + pile.value
        if target is None:
            return pile.value
        votes[target] += pile.value
        piles_at[target].append(pile)
        return Fraction(0)

    hopeful_set = set(hopeful)
    # Kept as ballots move, so a round costs the ballots that move, not all of them.
    votes: dict[int, Fraction] = {position: Fraction(0) for position in hopeful}
    piles_at: dict[int, list[_Pile]] = {position: [] for position in hopeful}
    for pile in piles:
        assert pile.at is not None
        votes[pile.at] += pile.value
        piles_at[pile.at].append(pile)
    while len(elected) < seats and hopeful:
        history.append({position: votes[position] for position in hopeful})
        shown = tuple([(p, float(held[p])) for p in elected] + [(p, float(votes[p])) for p in hopeful])
        exhausted_before = exhausted
        transfers: dict[tuple[int, int | None], Fraction] = {}
        now_elected: list[int] = []
        eliminated: list[int] = []
        tie_broken = False
        ranked = sorted(hopeful, key=lambda p: ranked_key(p, votes), reverse=True)
        continuing = sum((votes[p] for p in hopeful), Fraction(0))
        if len(hopeful) <= seats - len(elected):
            now_elected = ranked
        elif method == "irv":
            quota = Fraction(continuing // 2 + 1)
            leader = ranked[0]
            if votes[leader] * 2 > continuing:
                now_elected = [leader]
        else:
            now_elected = [p for p in ranked if votes[p] >= quota]
        if now_elected:
            for position in now_elected:
                hopeful.remove(position)
                hopeful_set.discard(position)
                elected.append(position)
                held[position] = min(votes[position], quota) if method == "stv" else votes[position]
            if len(elected) < seats:
                for position in now_elected:
                    surplus = votes[position] - quota
                    if surplus <= 0:
                        continue
                    factor = surplus / votes[position]
                    for pile in piles_at.pop(position):
                        exhausted += move(pile, factor, transfers)
        else:
            lowest = ranked[-1]
            tied = [p for p in hopeful if votes[p] == votes[lowest]]
            tie_broken = len(tied) > 1
            eliminated = [lowest]
            hopeful.remove(lowest)
            hopeful_set.discard(lowest)
            for pile in piles_at.pop(lowest):
                exhausted += move(pile, Fraction(1), transfers)
        rounds.append(
            Round(
                number=len(rounds) + 1,
                votes=shown,
                exhausted=float(exhausted_before),
                elected=tuple(now_elected),
                eliminated=tuple(eliminated),
                transfers=tuple(
                    Transfer(source, target, float(value))
                    for (source, target), value in sorted(
                        transfers.items(),
                        key=lambda item: (order[item[0][0]], _target_order(item[0][1], order)),
                    )
                    if value > 0
                ),
                tie_broken=tie_broken,
            )
        )
    return RankedCount(method, seats, valid, float(quota), tuple(elected), tuple(rounds))


def _target_order(target: int | None, order: dict[int, int]) -> int:
    return len(order) if target is None else order[target]
