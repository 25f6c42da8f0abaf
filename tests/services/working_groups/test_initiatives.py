"""The index of initiatives (working_groups/initiatives.py)."""

from __future__ import annotations

import pytest

from bot.config import Config
from bot.db import Database
from bot.errors import PermissionDenied, UserFacingError
from bot.services.working_groups import (
    Actor,
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


async def test_initiatives_are_submitted_by_members_approved_by_coordinators_and_searchable(
    service: WorkingGroupService, config: Config, db: Database
) -> None:
    wg1, wg2, *_ = await seeded(service, config)
    member = Actor(MEMBER.user_id, role_ids=frozenset({wg1.role_id or 0}))
    entry = {
        "title": "Programa Mentoras Mineras",
        "organisation": "WIM Perú",
        "country": "Perú",
        "link": "https://example.org/mentoras",
        "description": "Mentoría para ingenieras jóvenes en Arequipa",
        "kind": "programme",
    }
    with pytest.raises(PermissionDenied) as denied:
        await service.submit_initiative(wg1.id, MEMBER, "es", **entry)  # not in the group
    assert denied.value.key == "working_groups.errors.not_member_to_submit"
    for changes, error in [
        ({"link": "ftp://example.org"}, "validation.bad_url"),
        ({"country": ""}, "validation.required"),
        ({"description": "x" * 2001}, "validation.too_long"),
        ({"kind": "party"}, "working_groups.errors.bad_kind"),
    ]:
        with pytest.raises(UserFacingError) as caught:
            await service.submit_initiative(wg1.id, member, "es", **{**entry, **changes})
        assert caught.value.key == error
    assert await count(db, "wg_initiatives") == 0

    initiative = await service.submit_initiative(wg1.id, member, "es", **entry)
    assert initiative.status == "pending"
    assert [t["initiative_id"] for t in await pending(db, "wg.initiative_review")] == [initiative.id]
    assert await service.search(GUILD, "mentoras", MODERATOR) == [], "pending entries are not searchable"
    await service.add_coordinator(wg2.id, COORDINATOR.user_id, MODERATOR, "en")
    with pytest.raises(PermissionDenied):
        await service.decide_initiative(initiative.id, True, COORDINATOR, "en")  # another group's
    approved = await service.decide_initiative(initiative.id, True, MODERATOR, "en")
    assert approved.status == "approved"
    with pytest.raises(UserFacingError) as caught:
        await service.decide_initiative(initiative.id, False, MODERATOR, "en")
    assert caught.value.key == "working_groups.errors.initiative_decided"
    hits = await service.search(GUILD, "arequipa peru", MEMBER)
    assert [(h.source, h.url) for h in hits] == [("initiative", "https://example.org/mentoras")]
    assert [i.id for i in await service.initiatives(wg1.id, MEMBER, "en", country="peru")] == [initiative.id]
    assert await service.initiatives(wg1.id, MEMBER, "en", country="Chile") == []
    assert await service.initiatives(wg1.id, MEMBER, "en", kind="policy") == []
    with pytest.raises(PermissionDenied):
        await service.export_initiatives(wg1.id, member, "en")
    group, exported = await service.export_initiatives(wg1.id, MODERATOR, "en")
    assert group.id == wg1.id and [i.id for i in exported] == [initiative.id]

    await service.edit(wg1.id, MODERATOR, "en", private=True)
    assert await service.search(GUILD, "arequipa", MEMBER) == []
    with pytest.raises(PermissionDenied) as caught:
        await service.initiatives(wg1.id, MEMBER, "en")
    assert caught.value.key == "working_groups.errors.private_group"
    assert len(await service.initiatives(wg1.id, member, "en")) == 1
