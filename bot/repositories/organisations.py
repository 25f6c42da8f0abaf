"""SQL for the organisation directory: organisations, the members linked to them, claims, history.

Rows become frozen structs (msgspec). Writes take a ``Transaction``; reads take any ``Queryable``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any, Final

import msgspec

from bot.db import Queryable, Transaction
from bot.timeutil import from_iso, utc_iso

STANDINGS: Final[tuple[str, ...]] = ("member", "leader", "representative")
#: Standings that speak for the organisation and get the leaders role.
LEADING: Final[tuple[str, ...]] = ("leader", "representative")
# Columns an edit may change (the UPDATE is built from this allow-list only).
EDITABLE: Final[frozenset[str]] = frozenset(
    {
        "name",
        "name_key",
        "country",
        "region",
        "region_is_set",
        "website",
        "linkedin",
        "description_en",
        "description_fr",
        "description_es",
        "joined_on",
    }
)


class Organisation(msgspec.Struct, frozen=True):
    id: int
    guild_id: int
    name: str
    country: str
    region: str
    region_is_set: bool
    website: str
    linkedin: str | None
    descriptions: tuple[tuple[str, str], ...]  # (language, text), en/fr/es order, only those set
    joined_on: date
    status: str  # "active" | "archived"
    source_key: str | None
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None

    @property
    def active(self) -> bool:
        return self.status == "active"

    def description(self, lang: str) -> str | None:
        """The description in ``lang``, else English, else whichever language it has."""
        texts = dict(self.descriptions)
        return texts.get(lang) or texts.get("en") or next(iter(texts.values()), None)


class Link(msgspec.Struct, frozen=True):
    """A member's verified standing in an organisation."""

    guild_id: int
    user_id: int
    organisation_id: int
    standing: str
    verified_by: int
    verified_at: datetime


class Claim(msgspec.Struct, frozen=True):
    id: int
    guild_id: int
    user_id: int
    organisation_id: int
    standing: str
    language: str
    status: str  # pending | approved | declined | withdrawn | cancelled
    created_at: datetime
    decided_by: int | None
    decided_at: datetime | None
    modlog_channel_id: int | None
    modlog_message_id: int | None
    outcome_dm: str | None


class HistoryEntry(msgspec.Struct, frozen=True):
    id: int
    organisation_id: int
    actor_id: int
    at: datetime
    action: str
    subject_id: int | None
    details: dict[str, Any]


class StandingCounts(msgspec.Struct, frozen=True):
    member: int = 0
    leader: int = 0
    representative: int = 0

    @property
    def total(self) -> int:
        return self.member + self.leader + self.representative


def _organisation(row: sqlite3.Row) -> Organisation:
    return Organisation(
        id=row["id"],
        guild_id=row["guild_id"],
        name=row["name"],
        country=row["country"],
        region=row["region"],
        region_is_set=bool(row["region_is_set"]),
        website=row["website"],
        linkedin=row["linkedin"],
        descriptions=tuple(
            (lang, row[f"description_{lang}"]) for lang in ("en", "fr", "es") if row[f"description_{lang}"]
        ),
        joined_on=date.fromisoformat(row["joined_on"]),
        status=row["status"],
        source_key=row["source_key"],
        created_at=from_iso(row["created_at"]),
        updated_at=from_iso(row["updated_at"]),
        archived_at=from_iso(row["archived_at"]) if row["archived_at"] else None,
    )


def _link(row: sqlite3.Row) -> Link:
    return Link(
        guild_id=row["guild_id"],
        user_id=row["user_id"],
        organisation_id=row["organisation_id"],
        standing=row["standing"],
        verified_by=row["verified_by"],
        verified_at=from_iso(row["verified_at"]),
    )


def _claim(row: sqlite3.Row) -> Claim:
    return Claim(
        id=row["id"],
        guild_id=row["guild_id"],
        user_id=row["user_id"],
        organisation_id=row["organisation_id"],
        standing=row["standing"],
        language=row["language"],
        status=row["status"],
        created_at=from_iso(row["created_at"]),
        decided_by=row["decided_by"],
        decided_at=from_iso(row["decided_at"]) if row["decided_at"] else None,
        modlog_channel_id=row["modlog_channel_id"],
        modlog_message_id=row["modlog_message_id"],
        outcome_dm=row["outcome_dm"],
    )


# --- organisations --------------------------------------------------------------------------------


async def insert_organisation(tx: Transaction, values: Mapping[str, Any]) -> int | None:
    """Insert an organisation; None when one with the same ``source_key`` exists in the guild.

    A name clash with an active organisation raises ``sqlite3.IntegrityError`` (the unique index)."""
    cursor = await tx.execute(
        "INSERT INTO organisations (guild_id, name, name_key, country, region, region_is_set, website, "
        "linkedin, description_en, description_fr, description_es, joined_on, source_key, created_at, "
        "updated_at) VALUES (:guild_id, :name, :name_key, :country, :region, :region_is_set, :website, "
        ":linkedin, :description_en, :description_fr, :description_es, :joined_on, :source_key, "
        ":created_at, :created_at) ON CONFLICT (guild_id, source_key) DO NOTHING",
        dict(values),
    )
    return cursor.lastrowid if cursor.rowcount == 1 else None


async def get(conn: Queryable, organisation_id: int) -> Organisation | None:
    row = await conn.fetchone("SELECT * FROM organisations WHERE id = ?", (organisation_id,))
    return None if row is None else _organisation(row)


async def active_by_name_key(conn: Queryable, guild_id: int, name_key: str) -> Organisation | None:
    row = await conn.fetchone(
        "SELECT * FROM organisations WHERE guild_id = ? AND name_key = ? AND status = 'active'",
        (guild_id, name_key),
    )
    return None if row is None else _organisation(row)


async def source_keys(conn: Queryable, guild_id: int) -> set[str]:
    rows = await conn.fetchall(
        "SELECT source_key FROM organisations WHERE guild_id = ? AND source_key IS NOT NULL", (guild_id,)
    )
    return {row["source_key"] for row in rows}


async def update(tx: Transaction, organisation_id: int, changes: Mapping[str, Any], at: datetime) -> None:
    unknown = set(changes) - EDITABLE
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    if not changes:
        return
    assignments = ", ".join(f"{column} = :{column}" for column in changes)
    await tx.execute(
        f"UPDATE organisations SET {assignments}, updated_at = :updated_at WHERE id = :id",  # noqa: S608
        {**changes, "updated_at": utc_iso(at), "id": organisation_id},
    )


async def archive(tx: Transaction, organisation_id: int, at: datetime) -> bool:
    """Archive an active organisation; False when it was not active (already archived)."""
    cursor = await tx.execute(
        "UPDATE organisations SET status = 'archived', archived_at = ?, updated_at = ? "
        "WHERE id = ? AND status = 'active'",
        (utc_iso(at), utc_iso(at), organisation_id),
    )
    return cursor.rowcount == 1


def _filters(guild_id: int, region: str | None, country: str | None) -> tuple[str, list[Any]]:
    where = ["guild_id = ?", "status = 'active'"]
    params: list[Any] = [guild_id]
    if region is not None:
        where.append("region = ?")
        params.append(region)
    if country is not None:
        where.append("country = ?")
        params.append(country)
    return " AND ".join(where), params


async def page(
    conn: Queryable,
    guild_id: int,
    *,
    region: str | None,
    country: str | None,
    limit: int,
    offset: int,
    order: Sequence[str],
) -> list[Organisation]:
    """Active organisations, ordered by region (in ``order``), then country, then name."""
    where, params = _filters(guild_id, region, country)
    ranks = " ".join(f"WHEN '{code}' THEN {rank}" for rank, code in enumerate(order) if code.isdigit())
    rows = await conn.fetchall(
        f"SELECT * FROM organisations WHERE {where} "  # noqa: S608
        f"ORDER BY CASE region {ranks} ELSE 999 END, country, name_key LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    return [_organisation(row) for row in rows]


async def count(conn: Queryable, guild_id: int, *, region: str | None, country: str | None) -> int:
    where, params = _filters(guild_id, region, country)
    return int(await conn.fetchval(f"SELECT count(*) FROM organisations WHERE {where}", params))  # noqa: S608


async def region_counts(conn: Queryable, guild_id: int) -> dict[str, int]:
    rows = await conn.fetchall(
        "SELECT region, count(*) AS n FROM organisations WHERE guild_id = ? AND status = 'active' "
        "GROUP BY region",
        (guild_id,),
    )
    return {row["region"]: int(row["n"]) for row in rows}


async def all_of_guild(conn: Queryable, guild_id: int, *, include_archived: bool) -> list[Organisation]:
    status = "" if include_archived else "AND status = 'active'"
    rows = await conn.fetchall(
        f"SELECT * FROM organisations WHERE guild_id = ? {status} "  # noqa: S608
        "ORDER BY region, country, name_key, id",
        (guild_id,),
    )
    return [_organisation(row) for row in rows]


async def search(
    conn: Queryable, guild_id: int, folded: str, limit: int, *, include_archived: bool = False
) -> list[Organisation]:
    """Organisations whose folded name contains ``folded``: active ones first, prefix matches first,
    then by name (the most recently archived first among archived namesakes)."""
    pattern = "%" + folded.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = await conn.fetchall(
        "SELECT * FROM organisations "
        "WHERE guild_id = ? AND (status = 'active' OR ?) AND name_key LIKE ? ESCAPE '\\' "
        "ORDER BY status <> 'active', instr(name_key, ?) <> 1, name_key, id DESC LIMIT ?",
        (guild_id, int(include_archived), pattern, folded, limit),
    )
    return [_organisation(row) for row in rows]


async def latest_by_name_key(conn: Queryable, guild_id: int, name_key: str) -> Organisation | None:
    """The organisation with this folded name: the active one, else the most recently archived."""
    row = await conn.fetchone(
        "SELECT * FROM organisations WHERE guild_id = ? AND name_key = ? "
        "ORDER BY status <> 'active', id DESC LIMIT 1",
        (guild_id, name_key),
    )
    return None if row is None else _organisation(row)


# --- links (verified standings) -------------------------------------------------------------------


async def get_link(conn: Queryable, guild_id: int, user_id: int) -> Link | None:
    row = await conn.fetchone(
        "SELECT * FROM organisation_members WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
    )
    return None if row is None else _link(row)


async def put_link(
    tx: Transaction, guild_id: int, user_id: int, organisation_id: int, standing: str, by: int, at: datetime
) -> None:
    await tx.execute(
        "INSERT INTO organisation_members (guild_id, user_id, organisation_id, standing, verified_by, "
        "verified_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (guild_id, user_id) DO UPDATE SET "
        "organisation_id = excluded.organisation_id, standing = excluded.standing, "
        "verified_by = excluded.verified_by, verified_at = excluded.verified_at",
        (guild_id, user_id, organisation_id, standing, by, utc_iso(at)),
    )


async def delete_link(tx: Transaction, guild_id: int, user_id: int) -> Link | None:
    row = await tx.fetchone(
        "DELETE FROM organisation_members WHERE guild_id = ? AND user_id = ? RETURNING *", (guild_id, user_id)
    )
    return None if row is None else _link(row)


async def delete_links_of(tx: Transaction, organisation_id: int) -> list[Link]:
    rows = await tx.fetchall(
        "DELETE FROM organisation_members WHERE organisation_id = ? RETURNING *", (organisation_id,)
    )
    return [_link(row) for row in rows]


async def links_of(conn: Queryable, organisation_id: int, standings: Sequence[str] = STANDINGS) -> list[Link]:
    marks = ", ".join("?" for _ in standings)
    rows = await conn.fetchall(
        f"SELECT * FROM organisation_members WHERE organisation_id = ? AND standing IN ({marks}) "  # noqa: S608
        "ORDER BY CASE standing WHEN 'representative' THEN 0 WHEN 'leader' THEN 1 ELSE 2 END, verified_at",
        [organisation_id, *standings],
    )
    return [_link(row) for row in rows]


async def standing_counts(conn: Queryable, organisation_id: int) -> StandingCounts:
    """The verified links of one organisation by standing: the card's counts."""
    found = await _standing_counts(conn, "m.organisation_id = ?", organisation_id)
    return found.get(organisation_id, StandingCounts())


async def standing_counts_of_guild(conn: Queryable, guild_id: int) -> dict[int, StandingCounts]:
    """:func:`standing_counts` of every organisation of the guild (the export's), by organisation id."""
    return await _standing_counts(conn, "o.guild_id = ?", guild_id)


async def _standing_counts(conn: Queryable, where: str, value: int) -> dict[int, StandingCounts]:
    # One query behind the card and the export, so the two counts cannot drift apart.
    rows = await conn.fetchall(
        "SELECT m.organisation_id, m.standing, count(*) AS n FROM organisation_members AS m "  # noqa: S608
        f"JOIN organisations AS o ON o.id = m.organisation_id WHERE {where} "
        "GROUP BY m.organisation_id, m.standing",
        (value,),
    )
    found: dict[int, dict[str, int]] = {}
    for row in rows:
        found.setdefault(int(row["organisation_id"]), {})[row["standing"]] = int(row["n"])
    return {org_id: StandingCounts(**counts) for org_id, counts in found.items()}


# --- claims ---------------------------------------------------------------------------------------


async def insert_claim(
    tx: Transaction,
    guild_id: int,
    user_id: int,
    organisation_id: int,
    standing: str,
    language: str,
    at: datetime,
) -> int:
    return await tx.insert(
        "INSERT INTO organisation_claims (guild_id, user_id, organisation_id, standing, language, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?)",
        (guild_id, user_id, organisation_id, standing, language, utc_iso(at)),
    )


async def get_claim(conn: Queryable, claim_id: int) -> Claim | None:
    row = await conn.fetchone("SELECT * FROM organisation_claims WHERE id = ?", (claim_id,))
    return None if row is None else _claim(row)


async def pending_claim_of(conn: Queryable, guild_id: int, user_id: int) -> Claim | None:
    row = await conn.fetchone(
        "SELECT * FROM organisation_claims WHERE guild_id = ? AND user_id = ? AND status = 'pending'",
        (guild_id, user_id),
    )
    return None if row is None else _claim(row)


async def close_claim(
    tx: Transaction, claim_id: int, status: str, by: int | None, at: datetime
) -> Claim | None:
    """Close a pending claim (the one decision that counts); None when it was no longer pending."""
    row = await tx.fetchone(
        "UPDATE organisation_claims SET status = ?, decided_by = ?, decided_at = ? "
        "WHERE id = ? AND status = 'pending' RETURNING *",
        (status, by, utc_iso(at), claim_id),
    )
    return None if row is None else _claim(row)


async def cancel_pending_of_user(tx: Transaction, guild_id: int, user_id: int, at: datetime) -> list[Claim]:
    rows = await tx.fetchall(
        "UPDATE organisation_claims SET status = 'cancelled', decided_at = ? "
        "WHERE guild_id = ? AND user_id = ? AND status = 'pending' RETURNING *",
        (utc_iso(at), guild_id, user_id),
    )
    return [_claim(row) for row in rows]


async def cancel_pending_of_org(tx: Transaction, organisation_id: int, at: datetime) -> list[Claim]:
    rows = await tx.fetchall(
        "UPDATE organisation_claims SET status = 'cancelled', decided_at = ? "
        "WHERE organisation_id = ? AND status = 'pending' RETURNING *",
        (utc_iso(at), organisation_id),
    )
    return [_claim(row) for row in rows]


async def set_claim_post(tx: Transaction, claim_id: int, channel_id: int, message_id: int) -> None:
    await tx.execute(
        "UPDATE organisation_claims SET modlog_channel_id = ?, modlog_message_id = ? WHERE id = ?",
        (channel_id, message_id, claim_id),
    )


async def set_claim_dm(tx: Transaction, claim_id: int, outcome: str) -> None:
    await tx.execute("UPDATE organisation_claims SET outcome_dm = ? WHERE id = ?", (outcome, claim_id))


# --- history --------------------------------------------------------------------------------------


async def add_history(
    tx: Transaction,
    organisation_id: int,
    actor_id: int,
    at: datetime,
    action: str,
    *,
    subject_id: int | None = None,
    details: Mapping[str, Any] | None = None,
) -> None:
    await tx.execute(
        "INSERT INTO organisation_history (organisation_id, actor_id, at, action, subject_id, details) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (
            organisation_id,
            actor_id,
            utc_iso(at),
            action,
            subject_id,
            json.dumps(dict(details or {}), ensure_ascii=False, sort_keys=True),
        ),
    )


async def history(conn: Queryable, organisation_id: int, limit: int, offset: int) -> list[HistoryEntry]:
    """Newest first."""
    rows = await conn.fetchall(
        "SELECT * FROM organisation_history WHERE organisation_id = ? ORDER BY id DESC LIMIT ? OFFSET ?",
        (organisation_id, limit, offset),
    )
    return [
        HistoryEntry(
            id=row["id"],
            organisation_id=row["organisation_id"],
            actor_id=row["actor_id"],
            at=from_iso(row["at"]),
            action=row["action"],
            subject_id=row["subject_id"],
            details=json.loads(row["details"]),
        )
        for row in rows
    ]


async def count_history(conn: Queryable, organisation_id: int) -> int:
    return int(
        await conn.fetchval(
            "SELECT count(*) FROM organisation_history WHERE organisation_id = ?", (organisation_id,)
        )
    )
