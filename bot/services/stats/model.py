"""The engagement report's plain values: figures per section, before any wording or chart."""

from __future__ import annotations

import msgspec

from bot.repositories.stats import EventFigures, GroupActivity, OrganisationTurnout
from bot.services.stats.period import Period

SECTIONS = ("attendance", "consultations", "working_groups", "growth", "clicks")


def rate(part: int, whole: int) -> float | None:
    """``part`` of ``whole`` in percent, None when there is no whole to speak of."""
    return 100.0 * part / whole if whole else None


class SeriesFigures(msgspec.Struct, frozen=True):
    series_id: int
    title: str
    events: int
    going: int
    checked_in: int

    @property
    def rate(self) -> float | None:
        return rate(self.checked_in, self.going)


class Bucket(msgspec.Struct, frozen=True):
    """A week (Monday) or month of the period, by its first local day ("2026-09-07", "2026-09")."""

    label: str
    going: int = 0
    checked_in: int = 0
    organisations: int = 0
    verified: int = 0
    joined: int = 0
    left: int = 0

    @property
    def rate(self) -> float | None:
        return rate(self.checked_in, self.going)


class RegionFigures(msgspec.Struct, frozen=True):
    region: str  # UN M49 sub-region code
    answered: int  # ballots of organisations of this region, over the window's consultations
    registered: int  # registered organisations of this region, summed over the same consultations

    @property
    def rate(self) -> float | None:
        return rate(self.answered, self.registered)


class Report(msgspec.Struct, frozen=True):
    guild_id: int
    period: Period
    events: tuple[EventFigures, ...]
    series: tuple[SeriesFigures, ...]
    buckets: tuple[Bucket, ...]  # attendance and growth over time
    consultations: int  # closed in the window, organisation mode
    member_polls: int  # closed in the window, members mode
    member_ballots: int
    regions: tuple[RegionFigures, ...]
    organisations: tuple[OrganisationTurnout, ...]
    groups: tuple[GroupActivity, ...]
    organisations_total: int
    verified_total: int

    @property
    def going(self) -> int:
        return sum(event.going for event in self.events)

    @property
    def checked_in(self) -> int:
        return sum(event.checked_in for event in self.events)

    @property
    def linked(self) -> tuple[EventFigures, ...]:
        return tuple(event for event in self.events if event.has_link)
