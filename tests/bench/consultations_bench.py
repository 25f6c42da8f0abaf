"""Counting ranked ballots in-process (no database, no Discord).

Targets (issue "Polls, consultations ... and Steering Committee elections"): instant-runoff over 500
ballots and 20 options under 50 ms; single transferable vote over 500 ballots, 20 candidates and 5
seats under 200 ms. Each figure is the worst of several counts of fresh random ballots (partial
rankings of random length, seeded), so the rounds run to the end.
"""

from __future__ import annotations

import argparse
import random
import time

from bot.services.consultations.counting import count_ranked
from tests.bench._report import distribution

BALLOTS = 500
OPTIONS = 20
SEATS = 5
RUNS = 20


def _ballots(rng: random.Random) -> list[list[int]]:
    positions = list(range(1, OPTIONS + 1))
    # Some options are more popular, as in a real consultation: first preferences are skewed.
    weights = [OPTIONS - i for i in range(OPTIONS)]
    ballots = []
    for _ in range(BALLOTS):
        length = rng.randint(1, OPTIONS)
        ranking: list[int] = []
        while len(ranking) < length:
            pick = rng.choices(positions, weights)[0]
            if pick not in ranking:
                ranking.append(pick)
        ballots.append(ranking)
    return ballots


def _time(seats: int, rng: random.Random) -> list[float]:
    samples = []
    positions = list(range(1, OPTIONS + 1))
    for _ in range(RUNS):
        ballots = _ballots(rng)
        started = time.perf_counter()
        result = count_ranked(ballots, positions, seats)
        samples.append((time.perf_counter() - started) * 1000)
        assert len(result.winners) == seats
    return samples


async def run(args: argparse.Namespace) -> bool:
    rng = random.Random(2027)
    count_ranked([[1, 2], [2]], [1, 2], 1)  # first call: imports and caches out of the figures
    irv = _time(1, rng)
    stv = _time(SEATS, rng)
    met = distribution(f"instant-runoff, {BALLOTS} ballots, {OPTIONS} options ({RUNS} counts)", irv, 50.0)
    return (
        distribution(
            f"STV, {BALLOTS} ballots, {OPTIONS} candidates, {SEATS} seats ({RUNS} counts)", stv, 200.0
        )
        and met
    )
