"""Quiet groups and the report (working_groups/stale.py)."""

from __future__ import annotations

from datetime import timedelta

from bot.clock import FakeClock
from bot.config import Config
from bot.services.working_groups import (
    WorkingGroupService,
)
from tests.services.working_groups.helpers import COORDINATOR, GUILD, MODERATOR, seeded


async def test_a_quiet_group_is_flagged_and_nudged_once(
    service: WorkingGroupService, config: Config, clock: FakeClock
) -> None:
    wg1 = (await seeded(service, config))[0]
    await service.admin.add_coordinator(wg1.id, COORDINATOR.user_id, MODERATOR, "en")
    clock.advance(timedelta(days=13))
    early = await service.stale.check_stale(wg1.id)
    assert not early.nudge
    clock.advance(timedelta(days=2))
    check = await service.stale.check_stale(wg1.id)
    assert check.nudge and check.coordinators == [COORDINATOR.user_id]
    assert check.group is not None and check.group.status == "needs_attention"
    history = (await service.card(wg1.id)).history
    assert history[0].status == "needs_attention" and history[0].actor_id is None
    assert await service.stale.mark_nudged(check.group)
    again = await service.stale.check_stale(wg1.id)
    assert not again.nudge, "the same quiet spell was nudged twice"
    assert not await service.stale.mark_nudged(check.group)
    report = {line.row.key: line for line in await service.stale.report(GUILD)}
    assert report["wg1-stem"].stale and report["wg1-stem"].days_since_update == 15


async def test_report_counts_done_total_and_overdue(
    service: WorkingGroupService, config: Config, clock: FakeClock
) -> None:
    wg1 = (await seeded(service, config))[0]
    items = await service.work.workplan(wg1.id)
    await service.work.workplan_update(wg1.id, items[0].id, MODERATOR, "en", title=None, status="completed")
    soon = (clock.now() + timedelta(days=2)).date().isoformat()
    await service.work.deliverable_add(wg1.id, MODERATOR, "en", title="Index", kind="index", due=soon)
    clock.advance(timedelta(days=5))
    await service.posts.post_update(wg1.id, "Index drafted", MODERATOR, "en")
    clock.advance(timedelta(days=1))
    line = next(line for line in await service.stale.report(GUILD) if line.row.key == "wg1-stem")
    assert (line.row.workplan_done, line.row.workplan_total) == (1, 4)
    assert (line.row.deliverables_done, line.row.deliverables_total, line.row.deliverables_overdue) == (
        0,
        3,
        1,
    )
    assert line.days_since_update == 1 and not line.stale
