from __future__ import annotations

from pathlib import Path

from bot.app import build_offline_bot
from bot.config import load_config

ROOT = Path(__file__).resolve().parents[2]


async def test_first_time_is_true_once_per_key_and_kept_in_the_database() -> None:
    bot = await build_offline_bot(load_config(ROOT / "config.yml"))
    try:
        assert await bot.first_time("event-problem:7:channel") is True
        assert await bot.first_time("event-problem:7:channel") is False
        assert await bot.first_time("event-problem:7:role") is True
        stored = await bot.db.fetchval("SELECT count(*) FROM meta WHERE key LIKE 'once:event-problem:7:%'")
        assert stored == 2
    finally:
        await bot.db.close()
