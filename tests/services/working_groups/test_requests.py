"""Joining a private group (working_groups/requests.py)."""

from __future__ import annotations

import pytest

from bot.config import Config
from bot.db import Database
from bot.errors import PermissionDenied, UserFacingError
from bot.services.working_groups import (
    WG_JOIN_OUTCOME,
    WG_JOIN_REQUEST,
    Actor,
    WorkingGroupService,
)
from tests.services.working_groups.helpers import COORDINATOR, MEMBER, MODERATOR, count, pending, seeded


async def test_private_join_requests(service: WorkingGroupService, config: Config, db: Database) -> None:
    wg1, wg2, *_ = await seeded(service, config)
    with pytest.raises(UserFacingError) as caught:
        await service.requests.request_join(wg1.id, MEMBER, "fr")
    assert caught.value.key == "working_groups.errors.not_private"
    await service.admin.edit(wg2.id, MODERATOR, "en", private=True)
    request = await service.requests.request_join(wg2.id, MEMBER, "fr")
    assert request.status == "pending" and request.language == "fr"
    assert [t["request_id"] for t in await pending(db, WG_JOIN_REQUEST)] == [request.id]
    with pytest.raises(UserFacingError) as caught:
        await service.requests.request_join(wg2.id, MEMBER, "fr")
    assert caught.value.key == "working_groups.errors.request_pending"
    assert await count(db, "wg_join_requests") == 1

    await service.admin.add_coordinator(wg1.id, COORDINATOR.user_id, MODERATOR, "en")
    with pytest.raises(PermissionDenied):
        await service.requests.decide_join(
            request.id, True, COORDINATOR, "en"
        )  # coordinator of another group
    await service.admin.add_coordinator(wg2.id, COORDINATOR.user_id, MODERATOR, "en")
    decided = await service.requests.decide_join(request.id, True, COORDINATOR, "en")
    assert decided.status == "approved" and decided.decided_by == COORDINATOR.user_id
    assert [t["request_id"] for t in await pending(db, WG_JOIN_OUTCOME)] == [request.id]
    with pytest.raises(UserFacingError) as caught:
        await service.requests.decide_join(request.id, False, MODERATOR, "en")
    assert caught.value.key == "working_groups.errors.request_decided"
    member = Actor(MEMBER.user_id, role_ids=frozenset({wg2.role_id or 0}))
    with pytest.raises(UserFacingError) as caught:
        await service.requests.request_join(wg2.id, member, "fr")
    assert caught.value.key == "working_groups.errors.already_member"
