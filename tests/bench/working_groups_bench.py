"""Working groups at scale: 50 groups, 5,000 updates and meeting summaries, 2,000 documents and 2,000
approved initiatives.

The notes are synthetic: a 5,000-word Zipf-like vocabulary with the searched topic words in about
one word in twelve, so a one-word query matches a few hundred to a few thousand rows.

Targets (issue "Working groups"): /wg search p99 under 20 ms of handler time; /wg info and /wg report
(without the chart) under 20 ms; the chart under 300 ms.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.clock import FakeClock
from bot.config import load_config
from bot.db import Database
from bot.i18n import Catalog
from bot.repositories import working_groups as repo
from bot.services.timers import TimerService
from bot.services.working_groups import Actor, WorkingGroupService
from bot.timeutil import utc_iso
from cogs.working_groups import _chart, _render
from tests.bench._report import distribution, figure, peak_rss_mb

ROOT = Path(__file__).resolve().parents[2]
GUILD_ID = 1
GROUPS = 50
PRIVATE_EVERY = 5  # every fifth group is private
POSTS = 5000
DOCUMENTS = 2000
INITIATIVES = 2000
CALLS = 500
WORDS = (
    "réunion mentorat données indicateurs EPI sécurité mining mentoring data metrics retention "
    "attraction returners outreach scholarship sponsorship programme survey index white paper "
    "guide recommendations intersectionality childcare shift design procurement supply chain "
    "liderazgo minería mujeres encuesta informe índice"
).split()


# Meeting notes are mostly ordinary words: a vocabulary of 5,000 with Zipf-like frequencies, and the
# topic words members search for in about one word in twelve.
FILLER = [f"mot{n}" for n in range(5000)]
FILLER_WEIGHTS = [1 / (n + 1) for n in range(len(FILLER))]
TOPIC_SHARE = 1 / 12


def sentence(rng: random.Random, words: int) -> str:
    filler = rng.choices(FILLER, weights=FILLER_WEIGHTS, k=words)
    return " ".join(rng.choice(WORDS) if rng.random() < TOPIC_SHARE else word for word in filler)


async def build(path: Path) -> tuple[WorkingGroupService, Database, list[int]]:
    config = load_config(ROOT / "config.yml")
    clock = FakeClock(datetime.now(UTC))
    db = await Database.open(path)
    timers = TimerService(db, clock)
    service = WorkingGroupService(db, clock, timers, config)
    rng = random.Random(2021)
    moderator = Actor(9, moderator=True)
    started = time.perf_counter()
    await service.seed(GUILD_ID, config.working_groups)
    for n in range(len(config.working_groups), GROUPS):
        await service.create(
            GUILD_ID,
            key=f"wg{n + 1}-bench",
            name=f"WG{n + 1} – Thematic group {n + 1}",
            lang=rng.choice(("en", "fr", "es")),
            stake=sentence(rng, 20),
            mandate=sentence(rng, 20),
            private=n % PRIVATE_EVERY == 0,
            role_id=10_000 + n,
            channel_id=20_000 + n,
            actor=moderator,
        )
    groups = [g.id for g in await service.groups(GUILD_ID)]
    for index, group_id in enumerate(groups[: len(config.working_groups)]):
        await service.set_discord(group_id, role_id=10_000 + index, channel_id=20_000 + index)
    now = clock.now()
    async with db.transaction() as tx:
        for n in range(POSTS):
            group_id = rng.choice(groups)
            kind = "summary" if n % 4 == 0 else "update"
            post_id = await repo.insert_post(
                tx,
                group_id,
                kind=kind,
                author_id=100 + n % 40,
                title=sentence(rng, 4) if kind == "summary" else None,
                body=sentence(rng, 60 if kind == "update" else 300),
                occurrence_id=None,
                now=now - timedelta(minutes=n),
            )
            await repo.set_post_message(tx, post_id, 20_000, 1_000_000 + n)
        for n in range(DOCUMENTS):
            await repo.insert_document(
                tx, rng.choice(groups), sentence(rng, 5), f"https://example.org/doc/{n}", 9, now
            )
        for n in range(INITIATIVES):
            initiative_id = await tx.insert(
                "INSERT INTO wg_initiatives (group_id, submitted_by, title, organisation, country, link, "
                "description, kind, language, submitted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    rng.choice(groups),
                    100 + n % 40,
                    sentence(rng, 5),
                    f"WIM organisation {n % 70}",
                    rng.choice(("Peru", "Canada", "Ghana", "France", "Chile", "Australia")),
                    f"https://example.org/initiative/{n}",
                    sentence(rng, 40),
                    rng.choice(("programme", "campaign", "policy", "provider", "resource")),
                    "en",
                    utc_iso(now),
                ),
            )
            await tx.execute("UPDATE wg_initiatives SET status = 'approved' WHERE id = ?", (initiative_id,))
        for group_id in groups:
            for _ in range(8):
                await repo.insert_workplan_item(
                    tx,
                    group_id,
                    repo.Texts({"en": sentence(rng, 12)}),
                    rng.choice(("in_progress", "completed")),
                    now,
                )
    elapsed = time.perf_counter() - started
    figure(
        f"build: {GROUPS} groups, {POSTS} posts, {DOCUMENTS} documents, {INITIATIVES} initiatives",
        elapsed,
        "s",
    )
    return service, db, groups


async def bench_search(service: WorkingGroupService, groups: list[int]) -> bool:
    catalog = Catalog.load()
    rng = random.Random(7)
    names = {g.id: g.name.get("en") for g in await service.groups(GUILD_ID, include_archived=True)}
    samples = []
    for n in range(CALLS):
        roles = frozenset(10_000 + rng.randrange(GROUPS) for _ in range(3))
        actor = Actor(500 + n, moderator=n % 10 == 0, role_ids=roles)
        query = " ".join(rng.choice(WORDS) for _ in range(rng.choice((1, 1, 2, 3))))
        started = time.perf_counter()
        hits = await service.search(GUILD_ID, query, actor)
        _render.search_embed(catalog, rng.choice(("en", "fr", "es")), query, hits, names, GUILD_ID).to_dict()
        samples.append((time.perf_counter() - started) * 1000)
    return distribution(f"/wg search handler ({CALLS} queries, 1-3 words)", samples, 20.0)


async def bench_info(service: WorkingGroupService, groups: list[int]) -> bool:
    catalog = Catalog.load()
    rng = random.Random(8)
    samples = []
    for _ in range(CALLS):
        started = time.perf_counter()
        group_id = rng.choice(groups)
        card = await service.card(group_id)
        upcoming, past = await service.roundtables(group_id)
        lang = rng.choice(("en", "fr", "es"))
        roundtables = _render.roundtable_lines(catalog, lang, upcoming, past)
        _render.card_embed(catalog, lang, card, members=42, roundtables=roundtables).to_dict()
        samples.append((time.perf_counter() - started) * 1000)
    return distribution(f"/wg info handler ({CALLS} cards)", samples, 20.0)


async def bench_report(service: WorkingGroupService) -> bool:
    catalog = Catalog.load()
    samples = []
    chart = []
    lines = []
    for n in range(100):
        started = time.perf_counter()
        lines = await service.report(GUILD_ID)
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
