"""Seeding, creating, editing and archiving groups, and their coordinators (working_groups/groups.py)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.config import Config
from bot.db import Database
from bot.errors import NotFound, PermissionDenied, UserFacingError
from bot.services.working_groups import (
    WG_STALE,
    WorkingGroupService,
)
from tests.services.working_groups.helpers import (
    COORDINATOR,
    GUILD,
    MEMBER,
    MODERATOR,
    count,
    pending,
    seeded,
)


async def test_seed_inserts_the_four_groups_once_with_workplan_and_deliverables(
    service: WorkingGroupService, config: Config, db: Database
) -> None:
    groups = await service.seed(GUILD, config.working_groups)
    assert [g.key for g in groups] == ["wg1-stem", "wg2-workplace", "wg3-data", "wg4-mentors"]
    wg2 = groups[1]
    assert wg2.name.get("fr") == "GT2 – Conception de lieux de travail inclusifs"
    assert wg2.name.get("es").startswith("GT2")
    assert wg2.status == "in_progress" and wg2.role_id is None
    card = await service.card(wg2.id)
    assert [d.kind for d in card.deliverables] == ["white_paper", "directory"]
    assert "EPI" in card.deliverables[1].title.get("fr")
    assert len(card.workplan) == 2 and all(item.status == "in_progress" for item in card.workplan)
    before = {t: await count(db, t) for t in ("wg_groups", "wg_workplan_items", "wg_deliverables", "timers")}
    again = await service.seed(GUILD, config.working_groups)
    assert [g.id for g in again] == [g.id for g in groups]
    after = {t: await count(db, t) for t in before}
    assert after == before, "a second seeding inserted rows"
    assert len(await pending(db, WG_STALE)) == 4


async def test_new_group_checks_key_and_name_before_anything_is_created(
    service: WorkingGroupService, config: Config, db: Database
) -> None:
    await seeded(service, config)
    for key, name, error in [
        ("wg1-stem", "Something new", "working_groups.errors.duplicate_key"),
        ("wg5-new", "wg2 – INCLUSIVE workplace design", "working_groups.errors.duplicate_name"),
        ("wg5-new", "GT2 – Conception de lieux de travail inclusifs", "working_groups.errors.duplicate_name"),
        ("WG 5", "Fine", "working_groups.errors.bad_key"),
        ("wg5", "", "validation.required"),
        ("wg5", "x" * 101, "validation.too_long"),
        ("wg5", "bad\x00name", "validation.bad_characters"),
    ]:
        with pytest.raises(UserFacingError) as caught:
            await service.admin.check_new(GUILD, key, name)
        assert caught.value.key == error, (key, name)
    assert await service.admin.check_new(GUILD, "WG5-Safety", "WG5 – Safety") == (
        "wg5-safety",
        "WG5 – Safety",
    )
    assert await count(db, "wg_groups") == 4


async def test_create_needs_a_moderator_and_stores_the_text_in_the_creator_language(
    service: WorkingGroupService, db: Database
) -> None:
    kwargs: dict[str, Any] = {
        "key": "wg5-safety",
        "name": "GT5 – Sécurité",
        "lang": "fr",
        "stake": "Des mines plus sûres",
        "mandate": None,
        "private": True,
        "role_id": 9001,
        "channel_id": 9002,
    }
    with pytest.raises(PermissionDenied):
        await service.admin.create(GUILD, actor=MEMBER, **kwargs)
    group = await service.admin.create(GUILD, actor=MODERATOR, **kwargs)
    assert group.private and group.status == "not_started" and group.source == "command"
    assert group.name.get("fr") == "GT5 – Sécurité" and group.name.get("en") == "GT5 – Sécurité"
    assert group.stake.values == {"fr": "Des mines plus sûres"}
    assert group.mandate.values == {}
    with pytest.raises(UserFacingError) as caught:
        await service.admin.create(GUILD, actor=MODERATOR, **{**kwargs, "name": "Other"})
    assert caught.value.key == "working_groups.errors.duplicate_key"
    assert await count(db, "wg_groups") == 1


async def test_edit_changes_only_the_editor_language(service: WorkingGroupService, config: Config) -> None:
    wg1 = (await seeded(service, config))[0]
    edited = await service.admin.edit(wg1.id, MODERATOR, "fr", stake="Nouvel enjeu")
    assert edited.stake.get("fr") == "Nouvel enjeu"
    assert edited.stake.get("en") == wg1.stake.get("en")
    with pytest.raises(UserFacingError) as caught:
        await service.admin.edit(wg1.id, MODERATOR, "en")
    assert caught.value.key == "working_groups.errors.nothing_to_change"
    with pytest.raises(UserFacingError) as caught:
        await service.admin.edit(wg1.id, MODERATOR, "en", name="WG2 – Inclusive Workplace Design")
    assert caught.value.key == "working_groups.errors.duplicate_name"
    with pytest.raises(PermissionDenied):
        await service.admin.edit(wg1.id, COORDINATOR, "en", name="Mine")


async def test_a_coordinator_manages_only_their_own_group(
    service: WorkingGroupService, config: Config, db: Database
) -> None:
    wg1, wg2, *_ = await seeded(service, config)
    await service.admin.add_coordinator(wg1.id, COORDINATOR.user_id, MODERATOR, "en")
    with pytest.raises(UserFacingError) as caught:
        await service.admin.add_coordinator(wg1.id, COORDINATOR.user_id, MODERATOR, "en")
    assert caught.value.key == "working_groups.errors.already_coordinator"
    with pytest.raises(PermissionDenied):
        await service.admin.add_coordinator(wg2.id, COORDINATOR.user_id, COORDINATOR, "en")

    updated = await service.work.set_status(wg1.id, "needs_attention", "Waiting for data", COORDINATOR, "en")
    assert updated.status == "needs_attention"
    history = (await service.card(wg1.id)).history
    assert (history[0].status, history[0].note, history[0].actor_id) == (
        "needs_attention",
        "Waiting for data",
        COORDINATOR.user_id,
    )
    before = await count(db, "wg_status_history")
    for attempt in (
        service.work.set_status(wg2.id, "completed", None, COORDINATOR, "en"),
        service.work.workplan_add(wg2.id, "Item", "in_progress", COORDINATOR, "en"),
        service.work.deliverable_add(wg2.id, COORDINATOR, "en", title="Guide", kind="guide"),
        service.posts.post_update(wg2.id, "Progress", COORDINATOR, "en"),
        service.posts.add_document(wg2.id, "Doc", "https://example.org/doc", COORDINATOR, "en"),
        service.work.set_status(wg1.id, "completed", None, MEMBER, "en"),
    ):
        with pytest.raises(PermissionDenied) as caught:
            await attempt
        assert caught.value.key == "working_groups.errors.not_coordinator"
    assert await count(db, "wg_status_history") == before
    assert await count(db, "wg_posts") == 0

    await service.admin.remove_coordinator(wg1.id, COORDINATOR.user_id, MODERATOR, "en")
    with pytest.raises(PermissionDenied):
        await service.work.set_status(wg1.id, "completed", None, COORDINATOR, "en")
    with pytest.raises(UserFacingError) as caught:
        await service.admin.remove_coordinator(wg1.id, COORDINATOR.user_id, MODERATOR, "en")
    assert caught.value.key == "working_groups.errors.not_a_coordinator"


async def test_archived_group_refuses_changes_and_stops_its_stale_timer(
    service: WorkingGroupService, config: Config, db: Database
) -> None:
    wg1 = (await seeded(service, config))[0]
    archived = await service.admin.archive(wg1.id, MODERATOR, "en")
    assert archived.archived
    assert wg1.id not in [t["group_id"] for t in await pending(db, WG_STALE)]
    assert wg1.id not in [g.id for g in await service.groups(GUILD)]
    with pytest.raises(UserFacingError) as caught:
        await service.posts.post_update(wg1.id, "Late news", MODERATOR, "en")
    assert caught.value.key == "working_groups.errors.archived"
    with pytest.raises(NotFound):
        await service.find(GUILD, "wg1-stem")
    assert (await service.find(GUILD, "wg1-stem", include_archived=True)).id == wg1.id


async def test_coordinates_any_is_true_for_a_coordinator_of_some_group_of_this_guild_only(
    service: WorkingGroupService, config: Config
) -> None:
    wg1, *_ = await seeded(service, config)
    assert not await service.coordinates_any(GUILD, COORDINATOR.user_id)
    await service.admin.add_coordinator(wg1.id, COORDINATOR.user_id, MODERATOR, "en")
    assert await service.coordinates_any(GUILD, COORDINATOR.user_id)
    assert not await service.coordinates_any(GUILD, MEMBER.user_id)
    assert not await service.coordinates_any(GUILD + 1, COORDINATOR.user_id)
    # An archived group's coordinators may still export its index: they still pass.
    await service.admin.archive(wg1.id, MODERATOR, "en")
    assert await service.coordinates_any(GUILD, COORDINATOR.user_id)
    await service.admin.remove_coordinator(wg1.id, COORDINATOR.user_id, MODERATOR, "en")
    assert not await service.coordinates_any(GUILD, COORDINATOR.user_id)
