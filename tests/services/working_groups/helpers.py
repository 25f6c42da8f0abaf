"""What the WorkingGroupService tests share: ids, the shipped config.yml's four groups, and small
readers.

The shared ``db`` and ``clock`` fixtures come from tests/conftest.py: the clock starts on Monday
2027-03-01 09:00 UTC.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from bot.config import Config, parse_config
from bot.db import Database
from bot.services.working_groups import (
    Actor,
    Group,
    WorkingGroupService,
)

GUILD = 1000
MODERATOR = Actor(2001, moderator=True)
COORDINATOR = Actor(2002)
MEMBER = Actor(3000)
ROLE_BASE = 7000
REPO = Path(__file__).resolve().parents[3]


def make_config(**settings: Any) -> Config:
    shipped = yaml.safe_load((REPO / "config.yml").read_text(encoding="utf-8"))
    data: dict[str, Any] = {
        "guild_ids": [GUILD],
        "working_groups": shipped["working_groups"],
        "working_group_settings": {"stale_after_weeks": 2, **settings},
    }
    return parse_config(data, base_dir=Path("/srv"), environ={})


async def seeded(service: WorkingGroupService, config: Config) -> list[Group]:
    groups = await service.seed(GUILD, config.working_groups)
    provisioned = []
    for index, group in enumerate(groups):
        provisioned.append(
            await service.admin.set_discord(group.id, role_id=ROLE_BASE + index, channel_id=8000 + index)
        )
    return provisioned


async def pending(db: Database, kind: str) -> list[dict[str, Any]]:
    rows = await db.fetchall(
        "SELECT payload, due_at FROM timers WHERE kind = ? AND status = 'pending' ORDER BY id", (kind,)
    )
    return [{**json.loads(r["payload"]), "due_at": r["due_at"]} for r in rows]


async def count(db: Database, table: str) -> int:
    return int(await db.fetchval(f"SELECT count(*) FROM {table}"))
