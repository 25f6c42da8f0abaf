"""Finding a group, its card and the search (working_groups/reads.py), each in one trip to the database."""

from __future__ import annotations

import pytest
from msgspec.structs import replace

from bot.config import Config
from bot.db import Database
from bot.errors import NotFound, UserFacingError
from bot.i18n import Catalog
from bot.services.working_groups import (
    Actor,
    Document,
    WorkingGroupService,
    fold,
    fts_query,
)
from cogs.working_groups import _render
from tests.services.working_groups.helpers import GUILD, MEMBER, MODERATOR, seeded


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
    await service.admin.edit(wg2.id, MODERATOR, "en", private=True)
    await service.posts.post_summary(wg2.id, "Réunion privée", "Ordre du jour", MODERATOR, "fr")
    by_key = await service.find_card(GUILD, "wg2-workplace", MEMBER)
    assert by_key.group.id == wg2.id and by_key.archive_hidden and by_key.summaries == []
    by_name = await service.find_card(GUILD, "gt2 – conception de lieux de travail inclusifs", MODERATOR)
    assert by_name.group.id == wg2.id and [p.title for p in by_name.summaries] == ["Réunion privée"]
    assert by_name == await service.card(wg2.id, MODERATOR)
    await service.admin.archive(wg1.id, MODERATOR, "en")
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
        await service.posts.add_document(wg1.id, f"Doc {n}", f"https://example.org/{n}", MODERATOR, "en")
    card = await service.card(wg1.id, MEMBER)
    assert [d.title for d in card.documents] == [f"Doc {n}" for n in range(CARD_DOCUMENTS)]
    everything = await service.posts.documents(wg1.id)
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


async def test_search_folds_accents_and_hides_private_groups_without_the_role(
    service: WorkingGroupService, config: Config, db: Database
) -> None:
    wg1, wg2, *_ = await seeded(service, config)
    await service.admin.edit(wg2.id, MODERATOR, "en", private=True)
    await service.posts.post_update(wg1.id, "Compte rendu de la réunion de mars", MODERATOR, "fr")
    await service.posts.post_summary(
        wg2.id, "Réunion privée", "Ordre du jour : réunion des EPI", MODERATOR, "fr"
    )
    await service.posts.add_document(
        wg1.id, "Étude de référence", "https://example.org/etude", MODERATOR, "fr"
    )

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


async def test_search_ranks_the_most_recent_matches_and_never_hides_older_visible_ones(
    service: WorkingGroupService, config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.repositories.working_groups.posts.RANK_WINDOW", 4)
    wg1, wg2, *_ = await seeded(service, config)
    # The oldest update is the best match (the word three times), then six newer ones.
    await service.posts.post_update(
        wg1.id, "Mentoring, mentoring, mentoring: the circle's first year", MODERATOR, "en"
    )
    for n in range(6):
        await service.posts.post_update(wg1.id, f"Mentoring circle meeting {n}", MODERATOR, "en")
    hits = await service.search(GUILD, "mentoring", MEMBER, limit=3)
    # Ranked among the 4 most recent matches: the bm25 best of those, not the archive's oldest.
    assert [h.snippet.count("**mentoring**") + h.snippet.count("**Mentoring**") for h in hits] == [1, 1, 1]
    assert len(await service.search(GUILD, "mentoring", MEMBER, limit=10)) == 7, "a short page ranks all"

    # A private group's newer posts fill the window: the member still gets the older visible ones.
    await service.admin.edit(wg2.id, MODERATOR, "en", private=True)
    for n in range(6):
        await service.posts.post_update(wg2.id, f"Private mentoring notes {n}", MODERATOR, "en")
    visible = await service.search(GUILD, "mentoring", MEMBER, limit=3)
    assert len(visible) == 3 and {h.group_id for h in visible} == {wg1.id}
