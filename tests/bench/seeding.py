"""The benchmarks' data sets for organisations and working groups, shared by the in-process benchmarks
(``organisations_bench``, ``working_groups_bench``) and the one through the Discord double
(``discord_bench``), so both measure the same directory and the same archive.

Rows are written through the services (validation, history, timers: what the bot itself writes), or
for the bulk of the working groups' archive through their repository inside one transaction, where the
FTS5 index is kept by the migration's triggers: either way the bot sees a consistent database.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot import countries
from bot.config import Config
from bot.db import Database
from bot.m49 import SUBREGION_OF
from bot.repositories import working_groups as repo
from bot.services.organisations import OrganisationDraft, OrganisationService
from bot.services.working_groups import Actor, WorkingGroupService, initiatives
from bot.timeutil import utc_iso

MODERATOR_ID = 9  # who added the organisations and verified the members

# -- organisations ----------------------------------------------------------------------------------

ORGANISATIONS = 500
MEMBERS = 5000  # 10 per organisation: 2 representatives, 3 leaders, 5 members


async def seed_organisations(
    service: OrganisationService,
    guild_id: int,
    member_ids: Sequence[int],
    rng: random.Random,
    *,
    organisations: int = ORGANISATIONS,
) -> list[int]:
    """``organisations`` organisations (``OrganisationService.add``), then every member of
    ``member_ids`` linked to one of them in turn (``OrganisationService.verify``): with 5,000 members,
    10 per organisation, 2 representatives, 3 leaders and 5 members. Returns the organisations' ids.

    ``verify`` schedules a leaders-role sync per member (a timer due now): the caller decides whether
    those are still to run (the in-process benchmark never runs them) or ran long ago
    (``discord_bench`` marks them done, as a bot that has been running for a while has)."""
    codes = sorted(SUBREGION_OF)
    ids: list[int] = []
    for n in range(organisations):
        country = rng.choice(codes)
        organisation = await service.add(
            guild_id,
            MODERATOR_ID,
            OrganisationDraft(
                name=f"Women in Mining {countries.country_name(country, 'en')} {n}",
                country=country,
                website=f"https://wim-{n}.example.org",
                description="A network of women working in mining, from geology to the boardroom.",
                description_language=rng.choice(("en", "fr", "es")),
                linkedin=f"https://www.linkedin.com/company/wim-{n}" if n % 3 == 0 else None,
                joined=f"202{rng.randrange(1, 7)}-0{rng.randrange(1, 10)}-1{rng.randrange(0, 10)}",
            ),
        )
        ids.append(organisation.id)
    for index, user_id in enumerate(member_ids):
        rank = index // organisations
        standing = "representative" if rank < 2 else "leader" if rank < 5 else "member"
        await service.verify(guild_id, ids[index % organisations], user_id, standing, MODERATOR_ID)
    return ids


# -- working groups ---------------------------------------------------------------------------------

GROUPS = 50
PRIVATE_EVERY = 5  # every fifth group created by command is private
POSTS = 5000  # progress updates, and every fourth one a meeting summary
DOCUMENTS = 2000
INITIATIVES = 2000  # approved, so in the search index
WORKPLAN_ITEMS = 8  # per group

# Topic words members search for (discord_bench.SEARCH_WORDS among them: mining, women, data, safety,
# mentor as a prefix of mentoring), in the Alliance's three languages.
WORDS = (
    "réunion mentorat données indicateurs EPI sécurité mining mentoring data metrics retention "
    "attraction returners outreach scholarship sponsorship programme survey index white paper "
    "guide recommendations intersectionality childcare shift design procurement supply chain "
    "women safety leadership geology boardroom "
    "liderazgo minería mujeres encuesta informe índice"
).split()

# Working groups created by command beyond the configured ones: themes of the Alliance's 2021 report.
TOPICS = (
    "Safety and PPE for women in mining",
    "Procurement and supply chain",
    "Shift design, FIFO and remote work",
    "Mental health and workplace safety",
    "Onsite childcare",
    "Women's health and family leave",
    "Returners to mining",
    "Scholarships and outreach in schools",
    "Leadership and the boardroom",
    "Data on women in mining",
    "Mentoring circles",
    "Women in geology",
)

# Meeting notes are mostly ordinary words: a vocabulary of 5,000 with Zipf-like frequencies, and the
# topic words in about one word in twelve, so a one-word query matches a few hundred to a few thousand
# rows.
FILLER = [f"mot{n}" for n in range(5000)]
FILLER_CUM_WEIGHTS = list(itertools.accumulate(1 / (n + 1) for n in range(len(FILLER))))
TOPIC_SHARE = 1 / 12


def sentence(rng: random.Random, words: int) -> str:
    filler = rng.choices(FILLER, cum_weights=FILLER_CUM_WEIGHTS, k=words)
    return " ".join(rng.choice(WORDS) if rng.random() < TOPIC_SHARE else word for word in filler)


def _slug(topic: str) -> str:
    """The topic's first word as a group key may hold it ("Women's" -> "womens")."""
    return "".join(ch for ch in topic.split()[0].lower() if ch.isascii() and ch.isalnum())


@dataclass(frozen=True)
class SeededGroups:
    ids: list[int]
    posts: int
    documents: int
    initiatives: int
    workplan_items: int

    @property
    def entries(self) -> int:
        return self.posts + self.documents + self.initiatives


async def seed_working_groups(
    service: WorkingGroupService,
    db: Database,
    config: Config,
    guild_id: int,
    rng: random.Random,
    now: datetime,
    *,
    role_ids: Sequence[int],
    channel_ids: Sequence[int],
    author_ids: Sequence[int],
) -> SeededGroups:
    """``len(role_ids)`` working groups, each with its role and channel already made (the ids given,
    group by group): the configured ones (``WorkingGroupService.seed`` with their workplan and
    deliverables) and the rest as ``/wg create`` records them; then 5,000 posts, 2,000 documents,
    2,000 approved initiatives and 8 workplan items per group, in one transaction.

    Every post is recorded as posted (its channel and message id), so nothing is queued for Discord."""
    assert len(channel_ids) == len(role_ids) >= len(config.working_groups)
    moderator = Actor(MODERATOR_ID, moderator=True)
    configured = await service.seed(guild_id, config.working_groups)
    channel_of: dict[int, int] = {}
    for index, group in enumerate(configured):
        await service.admin.set_discord(group.id, role_id=role_ids[index], channel_id=channel_ids[index])
        channel_of[group.id] = channel_ids[index]
    for index in range(len(configured), len(role_ids)):
        number = index + 1
        topic = TOPICS[(index - len(configured)) % len(TOPICS)]
        group = await service.admin.create(
            guild_id,
            key=f"wg{number}-{_slug(topic)}",
            name=f"WG{number} – {topic}",
            lang=rng.choice(("en", "fr", "es")),
            stake=sentence(rng, 20),
            mandate=sentence(rng, 20),
            private=index % PRIVATE_EVERY == 0,
            role_id=role_ids[index],
            channel_id=channel_ids[index],
            actor=moderator,
        )
        channel_of[group.id] = channel_ids[index]
    groups = list(channel_of)
    async with db.transaction() as tx:
        for n in range(POSTS):
            group_id = rng.choice(groups)
            kind = "summary" if n % 4 == 0 else "update"
            post_id = await repo.insert_post(
                tx,
                group_id,
                kind=kind,
                author_id=author_ids[n % len(author_ids)],
                title=sentence(rng, 4) if kind == "summary" else None,
                body=sentence(rng, 60 if kind == "update" else 300),
                occurrence_id=None,
                now=now - timedelta(minutes=n),
            )
            await repo.set_post_message(tx, post_id, channel_of[group_id], 1_000_000 + n)
        for n in range(DOCUMENTS):
            await repo.insert_document(
                tx, rng.choice(groups), sentence(rng, 5), f"https://example.org/doc/{n}", MODERATOR_ID, now
            )
        for n in range(INITIATIVES):
            initiative_id = await tx.insert(
                "INSERT INTO wg_initiatives (group_id, submitted_by, title, organisation, country, link, "
                "description, kind, language, submitted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    rng.choice(groups),
                    author_ids[n % len(author_ids)],
                    sentence(rng, 5),
                    f"WIM organisation {n % 70}",
                    rng.choice(("PE", "CA", "GH", "FR", "CL", "AU")),
                    f"https://example.org/initiative/{n}",
                    sentence(rng, 40),
                    rng.choice(("programme", "campaign", "policy", "provider", "resource")),
                    "en",
                    utc_iso(now),
                ),
            )
            # Approval is what puts an initiative in the search index, with its country's names.
            initiative = await repo.get_initiative(tx, initiative_id)
            assert initiative is not None
            await repo.decide_initiative(
                tx, initiative_id, "approved", MODERATOR_ID, now, initiatives.search_body(initiative)
            )
        for group_id in groups:
            for _ in range(WORKPLAN_ITEMS):
                await repo.insert_workplan_item(
                    tx,
                    group_id,
                    repo.Texts({"en": sentence(rng, 12)}),
                    rng.choice(("in_progress", "completed")),
                    now,
                )
    return SeededGroups(groups, POSTS, DOCUMENTS, INITIATIVES, WORKPLAN_ITEMS * len(groups))
