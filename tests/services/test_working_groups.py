"""WorkingGroupService against a real SQLite database (every migration) and a FakeClock.

The shared ``db`` and ``clock`` fixtures come from tests/conftest.py: the clock starts on Monday
2027-03-01 09:00 UTC. The configured groups are the shipped config.yml's four.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.clock import FakeClock
from bot.config import Config, parse_config
from bot.db import Database
from bot.errors import NotFound, PermissionDenied, UserFacingError
from bot.i18n import Catalog
from bot.services.timers import TimerService
from bot.services.working_groups import (
    WG_JOIN_OUTCOME,
    WG_JOIN_REQUEST,
    WG_POST,
    WG_STALE,
    Actor,
    Document,
    Group,
    WorkingGroupService,
    fold,
    fts_query,
)
from cogs.working_groups import _render

GUILD = 1000
MODERATOR = Actor(2001, moderator=True)
COORDINATOR = Actor(2002)
MEMBER = Actor(3000)
ROLE_BASE = 7000
REPO = Path(__file__).resolve().parents[2]


def make_config(**settings: Any) -> Config:
    shipped = yaml.safe_load((REPO / "config.yml").read_text(encoding="utf-8"))
    data: dict[str, Any] = {
        "guild_ids": [GUILD],
        "working_groups": shipped["working_groups"],
        "working_group_settings": {"stale_after_weeks": 2, **settings},
    }
    return parse_config(data, base_dir=Path("/srv"), environ={})


@pytest.fixture
def config() -> Config:
    return make_config()


@pytest.fixture
def timers(db: Database, clock: FakeClock) -> TimerService:
    return TimerService(db, clock)


@pytest.fixture
def service(db: Database, clock: FakeClock, timers: TimerService, config: Config) -> WorkingGroupService:
    return WorkingGroupService(db, clock, timers, config)


async def seeded(service: WorkingGroupService, config: Config) -> list[Group]:
    groups = await service.seed(GUILD, config.working_groups)
    provisioned = []
    for index, group in enumerate(groups):
        provisioned.append(
            await service.set_discord(group.id, role_id=ROLE_BASE + index, channel_id=8000 + index)
        )
    return provisioned


async def pending(db: Database, kind: str) -> list[dict[str, Any]]:
    rows = await db.fetchall(
        "SELECT payload, due_at FROM timers WHERE kind = ? AND status = 'pending' ORDER BY id", (kind,)
    )
    return [{**json.loads(r["payload"]), "due_at": r["due_at"]} for r in rows]


async def count(db: Database, table: str) -> int:
    return int(await db.fetchval(f"SELECT count(*) FROM {table}"))


# --- seeding ---------------------------------------------------------------------------------------


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


async def test_find_by_key_or_by_name_in_any_language_without_accents(
    service: WorkingGroupService, config: Config
) -> None:
    groups = await seeded(service, config)
    assert (await service.find(GUILD, "wg3-data")).id == groups[2].id
    assert (
        await service.find(GUILD, "gt3 – deficit mondial de donnees sur les femmes dans le secteur minier")
    ).id == (groups[2].id)
    with pytest.raises(NotFound) as caught:
        await service.find(GUILD, "wg9")
    assert caught.value.key == "working_groups.errors.unknown_group"
    assert fold("Réunion  Élargie") == "reunion elargie"


async def test_find_card_finds_and_reads_the_card_in_one_go(
    service: WorkingGroupService, config: Config, db: Database
) -> None:
    wg1, wg2, *_ = await seeded(service, config)
    await service.edit(wg2.id, MODERATOR, "en", private=True)
    await service.post_summary(wg2.id, "Réunion privée", "Ordre du jour", MODERATOR, "fr")
    by_key = await service.find_card(GUILD, "wg2-workplace", MEMBER)
    assert by_key.group.id == wg2.id and by_key.archive_hidden and by_key.summaries == []
    by_name = await service.find_card(GUILD, "gt2 – conception de lieux de travail inclusifs", MODERATOR)
    assert by_name.group.id == wg2.id and [p.title for p in by_name.summaries] == ["Réunion privée"]
    assert by_name == await service.card(wg2.id, MODERATOR)
    await service.archive(wg1.id, MODERATOR, "en")
    with pytest.raises(NotFound):
        await service.find_card(GUILD, "wg1-stem", MEMBER)
    assert (await service.find_card(GUILD, "wg1-stem", MEMBER, include_archived=True)).group.archived
    with pytest.raises(NotFound):
        await service.find_card(GUILD, "  ", MEMBER)


async def test_the_card_reads_no_more_documents_than_its_field_can_show(
    service: WorkingGroupService, config: Config
) -> None:
    from bot.services.working_groups import CARD_DOCUMENTS

    wg1, *_ = await seeded(service, config)
    for n in range(CARD_DOCUMENTS + 5):
        await service.add_document(wg1.id, f"Doc {n}", f"https://example.org/{n}", MODERATOR, "en")
    card = await service.card(wg1.id, MEMBER)
    assert [d.title for d in card.documents] == [f"Doc {n}" for n in range(CARD_DOCUMENTS)]
    everything = await service.documents(wg1.id)
    assert len(everything) == CARD_DOCUMENTS + 5
    # The shortest possible lines: the field is the same as with every document, and ends with "…".
    catalog = Catalog.load()
    short = [replace(d, id=n, title="t", url="http://x") for n, d in enumerate(everything, start=1)]

    def documents_field(documents: list[Document]) -> str:
        embed = _render.card_embed(catalog, "en", replace(card, documents=documents), members=1)
        name = catalog.t("en", "working_groups.card.documents")
        return next(str(f.value) for f in embed.fields if f.name == name)

    assert documents_field(short[:CARD_DOCUMENTS]) == documents_field(short)
    assert documents_field(short).endswith("…")


# --- creation --------------------------------------------------------------------------------------


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
            await service.check_new(GUILD, key, name)
        assert caught.value.key == error, (key, name)
    assert await service.check_new(GUILD, "WG5-Safety", "WG5 – Safety") == ("wg5-safety", "WG5 – Safety")
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
        await service.create(GUILD, actor=MEMBER, **kwargs)
    group = await service.create(GUILD, actor=MODERATOR, **kwargs)
    assert group.private and group.status == "not_started" and group.source == "command"
    assert group.name.get("fr") == "GT5 – Sécurité" and group.name.get("en") == "GT5 – Sécurité"
    assert group.stake.values == {"fr": "Des mines plus sûres"}
    assert group.mandate.values == {}
    with pytest.raises(UserFacingError) as caught:
        await service.create(GUILD, actor=MODERATOR, **{**kwargs, "name": "Other"})
    assert caught.value.key == "working_groups.errors.duplicate_key"
    assert await count(db, "wg_groups") == 1


async def test_edit_changes_only_the_editor_language(service: WorkingGroupService, config: Config) -> None:
    wg1 = (await seeded(service, config))[0]
    edited = await service.edit(wg1.id, MODERATOR, "fr", stake="Nouvel enjeu")
    assert edited.stake.get("fr") == "Nouvel enjeu"
    assert edited.stake.get("en") == wg1.stake.get("en")
    with pytest.raises(UserFacingError) as caught:
        await service.edit(wg1.id, MODERATOR, "en")
    assert caught.value.key == "working_groups.errors.nothing_to_change"
    with pytest.raises(UserFacingError) as caught:
        await service.edit(wg1.id, MODERATOR, "en", name="WG2 – Inclusive Workplace Design")
    assert caught.value.key == "working_groups.errors.duplicate_name"
    with pytest.raises(PermissionDenied):
        await service.edit(wg1.id, COORDINATOR, "en", name="Mine")


# --- coordinators and permissions --------------------------------------------------------------------


async def test_a_coordinator_manages_only_their_own_group(
    service: WorkingGroupService, config: Config, db: Database
) -> None:
    wg1, wg2, *_ = await seeded(service, config)
    await service.add_coordinator(wg1.id, COORDINATOR.user_id, MODERATOR, "en")
    with pytest.raises(UserFacingError) as caught:
        await service.add_coordinator(wg1.id, COORDINATOR.user_id, MODERATOR, "en")
    assert caught.value.key == "working_groups.errors.already_coordinator"
    with pytest.raises(PermissionDenied):
        await service.add_coordinator(wg2.id, COORDINATOR.user_id, COORDINATOR, "en")

    updated = await service.set_status(wg1.id, "needs_attention", "Waiting for data", COORDINATOR, "en")
    assert updated.status == "needs_attention"
    history = (await service.card(wg1.id)).history
    assert (history[0].status, history[0].note, history[0].actor_id) == (
        "needs_attention",
        "Waiting for data",
        COORDINATOR.user_id,
    )
    before = await count(db, "wg_status_history")
    for attempt in (
        service.set_status(wg2.id, "completed", None, COORDINATOR, "en"),
        service.workplan_add(wg2.id, "Item", "in_progress", COORDINATOR, "en"),
        service.deliverable_add(wg2.id, COORDINATOR, "en", title="Guide", kind="guide"),
        service.post_update(wg2.id, "Progress", COORDINATOR, "en"),
        service.add_document(wg2.id, "Doc", "https://example.org/doc", COORDINATOR, "en"),
        service.set_status(wg1.id, "completed", None, MEMBER, "en"),
    ):
        with pytest.raises(PermissionDenied) as caught:
            await attempt
        assert caught.value.key == "working_groups.errors.not_coordinator"
    assert await count(db, "wg_status_history") == before
    assert await count(db, "wg_posts") == 0

    await service.remove_coordinator(wg1.id, COORDINATOR.user_id, MODERATOR, "en")
    with pytest.raises(PermissionDenied):
        await service.set_status(wg1.id, "completed", None, COORDINATOR, "en")
    with pytest.raises(UserFacingError) as caught:
        await service.remove_coordinator(wg1.id, COORDINATOR.user_id, MODERATOR, "en")
    assert caught.value.key == "working_groups.errors.not_a_coordinator"


async def test_workplan_and_deliverables_refuse_bad_input(
    service: WorkingGroupService, config: Config, db: Database, clock: FakeClock
) -> None:
    wg1, wg2, *_ = await seeded(service, config)
    item = await service.workplan_add(wg1.id, "Survey WIM organisations", "not_started", MODERATOR, "en")
    updated = await service.workplan_update(wg1.id, item.id, MODERATOR, "en", title=None, status="completed")
    assert updated.status == "completed"
    other = (await service.workplan(wg2.id))[0]
    with pytest.raises(NotFound) as unknown:
        await service.workplan_update(wg1.id, other.id, MODERATOR, "en", title="x", status=None)
    assert unknown.value.key == "working_groups.errors.unknown_item"
    with pytest.raises(UserFacingError):
        await service.workplan_update(wg1.id, item.id, MODERATOR, "en", title=None, status=None)
    with pytest.raises(UserFacingError) as caught:
        await service.workplan_add(wg1.id, "  ", "in_progress", MODERATOR, "en")
    assert caught.value.key == "validation.required"
    await service.workplan_remove(wg1.id, item.id, MODERATOR, "en")
    assert item.id not in [i.id for i in await service.workplan(wg1.id)]

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
            await service.deliverable_add(wg1.id, MODERATOR, "en", **kwargs)
        assert caught.value.key == error, kwargs
    deliverable = await service.deliverable_add(
        wg1.id, MODERATOR, "en", title="How-to guide", kind="guide", due=next_month
    )
    assert deliverable.due_date is not None and deliverable.status == "not_started"
    published = await service.deliverable_update(
        wg1.id, deliverable.id, MODERATOR, "en", status="completed", link="https://example.org/guide.pdf"
    )
    assert (published.status, published.link) == ("completed", "https://example.org/guide.pdf")
    with pytest.raises(NotFound):
        await service.deliverable_remove(wg2.id, deliverable.id, MODERATOR, "en")
    await service.deliverable_remove(wg1.id, deliverable.id, MODERATOR, "en")
    assert deliverable.id not in [d.id for d in await service.deliverables(wg1.id)]


# --- updates, outbox timers and staleness -----------------------------------------------------------


async def test_an_update_is_stored_with_its_post_timer_and_moves_the_stale_timer(
    service: WorkingGroupService, config: Config, db: Database, clock: FakeClock
) -> None:
    wg1 = (await seeded(service, config))[0]
    first_stale = [t for t in await pending(db, WG_STALE) if t["group_id"] == wg1.id]
    clock.advance(timedelta(days=3))
    post = await service.post_update(wg1.id, "Survey sent to 40 WIM organisations", MODERATOR, "en")
    assert [t["post_id"] for t in await pending(db, WG_POST)] == [post.id]
    stale = [t for t in await pending(db, WG_STALE) if t["group_id"] == wg1.id]
    assert len(stale) == 1 and stale[0]["due_at"] > first_stale[0]["due_at"]
    with pytest.raises(UserFacingError) as caught:
        await service.post_update(wg1.id, "x" * 4001, MODERATOR, "en")
    assert caught.value.key == "validation.too_long"
    await service.record_post_message(post.id, 8000, 123)
    stored = await service.get_post(post.id)
    assert stored is not None and stored.message_id == 123


async def test_a_quiet_group_is_flagged_and_nudged_once(
    service: WorkingGroupService, config: Config, clock: FakeClock
) -> None:
    wg1 = (await seeded(service, config))[0]
    await service.add_coordinator(wg1.id, COORDINATOR.user_id, MODERATOR, "en")
    clock.advance(timedelta(days=13))
    early = await service.check_stale(wg1.id)
    assert not early.nudge
    clock.advance(timedelta(days=2))
    check = await service.check_stale(wg1.id)
    assert check.nudge and check.coordinators == [COORDINATOR.user_id]
    assert check.group is not None and check.group.status == "needs_attention"
    history = (await service.card(wg1.id)).history
    assert history[0].status == "needs_attention" and history[0].actor_id is None
    assert await service.mark_nudged(check.group)
    again = await service.check_stale(wg1.id)
    assert not again.nudge, "the same quiet spell was nudged twice"
    assert not await service.mark_nudged(check.group)
    report = {line.row.key: line for line in await service.report(GUILD)}
    assert report["wg1-stem"].stale and report["wg1-stem"].days_since_update == 15


async def test_report_counts_done_total_and_overdue(
    service: WorkingGroupService, config: Config, clock: FakeClock
) -> None:
    wg1 = (await seeded(service, config))[0]
    items = await service.workplan(wg1.id)
    await service.workplan_update(wg1.id, items[0].id, MODERATOR, "en", title=None, status="completed")
    soon = (clock.now() + timedelta(days=2)).date().isoformat()
    await service.deliverable_add(wg1.id, MODERATOR, "en", title="Index", kind="index", due=soon)
    clock.advance(timedelta(days=5))
    await service.post_update(wg1.id, "Index drafted", MODERATOR, "en")
    clock.advance(timedelta(days=1))
    line = next(line for line in await service.report(GUILD) if line.row.key == "wg1-stem")
    assert (line.row.workplan_done, line.row.workplan_total) == (1, 4)
    assert (line.row.deliverables_done, line.row.deliverables_total, line.row.deliverables_overdue) == (
        0,
        3,
        1,
    )
    assert line.days_since_update == 1 and not line.stale


# --- search ----------------------------------------------------------------------------------------


async def test_search_folds_accents_and_hides_private_groups_without_the_role(
    service: WorkingGroupService, config: Config, db: Database
) -> None:
    wg1, wg2, *_ = await seeded(service, config)
    await service.edit(wg2.id, MODERATOR, "en", private=True)
    await service.post_update(wg1.id, "Compte rendu de la réunion de mars", MODERATOR, "fr")
    await service.post_summary(wg2.id, "Réunion privée", "Ordre du jour : réunion des EPI", MODERATOR, "fr")
    await service.add_document(wg1.id, "Étude de référence", "https://example.org/etude", MODERATOR, "fr")

    hits = await service.search(GUILD, "reunion", MEMBER)
    assert [(h.source, h.group_id) for h in hits] == [("update", wg1.id)]
    assert hits[0].group_name == wg1.name, "each hit carries its group's name for the reply"
    assert "**réunion**" in hits[0].snippet
    member_of_wg2 = Actor(MEMBER.user_id, role_ids=frozenset({wg2.role_id or 0}))
    assert {h.group_id for h in await service.search(GUILD, "REUNION", member_of_wg2)} == {wg1.id, wg2.id}
    assert len(await service.search(GUILD, "reunion", MODERATOR)) == 2
    assert await service.search(GUILD, "reunion", MEMBER, group_id=wg2.id) == []
    outside = await service.card(wg2.id, MEMBER)
    assert outside.archive_hidden and outside.summaries == [] and outside.workplan
    inside = await service.card(wg2.id, member_of_wg2)
    assert not inside.archive_hidden and [p.title for p in inside.summaries] == ["Réunion privée"]
    assert [h.source for h in await service.search(GUILD, "etude", MEMBER)] == ["document"]
    assert (await service.search(GUILD, "etu", MEMBER))[0].url == "https://example.org/etude"
    # FTS5 syntax typed by a member is plain words, never an error.
    assert await service.search(GUILD, 'reunion" OR NEAR(', MEMBER) == []
    with pytest.raises(UserFacingError) as caught:
        await service.search(GUILD, "?!", MEMBER)
    assert caught.value.key == "working_groups.errors.no_words"
    assert fts_query("réunion mars") == '"réunion" "mars"*'


# --- joining private groups ------------------------------------------------------------------------


async def test_private_join_requests(service: WorkingGroupService, config: Config, db: Database) -> None:
    wg1, wg2, *_ = await seeded(service, config)
    with pytest.raises(UserFacingError) as caught:
        await service.request_join(wg1.id, MEMBER, "fr")
    assert caught.value.key == "working_groups.errors.not_private"
    await service.edit(wg2.id, MODERATOR, "en", private=True)
    request = await service.request_join(wg2.id, MEMBER, "fr")
    assert request.status == "pending" and request.language == "fr"
    assert [t["request_id"] for t in await pending(db, WG_JOIN_REQUEST)] == [request.id]
    with pytest.raises(UserFacingError) as caught:
        await service.request_join(wg2.id, MEMBER, "fr")
    assert caught.value.key == "working_groups.errors.request_pending"
    assert await count(db, "wg_join_requests") == 1

    await service.add_coordinator(wg1.id, COORDINATOR.user_id, MODERATOR, "en")
    with pytest.raises(PermissionDenied):
        await service.decide_join(request.id, True, COORDINATOR, "en")  # coordinator of another group
    await service.add_coordinator(wg2.id, COORDINATOR.user_id, MODERATOR, "en")
    decided = await service.decide_join(request.id, True, COORDINATOR, "en")
    assert decided.status == "approved" and decided.decided_by == COORDINATOR.user_id
    assert [t["request_id"] for t in await pending(db, WG_JOIN_OUTCOME)] == [request.id]
    with pytest.raises(UserFacingError) as caught:
        await service.decide_join(request.id, False, MODERATOR, "en")
    assert caught.value.key == "working_groups.errors.request_decided"
    member = Actor(MEMBER.user_id, role_ids=frozenset({wg2.role_id or 0}))
    with pytest.raises(UserFacingError) as caught:
        await service.request_join(wg2.id, member, "fr")
    assert caught.value.key == "working_groups.errors.already_member"


async def test_archived_group_refuses_changes_and_stops_its_stale_timer(
    service: WorkingGroupService, config: Config, db: Database
) -> None:
    wg1 = (await seeded(service, config))[0]
    archived = await service.archive(wg1.id, MODERATOR, "en")
    assert archived.archived
    assert wg1.id not in [t["group_id"] for t in await pending(db, WG_STALE)]
    assert wg1.id not in [g.id for g in await service.groups(GUILD)]
    with pytest.raises(UserFacingError) as caught:
        await service.post_update(wg1.id, "Late news", MODERATOR, "en")
    assert caught.value.key == "working_groups.errors.archived"
    with pytest.raises(NotFound):
        await service.find(GUILD, "wg1-stem")
    assert (await service.find(GUILD, "wg1-stem", include_archived=True)).id == wg1.id


# --- index of initiatives ------------------------------------------------------------------------


async def test_search_ranks_the_most_recent_matches_and_never_hides_older_visible_ones(
    service: WorkingGroupService, config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.repositories.working_groups.posts.RANK_WINDOW", 4)
    wg1, wg2, *_ = await seeded(service, config)
    # The oldest update is the best match (the word three times), then six newer ones.
    await service.post_update(
        wg1.id, "Mentoring, mentoring, mentoring: the circle's first year", MODERATOR, "en"
    )
    for n in range(6):
        await service.post_update(wg1.id, f"Mentoring circle meeting {n}", MODERATOR, "en")
    hits = await service.search(GUILD, "mentoring", MEMBER, limit=3)
    # Ranked among the 4 most recent matches: the bm25 best of those, not the archive's oldest.
    assert [h.snippet.count("**mentoring**") + h.snippet.count("**Mentoring**") for h in hits] == [1, 1, 1]
    assert len(await service.search(GUILD, "mentoring", MEMBER, limit=10)) == 7, "a short page ranks all"

    # A private group's newer posts fill the window: the member still gets the older visible ones.
    await service.edit(wg2.id, MODERATOR, "en", private=True)
    for n in range(6):
        await service.post_update(wg2.id, f"Private mentoring notes {n}", MODERATOR, "en")
    visible = await service.search(GUILD, "mentoring", MEMBER, limit=3)
    assert len(visible) == 3 and {h.group_id for h in visible} == {wg1.id}


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
