"""The index of initiatives (working_groups/initiatives.py)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.config import Config
from bot.db import Database
from bot.errors import PermissionDenied, UserFacingError
from bot.migrations import load_migrations
from bot.services.timers import TimerService
from bot.services.working_groups import (
    Actor,
    WorkingGroupService,
)
from bot.services.working_groups.initiatives import country_label
from tests.services.working_groups.helpers import (
    COORDINATOR,
    GUILD,
    MEMBER,
    MODERATOR,
    count,
    pending,
    seeded,
)

MIGRATION = 10  # 0010_initiative_countries.sql


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
        await service.initiatives.submit(wg1.id, MEMBER, "es", **entry)  # not in the group
    assert denied.value.key == "working_groups.errors.not_member_to_submit"
    for changes, error in [
        ({"link": "ftp://example.org"}, "validation.bad_url"),
        ({"country": ""}, "orgs.errors.country_required"),
        ({"country": "Atlantis"}, "orgs.errors.unknown_country"),
        ({"description": "x" * 2001}, "validation.too_long"),
        ({"kind": "party"}, "working_groups.errors.bad_kind"),
    ]:
        with pytest.raises(UserFacingError) as caught:
            await service.initiatives.submit(wg1.id, member, "es", **{**entry, **changes})
        assert caught.value.key == error
    assert await count(db, "wg_initiatives") == 0

    initiative = await service.initiatives.submit(wg1.id, member, "es", **entry)
    assert initiative.status == "pending"
    assert (initiative.country, initiative.country_text) == ("PE", None), "a code, whatever was typed"
    assert [t["initiative_id"] for t in await pending(db, "wg.initiative_review")] == [initiative.id]
    assert await service.search(GUILD, "mentoras", MODERATOR) == [], "pending entries are not searchable"
    await service.admin.add_coordinator(wg2.id, COORDINATOR.user_id, MODERATOR, "en")
    with pytest.raises(PermissionDenied):
        await service.initiatives.decide(initiative.id, True, COORDINATOR, "en")  # another group's
    approved = await service.initiatives.decide(initiative.id, True, MODERATOR, "en")
    assert approved.status == "approved"
    with pytest.raises(UserFacingError) as caught:
        await service.initiatives.decide(initiative.id, False, MODERATOR, "en")
    assert caught.value.key == "working_groups.errors.initiative_decided"
    for typed in ("arequipa peru", "pérou", "Perú"):  # the country's name in any language finds it
        hits = await service.search(GUILD, typed, MEMBER)
        assert [(h.source, h.url) for h in hits] == [("initiative", "https://example.org/mentoras")]
    for typed in ("peru", "PE", "Pérou", "per"):  # a name in any language, alpha-2 or alpha-3
        assert [i.id for i in await service.initiatives.approved(wg1.id, MEMBER, "en", country=typed)] == [
            initiative.id
        ]
    assert await service.initiatives.approved(wg1.id, MEMBER, "en", country="Chile") == []
    with pytest.raises(UserFacingError) as caught:
        await service.initiatives.approved(wg1.id, MEMBER, "en", country="Atlantis")
    assert caught.value.key == "orgs.errors.unknown_country"
    assert await service.initiatives.approved(wg1.id, MEMBER, "en", kind="policy") == []
    with pytest.raises(PermissionDenied):
        await service.initiatives.export(wg1.id, member, "en")
    group, exported = await service.initiatives.export(wg1.id, MODERATOR, "en")
    assert group.id == wg1.id and [i.id for i in exported] == [initiative.id]

    await service.admin.edit(wg1.id, MODERATOR, "en", private=True)
    assert await service.search(GUILD, "arequipa", MEMBER) == []
    with pytest.raises(PermissionDenied) as caught:
        await service.initiatives.approved(wg1.id, MEMBER, "en")
    assert caught.value.key == "working_groups.errors.private_group"
    assert len(await service.initiatives.approved(wg1.id, member, "en")) == 1


async def test_countries_typed_before_codes_are_mapped_at_start_and_the_rest_kept_as_written(
    tmp_path: Path, clock: FakeClock, config: Config
) -> None:
    """A database of the previous schema, with initiatives whose country was free text: the migration
    keeps the text, the start maps what names a country and leaves the rest as typed."""
    path = tmp_path / "old.db"
    old = sqlite3.connect(path)
    for version, _, sql in load_migrations():
        if version < MIGRATION:
            old.executescript(sql)
    old.execute(f"PRAGMA user_version = {MIGRATION - 1}")
    old.execute(
        "INSERT INTO wg_groups (id, guild_id, key, name, source, created_at, last_activity_at) "
        "VALUES (1, ?, 'wg1-old', '{\"en\": \"Old group\"}', 'command', ?, ?)",
        (GUILD, "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z"),
    )
    typed = ["Perú", "peru ", "PER", "Côte d’Ivoire", "Pérou", "Atlantis", "Canada", "Chili"]
    for n, country in enumerate(typed, start=1):
        old.execute(
            "INSERT INTO wg_initiatives (id, group_id, submitted_by, title, organisation, country, "
            "description, kind, language, status, submitted_at) "
            "VALUES (?, 1, 5, ?, 'WIM', ?, 'Mentoring', 'programme', 'es', 'pending', ?)",
            (n, f"Entry {n}", country, "2026-02-01T00:00:00Z"),
        )
        if n != 7:  # approval put it in the search index (the old schema's trigger)
            old.execute("UPDATE wg_initiatives SET status = 'approved' WHERE id = ?", (n,))
    old.commit()
    old.close()

    db = await Database.open(path)
    try:
        service = WorkingGroupService(db, clock, TimerService(db, clock), config)
        written = await db.fetchall("SELECT country, country_text FROM wg_initiatives ORDER BY id")
        assert [(r["country"], r["country_text"]) for r in written] == [(None, c) for c in typed]
        await service.seed(GUILD, config.working_groups)  # what the start does
        await service.seed(GUILD, config.working_groups)  # and again: nothing more to map
        rows = await db.fetchall("SELECT country, country_text FROM wg_initiatives ORDER BY id")
        assert [(r["country"], r["country_text"]) for r in rows] == [
            ("PE", None),
            ("PE", None),
            ("PE", None),
            (None, "Côte d’Ivoire"),  # a typographic apostrophe: no name matches, shown as written
            ("PE", None),
            (None, "Atlantis"),
            ("CA", None),
            ("CL", None),
        ]
        group = await service.access.get(1)
        actor = Actor(MODERATOR.user_id, moderator=True)
        listed = await service.initiatives.approved(group.id, actor, "fr")
        assert [country_label(i, "fr") for i in listed] == [
            "Atlantis",
            "Chili",
            "Côte d’Ivoire",
            *["Pérou"] * 4,
        ]  # the pending Canadian one is not listed
        assert [i.id for i in await service.initiatives.approved(group.id, actor, "en", country="Peru")] == [
            1,
            2,
            3,
            5,
        ]
        hits = await service.search(GUILD, "pérou", actor)
        assert sorted(h.source_id for h in hits) == [1, 2, 3, 5], "re-indexed with the country's names"
        assert [h.source_id for h in await service.search(GUILD, "atlantis", actor)] == [6]
    finally:
        await db.close()
