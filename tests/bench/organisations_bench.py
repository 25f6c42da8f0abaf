"""The organisation directory at scale: 500 organisations, 5,000 linked members.

Targets (issue "Organisation directory"): /org list and /org info handler time p99 under 20 ms; the
export (CSV + Markdown + PNG chart) under 200 ms. Handler time is what the cog does between the
interaction and the reply: the service queries and the embed (or files) it builds.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bot import countries
from bot.app import build_services
from bot.clock import SystemClock
from bot.config import load_config
from bot.db import Database
from bot.i18n import Catalog
from cogs.organisations import _render
from tests.bench._report import distribution, figure, peak_rss_mb
from tests.bench.seeding import MEMBERS, ORGANISATIONS, seed_organisations

ROOT = Path(__file__).resolve().parents[2]
GUILD_ID = 1
CALLS = 1000
EXPORTS = 20


async def build_dataset(path: Path) -> list[int]:
    config = load_config(ROOT / "config.yml")
    db = await Database.open(path)
    services = build_services(config, db, SystemClock())
    started = time.perf_counter()
    ids = await seed_organisations(
        services.organisations, GUILD_ID, [100_000 + user for user in range(MEMBERS)], random.Random(2027)
    )
    figure(
        f"build: {ORGANISATIONS} organisations (OrganisationService.add), {MEMBERS} members (.verify)",
        time.perf_counter() - started,
        "s",
    )
    await db.close()
    return ids


async def bench(path: Path, ids: list[int]) -> bool:
    config = load_config(ROOT / "config.yml")
    db = await Database.open(path)
    service = build_services(config, db, SystemClock()).organisations
    catalog = Catalog.load()
    rng = random.Random(7)
    size = _render.LIST_PAGE_SIZE
    list_samples: list[float] = []
    for _ in range(CALLS):
        lang = rng.choice(("en", "fr", "es"))
        region = rng.choice((None, None, *countries.SUBREGIONS))
        started = time.perf_counter()
        found = await service.list_page(GUILD_ID, region=region, limit=size)
        page = rng.randrange(_render.pages(found.total, size))
        if page:
            found = await service.list_page(GUILD_ID, region=region, limit=size, offset=page * size)
        _render.list_embed(catalog, lang, found, page=page, region=region).to_dict()
        list_samples.append((time.perf_counter() - started) * 1000)
    info_samples: list[float] = []
    for _ in range(CALLS):
        lang = rng.choice(("en", "fr", "es"))
        started = time.perf_counter()
        organisation = await service.resolve(GUILD_ID, str(rng.choice(ids)))
        card = await service.card(GUILD_ID, organisation.id)
        _render.card_embed(catalog, lang, card).to_dict()
        info_samples.append((time.perf_counter() - started) * 1000)
    export_samples: list[float] = []
    started = time.perf_counter()
    await asyncio.to_thread(_render.export_chart, catalog, "en", [])  # matplotlib's one-time import
    figure(
        "export: first chart of the process (matplotlib import)", (time.perf_counter() - started) * 1000, "ms"
    )
    for n in range(EXPORTS):
        lang = ("en", "fr", "es")[n % 3]
        started = time.perf_counter()
        organisations, counts = await service.export(GUILD_ID)
        _render.export_csv(catalog, lang, organisations, counts).encode("utf-8-sig")
        _render.export_markdown(catalog, lang, organisations, datetime.now(UTC).date()).encode()
        await asyncio.to_thread(_render.export_chart, catalog, lang, organisations)
        export_samples.append((time.perf_counter() - started) * 1000)
    await db.close()
    met = distribution(f"/org list handler ({CALLS} calls, any page, with region filter)", list_samples, 20.0)
    met = distribution(f"/org info handler ({CALLS} calls)", info_samples, 20.0) and met
    figure("export (CSV + Markdown + PNG chart) p50", sorted(export_samples)[len(export_samples) // 2], "ms")
    return (
        figure(f"export (CSV + Markdown + PNG chart), worst of {EXPORTS}", max(export_samples), "ms", 200.0)
        and met
    )


async def run(args: argparse.Namespace) -> bool:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.sqlite3"
        ids = await build_dataset(path)
        met = await bench(path, ids)
        figure("peak memory of this process", peak_rss_mb(), "MB")
        return met
