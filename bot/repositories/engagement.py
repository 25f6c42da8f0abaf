"""SQL for engagement: meeting-link clicks (one row per member and occurrence) and the server's member
joins and leaves. Functions of a ``sqlite3.Connection``, run whole inside ``db.write(fn)``: a burst
of clicks is a handful of trips (docs/ARCHITECTURE.md, "Database")."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from bot.timeutil import utc_iso


def record_link_click(conn: sqlite3.Connection, occurrence_id: int, user_id: int, at: datetime) -> bool:
    """Count a press of the meeting-link button; True when it is this member's first for the event."""
    first = conn.execute(
        "INSERT INTO event_link_clicks (occurrence_id, user_id, first_clicked_at, last_clicked_at)"
        " VALUES (?, ?, ?, ?) ON CONFLICT (occurrence_id, user_id) DO NOTHING",
        (occurrence_id, user_id, utc_iso(at), utc_iso(at)),
    ).rowcount
    if not first:
        conn.execute(
            "UPDATE event_link_clicks SET clicks = clicks + 1, last_clicked_at = max(last_clicked_at, ?)"
            " WHERE occurrence_id = ? AND user_id = ?",
            (utc_iso(at), occurrence_id, user_id),
        )
    return bool(first)


def link_clicks(conn: sqlite3.Connection, occurrence_id: int) -> tuple[int, int]:
    """(unique members, clicks) of one occurrence's meeting link."""
    row = conn.execute(
        "SELECT count(*), coalesce(sum(clicks), 0) FROM event_link_clicks WHERE occurrence_id = ?",
        (occurrence_id,),
    ).fetchone()
    return int(row[0]), int(row[1])


def record_member_event(
    conn: sqlite3.Connection, guild_id: int, user_id: int, kind: str, at: datetime
) -> None:
    conn.execute(
        "INSERT INTO guild_member_events (guild_id, user_id, kind, at) VALUES (?, ?, ?, ?)",
        (guild_id, user_id, kind, utc_iso(at)),
    )
