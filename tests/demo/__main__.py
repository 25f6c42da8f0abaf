"""``python -m tests.demo``: play the tour, print the transcript, write the HTML page."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tests.demo.tour import REPO, run_tour
from tests.demo.transcript import render_html, render_text

TITLE = "WIM Alliance bot: a guided tour"
INTRO = (
    "The real bot, unmodified, running against a local stand-in for Discord with a seeded Alliance server "
    "and the shipped config.yml. Moderators of the Secretariat and the Steering Committee, WIM leaders and "
    "members whose Discord is in English, French or Spanish use it as they would on Discord; time moves "
    "forward with a test clock."
)


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise argparse.ArgumentTypeError(f"{value!r} is not an IANA time zone (e.g. Europe/Paris)") from exc
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tests.demo", description=__doc__)
    parser.add_argument(
        "--reader-zone",
        type=_zone,
        default="UTC",
        help="time zone the page and transcript show channel posts' times in (default: UTC)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=REPO / "data" / "demo" / "index.html",
        help="the HTML page to write; the bot's database and log go next to it "
        "(default: data/demo/index.html)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    output: Path = args.output.resolve()
    began = time.monotonic()
    result = asyncio.run(run_tour(output.parent, reader_zone=args.reader_zone))
    print(render_text(result.transcript))
    output.write_text(
        render_html(result.transcript, title=TITLE, intro=INTRO, cast=result.cast.everyone()),
        encoding="utf-8",
    )
    print(f"Wrote {output} ({len(result.transcript.scenes)} scenes, {time.monotonic() - began:.0f} s).")
    if result.violations:
        print("The double recorded what Discord would have refused:", *result.violations, sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
