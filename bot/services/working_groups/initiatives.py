"""A group's index of initiatives: members propose entries, coordinators approve or decline them
(a timer shows each to them and another tells the submitter); approved entries are listed,
exported and searchable.
"""

from __future__ import annotations

import logging
from typing import Final

from bot import countries, validation
from bot.clock import Clock
from bot.db import Database
from bot.errors import NotFound, PermissionDenied, UserFacingError
from bot.i18n import LANGUAGES
from bot.repositories import working_groups as repo
from bot.services.timers import TimerService
from bot.services.working_groups.access import GroupAccess
from bot.services.working_groups.model import (
    INITIATIVE_DESCRIPTION_LIMIT,
    INITIATIVE_KINDS,
    INITIATIVE_TITLE_LIMIT,
    ORGANISATION_LIMIT,
    WG_INITIATIVE_OUTCOME,
    WG_INITIATIVE_REVIEW,
    Actor,
    Group,
    Initiative,
)

log = logging.getLogger(__name__)

# Field names shown in validation errors (working_groups.yml, working_groups.fields.*).
F_INITIATIVE_TITLE: Final = "working_groups.fields.initiative_title"
F_ORGANISATION: Final = "working_groups.fields.organisation"
F_INITIATIVE_LINK: Final = "working_groups.fields.initiative_link"
F_INITIATIVE_DESCRIPTION: Final = "working_groups.fields.initiative_description"


class InitiativeIndex:
    """``InitiativeIndex(db, clock, timers, access)``."""

    def __init__(self, db: Database, clock: Clock, timers: TimerService, access: GroupAccess) -> None:
        self._db = db
        self._clock = clock
        self._timers = timers
        self._access = access

    async def may_see(self, group: Group, actor: Actor) -> bool:
        """A private group's initiatives and archive need its role (or moderation or coordination)."""
        if not group.private or actor.moderator:
            return True
        if group.role_id is not None and group.role_id in actor.role_ids:
            return True
        return await self._db.read(repo.is_coordinator_in, group.id, actor.user_id)

    async def submit(
        self,
        group_id: int,
        actor: Actor,
        lang: str,
        *,
        title: str,
        organisation: str,
        country: str,
        link: str | None,
        description: str,
        kind: str,
    ) -> Initiative:
        """A member of the group proposes an entry for its index; its coordinators approve or decline it
        (a timer shows it to them). ``country`` is a code or a name in en/fr/es (see
        :func:`bot.countries.country_code`). Raises ``working_groups.errors.not_member_to_submit``,
        ``orgs.errors.unknown_country``."""
        group = await self._access.get(group_id)
        self._access.ensure_active(group, lang)
        member = group.role_id is not None and group.role_id in actor.role_ids
        if not member and not await self._access.can_manage(group, actor):
            raise PermissionDenied("working_groups.errors.not_member_to_submit", group=group.name.get(lang))
        if kind not in INITIATIVE_KINDS:
            raise UserFacingError("working_groups.errors.bad_kind")
        values = {
            "title": validation.text(title, field=F_INITIATIVE_TITLE, max_length=INITIATIVE_TITLE_LIMIT),
            "organisation": validation.text(
                organisation, field=F_ORGANISATION, max_length=ORGANISATION_LIMIT
            ),
            "country": countries.country_code(country),
            "link": validation.optional_web_url(link, field=F_INITIATIVE_LINK),
            "description": validation.text(
                description,
                field=F_INITIATIVE_DESCRIPTION,
                max_length=INITIATIVE_DESCRIPTION_LIMIT,
                multiline=True,
            ),
        }
        now = self._clock.now()
        async with self._db.transaction() as tx:
            initiative_id = await repo.insert_initiative(
                tx,
                group.id,
                submitted_by=actor.user_id,
                title=str(values["title"]),
                organisation=str(values["organisation"]),
                country=str(values["country"]),
                link=values["link"],
                description=str(values["description"]),
                kind=kind,
                language=lang,
                now=now,
            )
            await self._timers.schedule(
                WG_INITIATIVE_REVIEW, now, {"initiative_id": initiative_id, "guild_id": group.guild_id}, tx=tx
            )
            initiative = await repo.get_initiative(tx, initiative_id)
        assert initiative is not None
        return initiative

    async def get(self, initiative_id: int) -> Initiative:
        initiative = await repo.get_initiative(self._db, initiative_id)
        if initiative is None:
            raise NotFound("working_groups.errors.unknown_initiative")
        return initiative

    async def record_message(self, initiative_id: int, channel_id: int, message_id: int) -> None:
        async with self._db.transaction() as tx:
            await repo.set_initiative_message(tx, initiative_id, channel_id, message_id)

    async def decide(self, initiative_id: int, approve: bool, actor: Actor, lang: str) -> Initiative:
        """Coordinators of the group (or moderators) approve or decline a pending entry; the submitter is
        told by DM (a timer). An approved entry becomes searchable (the FTS trigger)."""
        initiative = await self.get(initiative_id)
        group = await self._access.get(initiative.group_id)
        await self._access.ensure_can_manage(group, actor, lang)
        now = self._clock.now()
        async with self._db.transaction() as tx:
            if not await repo.decide_initiative(
                tx,
                initiative.id,
                "approved" if approve else "declined",
                actor.user_id,
                now,
                search_body(initiative),
            ):
                raise UserFacingError("working_groups.errors.initiative_decided")
            await self._timers.schedule(
                WG_INITIATIVE_OUTCOME,
                now,
                {"initiative_id": initiative.id, "guild_id": group.guild_id},
                tx=tx,
            )
            decided = await repo.get_initiative(tx, initiative.id)
        assert decided is not None
        return decided

    async def approved(
        self, group_id: int, actor: Actor, lang: str, *, country: str | None = None, kind: str | None = None
    ) -> list[Initiative]:
        """Approved entries by country name in ``lang``, then title; optionally of one country (a code
        or a name, ``orgs.errors.unknown_country``) and one kind."""
        group = await self._access.get(group_id)
        if not await self.may_see(group, actor):
            raise PermissionDenied("working_groups.errors.private_group", group=group.name.get(lang))
        if kind is not None and kind not in INITIATIVE_KINDS:
            raise UserFacingError("working_groups.errors.bad_kind")
        code = countries.country_code(country) if country is not None and country.strip() else None
        return by_country(await repo.approved_initiatives(self._db, group.id, kind, code), lang)

    async def export(self, group_id: int, actor: Actor, lang: str) -> tuple[Group, list[Initiative]]:
        """Every approved entry, for the coordinators' CSV and Markdown export, ordered as the index."""
        group = await self._access.get(group_id)
        await self._access.ensure_can_manage(group, actor, lang)
        return group, by_country(await repo.approved_initiatives(self._db, group.id), lang)

    async def adopt_written_countries(self) -> int:
        """Give the entries typed before countries were codes the code of the country their text names
        ("Perú", "peru", "PER" are PE); idempotent, run at start. Those no name matches keep their text
        and are shown as written. Returns how many were mapped."""
        mapped = 0
        async with self._db.transaction() as tx:
            for initiative in await repo.written_countries(tx):
                try:
                    code = countries.country_code(initiative.country_text)
                except UserFacingError:
                    continue
                await repo.set_initiative_country(tx, initiative, code, search_body(initiative, country=code))
                mapped += 1
        if mapped:
            log.info("Initiatives: %d countries typed as text now have their ISO code", mapped)
        return mapped


def country_label(initiative: Initiative, lang: str) -> str:
    """The entry's country in ``lang``, or (an old entry no name matched) as it was typed."""
    if initiative.country is not None:
        return countries.country_name(initiative.country, lang)
    return initiative.country_text or ""


def by_country(initiatives: list[Initiative], lang: str) -> list[Initiative]:
    return sorted(
        initiatives,
        key=lambda i: (countries.fold(country_label(i, lang)), countries.fold(i.title), i.id),
    )


def search_body(initiative: Initiative, *, country: str | None = None) -> str:
    """What /wg search matches besides the title: the organisation, the description and the country's
    names in every language, so "Pérou", "Peru" and "Perú" all find it."""
    code = country or initiative.country
    if code is None:
        names = [initiative.country_text or ""]
    else:
        names = list(dict.fromkeys(countries.country_name(code, lang) for lang in LANGUAGES))
    return " ".join([initiative.organisation, initiative.description, *names])
