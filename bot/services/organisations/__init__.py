"""The organisation directory: WIM organisations, who speaks for each, and the claims moderators decide.

The Alliance is a network of independent WIM organisations, not of individuals. This service keeps
the directory and decides everything; the cog in ``cogs/organisations/`` parses options, checks
permissions and renders.

Model
-----
* An **organisation**: name (unique among active ones, ignoring case, accents and spacing: a folded
  ``name_key`` under a UNIQUE index), ISO 3166-1 country, UN M49 sub-region (the country's unless set),
  website, optional LinkedIn page, a short description in one to three of en/fr/es, the date it joined.
  Removing one **archives** it: its row and history stay; its members are unlinked.
* A **link**: a Discord member speaks for at most one organisation, with a standing: ``member``,
  ``leader``, or ``representative`` (a leader who may answer consultations; at most
  ``config.directory.max_representatives`` per organisation). Leaders and representatives get the
  configured leaders role (the roundtable's audience).
* A **claim** (``/org join``): pending until a moderator approves or declines it with the buttons of
  its mod-log post. The decision is one conditional ``UPDATE ... WHERE status = 'pending' RETURNING``:
  of two clicks (double click, two moderators) exactly one decides; the other learns what was decided.
* **History**: every change writes a row (who, when, what) in the same transaction.

Discord side effects are timers written in the same transaction as the change (an outbox), handled by
the cog: ``org.claim_post`` (post the claim with its buttons in mod-log; the message id is recorded, so
a retry never posts twice), ``org.claim_outcome`` (DM the member the decision in the language they
claimed in; recorded once), ``org.role_sync`` (bring the member's leaders role in line with the
directory: the handler reads the truth when it runs, so it is idempotent and order does not matter).

Removal guards: features that hold organisations in something open (consultations' ballots) register
``add_removal_guard(async fn(organisation_id) -> reason_key | None)``; ``remove`` refuses while any
guard returns a reason (a catalog key, shown translated). Guards run inside the removal's write
transaction, so nothing can open between the check and the archive: they must only read the database.

Errors the member can fix are ``UserFacingError("orgs.errors.<key>", ...)`` or ``validation.*``.

One module for each half: :mod:`.model` (timer kinds, limits, values) and :mod:`.claims` (claims,
decisions, verification, leaving); here the directory itself (adding, editing, removing, seeding,
reading) and the service the cog calls, composed of the two.
"""

from __future__ import annotations

import logging
import sqlite3
from datetime import date
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from bot import countries, validation
from bot.clock import Clock
from bot.config import Config, SeedOrganisation
from bot.db import Database, Transaction
from bot.errors import NotFound, Term, UserFacingError
from bot.i18n import LANGUAGES
from bot.limits import excerpt
from bot.repositories import organisations as repo
from bot.services.organisations.claims import Claims
from bot.services.organisations.model import (
    CLEAR,
    LEADING,
    MAX_DESCRIPTION_LENGTH,
    MAX_NAME_LENGTH,
    ORG_CLAIM_OUTCOME,
    ORG_CLAIM_POST,
    ORG_ROLE_SYNC,
    SEED_ACTOR,
    STANDINGS,
    Claim,
    Decision,
    DirectoryPage,
    HistoryEntry,
    HistoryPage,
    LeaveResult,
    Link,
    MemberStanding,
    Organisation,
    OrganisationCard,
    OrganisationChanges,
    OrganisationDraft,
    RemovalGuard,
    RemovalResult,
    SeedResult,
    StandingCounts,
    VerifyResult,
    active_organisation,
    organisation_of,
)
from bot.timeutil import utc_iso

if TYPE_CHECKING:
    from bot.services.timers import TimerService

__all__ = [
    "CLEAR",
    "LEADING",
    "MAX_DESCRIPTION_LENGTH",
    "MAX_NAME_LENGTH",
    "ORG_CLAIM_OUTCOME",
    "ORG_CLAIM_POST",
    "ORG_ROLE_SYNC",
    "SEED_ACTOR",
    "STANDINGS",
    "Claim",
    "Decision",
    "DirectoryPage",
    "HistoryEntry",
    "HistoryPage",
    "LeaveResult",
    "Link",
    "MemberStanding",
    "Organisation",
    "OrganisationCard",
    "OrganisationChanges",
    "OrganisationDraft",
    "OrganisationService",
    "RemovalGuard",
    "RemovalResult",
    "SeedResult",
    "StandingCounts",
    "VerifyResult",
]

log = logging.getLogger(__name__)


class OrganisationService:
    """``OrganisationService(db, clock, timers, config)``; no Discord here."""

    def __init__(self, db: Database, clock: Clock, timers: TimerService, config: Config) -> None:
        self._db = db
        self._clock = clock
        self._timers = timers
        self._config = config
        self._removal_guards: list[RemovalGuard] = []
        self._claims = Claims(db, clock, timers, config)

    @property
    def max_representatives(self) -> int:
        return self._config.directory.max_representatives

    def add_removal_guard(self, guard: RemovalGuard) -> None:
        """Refuse ``remove`` while ``await guard(organisation_id)`` returns a reason: the catalog key of
        a message saying why (e.g. "polls.guards.open_ballot"). Runs inside the removal's transaction:
        read the database only, never await Discord."""
        self._removal_guards.append(guard)

    # --- organisations -------------------------------------------------------------------------

    async def add(self, guild_id: int, actor_id: int, draft: OrganisationDraft) -> Organisation:
        """Validate and store a new organisation. Raises ``validation.*`` and ``orgs.errors.{
        duplicate_name, unknown_country, unknown_region, no_region, not_linkedin, joined_in_future,
        bad_language}``; nothing is written on error."""
        now = self._clock.now()
        name = _checked_name(draft.name)
        country = countries.country_code(draft.country)
        region, region_is_set = _checked_region(draft.region, country)
        website = validation.web_url(draft.website, field="orgs.fields.website")
        linkedin = _checked_linkedin(draft.linkedin)
        descriptions: dict[str, str | None] = {f"description_{lang}": None for lang in LANGUAGES}
        if draft.description is not None and draft.description.strip():
            descriptions[f"description_{_checked_language(draft.description_language)}"] = (
                _checked_description(draft.description)
            )
        joined = self._checked_joined(draft.joined)
        values = {
            "guild_id": guild_id,
            "name": name,
            "name_key": countries.fold(name),
            "country": country,
            "region": region,
            "region_is_set": int(region_is_set),
            "website": website,
            "linkedin": linkedin,
            **descriptions,
            "joined_on": joined.isoformat(),
            "source_key": None,
            "created_at": utc_iso(now),
        }
        async with self._db.transaction() as tx:
            await _ensure_name_free(tx, guild_id, name)
            organisation_id = await _insert(tx, values, name)
            assert organisation_id is not None  # no source_key, so no conflict on it
            await repo.add_history(tx, organisation_id, actor_id, now, "created", details=_snapshot(values))
            organisation = await organisation_of(tx, organisation_id)
        log.info("Organisation %d %r added in guild %d", organisation.id, name, guild_id)
        return organisation

    async def edit(
        self, guild_id: int, organisation_id: int, actor_id: int, changes: OrganisationChanges
    ) -> Organisation:
        """Change an active organisation; the history keeps each field's old and new value.
        Raises what ``add`` raises plus ``orgs.errors.{unknown_organisation, nothing_to_change}``."""
        if changes.is_empty():
            raise UserFacingError("orgs.errors.nothing_to_change")
        now = self._clock.now()
        async with self._db.transaction() as tx:
            current = await active_organisation(tx, guild_id, organisation_id)
            new: dict[str, Any] = {}
            if changes.name is not None:
                name = _checked_name(changes.name)
                if countries.fold(name) != countries.fold(current.name):
                    await _ensure_name_free(tx, guild_id, name)
                new["name"], new["name_key"] = name, countries.fold(name)
            country = current.country
            if changes.country is not None:
                country = new["country"] = countries.country_code(changes.country)
            if changes.region is not None and changes.region.strip().lower() != "auto":
                new["region"], new["region_is_set"] = _checked_region(changes.region, country)
            elif changes.region is not None or (changes.country is not None and not current.region_is_set):
                # Back to (or still following) the country's own region.
                new["region"], new["region_is_set"] = _checked_region(None, country)
            # (A new country with a region set by hand keeps that region.)
            if changes.website is not None:
                new["website"] = validation.web_url(changes.website, field="orgs.fields.website")
            if changes.linkedin is not None:
                new["linkedin"] = (
                    None if changes.linkedin.strip() == CLEAR else _checked_linkedin(changes.linkedin)
                )
            if changes.description is not None:
                lang = _checked_language(changes.description_language)
                new[f"description_{lang}"] = (
                    None
                    if changes.description.strip() == CLEAR
                    else _checked_description(changes.description)
                )
            if changes.joined is not None:
                new["joined_on"] = self._checked_joined(changes.joined).isoformat()
            before = _columns(current)
            diff = {
                column: [before[column], value]
                for column, value in new.items()
                if before[column] != value and column not in ("name_key", "region_is_set")
            }
            if new.get("region_is_set", before["region_is_set"]) != before["region_is_set"]:
                # Same region, but now set by hand (or following the country again): a change too.
                diff.setdefault("region", [before["region"], new["region"]])
            if not diff:
                raise UserFacingError("orgs.errors.nothing_to_change")
            await repo.update(tx, organisation_id, new, now)
            await repo.add_history(tx, organisation_id, actor_id, now, "edited", details={"changes": diff})
            return await organisation_of(tx, organisation_id)

    async def remove(self, guild_id: int, organisation_id: int, actor_id: int) -> RemovalResult:
        """Archive an organisation (never delete it): unlink its members (their leaders role is synced
        away), cancel its pending claims. Refused while a removal guard gives a reason
        (``orgs.errors.removal_blocked``). Raises ``orgs.errors.unknown_organisation``."""
        now = self._clock.now()
        async with self._db.transaction() as tx:
            organisation = await active_organisation(tx, guild_id, organisation_id)
            for guard in self._removal_guards:
                reason = await guard(organisation_id)
                if reason is not None:
                    raise UserFacingError(
                        "orgs.errors.removal_blocked", name=organisation.name, reason=Term(reason)
                    )
            unlinked = await repo.delete_links_of(tx, organisation_id)
            cancelled = await repo.cancel_pending_of_org(tx, organisation_id, now)
            for link in unlinked:
                await repo.add_history(
                    tx,
                    organisation_id,
                    actor_id,
                    now,
                    "unlinked",
                    subject_id=link.user_id,
                    details={"standing": link.standing},
                )
                await self._claims.sync_role(tx, guild_id, link.user_id, now)
            for claim in cancelled:
                await repo.add_history(
                    tx,
                    organisation_id,
                    actor_id,
                    now,
                    "claim_cancelled",
                    subject_id=claim.user_id,
                    details={"claim_id": claim.id, "reason": "archived"},
                )
                await self._claims.tell_outcome(tx, claim, now)
            await repo.archive(tx, organisation_id, now)
            await repo.add_history(
                tx,
                organisation_id,
                actor_id,
                now,
                "archived",
                details={"unlinked": len(unlinked), "cancelled_claims": len(cancelled)},
            )
            archived = await organisation_of(tx, organisation_id)
        log.info(
            "Organisation %d archived in guild %d (%d unlinked)", organisation_id, guild_id, len(unlinked)
        )
        return RemovalResult(archived, tuple(unlinked), tuple(cancelled))

    async def seed(self, guild_id: int, seeds: tuple[SeedOrganisation, ...]) -> SeedResult:
        """Create the organisations listed in config.yml once per guild (UNIQUE guild + key: a
        restart duplicates nothing, and one archived or renamed by a moderator stays as they left
        it). One whose name an existing organisation already uses is skipped."""
        now = self._clock.now()
        created: list[str] = []
        existing: list[str] = []
        skipped: dict[str, str] = {}
        async with self._db.transaction() as tx:
            known = await repo.source_keys(tx, guild_id)
            for seed in seeds:
                if seed.key in known:
                    existing.append(seed.key)
                    continue
                if await repo.active_by_name_key(tx, guild_id, countries.fold(seed.name)) is not None:
                    skipped[seed.key] = "name"
                    continue
                region, region_is_set = _checked_region(seed.region, seed.country)
                descriptions: dict[str, str | None] = {f"description_{lang}": None for lang in LANGUAGES}
                descriptions.update({f"description_{lang}": text for lang, text in seed.description})
                values = {
                    "guild_id": guild_id,
                    "name": seed.name,
                    "name_key": countries.fold(seed.name),
                    "country": seed.country,
                    "region": region,
                    "region_is_set": int(region_is_set),
                    "website": seed.website,
                    "linkedin": seed.linkedin,
                    **descriptions,
                    "joined_on": (seed.joined or now.date()).isoformat(),
                    "source_key": seed.key,
                    "created_at": utc_iso(now),
                }
                organisation_id = await _insert(tx, values, seed.name)
                if organisation_id is None:
                    existing.append(seed.key)
                    continue
                await repo.add_history(
                    tx,
                    organisation_id,
                    SEED_ACTOR,
                    now,
                    "seeded",
                    details=_snapshot(values) | {"key": seed.key},
                )
                created.append(seed.key)
        if created or skipped:
            log.info("Organisations seeded in guild %d: created %s, skipped %s", guild_id, created, skipped)
        return SeedResult(tuple(created), tuple(existing), skipped)

    # --- reading -------------------------------------------------------------------------------

    async def get(
        self, guild_id: int, organisation_id: int, *, include_archived: bool = False
    ) -> Organisation:
        organisation = await repo.get(self._db, organisation_id)
        if organisation is None or organisation.guild_id != guild_id:
            raise NotFound("orgs.errors.unknown_organisation", name=organisation_id)
        if not include_archived and not organisation.active:
            raise NotFound("orgs.errors.unknown_organisation", name=organisation.name)
        return organisation

    async def resolve(self, guild_id: int, text: str, *, include_archived: bool = False) -> Organisation:
        """The organisation an ``org`` option names: the autocomplete's id, or the name typed (any
        case or accents), or a prefix only one name starts with. Active ones only, unless
        ``include_archived`` (for the history of a removed organisation)."""
        cleaned = (text or "").strip()
        if cleaned.isascii() and cleaned.isdigit() and len(cleaned) <= 18:
            organisation = await repo.get(self._db, int(cleaned))
            if (
                organisation is not None
                and organisation.guild_id == guild_id
                and (organisation.active or include_archived)
            ):
                return organisation
        folded = countries.fold(cleaned)
        if folded and len(folded) <= MAX_NAME_LENGTH:
            exact = (
                await repo.latest_by_name_key(self._db, guild_id, folded)
                if include_archived
                else await repo.active_by_name_key(self._db, guild_id, folded)
            )
            if exact is not None:
                return exact
            matches = await repo.search(self._db, guild_id, folded, 2, include_archived=include_archived)
            if len(matches) == 1:
                return matches[0]
        raise NotFound("orgs.errors.unknown_organisation", name=excerpt(cleaned))

    async def search(
        self, guild_id: int, text: str, *, limit: int = 25, include_archived: bool = False
    ) -> list[Organisation]:
        """Autocomplete: organisations whose name contains ``text`` (case and accents ignored),
        active ones first; archived ones only with ``include_archived``."""
        folded = countries.fold(text or "")[:MAX_NAME_LENGTH]
        return await repo.search(self._db, guild_id, folded, max(limit, 0), include_archived=include_archived)

    async def list_page(
        self,
        guild_id: int,
        *,
        region: str | None = None,
        country: str | None = None,
        limit: int = 10,
        offset: int = 0,
    ) -> DirectoryPage:
        """A page of active organisations (by region in M49 order, then country, then name), how many
        match, and the count per region of the whole directory. ``region``/``country`` as typed are
        validated (``orgs.errors.unknown_region``/``unknown_country``)."""
        region_code = None if region is None else countries.region_code(region)
        country_code = None if country is None else countries.country_code(country)
        items = await repo.page(
            self._db,
            guild_id,
            region=region_code,
            country=country_code,
            limit=max(limit, 0),
            offset=max(offset, 0),
            order=countries.SUBREGIONS,
        )
        total = await repo.count(self._db, guild_id, region=region_code, country=country_code)
        return DirectoryPage(tuple(items), total, await repo.region_counts(self._db, guild_id))

    async def card(self, guild_id: int, organisation_id: int) -> OrganisationCard:
        """An organisation with its verified leaders and representatives, and counts per standing."""
        organisation = await self.get(guild_id, organisation_id)
        leaders = await repo.links_of(self._db, organisation_id, LEADING)
        return OrganisationCard(
            organisation, tuple(leaders), await repo.standing_counts(self._db, organisation_id)
        )

    async def export(self, guild_id: int) -> tuple[list[Organisation], dict[int, StandingCounts]]:
        """Every organisation of the guild (archived ones too, for the CSV) by region, country, name,
        and the standing counts of each."""
        organisations = await repo.all_of_guild(self._db, guild_id, include_archived=True)
        order = {code: rank for rank, code in enumerate(countries.SUBREGIONS)}
        organisations.sort(key=lambda o: (order.get(o.region, 999), o.country, countries.fold(o.name), o.id))
        return organisations, await repo.standing_counts_of_guild(self._db, guild_id)

    async def history(
        self, guild_id: int, organisation_id: int, *, limit: int = 10, offset: int = 0
    ) -> HistoryPage:
        """The organisation's history, newest first (archived organisations too)."""
        organisation = await self.get(guild_id, organisation_id, include_archived=True)
        items = await repo.history(self._db, organisation_id, max(limit, 0), max(offset, 0))
        return HistoryPage(organisation, tuple(items), await repo.count_history(self._db, organisation_id))

    async def standing(self, guild_id: int, user_id: int) -> MemberStanding:
        """The member's link (with its organisation) and pending claim, for /org me."""
        link = await repo.get_link(self._db, guild_id, user_id)
        pending = await repo.pending_claim_of(self._db, guild_id, user_id)
        return MemberStanding(
            link=link,
            organisation=None if link is None else await repo.get(self._db, link.organisation_id),
            pending=pending,
            pending_organisation=None
            if pending is None
            else await repo.get(self._db, pending.organisation_id),
        )

    async def should_have_leaders_role(self, guild_id: int, user_id: int) -> bool:
        """True when the member is verified as leader or representative of an active organisation."""
        link = await repo.get_link(self._db, guild_id, user_id)
        return link is not None and link.standing in LEADING

    # --- claims, verification, leaving (claims.py) ---------------------------------------------

    async def claim(
        self, guild_id: int, user_id: int, organisation_id: int, standing: str, language: str
    ) -> tuple[Claim, Organisation]:
        """See :meth:`Claims.claim`."""
        return await self._claims.claim(guild_id, user_id, organisation_id, standing, language)

    async def decide(self, guild_id: int, claim_id: int, moderator_id: int, *, approve: bool) -> Decision:
        """See :meth:`Claims.decide`."""
        return await self._claims.decide(guild_id, claim_id, moderator_id, approve=approve)

    async def claim_for_post(self, claim_id: int) -> tuple[Claim, Organisation] | None:
        """See :meth:`Claims.claim_for_post`."""
        return await self._claims.claim_for_post(claim_id)

    async def get_claim(self, guild_id: int, claim_id: int) -> tuple[Claim, Organisation]:
        """See :meth:`Claims.get_claim`."""
        return await self._claims.get_claim(guild_id, claim_id)

    async def record_claim_post(self, claim_id: int, channel_id: int, message_id: int) -> None:
        """See :meth:`Claims.record_claim_post`."""
        await self._claims.record_claim_post(claim_id, channel_id, message_id)

    async def claim_for_outcome(self, claim_id: int) -> tuple[Claim, Organisation] | None:
        """See :meth:`Claims.claim_for_outcome`."""
        return await self._claims.claim_for_outcome(claim_id)

    async def record_claim_dm(self, claim_id: int, outcome: str) -> None:
        """See :meth:`Claims.record_claim_dm`."""
        await self._claims.record_claim_dm(claim_id, outcome)

    async def verify(
        self, guild_id: int, organisation_id: int, user_id: int, standing: str, moderator_id: int
    ) -> VerifyResult:
        """See :meth:`Claims.verify`."""
        return await self._claims.verify(guild_id, organisation_id, user_id, standing, moderator_id)

    async def unverify(self, guild_id: int, user_id: int, moderator_id: int) -> tuple[Link, Organisation]:
        """See :meth:`Claims.unverify`."""
        return await self._claims.unverify(guild_id, user_id, moderator_id)

    async def leave(self, guild_id: int, user_id: int) -> LeaveResult:
        """See :meth:`Claims.leave`."""
        return await self._claims.leave(guild_id, user_id)

    async def forget_member(self, guild_id: int, user_id: int) -> Link | None:
        """See :meth:`Claims.forget_member`."""
        return await self._claims.forget_member(guild_id, user_id)

    # --- internals -----------------------------------------------------------------------------

    def _checked_joined(self, value: str | None) -> date:
        today = self._clock.now().date()
        if value is None or not value.strip():
            return today
        joined = validation.calendar_date(value, field="orgs.fields.joined")
        if joined > today:
            raise UserFacingError("orgs.errors.joined_in_future", date=joined.isoformat())
        return joined


# --- helpers -------------------------------------------------------------------------------------


async def _ensure_name_free(tx: Transaction, guild_id: int, name: str) -> None:
    clash = await repo.active_by_name_key(tx, guild_id, countries.fold(name))
    if clash is not None:
        raise UserFacingError("orgs.errors.duplicate_name", name=excerpt(name), existing=clash.name)


async def _insert(tx: Transaction, values: dict[str, Any], name: str) -> int | None:
    try:
        return await repo.insert_organisation(tx, values)
    except sqlite3.IntegrityError:  # the unique name index, should the check above have raced
        raise UserFacingError(
            "orgs.errors.duplicate_name", name=excerpt(name), existing=excerpt(name)
        ) from None


def _columns(organisation: Organisation) -> dict[str, Any]:
    texts = dict(organisation.descriptions)
    return {
        "name": organisation.name,
        "name_key": countries.fold(organisation.name),
        "country": organisation.country,
        "region": organisation.region,
        "region_is_set": int(organisation.region_is_set),
        "website": organisation.website,
        "linkedin": organisation.linkedin,
        **{f"description_{lang}": texts.get(lang) for lang in LANGUAGES},
        "joined_on": organisation.joined_on.isoformat(),
    }


def _snapshot(values: dict[str, Any]) -> dict[str, Any]:
    keep = ("name", "country", "region", "website", "linkedin", "joined_on")
    snapshot = {key: values[key] for key in keep if values.get(key) is not None}
    snapshot.update({key: value for key, value in values.items() if key.startswith("description_") and value})
    return snapshot


def _checked_name(value: str | None) -> str:
    return validation.text(value, field="orgs.fields.name", max_length=MAX_NAME_LENGTH)


def _checked_description(value: str) -> str:
    return validation.text(
        value, field="orgs.fields.description", max_length=MAX_DESCRIPTION_LENGTH, multiline=True
    )


def _checked_language(value: str) -> str:
    if value not in LANGUAGES:
        raise UserFacingError(
            "orgs.errors.bad_language", language=excerpt(value), choices=", ".join(LANGUAGES)
        )
    return value


def _checked_region(value: str | None, country: str) -> tuple[str, bool]:
    """(region, set by hand): the typed M49 sub-region, else the country's own."""
    if value is not None and value.strip():
        return countries.region_code(value), True
    own = countries.subregion_of(country)
    if own is None:
        raise UserFacingError("orgs.errors.no_region", country=country)
    return own, False


def _checked_linkedin(value: str | None) -> str | None:
    url = validation.optional_web_url(value, field="orgs.fields.linkedin")
    if url is None:
        return None
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    if host != "linkedin.com" and not host.endswith(".linkedin.com"):
        raise UserFacingError("orgs.errors.not_linkedin")
    return url
