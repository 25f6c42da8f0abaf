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


async def put_if_absent(tx: Transaction, key: str, value: str) -> bool:
    """Store ``key`` unless it exists; True when this call stored it."""
    cursor = await tx.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING", (key, value)
    )
    return cursor.rowcount == 1
