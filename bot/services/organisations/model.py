"""What the organisation directory is made of: timer kinds, limits, and the values the service takes
and returns (the rows are the repository's, re-exported here), and the two lookups both the directory
and the claims make."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Final

import msgspec

from bot.errors import NotFound
from bot.repositories import organisations as repo
from bot.repositories.organisations import (
    LEADING,
    STANDINGS,
    Claim,
    HistoryEntry,
    Link,
    Organisation,
    StandingCounts,
)

__all__ = [
    "LEADING",
    "STANDINGS",
    "Claim",
    "HistoryEntry",
    "Link",
    "Organisation",
    "StandingCounts",
]

# Timer kinds (the outbox); the cog registers a handler for each.
ORG_CLAIM_POST: Final = "org.claim_post"  # {"guild_id", "claim_id"}
ORG_CLAIM_OUTCOME: Final = "org.claim_outcome"  # {"guild_id", "claim_id"}
ORG_ROLE_SYNC: Final = "org.role_sync"  # {"guild_id", "user_id"}

MAX_NAME_LENGTH: Final = 100
MAX_DESCRIPTION_LENGTH: Final = 500
#: Typed in an optional text option of /org edit, it removes the value.
CLEAR: Final = "-"
SEED_ACTOR: Final = 0  # history actor for what config.yml did

RemovalGuard = Callable[[int], Awaitable[str | None]]


class OrganisationDraft(msgspec.Struct, frozen=True):
    """What a moderator typed in /org add. ``region`` None: the country's M49 sub-region.
    ``description`` is in ``description_language``; ``joined`` "YYYY-MM-DD", None: today."""

    name: str
    country: str
    website: str
    region: str | None = None
    linkedin: str | None = None
    description: str | None = None
    description_language: str = "en"
    joined: str | None = None


class OrganisationChanges(msgspec.Struct, frozen=True):
    """An edit; None leaves a field as it is. ``region="auto"`` goes back to the country's region;
    ``linkedin``/``description`` equal to ``CLEAR`` ("-") remove them."""

    name: str | None = None
    country: str | None = None
    region: str | None = None
    website: str | None = None
    linkedin: str | None = None
    description: str | None = None
    description_language: str = "en"
    joined: str | None = None

    def is_empty(self) -> bool:
        return all(
            getattr(self, name) is None for name in self.__struct_fields__ if name != "description_language"
        )


class DirectoryPage(msgspec.Struct, frozen=True):
    items: tuple[Organisation, ...]
    total: int  # matching the filters
    region_counts: dict[str, int]  # active organisations per region, whole directory


class OrganisationCard(msgspec.Struct, frozen=True):
    organisation: Organisation
    leaders: tuple[Link, ...]  # representatives first, then leaders
    counts: StandingCounts


class MemberStanding(msgspec.Struct, frozen=True):
    link: Link | None
    organisation: Organisation | None  # of the link
    pending: Claim | None
    pending_organisation: Organisation | None


class Decision(msgspec.Struct, frozen=True):
    """The outcome of a click on Approve/Decline. ``decided_now`` False: the claim had already been
    closed (by another moderator, a double click, the member...); ``claim`` says how."""

    claim: Claim
    organisation: Organisation
    decided_now: bool


class VerifyResult(msgspec.Struct, frozen=True):
    link: Link
    previous: Link | None
    organisation: Organisation
    cancelled_claim: Claim | None


class LeaveResult(msgspec.Struct, frozen=True):
    organisation: Organisation
    left: Link | None  # the link removed, or None when only a pending claim was withdrawn
    withdrawn: Claim | None


class RemovalResult(msgspec.Struct, frozen=True):
    organisation: Organisation
    unlinked: tuple[Link, ...]
    cancelled_claims: tuple[Claim, ...]


class HistoryPage(msgspec.Struct, frozen=True):
    organisation: Organisation
    items: tuple[HistoryEntry, ...]
    total: int


class SeedResult(msgspec.Struct, frozen=True):
    created: tuple[str, ...]
    existing: tuple[str, ...]
    skipped: dict[str, str] = msgspec.field(default_factory=dict)  # key -> reason ("name")


async def organisation_of(conn: Any, organisation_id: int) -> Organisation:
    organisation = await repo.get(conn, organisation_id)
    if organisation is None:
        raise NotFound("orgs.errors.unknown_organisation", name=organisation_id)
    return organisation


async def active_organisation(conn: Any, guild_id: int, organisation_id: int) -> Organisation:
    organisation = await repo.get(conn, organisation_id)
    if organisation is None or organisation.guild_id != guild_id or not organisation.active:
        raise NotFound(
            "orgs.errors.unknown_organisation",
            name=organisation_id if organisation is None else organisation.name,
        )
    return organisation
