"""Working groups at scale: 50 groups, 5,000 updates and meeting summaries, 2,000 documents and 2,000
approved initiatives.

The data set is ``tests.bench.seeding.seed_working_groups`` (the through-Discord benchmark seeds the
same): synthetic notes, a 5,000-word Zipf-like vocabulary with the searched topic words in about one
word in twelve, so a one-word query matches a few hundred to a few thousand rows.

Targets (issue "Working groups"): /wg search p99 under 20 ms of handler time; /wg info and /wg report
(without the chart) under 20 ms; the chart under 300 ms.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bot.clock import FakeClock
from bot.config import load_config
from bot.db import Database
from bot.i18n import Catalog
from bot.services.timers import TimerService
from bot.services.working_groups import Actor, WorkingGroupService
from cogs.working_groups import _chart, _render
from tests.bench._report import distribution, figure, peak_rss_mb
from tests.bench.seeding import GROUPS, WORDS, seed_working_groups

ROOT = Path(__file__).resolve().parents[2]
GUILD_ID = 1
CALLS = 500
ROLE_BASE = 10_000
CHANNEL_BASE = 20_000


async def build(path: Path) -> tuple[WorkingGroupService, Database, list[int]]:
    config = load_config(ROOT / "config.yml")
    clock = FakeClock(datetime.now(UTC))
    db = await Database.open(path)
    timers = TimerService(db, clock)
    service = WorkingGroupService(db, clock, timers, config)
    started = time.perf_counter()
    seeded = await seed_working_groups(
        service,
        db,
        config,
        GUILD_ID,
        random.Random(2021),
        clock.now(),
        role_ids=[ROLE_BASE + n for n in range(GROUPS)],
        channel_ids=[CHANNEL_BASE + n for n in range(GROUPS)],
        author_ids=[100 + n for n in range(40)],
    )
    elapsed = time.perf_counter() - started
    figure(
        f"build: {GROUPS} groups, {seeded.posts} posts, {seeded.documents} documents, "
        f"{seeded.initiatives} initiatives",
        elapsed,
        "s",
    )
    return service, db, seeded.ids


async def bench_search(service: WorkingGroupService, groups: list[int]) -> bool:
    catalog = Catalog.load()
    rng = random.Random(7)
    samples = []
    for n in range(CALLS):
        roles = frozenset(ROLE_BASE + rng.randrange(GROUPS) for _ in range(3))
        actor = Actor(500 + n, moderator=n % 10 == 0, role_ids=roles)
        query = " ".join(rng.choice(WORDS) for _ in range(rng.choice((1, 1, 2, 3))))
        started = time.perf_counter()
        hits = await service.search(GUILD_ID, query, actor)
        lang = rng.choice(("en", "fr", "es"))
        names = {hit.group_id: hit.group_name.get(lang) for hit in hits}
        _render.search_embed(catalog, lang, query, hits, names, GUILD_ID).to_dict()
        samples.append((time.perf_counter() - started) * 1000)
    return distribution(f"/wg search handler ({CALLS} queries, 1-3 words)", samples, 20.0)


async def bench_info(service: WorkingGroupService, groups: list[int]) -> bool:
    """What /wg info does: the group the option names (its key, from autocomplete), its card as a
    member sees it (with the roundtables it hosts), the embed."""
    catalog = Catalog.load()
    rng = random.Random(8)
    keys = [group.key for group in await service.groups(GUILD_ID, include_archived=True)]
    actor = Actor(500, role_ids=frozenset({ROLE_BASE}))
    samples = []
    for _ in range(CALLS):
        started = time.perf_counter()
        card = await service.find_card(GUILD_ID, rng.choice(keys), actor, include_archived=True)
        lang = rng.choice(("en", "fr", "es"))
        roundtables = _render.roundtable_lines(catalog, lang, card.upcoming, card.past)
        _render.card_embed(catalog, lang, card, members=42, roundtables=roundtables).to_dict()
        samples.append((time.perf_counter() - started) * 1000)
    return distribution(f"/wg info handler ({CALLS} cards, the group found by key)", samples, 20.0)


async def bench_report(service: WorkingGroupService) -> bool:
    catalog = Catalog.load()
    samples = []
    chart = []
    lines = []
    for n in range(100):
        started = time.perf_counter()
        lines = await service.stale.report(GUILD_ID)
        embed, _ = _render.report_embed(catalog, "en", lines, 4)
        embed.to_dict()
        samples.append((time.perf_counter() - started) * 1000)
        if n < 10:
            started = time.perf_counter()
            png = _chart.render(catalog, "fr", lines)
            chart.append((time.perf_counter() - started) * 1000)
            assert png.startswith(b"\x89PNG")
    met = distribution(
        f"/wg report handler without the chart ({len(lines)} groups, 100 calls)", samples, 20.0
    )
    return distribution("/wg report chart (matplotlib PNG, 10 renders)", chart, 300.0) and met


async def run(args: argparse.Namespace) -> bool:
    with tempfile.TemporaryDirectory() as tmp:
        service, db, groups = await build(Path(tmp) / "bench.sqlite3")
        try:
            met = await bench_search(service, groups)
            met = await bench_info(service, groups) and met
            met = await bench_report(service) and met
        finally:
            await db.close()
        figure("peak memory of this process", peak_rss_mb(), "MB")
        return met
