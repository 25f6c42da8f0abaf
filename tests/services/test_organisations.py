"""OrganisationService against a real SQLite database (every migration) and a FakeClock.

The shared ``db`` and ``clock`` fixtures come from tests/conftest.py (Monday 2027-03-01 09:00 UTC).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from bot.clock import FakeClock
from bot.config import Config, SeedOrganisation, parse_config
from bot.db import Database
from bot.errors import NotFound, UserFacingError
from bot.services.organisations import (
    ORG_CLAIM_OUTCOME,
    ORG_CLAIM_POST,
    ORG_ROLE_SYNC,
    OrganisationChanges,
    OrganisationDraft,
    OrganisationService,
)
from bot.services.timers import TimerService

GUILD = 1000
MOD = 2001
MOD_2 = 2002
ADA = 3001
MARGAUX = 3002
LUCIA = 3003


def make_config(tmp_path: Path, **directory: Any) -> Config:
    return parse_config({"guild_ids": [GUILD], "directory": directory}, base_dir=tmp_path)


@pytest.fixture
def service(db: Database, clock: FakeClock, tmp_path: Path) -> OrganisationService:
    return OrganisationService(db, clock, TimerService(db, clock), make_config(tmp_path))


def draft(**overrides: Any) -> OrganisationDraft:
    values: dict[str, Any] = {
        "name": "Mujeres en Minería Perú",
        "country": "PE",
        "website": "https://wimperu.org",
        "description": "Red de mujeres en la minería del Perú.",
        "description_language": "es",
        "joined": "2021-06-15",
    }
    values.update(overrides)
    return OrganisationDraft(**values)


async def count(db: Database, table: str) -> int:
    return int(await db.fetchval(f"SELECT count(*) FROM {table}"))


async def timers_of(db: Database, kind: str) -> list[dict[str, Any]]:
    import json

    rows = await db.fetchall("SELECT payload FROM timers WHERE kind = ? ORDER BY id", (kind,))
    return [json.loads(row["payload"]) for row in rows]


async def history_actions(db: Database, organisation_id: int) -> list[tuple[str, int, int | None]]:
    rows = await db.fetchall(
        "SELECT action, actor_id, subject_id FROM organisation_history WHERE organisation_id = ? ORDER BY id",
        (organisation_id,),
    )
    return [(row["action"], row["actor_id"], row["subject_id"]) for row in rows]


# --- adding and the bad input it refuses ---------------------------------------------------------------


async def test_add_stores_the_organisation_with_its_countrys_m49_region_and_a_history_entry(
    service: OrganisationService, db: Database, clock: FakeClock
) -> None:
    organisation = await service.add(GUILD, MOD, draft())
    assert organisation.name == "Mujeres en Minería Perú"
    assert organisation.country == "PE"
    assert organisation.region == "419"  # Latin America and the Caribbean
    assert not organisation.region_is_set
    assert organisation.description("es") == "Red de mujeres en la minería del Perú."
    assert organisation.description("fr") == "Red de mujeres en la minería del Perú."  # the only one it has
    assert organisation.joined_on.isoformat() == "2021-06-15"
    entries = (await service.history(GUILD, organisation.id)).items
    assert [(e.action, e.actor_id, e.at) for e in entries] == [("created", MOD, clock.now())]
    assert entries[0].details["website"] == "https://wimperu.org"


async def test_country_as_alpha3_or_name_in_any_language_and_region_set_by_hand(
    service: OrganisationService,
) -> None:
    by_alpha3 = await service.add(GUILD, MOD, draft(name="WIM South Africa", country="zaf"))
    assert (by_alpha3.country, by_alpha3.region) == ("ZA", "202")
    by_name = await service.add(GUILD, MOD, draft(name="WIM Côte d'Ivoire", country="côte d'ivoire"))
    assert by_name.country == "CI"
    override = await service.add(GUILD, MOD, draft(name="WIM Cyprus", country="CY", region="039"))
    assert (override.region, override.region_is_set) == ("039", True)


@pytest.mark.parametrize(
    "name", ["MUJERES EN MINERIA PERU", "mujeres en minería perú", "  Mujeres   en Mineria Perú "]
)
async def test_a_duplicate_name_ignoring_case_accents_and_spacing_is_refused_and_nothing_written(
    service: OrganisationService, db: Database, name: str
) -> None:
    await service.add(GUILD, MOD, draft())
    before = (await count(db, "organisations"), await count(db, "organisation_history"))
    with pytest.raises(UserFacingError) as caught:
        await service.add(GUILD, MOD, draft(name=name))
    assert caught.value.key == "orgs.errors.duplicate_name"
    assert caught.value.params["existing"] == "Mujeres en Minería Perú"
    assert (await count(db, "organisations"), await count(db, "organisation_history")) == before


async def test_the_database_refuses_a_duplicate_folded_name_even_without_the_service(
    service: OrganisationService, db: Database
) -> None:
    import sqlite3

    await service.add(GUILD, MOD, draft())
    with pytest.raises(sqlite3.IntegrityError):
        async with db.transaction() as tx:
            await tx.execute(
                "INSERT INTO organisations (guild_id, name, name_key, country, region, website, "
                "joined_on, created_at, updated_at) SELECT guild_id, 'x', name_key, country, region, "
                "website, joined_on, created_at, updated_at FROM organisations"
            )


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"country": "XX"}, "orgs.errors.unknown_country"),
        ({"country": ""}, "orgs.errors.country_required"),
        ({"country": "Atlantis"}, "orgs.errors.unknown_country"),
        ({"region": "999"}, "orgs.errors.unknown_region"),
        ({"region": "Europe"}, "orgs.errors.unknown_region"),
        ({"country": "AQ"}, "orgs.errors.no_region"),
        ({"website": "ftp://wimperu.org"}, "validation.bad_url"),
        ({"website": "javascript:alert(1)"}, "validation.bad_url"),
        ({"website": "wimperu.org"}, "validation.bad_url"),
        ({"website": ""}, "validation.required"),
        ({"linkedin": "https://example.org/wim"}, "orgs.errors.not_linkedin"),
        ({"linkedin": "http://linkedin.com.evil.org/x"}, "orgs.errors.not_linkedin"),
        ({"name": "x" * 101}, "validation.too_long"),
        ({"name": "  "}, "validation.required"),
        ({"name": "WIM\x00Peru"}, "validation.bad_characters"),
        ({"description": "d" * 501}, "validation.too_long"),
        ({"description_language": "de"}, "orgs.errors.bad_language"),
        ({"joined": "2027-13-01"}, "validation.bad_date"),
        ({"joined": "2027-03-02"}, "orgs.errors.joined_in_future"),
    ],
)
async def test_bad_input_is_refused_with_its_key_and_nothing_is_written(
    service: OrganisationService, db: Database, overrides: dict[str, Any], key: str
) -> None:
    with pytest.raises(UserFacingError) as caught:
        await service.add(GUILD, MOD, draft(**overrides))
    assert caught.value.key == key
    assert await count(db, "organisations") == 0
    assert await count(db, "organisation_history") == 0


async def test_linkedin_pages_on_linkedin_hosts_are_accepted(service: OrganisationService) -> None:
    organisation = await service.add(
        GUILD, MOD, draft(linkedin="https://www.linkedin.com/company/women-in-mining-peru/")
    )
    assert organisation.linkedin == "https://www.linkedin.com/company/women-in-mining-peru/"


# --- editing -------------------------------------------------------------------------------------------


async def test_edit_keeps_each_changed_fields_old_and_new_value_in_the_history(
    service: OrganisationService, clock: FakeClock
) -> None:
    organisation = await service.add(GUILD, MOD, draft())
    edited = await service.edit(
        GUILD,
        organisation.id,
        MOD_2,
        OrganisationChanges(
            website="https://www.wimperu.org", description="Women in Mining Peru.", description_language="en"
        ),
    )
    assert edited.website == "https://www.wimperu.org"
    assert edited.description("en") == "Women in Mining Peru."
    assert edited.description("es") == "Red de mujeres en la minería del Perú."
    latest = (await service.history(GUILD, organisation.id)).items[0]
    assert (latest.action, latest.actor_id) == ("edited", MOD_2)
    assert latest.details["changes"] == {
        "website": ["https://wimperu.org", "https://www.wimperu.org"],
        "description_en": [None, "Women in Mining Peru."],
    }


async def test_region_follows_the_country_unless_it_was_set_by_hand(service: OrganisationService) -> None:
    following = await service.add(GUILD, MOD, draft(name="Org A", country="PE"))
    moved = await service.edit(GUILD, following.id, MOD, OrganisationChanges(country="CA"))
    assert (moved.country, moved.region) == ("CA", "021")
    pinned = await service.add(GUILD, MOD, draft(name="Org B", country="CY", region="039"))
    moved = await service.edit(GUILD, pinned.id, MOD, OrganisationChanges(country="GR"))
    assert (moved.region, moved.region_is_set) == ("039", True)
    back = await service.edit(GUILD, pinned.id, MOD, OrganisationChanges(region="auto", country="TR"))
    assert (back.region, back.region_is_set) == ("145", False)


async def test_edit_refuses_a_name_taken_nothing_to_change_and_clears_with_a_dash(
    service: OrganisationService, db: Database
) -> None:
    await service.add(GUILD, MOD, draft(name="WIM Canada", country="CA"))
    peru = await service.add(GUILD, MOD, draft(linkedin="https://linkedin.com/company/wimperu"))
    history_before = await count(db, "organisation_history")
    with pytest.raises(UserFacingError) as caught:
        await service.edit(GUILD, peru.id, MOD, OrganisationChanges(name="wim canadá"))
    assert caught.value.key == "orgs.errors.duplicate_name"
    for changes in (OrganisationChanges(), OrganisationChanges(website="https://wimperu.org")):
        with pytest.raises(UserFacingError) as caught:
            await service.edit(GUILD, peru.id, MOD, changes)
        assert caught.value.key == "orgs.errors.nothing_to_change"
    assert await count(db, "organisation_history") == history_before
    renamed = await service.edit(GUILD, peru.id, MOD, OrganisationChanges(name="MUJERES en minería Perú"))
    assert renamed.name == "MUJERES en minería Perú"  # the same name in other letters is its own
    cleared = await service.edit(GUILD, peru.id, MOD, OrganisationChanges(linkedin="-"))
    assert cleared.linkedin is None


# --- claims, decisions and the races between them -----------------------------------------------------


async def test_a_claim_is_pending_and_queued_for_the_mod_log_and_a_second_one_is_refused(
    service: OrganisationService, db: Database
) -> None:
    peru = await service.add(GUILD, MOD, draft())
    canada = await service.add(GUILD, MOD, draft(name="WIM Canada", country="CA"))
    claim, _ = await service.claim(GUILD, ADA, peru.id, "leader", "fr")
    assert (claim.status, claim.standing, claim.language) == ("pending", "leader", "fr")
    assert await timers_of(db, ORG_CLAIM_POST) == [{"guild_id": GUILD, "claim_id": claim.id}]
    with pytest.raises(UserFacingError) as caught:
        await service.claim(GUILD, ADA, canada.id, "member", "fr")
    assert caught.value.key == "orgs.errors.claim_pending"
    assert caught.value.params["name"] == "Mujeres en Minería Perú"
    assert await count(db, "organisation_claims") == 1


async def test_approval_links_the_member_syncs_their_role_and_tells_them(
    service: OrganisationService, db: Database
) -> None:
    peru = await service.add(GUILD, MOD, draft())
    claim, _ = await service.claim(GUILD, ADA, peru.id, "leader", "es")
    decision = await service.decide(GUILD, claim.id, MOD, approve=True)
    assert decision.decided_now and decision.claim.status == "approved" and decision.claim.decided_by == MOD
    standing = await service.standing(GUILD, ADA)
    assert standing.link is not None and standing.link.standing == "leader" and standing.pending is None
    assert await service.should_have_leaders_role(GUILD, ADA)
    assert await timers_of(db, ORG_ROLE_SYNC) == [{"guild_id": GUILD, "user_id": ADA}]
    assert await timers_of(db, ORG_CLAIM_OUTCOME) == [{"guild_id": GUILD, "claim_id": claim.id}]
    card = await service.card(GUILD, peru.id)
    assert [link.user_id for link in card.leaders] == [ADA]
    with pytest.raises(UserFacingError) as caught:
        await service.claim(GUILD, ADA, peru.id, "member", "es")
    assert caught.value.key == "orgs.errors.already_linked"


async def test_a_second_click_is_told_what_was_decided_and_changes_nothing(
    service: OrganisationService, db: Database
) -> None:
    peru = await service.add(GUILD, MOD, draft())
    claim, _ = await service.claim(GUILD, ADA, peru.id, "member", "en")
    first = await service.decide(GUILD, claim.id, MOD, approve=False)
    second = await service.decide(GUILD, claim.id, MOD_2, approve=True)
    assert first.decided_now and not second.decided_now
    assert (second.claim.status, second.claim.decided_by) == ("declined", MOD)
    assert (await service.standing(GUILD, ADA)).link is None
    assert len(await timers_of(db, ORG_CLAIM_OUTCOME)) == 1
    assert [a for a, _, _ in await history_actions(db, peru.id)].count("claim_declined") == 1


async def test_two_moderators_at_once_exactly_one_decision_counts(
    service: OrganisationService, db: Database
) -> None:
    peru = await service.add(GUILD, MOD, draft())
    claim, _ = await service.claim(GUILD, ADA, peru.id, "leader", "en")
    decisions = await asyncio.gather(
        service.decide(GUILD, claim.id, MOD, approve=True),
        service.decide(GUILD, claim.id, MOD_2, approve=False),
        service.decide(GUILD, claim.id, MOD_2, approve=True),
    )
    assert sum(d.decided_now for d in decisions) == 1
    winner = next(d for d in decisions if d.decided_now)
    assert all(d.claim.status == winner.claim.status for d in decisions)
    assert len(await timers_of(db, ORG_CLAIM_OUTCOME)) == 1
    decided = [a for a, _, _ in await history_actions(db, peru.id) if a.startswith("claim_")]
    assert len(decided) == 1


async def test_representatives_are_limited_at_claim_approval_and_verification(
    service: OrganisationService, db: Database
) -> None:
    peru = await service.add(GUILD, MOD, draft())
    await service.verify(GUILD, peru.id, ADA, "representative", MOD)
    claim, _ = await service.claim(GUILD, MARGAUX, peru.id, "representative", "fr")
    await service.verify(GUILD, peru.id, LUCIA, "representative", MOD)  # the second seat
    with pytest.raises(UserFacingError) as caught:
        await service.decide(GUILD, claim.id, MOD, approve=True)
    assert caught.value.key == "orgs.errors.representatives_full"
    assert caught.value.params["limit"] == 2
    assert (await service.get_claim(GUILD, claim.id))[0].status == "pending"  # still to decide
    with pytest.raises(UserFacingError) as caught:
        await service.claim(GUILD, 3999, peru.id, "representative", "en")
    assert caught.value.key == "orgs.errors.representatives_full"
    with pytest.raises(UserFacingError):
        await service.verify(GUILD, peru.id, 3998, "representative", MOD)
    assert (await service.card(GUILD, peru.id)).counts.representative == 2
    # A representative changing to leader frees a seat.
    await service.verify(GUILD, peru.id, ADA, "leader", MOD)
    assert (await service.decide(GUILD, claim.id, MOD, approve=True)).decided_now


async def test_verify_cancels_a_pending_claim_and_refuses_a_member_linked_elsewhere(
    service: OrganisationService, db: Database
) -> None:
    peru = await service.add(GUILD, MOD, draft())
    canada = await service.add(GUILD, MOD, draft(name="WIM Canada", country="CA"))
    claim, _ = await service.claim(GUILD, ADA, canada.id, "member", "en")
    result = await service.verify(GUILD, peru.id, ADA, "leader", MOD)
    assert result.cancelled_claim is not None and result.cancelled_claim.id == claim.id
    late = await service.decide(GUILD, claim.id, MOD_2, approve=True)
    assert not late.decided_now and late.claim.status == "cancelled"
    with pytest.raises(UserFacingError) as caught:
        await service.verify(GUILD, canada.id, ADA, "member", MOD)
    assert caught.value.key == "orgs.errors.linked_elsewhere"
    with pytest.raises(UserFacingError) as caught:
        await service.verify(GUILD, peru.id, ADA, "leader", MOD)
    assert caught.value.key == "orgs.errors.already_verified"
    with pytest.raises(UserFacingError) as caught:
        await service.verify(GUILD, peru.id, ADA, "chair", MOD)
    assert caught.value.key == "orgs.errors.bad_standing"


async def test_unverify_and_leave_unlink_and_sync_the_role_away(
    service: OrganisationService, db: Database
) -> None:
    peru = await service.add(GUILD, MOD, draft())
    await service.verify(GUILD, peru.id, ADA, "leader", MOD)
    await service.verify(GUILD, peru.id, MARGAUX, "representative", MOD)
    link, organisation = await service.unverify(GUILD, ADA, MOD_2)
    assert link.standing == "leader" and organisation.id == peru.id
    assert not await service.should_have_leaders_role(GUILD, ADA)
    left = await service.leave(GUILD, MARGAUX)
    assert left.left is not None and left.left.standing == "representative" and left.withdrawn is None
    assert [p["user_id"] for p in await timers_of(db, ORG_ROLE_SYNC)] == [ADA, MARGAUX, ADA, MARGAUX]
    with pytest.raises(UserFacingError) as caught:
        await service.unverify(GUILD, ADA, MOD)
    assert caught.value.key == "orgs.errors.not_linked"
    with pytest.raises(UserFacingError) as caught:
        await service.leave(GUILD, ADA)
    assert caught.value.key == "orgs.errors.nothing_to_leave"
    assert [(a, actor, s) for a, actor, s in await history_actions(db, peru.id)][-2:] == [
        ("unverified", MOD_2, ADA),
        ("left", MARGAUX, MARGAUX),
    ]


async def test_leave_withdraws_a_pending_claim_and_its_buttons_then_say_so(
    service: OrganisationService,
) -> None:
    peru = await service.add(GUILD, MOD, draft())
    claim, _ = await service.claim(GUILD, ADA, peru.id, "member", "en")
    result = await service.leave(GUILD, ADA)
    assert result.left is None and result.withdrawn is not None and result.withdrawn.status == "withdrawn"
    late = await service.decide(GUILD, claim.id, MOD, approve=True)
    assert not late.decided_now and late.claim.status == "withdrawn"
    planned = await service.claim_for_outcome(claim.id)  # no DM for it, but its post is closed
    assert planned is not None and planned[0].status == "withdrawn"


async def test_outcome_and_post_plans_are_one_shot(service: OrganisationService) -> None:
    peru = await service.add(GUILD, MOD, draft())
    claim, _ = await service.claim(GUILD, ADA, peru.id, "member", "fr")
    assert await service.claim_for_post(claim.id) is not None
    await service.record_claim_post(claim.id, 77, 88)
    assert await service.claim_for_post(claim.id) is None  # a retried timer never posts twice
    assert await service.claim_for_outcome(claim.id) is None  # undecided
    await service.decide(GUILD, claim.id, MOD, approve=True)
    planned = await service.claim_for_outcome(claim.id)
    assert planned is not None and planned[0].language == "fr"
    await service.record_claim_dm(claim.id, "sent")
    assert await service.claim_for_outcome(claim.id) is None


# --- removal (archive) and its guards -----------------------------------------------------------------


async def test_remove_archives_unlinks_cancels_claims_and_keeps_the_history(
    service: OrganisationService, db: Database
) -> None:
    peru = await service.add(GUILD, MOD, draft())
    await service.verify(GUILD, peru.id, ADA, "leader", MOD)
    claim, _ = await service.claim(GUILD, MARGAUX, peru.id, "member", "fr")
    result = await service.remove(GUILD, peru.id, MOD_2)
    assert result.organisation.status == "archived" and result.organisation.archived_at is not None
    assert [link.user_id for link in result.unlinked] == [ADA]
    assert [c.id for c in result.cancelled_claims] == [claim.id]
    assert not await service.should_have_leaders_role(GUILD, ADA)
    assert await count(db, "organisations") == 1  # never deleted
    actions = [a for a, _, _ in await history_actions(db, peru.id)]
    assert actions[0] == "created" and actions[-1] == "archived" and "unlinked" in actions
    with pytest.raises(NotFound):
        await service.card(GUILD, peru.id)
    assert (await service.history(GUILD, peru.id)).total == len(actions)  # still readable
    again = await service.add(GUILD, MOD, draft())  # the name is free again
    assert again.id != peru.id
    assert (await service.claim_for_outcome(claim.id)) is not None  # Margaux is told it was cancelled


async def test_a_removal_guard_refuses_and_nothing_is_written(
    service: OrganisationService, db: Database
) -> None:
    peru = await service.add(GUILD, MOD, draft())
    canada = await service.add(GUILD, MOD, draft(name="WIM Canada", country="CA"))
    await service.verify(GUILD, peru.id, ADA, "leader", MOD)
    asked: list[int] = []

    async def open_ballot(organisation_id: int) -> str | None:
        asked.append(organisation_id)
        # A guard reads the database inside the removal's transaction.
        assert await db.fetchval("SELECT count(*) FROM organisations") == 2
        return "orgs.guards.test_open_ballot" if organisation_id == peru.id else None

    service.add_removal_guard(open_ballot)
    before = (await count(db, "organisation_history"), await count(db, "timers"))
    with pytest.raises(UserFacingError) as caught:
        await service.remove(GUILD, peru.id, MOD)
    assert caught.value.key == "orgs.errors.removal_blocked"
    assert caught.value.params["reason"] == "orgs.guards.test_open_ballot"
    assert (await service.get(GUILD, peru.id)).active
    assert await service.should_have_leaders_role(GUILD, ADA)
    assert (await count(db, "organisation_history"), await count(db, "timers")) == before
    await service.remove(GUILD, canada.id, MOD)  # no ballot: removed
    assert asked == [peru.id, canada.id]


async def test_unknown_organisations_and_other_guilds_are_not_found(service: OrganisationService) -> None:
    peru = await service.add(GUILD, MOD, draft())
    for call in (
        service.card(GUILD + 1, peru.id),
        service.remove(GUILD + 1, peru.id, MOD),
        service.claim(GUILD, ADA, 999, "member", "en"),
        service.edit(GUILD, 999, MOD, OrganisationChanges(name="x")),
        service.resolve(GUILD, "WIM Atlantis"),
        service.decide(GUILD, 999, MOD, approve=True),
    ):
        with pytest.raises(NotFound):
            await call


# --- reading: list, search, resolve ---------------------------------------------------------------------


async def test_list_pages_by_region_then_country_then_name_with_counts_per_region(
    service: OrganisationService,
) -> None:
    for name, country in [
        ("WIM Peru", "PE"),
        ("Women in Mining Chile", "CL"),
        ("WIM Canada", "CA"),
        ("WAIM USA", "US"),
        ("WIM Ghana", "GH"),
        ("Asociación de Mujeres Mineras", "PE"),
    ]:
        await service.add(GUILD, MOD, draft(name=name, country=country))
    page = await service.list_page(GUILD, limit=4)
    assert page.total == 6
    assert page.region_counts == {"202": 1, "419": 3, "021": 2}
    assert [o.name for o in page.items] == [
        "WIM Ghana",  # 202 Sub-Saharan Africa comes first in M49 order
        "Women in Mining Chile",
        "Asociación de Mujeres Mineras",
        "WIM Peru",
    ]
    rest = await service.list_page(GUILD, limit=4, offset=4)
    assert [o.name for o in rest.items] == ["WIM Canada", "WAIM USA"]
    americas = await service.list_page(GUILD, region="419")
    assert americas.total == 3
    peru = await service.list_page(GUILD, country="pe")
    assert [o.country for o in peru.items] == ["PE", "PE"]
    with pytest.raises(UserFacingError):
        await service.list_page(GUILD, region="000")


async def test_search_and_resolve_ignore_case_and_accents(service: OrganisationService) -> None:
    peru = await service.add(GUILD, MOD, draft())
    await service.add(GUILD, MOD, draft(name="Minería Chile", country="CL"))
    assert [o.id for o in await service.search(GUILD, "PERU")] == [peru.id]
    assert len(await service.search(GUILD, "mineria")) == 2
    assert (await service.resolve(GUILD, "mujeres en mineria peru")).id == peru.id
    assert (await service.resolve(GUILD, str(peru.id))).id == peru.id
    assert (await service.resolve(GUILD, "mujeres")).id == peru.id  # the only one starting so
    with pytest.raises(NotFound):
        await service.resolve(GUILD, "minería")  # two match: not a guess
    assert await service.search(GUILD, "%") == []


# --- seeding --------------------------------------------------------------------------------------------


async def test_seeding_is_idempotent_and_leaves_what_moderators_changed(
    service: OrganisationService, db: Database
) -> None:
    seeds = (
        SeedOrganisation(
            key="wim-peru",
            name="WIM Peru",
            country="PE",
            website="https://wimperu.org",
            description=(("es", "Mujeres en Minería Perú"),),
        ),
        SeedOrganisation(key="wim-canada", name="WIM Canada", country="CA", website="https://wimcanada.org"),
    )
    first = await service.seed(GUILD, seeds)
    assert first.created == ("wim-peru", "wim-canada")
    again = await service.seed(GUILD, seeds)
    assert again.created == () and again.existing == ("wim-peru", "wim-canada")
    assert await count(db, "organisations") == 2
    canada = await service.resolve(GUILD, "WIM Canada")
    await service.remove(GUILD, canada.id, MOD)
    await service.seed(GUILD, seeds)  # a restart does not bring back what a moderator removed
    assert await count(db, "organisations") == 2
    clash = (SeedOrganisation(key="peru-2", name="wim peru", country="PE", website="https://x.org"),)
    assert (await service.seed(GUILD, clash)).skipped == {"peru-2": "name"}
    entries = (await service.history(GUILD, (await service.resolve(GUILD, "WIM Peru")).id)).items
    assert [(e.action, e.actor_id) for e in entries] == [("seeded", 0)]


async def test_directory_config_defaults_and_limits(tmp_path: Path, db: Database, clock: FakeClock) -> None:
    config = make_config(tmp_path)
    assert (config.directory.leaders_role, config.directory.max_representatives) == ("WIM Leaders", 2)
    one_seat = OrganisationService(
        db, clock, TimerService(db, clock), make_config(tmp_path, max_representatives=1)
    )
    peru = await one_seat.add(GUILD, MOD, draft())
    await one_seat.verify(GUILD, peru.id, ADA, "representative", MOD)
    with pytest.raises(UserFacingError):
        await one_seat.verify(GUILD, peru.id, MARGAUX, "representative", MOD)


async def test_removed_organisations_are_found_only_when_asked_for_their_history(
    service: OrganisationService,
) -> None:
    old = await service.add(GUILD, MOD, draft(name="WIM Old"))
    await service.remove(GUILD, old.id, MOD)
    new = await service.add(GUILD, MOD, draft(name="WIM Old"))
    assert [o.id for o in await service.search(GUILD, "old")] == [new.id]
    assert [o.id for o in await service.search(GUILD, "old", include_archived=True)] == [new.id, old.id]
    assert (await service.resolve(GUILD, "wim old", include_archived=True)).id == new.id  # the active one
    await service.remove(GUILD, new.id, MOD)
    assert (await service.resolve(GUILD, "wim old", include_archived=True)).id == new.id  # the latest
    assert (await service.resolve(GUILD, str(old.id), include_archived=True)).id == old.id
    with pytest.raises(NotFound):
        await service.resolve(GUILD, str(old.id))


async def test_a_member_leaving_the_server_is_unlinked_and_their_claim_closed(
    service: OrganisationService, db: Database
) -> None:
    peru = await service.add(GUILD, MOD, draft())
    canada = await service.add(GUILD, MOD, draft(name="WIM Canada", country="CA"))
    await service.verify(GUILD, peru.id, ADA, "leader", MOD)
    claim, _ = await service.claim(GUILD, MARGAUX, canada.id, "member", "fr")
    assert (await service.forget_member(GUILD, ADA)) is not None
    assert (await service.forget_member(GUILD, MARGAUX)) is None
    assert (await service.standing(GUILD, ADA)).link is None
    assert (await service.get_claim(GUILD, claim.id))[0].status == "cancelled"
    assert ("left", ADA, ADA) in await history_actions(db, peru.id)
    assert await service.forget_member(GUILD, LUCIA) is None  # never linked: nothing written


async def test_pinning_a_region_equal_to_the_countrys_is_a_change_and_so_is_unpinning(
    service: OrganisationService,
) -> None:
    peru = await service.add(GUILD, MOD, draft())
    pinned = await service.edit(GUILD, peru.id, MOD, OrganisationChanges(region="419"))
    assert (pinned.region, pinned.region_is_set) == ("419", True)
    following = await service.edit(GUILD, peru.id, MOD, OrganisationChanges(region="auto"))
    assert (following.region, following.region_is_set) == ("419", False)
    with pytest.raises(UserFacingError):
        await service.edit(GUILD, peru.id, MOD, OrganisationChanges(region="auto"))
