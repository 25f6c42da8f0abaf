"""What the consultation tests share: ids, a draft, organisations with representatives, readers.

The shared ``db`` and ``clock`` fixtures come from tests/conftest.py (Monday 2027-03-01 09:00 UTC).
"""

from __future__ import annotations

import json
from typing import Any

from bot.db import Database
from bot.services.consultations import PollDraft
from bot.services.organisations import OrganisationDraft, OrganisationService

GUILD = 1000
CHANNEL = 4000
CREATOR = 2000
MODERATOR = 2001
MEMBER = 3000
ROLE = 5000

# (name, country, website): three regions (South America, Southern Africa, Northern Europe).
ORGANISATIONS = (
    ("Mujeres en Minería Perú", "PE", "https://wimperu.org"),
    ("WIM Chile", "CL", "https://wimchile.cl"),
    ("WIM South Africa", "ZA", "https://wimsa.co.za"),
    ("WIM Sweden", "SE", "https://wimsweden.se"),
)


def draft(**overrides: Any) -> PollDraft:
    values: dict[str, Any] = {
        "guild_id": GUILD,
        "channel_id": CHANNEL,
        "creator_id": CREATOR,
        "question": "Which theme for the June roundtable?",
        "options": "Safety; Leadership; Diversity",
        "closes": "3d",
    }
    values.update(overrides)
    return PollDraft(**values)


async def add_organisations(
    organisations: OrganisationService, representatives: int = 1, leaders: int = 0
) -> list[tuple[int, list[int], list[int]]]:
    """The four organisations, each with ``representatives`` verified representatives and ``leaders``
    verified leaders: [(organisation id, representative ids, leader ids)]; user ids 10_000 + 100*i + n."""
    made = []
    for index, (name, country, website) in enumerate(ORGANISATIONS):
        organisation = await organisations.add(
            GUILD,
            MODERATOR,
            OrganisationDraft(name=name, country=country, website=website, joined="2020-01-01"),
        )
        reps = [10_000 + 100 * index + n for n in range(representatives)]
        heads = [10_050 + 100 * index + n for n in range(leaders)]
        for user in reps:
            await organisations.verify(GUILD, organisation.id, user, "representative", MODERATOR)
        for user in heads:
            await organisations.verify(GUILD, organisation.id, user, "leader", MODERATOR)
        made.append((organisation.id, reps, heads))
    return made


async def counts(db: Database) -> tuple[int, int, int]:
    polls = await db.fetchval("SELECT count(*) FROM polls")
    ballots = await db.fetchval("SELECT count(*) FROM poll_ballots")
    choices = await db.fetchval("SELECT count(*) FROM poll_choices")
    return int(polls), int(ballots), int(choices)


async def timers_of(db: Database, kind: str, status: str = "pending") -> list[dict[str, Any]]:
    rows = await db.fetchall(
        "SELECT payload, due_at FROM timers WHERE kind = ? AND status = ? ORDER BY id", (kind, status)
    )
    return [{**json.loads(row["payload"]), "due_at": row["due_at"]} for row in rows]
