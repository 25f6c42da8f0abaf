"""Small key/value facts the bot keeps about itself (command-tree hashes, one-time notices)."""

from __future__ import annotations

from bot.db import Queryable, Transaction


async def get(conn: Queryable, key: str) -> str | None:
    value = await conn.fetchval("SELECT value FROM meta WHERE key = ?", (key,))
    return None if value is None else str(value)


async def put(tx: Transaction, key: str, value: str) -> None:
    await tx.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )
