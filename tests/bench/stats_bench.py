"""The digest, /stats and the newsletter over a server with a history.

Targets (issue "Weekly digest, the bi-monthly newsletter draft, and the engagement report"): with
500 organisations, 5,000 members, 2,000 events, 200 polls with 100,000 ballots and 10,000
working-group entries, a digest built in under 200 ms, /stats under 1 s including its charts, the
newsletter under 2 s. The organisations and the working groups' archive are the shared data sets
(``tests.bench.seeding``); the events (40 weekly series of 50 dates, a year back and a few weeks
ahead, with RSVPs, check-ins and meeting-link clicks) and the consultations (200 closed polls of the
organisations, one ballot from each of the 500) are written in bulk in one transaction.

The shared archive dates its 5,000 posts within days of ``NOW``, so all of them fall in the digest's
week and in the newsletter's two months, where a real week has a few dozen: the digest's figure is
its worst case (its working groups' section reads only the entries it shows, however many there
are), and the newsletter lists every one of the 5,000 updates with 30 consultations' charts.

Every figure is measured in the process after a first build of its kind: the first /stats of a
process also imports matplotlib (printed on its own line; the bot pays it once, at the first chart
after a start, and ``python -m bot newsletter`` at each run, with its other imports).
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.app import build_services
from bot.clock import FakeClock
from bot.config import load_config
from bot.db import Database
from bot.services.newsletter import gather, render, with_charts
from bot.timeutil import utc_iso
from tests.bench._report import distribution, figure
from tests.bench.seeding import MEMBERS, seed_organisations, seed_working_groups

ROOT = Path(__file__).resolve().parents[2]
GUILD_ID = 1
NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
SERIES = 40
DATES = 50  # per series: 2,000 events
POLLS = 200
RUNS = 10


async def _seed_events(db: Database, rng: random.Random, members: list[int]) -> None:
    first = NOW - timedelta(weeks=DATES - 4)
    async with db.transaction() as tx:
        for s in range(SERIES):
            series_id = await tx.insert(
                "INSERT INTO event_series (guild_id, title, link, timezone, local_start, duration_minutes,"
                " recurrence, channel_id, organiser_id, created_at)"
                " VALUES (?, ?, ?, 'UTC', ?, 60, 'weekly', 1, 9, ?)",
                (
                    GUILD_ID,
                    f"{'Global WIM Call' if s % 4 == 0 else 'Roundtable'} {s}",
                    "https://meet.example.org/wim" if s % 2 == 0 else None,
                    first.strftime("%Y-%m-%d %H:%M"),
                    utc_iso(first),
                ),
            )
            for d in range(DATES):
                starts = first + timedelta(weeks=d, hours=s % 12)
                occurrence_id = await tx.insert(
                    "INSERT INTO event_occurrences (series_id, guild_id, original_start, starts_at, ends_at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (
                        series_id,
                        GUILD_ID,
                        utc_iso(starts),
                        utc_iso(starts),
                        utc_iso(starts + timedelta(hours=1)),
                    ),
                )
                going = rng.sample(members, 30)
                await tx.executemany(
                    "INSERT INTO event_rsvps (occurrence_id, user_id, status, updated_at)"
                    " VALUES (?, ?, 'going', ?)",
                    [(occurrence_id, user, utc_iso(starts)) for user in going],
                )
                if starts < NOW:
                    await tx.executemany(
                        "INSERT INTO event_check_ins (occurrence_id, user_id, checked_in_at)"
                        " VALUES (?, ?, ?)",
                        [(occurrence_id, user, utc_iso(starts)) for user in going[: rng.randint(5, 30)]],
                    )
                    if s % 2 == 0:
                        await tx.executemany(
                            "INSERT INTO event_link_clicks (occurrence_id, user_id, clicks, first_clicked_at,"
                            " last_clicked_at) VALUES (?, ?, ?, ?, ?)",
                            [
                                (occurrence_id, user, 2, utc_iso(starts), utc_iso(starts))
                                for user in going[:12]
                            ],
                        )


async def _seed_polls(db: Database, organisations: list[int]) -> None:
    async with db.transaction() as tx:
        regions = {
            row["id"]: row["region"]
            for row in await tx.fetchall(
                "SELECT id, region FROM organisations WHERE guild_id = ?", (GUILD_ID,)
            )
        }
        by_region: dict[str, int] = {}
        for region in regions.values():
            by_region[region] = by_region.get(region, 0) + 1
        eligible = {"total": len(regions), "regions": by_region}
        for p in range(POLLS):
            closed = NOW - timedelta(days=2 * (POLLS - p))
            poll_id = await tx.insert(
                "INSERT INTO polls (guild_id, channel_id, creator_id, question, kind, voters, opens_at,"
                " closes_at, status, closed_at, eligible, created_at)"
                " VALUES (?, 1, 9, ?, 'single', 'organisations', ?, ?, 'closed', ?, ?, ?)",
                (
                    GUILD_ID,
                    f"Consultation {p}: adopt the proposal?",
                    utc_iso(closed - timedelta(days=7)),
                    utc_iso(closed),
                    utc_iso(closed),
                    json.dumps(eligible),
                    utc_iso(closed - timedelta(days=7)),
                ),
            )
            await tx.executemany(
                "INSERT INTO poll_options (poll_id, position, label, label_key) VALUES (?, ?, ?, ?)",
                [(poll_id, 1, "Yes", "yes"), (poll_id, 2, "No", "no"), (poll_id, 3, "Abstain", "abstain")],
            )
            for index, organisation_id in enumerate(organisations):
                ballot_id = await tx.insert(
                    "INSERT INTO poll_ballots (poll_id, organisation_id, cast_by, cast_at, first_cast_at)"
                    " VALUES (?, ?, 9, ?, ?)",
                    (poll_id, organisation_id, utc_iso(closed), utc_iso(closed)),
                )
                await tx.execute(
                    "INSERT INTO poll_choices (ballot_id, poll_id, position, rank) VALUES (?, ?, ?, 1)",
                    (ballot_id, poll_id, 1 + (index + p) % 3),
                )


async def run(args: argparse.Namespace) -> bool:
    config = load_config(ROOT / "config.yml")
    clock = FakeClock(NOW)
    with tempfile.TemporaryDirectory() as folder:
        db = await Database.open(Path(folder) / "bench.db")
        try:
            services = build_services(config, db, clock)
            rng = random.Random(2027)
            members = [100_000 + user for user in range(MEMBERS)]
            started = time.perf_counter()
            organisations = await seed_organisations(services.organisations, GUILD_ID, members, rng)
            await seed_working_groups(
                services.working_groups,
                db,
                config,
                GUILD_ID,
                rng,
                NOW,
                role_ids=[7000 + n for n in range(20)],
                channel_ids=[8000 + n for n in range(20)],
                author_ids=members[:200],
            )
            await _seed_events(db, rng, members)
            await _seed_polls(db, organisations)
            ballots = await db.fetchval("SELECT count(*) FROM poll_ballots")
            events = await db.fetchval("SELECT count(*) FROM event_occurrences")
            figure(
                f"build: {events} events, {POLLS} polls, {ballots} ballots, archive",
                time.perf_counter() - started,
                "s",
            )

            await services.digest.build(GUILD_ID, NOW - timedelta(days=7), NOW, "en")  # warm caches
            digest = []
            for n in range(RUNS):
                began = time.perf_counter()
                await services.digest.build(GUILD_ID, NOW - timedelta(days=7), NOW, ("en", "fr", "es")[n % 3])
                digest.append((time.perf_counter() - began) * 1000)
            met = distribution(f"digest built ({RUNS} builds, a week)", digest, 200.0)

            began = time.perf_counter()
            report = await services.stats.report(GUILD_ID, services.stats.period("90d"))
            await services.stats.render(report, "en")
            figure(
                "first /stats of the process (imports matplotlib)", (time.perf_counter() - began) * 1000, "ms"
            )
            stats = []
            for n in range(RUNS):
                began = time.perf_counter()
                period = services.stats.period(("90d", "2026-Q4", "1y")[n % 3])
                report = await services.stats.report(GUILD_ID, period)
                rendered = await services.stats.render(report, "en")
                stats.append((time.perf_counter() - began) * 1000)
                assert sum(1 for s in rendered.sections if s.chart) >= 4
            met = distribution(f"/stats with its charts and CSV ({RUNS} reports)", stats, 1000.0) and met

            newsletter = []
            for _ in range(RUNS):
                began = time.perf_counter()
                data = await db.read(
                    gather, GUILD_ID, (NOW - timedelta(days=61)).date(), NOW.date(), NOW, config.zone, "en"
                )
                data = with_charts(services.digest.catalog, "en", data)
                for fmt in ("markdown", "html"):
                    render(services.digest.catalog, "en", data, fmt)
                newsletter.append((time.perf_counter() - began) * 1000)
            met = (
                distribution(f"newsletter, Markdown and HTML ({RUNS} drafts, 2 months)", newsletter, 2000.0)
                and met
            )
        finally:
            await db.close()
    return met
