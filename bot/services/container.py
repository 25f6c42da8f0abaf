"""The ``Services`` container: every feature service, built once from ``(config, db, clock)``.

Lives with the services (not in ``bot/app.py``) so ``bot/core`` can name its type without importing
the application wiring. A new feature adds its service here and in ``build_services``; one that
registers no timer, guard or digest section and only answers its own commands (``stats``,
``newsletter``) is built on first use, so a start of the bot does not import it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.clock import Clock
from bot.config import Config
from bot.db import Database
from bot.services.consultations import ConsultationService
from bot.services.consultations.digest import ORDER as CONSULTATIONS_ORDER
from bot.services.consultations.digest import ConsultationsDigest
from bot.services.digest import DigestService
from bot.services.events import EventService
from bot.services.members import MemberSettingsService
from bot.services.organisations import OrganisationService
from bot.services.timers import TimerService
from bot.services.working_groups import WorkingGroupService

if TYPE_CHECKING:
    from bot.services.newsletter import NewsletterService
    from bot.services.stats import StatsService

__all__ = ["TIMER_CONCURRENCY", "Services", "build_services"]

# Timer handlers mostly wait on Discord; reminders due together must all be in flight at once so
# the reminder and start-post batchers can group them per channel (see bot/batching.py and `make
# bench`: 500 reminders and 100 "starting now" posts due in the same minute).
TIMER_CONCURRENCY = 1000


@dataclass
class Services:
    timers: TimerService
    members: MemberSettingsService
    events: EventService
    working_groups: WorkingGroupService
    organisations: OrganisationService
    consultations: ConsultationService
    digest: DigestService
    built_from: tuple[Config, Database, Clock] = field(repr=False)

    @functools.cached_property
    def stats(self) -> StatsService:
        from bot.services.stats import StatsService

        config, db, clock = self.built_from
        return StatsService(db, clock, config, self.digest.catalog)

    @functools.cached_property
    def newsletter(self) -> NewsletterService:
        from bot.services.newsletter import NewsletterService  # with Jinja2 and its templates

        config, db, clock = self.built_from
        return NewsletterService(db, clock, config, self.digest.catalog)


def build_services(config: Config, db: Database, clock: Clock) -> Services:
    timers = TimerService(db, clock, concurrency=TIMER_CONCURRENCY)
    events = EventService(db, clock, timers, config)
    organisations = OrganisationService(db, clock, timers, config)
    # Registers its removal guard with the directory: /org remove waits for open consultations.
    consultations = ConsultationService(db, clock, timers, organisations)
    digest = DigestService(db, clock, timers, config)
    # Features with a digest section register it here: digest.register_section(key, builder, order=).
    digest.register_section(
        "consultations", ConsultationsDigest(consultations, digest.catalog).section, order=CONSULTATIONS_ORDER
    )
    return Services(
        timers=timers,
        members=MemberSettingsService(db, clock),
        events=events,
        working_groups=WorkingGroupService(db, clock, timers, config, events),
        organisations=organisations,
        consultations=consultations,
        digest=digest,
        built_from=(config, db, clock),
    )
