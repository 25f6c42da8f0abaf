"""SQL for ``member_settings``: one row per (guild, member), created on the first change."""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Mapping

import msgspec

from bot.db import Database, Queryable, Transaction


class MemberSettings(msgspec.Struct, frozen=True):
    guild_id: int
    user_id: int
    timezone: str | None  # IANA name; None = not set (the guild's zone applies)
    dm_reminders: bool  # True unless the member turned reminder DMs off
    language: str | None = None  # "en"/"fr"/"es" from their last interaction; None = not known yet


async def get(conn: Queryable, guild_id: int, user_id: int) -> MemberSettings:
    """The member's settings, or the defaults (no zone, DMs on) when the member never set anything."""
    row = await conn.fetchone(
        "SELECT timezone, dm_reminders, language FROM member_settings WHERE guild_id = ? AND user_id = ?",
        (guild_id, user_id),
    )
    if row is None:
        return MemberSettings(guild_id, user_id, timezone=None, dm_reminders=True)
    return MemberSettings(
        guild_id,
        user_id,
        timezone=row["timezone"],
        dm_reminders=bool(row["dm_reminders"]),
        language=row["language"],
    )


async def languages(conn: Queryable, guild_id: int, user_ids: Collection[int]) -> dict[int, str]:
    """The remembered language of each of these members who has one (one query)."""
    if not user_ids:
        return {}
    marks = ", ".join("?" for _ in user_ids)
    rows = await conn.fetchall(
        f"SELECT user_id, language FROM member_settings WHERE guild_id = ? AND user_id IN ({marks}) "  # noqa: S608
        "AND language IS NOT NULL",
        [guild_id, *user_ids],
    )
    return {int(row["user_id"]): str(row["language"]) for row in rows}


async def settings_of(conn: Queryable, guild_id: int, user_ids: Collection[int]) -> dict[int, MemberSettings]:
    """Settings of each of these members in one query; defaults for those without a row."""
    ids = list(dict.fromkeys(user_ids))
    found = {user_id: MemberSettings(guild_id, user_id, timezone=None, dm_reminders=True) for user_id in ids}
    # SQLite allows 32,766 parameters; stay far below it per statement.
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ", ".join("?" for _ in chunk)
        rows = await conn.fetchall(
            "SELECT user_id, timezone, dm_reminders, language FROM member_settings "  # noqa: S608
            f"WHERE guild_id = ? AND user_id IN ({marks})",
            [guild_id, *chunk],
        )
        for row in rows:
            user_id = int(row["user_id"])
            found[user_id] = MemberSettings(
                guild_id,
                user_id,
                timezone=row["timezone"],
                dm_reminders=bool(row["dm_reminders"]),
                language=row["language"],
            )
    return found


async def set_timezone(tx: Transaction, guild_id: int, user_id: int, timezone: str | None) -> None:
    await tx.execute(
        "INSERT INTO member_settings (guild_id, user_id, timezone) VALUES (?, ?, ?) "
        "ON CONFLICT (guild_id, user_id) DO UPDATE SET timezone = excluded.timezone",
        (guild_id, user_id, timezone),
    )


async def set_dm_reminders(tx: Transaction, guild_id: int, user_id: int, enabled: bool) -> None:
    await tx.execute(
        "INSERT INTO member_settings (guild_id, user_id, dm_reminders) VALUES (?, ?, ?) "
        "ON CONFLICT (guild_id, user_id) DO UPDATE SET dm_reminders = excluded.dm_reminders",
        (guild_id, user_id, int(enabled)),
    )


async def remember_languages(db: Database, languages: Mapping[tuple[int, int], str]) -> int:
    """Store each member's language ({(guild_id, user_id): language}) unless it is already the stored
    one; one write action for them all. Returns how many rows changed."""
    rows = [(guild_id, user_id, language) for (guild_id, user_id), language in languages.items()]

    def run(conn: sqlite3.Connection) -> int:
        cursor = conn.executemany(
            "INSERT INTO member_settings (guild_id, user_id, language) VALUES (?, ?, ?) "
            "ON CONFLICT (guild_id, user_id) DO UPDATE SET language = excluded.language "
            "WHERE language IS NOT excluded.language",
            rows,
        )
        return max(cursor.rowcount, 0)

    return await db.write(run)
