"""The through-Discord benchmark's bookkeeping (the benchmark itself runs in make bench, not here)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.bench import discord_bench


def synthetic_result() -> dict[str, object]:
    latency = {"n": 10, "p50_ms": 1.0, "p99_ms": 2.0, "max_ms": 3.0, "unanswered": 0}
    return {
        "variant": "default",
        "latency": {"ping": latency, "about": {**latency, "p99_ms": 3.0}},
        "labels": {"ping": "/ping (bare bot)", "about": "/about"},
        "ratio_targets": {"about": 2.0},
        "burst": {
            "clicks": 1000,
            "within_s": 1.0,
            "sent_over_s": 1.1,
            "bot": {**latency, "p99_ms": 200.0, "max_ms": 400.0},
            "bare": latency,
            "stored": 1000,
            "announcement_edits": 3,
            "min_edit_gap_s": 2.0,
            "final_count_shown": True,
        },
        "startup": {"pending_timers": 50_000, "bot_s": 0.6, "bare_s": 0.5},
        "memory": {
            "bot_peak_mb": 70.0,
            "bare_peak_mb": 50.0,
            "bot_rss_mb": [60.0, 61.0],
            "bare_rss_mb": [50.0],
        },
    }


def test_every_ratio_is_a_key_ending_in_ratio_with_its_target() -> None:
    rows = discord_bench.figures(synthetic_result())
    by_key = {key: (value, target, met) for key, _, value, _, target, met in rows}
    assert by_key["about_p99_ratio"] == (1.5, 2.0, True)
    assert by_key["startup_ratio"][0] == 0.6 / 0.5 and by_key["startup_ratio"][2] is True
    assert by_key["memory_peak_ratio"] == (1.4, 1.5, True)
    assert by_key["burst_p99_ms"][2] is True and by_key["burst_stored"][2] is True
    assert by_key["memory_bot_growth_mb"][0] == 1.0
    assert all(key.endswith(("_ms", "_s", "_mb", "_ratio", "_stored", "_shown")) for key in by_key)


def test_a_seeded_database_is_pointed_at_a_doubles_guild_and_channels(tmp_path: Path) -> None:
    path = tmp_path / "seed.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE things (id INTEGER PRIMARY KEY, guild_id INTEGER, channel_id INTEGER)")
    conn.execute("CREATE TABLE other (id INTEGER PRIMARY KEY, announcement_channel_id INTEGER)")
    conn.executemany(
        "INSERT INTO things (guild_id, channel_id) VALUES (?, ?)",
        [(discord_bench.SEED_GUILD, discord_bench.SEED_CHANNEL_BASE + n) for n in range(3)],
    )
    conn.execute(
        "INSERT INTO other (announcement_channel_id) VALUES (?)", (discord_bench.SEED_CHANNEL_BASE + 1,)
    )
    conn.commit()
    conn.close()
    discord_bench._adopt(path, 777, [901, 902, 903])
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("SELECT guild_id, channel_id FROM things ORDER BY id").fetchall() == [
            (777, 901),
            (777, 902),
            (777, 903),
        ]
        assert conn.execute("SELECT announcement_channel_id FROM other").fetchone() == (902,)
    finally:
        conn.close()


def test_seeded_roles_and_timer_payloads_are_pointed_at_the_double_too(tmp_path: Path) -> None:
    path = tmp_path / "seed.db"
    conn = sqlite3.connect(path)
    conn.execute(
        "CREATE TABLE wg_groups (id INTEGER PRIMARY KEY, guild_id INTEGER, role_id INTEGER, "
        "channel_id INTEGER)"
    )
    conn.execute("CREATE TABLE timers (id INTEGER PRIMARY KEY, payload TEXT)")
    base_channel, base_role = discord_bench.SEED_CHANNEL_BASE, discord_bench.SEED_ROLE_BASE
    conn.executemany(
        "INSERT INTO wg_groups (guild_id, role_id, channel_id) VALUES (?, ?, ?)",
        [(discord_bench.SEED_GUILD, base_role + n, base_channel + 1 + n) for n in range(2)]
        + [(discord_bench.SEED_GUILD, None, None)],  # a group the bot is still to provision
    )
    conn.executemany(
        "INSERT INTO timers (payload) VALUES (?)",
        [(f'{{"guild_id": {discord_bench.SEED_GUILD}, "user_id": 5}}',), ('{"guild_id": 42}',)],
    )
    conn.commit()
    conn.close()
    discord_bench._adopt(path, 777, [901, 902, 903], [801, 802])
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("SELECT guild_id, role_id, channel_id FROM wg_groups ORDER BY id").fetchall() == [
            (777, 801, 902),
            (777, 802, 903),
            (777, None, None),
        ]
        payloads = [row[0] for row in conn.execute("SELECT json_extract(payload, '$.guild_id') FROM timers")]
        assert payloads == [777, 42]
        assert conn.execute(
            "SELECT json_extract(payload, '$.user_id') FROM timers WHERE id = 1"
        ).fetchone() == (5,)
    finally:
        conn.close()
