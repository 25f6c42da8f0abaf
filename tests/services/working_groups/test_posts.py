"""Progress updates and their outbox timers (working_groups/posts.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.clock import FakeClock
from bot.config import Config
from bot.db import Database
from bot.errors import UserFacingError
from bot.services.working_groups import (
    WG_POST,
    WG_STALE,
    WorkingGroupService,
)
from tests.services.working_groups.helpers import MODERATOR, pending, seeded


async def test_an_update_is_stored_with_its_post_timer_and_moves_the_stale_timer(
    service: WorkingGroupService, config: Config, db: Database, clock: FakeClock
) -> None:
    wg1 = (await seeded(service, config))[0]
    first_stale = [t for t in await pending(db, WG_STALE) if t["group_id"] == wg1.id]
    clock.advance(timedelta(days=3))
    post = await service.posts.post_update(wg1.id, "Survey sent to 40 WIM organisations", MODERATOR, "en")
    assert [t["post_id"] for t in await pending(db, WG_POST)] == [post.id]
    stale = [t for t in await pending(db, WG_STALE) if t["group_id"] == wg1.id]
    assert len(stale) == 1 and stale[0]["due_at"] > first_stale[0]["due_at"]
    with pytest.raises(UserFacingError) as caught:
        await service.posts.post_update(wg1.id, "x" * 4001, MODERATOR, "en")
    assert caught.value.key == "validation.too_long"
    await service.posts.record_post_message(post.id, 8000, 123)
    stored = await service.get_post(post.id)
    assert stored is not None and stored.message_id == 123
