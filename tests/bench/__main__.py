"""Benchmarks for the targets in the issues: ``make bench`` (``python -m tests.bench``).

Figures are printed, never asserted in the test suite: timing depends on the machine. Each benchmark
says its target; the exit code is 1 when a target is missed, so a regression is visible in a run.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Coroutine
from typing import Any

from tests.bench import (
    consultations_bench,
    discord_bench,
    events_bench,
    organisations_bench,
    reminders_bench,
    stats_bench,
    web_bench,
    working_groups_bench,
)

BENCHMARKS: dict[str, Callable[[argparse.Namespace], Coroutine[Any, Any, bool]]] = {
    "events": events_bench.run,
    "reminders": reminders_bench.run,
    "working_groups": working_groups_bench.run,
    "organisations": organisations_bench.run,
    "consultations": consultations_bench.run,
    "web": web_bench.run,
    "stats": stats_bench.run,
    "discord": discord_bench.run,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench", description=__doc__)
    parser.add_argument("only", nargs="*", choices=[*BENCHMARKS, []], help="benchmarks to run (default: all)")
    parser.add_argument("--events", type=int, default=10_000, help="events in the start-up/list data set")
    parser.add_argument("--burst", type=int, default=500, help="reminders due in the same minute")
    parser.add_argument(
        "--starts", type=int, default=100, help='"starting now" posts due in that minute, besides'
    )
    through = parser.add_argument_group("discord: the real bot and a bare bot through the double")
    through.add_argument("--rsvps", type=int, default=30_000, help="RSVPs in the data set")
    through.add_argument("--members", type=int, default=5_000, help="members answering in the data set")
    through.add_argument("--clicks", type=int, default=1_000, help="RSVP clicks in the burst, one per member")
    through.add_argument(
        "--click-seconds", type=float, default=1.0, help="the burst's clicks arrive within this"
    )
    through.add_argument("--votes", type=int, default=1_000, help="vote clicks on a poll, one per member")
    through.add_argument(
        "--vote-seconds", type=float, default=10.0, help="the vote clicks arrive within this"
    )
    through.add_argument("--click-settle", type=float, default=3.0, help="pause after the burst (last edit)")
    through.add_argument("--rounds", type=int, default=400, help="interleaved rounds of every command")
    through.add_argument("--warmup", type=int, default=15, help="rounds not counted")
    through.add_argument(
        "--runtimes", nargs="*", default=[], help="runtimes to compare (default: every one installed)"
    )
    args = parser.parse_args(argv)
    met = True
    for name, bench in BENCHMARKS.items():
        if args.only and name not in args.only:
            continue
        print(f"\n== {name} ==", flush=True)
        met = asyncio.run(bench(args)) and met
    print("\nall targets met" if met else "\nSOME TARGETS MISSED")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
