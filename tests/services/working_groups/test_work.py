"""A group's status, workplan and deliverables (working_groups/work.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.clock import FakeClock
from bot.config import Config
from bot.db import Database
from bot.errors import NotFound, UserFacingError
from bot.services.working_groups import (
    WorkingGroupService,
)
from tests.services.working_groups.helpers import MODERATOR, seeded


async def test_workplan_and_deliverables_refuse_bad_input(
    service: WorkingGroupService, config: Config, db: Database, clock: FakeClock
) -> None:
    wg1, wg2, *_ = await seeded(service, config)
    item = await service.work.workplan_add(wg1.id, "Survey WIM organisations", "not_started", MODERATOR, "en")
    updated = await service.work.workplan_update(
        wg1.id, item.id, MODERATOR, "en", title=None, status="completed"
    )
    assert updated.status == "completed"
    other = (await service.work.workplan(wg2.id))[0]
    with pytest.raises(NotFound) as unknown:
        await service.work.workplan_update(wg1.id, other.id, MODERATOR, "en", title="x", status=None)
    assert unknown.value.key == "working_groups.errors.unknown_item"
    with pytest.raises(UserFacingError):
        await service.work.workplan_update(wg1.id, item.id, MODERATOR, "en", title=None, status=None)
    with pytest.raises(UserFacingError) as caught:
        await service.work.workplan_add(wg1.id, "  ", "in_progress", MODERATOR, "en")
    assert caught.value.key == "validation.required"
    await service.work.workplan_remove(wg1.id, item.id, MODERATOR, "en")
    assert item.id not in [i.id for i in await service.work.workplan(wg1.id)]

    yesterday = (clock.now() - timedelta(days=1)).date().isoformat()
    next_month = (clock.now() + timedelta(days=30)).date().isoformat()
    for kwargs, error in [
        ({"title": "Guide", "kind": "guide", "due": yesterday}, "validation.in_past"),
        ({"title": "Guide", "kind": "guide", "due": "31/12/2027"}, "validation.bad_date"),
        ({"title": "Guide", "kind": "book"}, "working_groups.errors.bad_kind"),
        ({"title": "Guide", "kind": "guide", "link": "ftp://files.example.org/x"}, "validation.bad_url"),
        ({"title": "Guide", "kind": "guide", "link": "javascript:alert(1)"}, "validation.bad_url"),
        ({"title": "x" * 201, "kind": "guide"}, "validation.too_long"),
    ]:
        with pytest.raises(UserFacingError) as caught:
            await service.work.deliverable_add(wg1.id, MODERATOR, "en", **kwargs)
        assert caught.value.key == error, kwargs
    deliverable = await service.work.deliverable_add(
        wg1.id, MODERATOR, "en", title="How-to guide", kind="guide", due=next_month
    )
    assert deliverable.due_date is not None and deliverable.status == "not_started"
    published = await service.work.deliverable_update(
        wg1.id, deliverable.id, MODERATOR, "en", status="completed", link="https://example.org/guide.pdf"
    )
    assert (published.status, published.link) == ("completed", "https://example.org/guide.pdf")
    with pytest.raises(NotFound):
        await service.work.deliverable_remove(wg2.id, deliverable.id, MODERATOR, "en")
    await service.work.deliverable_remove(wg1.id, deliverable.id, MODERATOR, "en")
    assert deliverable.id not in [d.id for d in await service.work.deliverables(wg1.id)]
