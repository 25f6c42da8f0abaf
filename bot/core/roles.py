"""The roles config.yml names for a purpose, pinned to one role id per guild.

config.yml names roles by name (friendly) or by id. A name is trusted only when exactly one role of
the guild carries it: resolved when the guild becomes available and again when roles change, never
matched by name when a member clicks. Anyone with Manage Roles can create a role called "Secretariat";
matching by name would make them a bot moderator. So:

- two roles with one name: the name is refused (no role is trusted through it) and moderators are told;
- a role created (or renamed) later with the name of a resolved role is not trusted: the resolved one
  stays pinned, and the newcomer is reported;
- a pinned role deleted or renamed away: the name is resolved again (reported when it changes).

The resolution itself (:func:`resolve`) works on ``(id, name)`` pairs, so ``python -m bot check`` can run
it on the roles it reads over REST without a gateway connection.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Literal

import discord
import msgspec

from bot.config import Config

log = logging.getLogger(__name__)

Purpose = Literal["moderator", "leaders", "audience"]


class Wanted(msgspec.Struct, frozen=True):
    """A role config.yml names: what for, how (name or id), and where in the file."""

    purpose: Purpose
    value: str | int
    where: str  # the config key, for logs and `check`: "moderator_roles", "directory.leaders_role"...

    @property
    def label(self) -> str:
        return repr(self.value) if isinstance(self.value, str) else f"id {self.value}"


class Resolution(msgspec.Struct, frozen=True):
    wanted: Wanted
    role_id: int | None  # the trusted role; None when missing or refused
    candidates: tuple[int, ...]  # every role carrying the name (or the id), sorted

    @property
    def refused(self) -> bool:
        """Several roles carry the name and none was pinned before: none is trusted."""
        return self.role_id is None and len(self.candidates) > 1

    @property
    def missing(self) -> bool:
        return not self.candidates


def wanted_roles(config: Config) -> list[Wanted]:
    """Every role config.yml names for a purpose, each once (one audience role for many entries)."""
    wanted = [Wanted("moderator", role, "moderator_roles") for role in config.moderator_roles]
    wanted.append(Wanted("leaders", config.directory.leaders_role, "directory.leaders_role"))
    seen: set[str] = set()
    for series in config.calendar:
        if series.audience_role and series.audience_role not in seen:
            seen.add(series.audience_role)
            wanted.append(Wanted("audience", series.audience_role, f"calendar[{series.key}].audience_role"))
    return wanted


def resolve(wanted: Wanted, roles: Iterable[tuple[int, str]], pinned: int | None = None) -> Resolution:
    """Which of ``roles`` (``(id, name)`` pairs) ``wanted`` means. An id means that role if it exists.
    A name (in any case, as Discord shows names) means its only role, or ``pinned`` while that role
    still carries the name; two or more without a pin: none."""
    if isinstance(wanted.value, int):
        found = tuple(role_id for role_id, _ in roles if role_id == wanted.value)
        return Resolution(wanted, found[0] if found else None, found)
    name = wanted.value.casefold()
    candidates = tuple(sorted(role_id for role_id, role_name in roles if role_name.casefold() == name))
    if pinned is not None and pinned in candidates:
        return Resolution(wanted, pinned, candidates)
    return Resolution(wanted, candidates[0] if len(candidates) == 1 else None, candidates)


class Notice(msgspec.Struct, frozen=True):
    """Something moderators should hear about a configured role (posted once per ``key``)."""

    key: str  # for ``WimBot.report_once``
    kind: Literal["refused", "impostor", "pinned", "lost"]  # its text: ``roles.<kind>`` in core.yml
    resolution: Resolution
    role_id: int | None = None  # the role the notice is about (a newcomer), else the resolution's


class GuildRoles(msgspec.Struct, frozen=True):
    """One guild's resolution of every configured role."""

    resolutions: tuple[Resolution, ...] = ()
    moderator_ids: frozenset[int] = frozenset()

    @classmethod
    def of(cls, resolutions: Sequence[Resolution]) -> GuildRoles:
        moderators = frozenset(
            r.role_id for r in resolutions if r.wanted.purpose == "moderator" and r.role_id is not None
        )
        return cls(tuple(resolutions), moderators)

    def get(self, wanted: Wanted) -> Resolution | None:
        return next((r for r in self.resolutions if r.wanted == wanted), None)

    def first(self, purpose: Purpose) -> Resolution | None:
        return next((r for r in self.resolutions if r.wanted.purpose == purpose), None)

    def audience_ids(self) -> dict[str, int]:
        """Each configured audience role name to its trusted role id (refused and missing left out)."""
        return {
            str(r.wanted.value): r.role_id
            for r in self.resolutions
            if r.wanted.purpose == "audience" and r.role_id is not None
        }


def resolve_guild(
    config: Config, roles: Sequence[tuple[int, str]], previous: GuildRoles | None
) -> GuildRoles:
    """Resolve every configured role, keeping ``previous`` pins that still hold."""
    resolutions = []
    for wanted in wanted_roles(config):
        before = previous.get(wanted) if previous is not None else None
        resolutions.append(resolve(wanted, roles, before.role_id if before is not None else None))
    return GuildRoles.of(resolutions)


def _ids(ids: Iterable[int]) -> str:
    return ",".join(str(i) for i in ids)


def notices(previous: GuildRoles | None, current: GuildRoles) -> list[Notice]:
    """What changed between two resolutions of one guild that moderators must hear about. ``previous``
    None is the start: only refused names are news then."""
    found: list[Notice] = []
    for now in current.resolutions:
        wanted = now.wanted
        where = f"{wanted.purpose}:{wanted.value}"
        before = previous.get(wanted) if previous is not None else None
        if now.refused:
            if before is None or before.candidates != now.candidates:
                found.append(Notice(f"roles:refused:{where}:{_ids(now.candidates)}", "refused", now))
            continue
        if before is None:
            continue
        if before.role_id is not None and now.role_id == before.role_id:
            for newcomer in sorted(set(now.candidates) - set(before.candidates)):
                found.append(Notice(f"roles:impostor:{where}:{newcomer}", "impostor", now, newcomer))
        elif now.role_id is not None and now.role_id != before.role_id:
            found.append(Notice(f"roles:pinned:{where}:{now.role_id}", "pinned", now))
        elif now.role_id is None and before.role_id is not None:
            found.append(Notice(f"roles:lost:{where}:{before.role_id}", "lost", now, before.role_id))
    return found


def role_pairs(guild: discord.Guild) -> list[tuple[int, str]]:
    return [(role.id, role.name) for role in guild.roles]


class RoleDirectory:
    """The bot's pinned roles, keyed by guild id: the one place features ask which role config.yml means.

    ``refresh`` is called by the bot when a guild becomes available and on every role change; a lookup
    before the first refresh resolves on the spot (nothing is pinned yet then, so that is the same).
    """

    def __init__(self, config: Config) -> None:
        self._config = config
        self._guilds: dict[int, GuildRoles] = {}
        self._started: set[int] = set()

    def of(self, guild: discord.Guild) -> GuildRoles:
        known = self._guilds.get(guild.id)
        if known is None:
            known = self._guilds[guild.id] = resolve_guild(self._config, role_pairs(guild), None)
        return known

    def refresh(self, guild: discord.Guild) -> list[Notice]:
        """Resolve ``guild``'s configured roles again; what moderators must hear about, in order. The
        first refresh of a guild in this process starts afresh (no pins survive a restart: two roles
        with a moderator's name at start are both refused)."""
        previous = self._guilds.get(guild.id) if guild.id in self._started else None
        self._started.add(guild.id)
        current = resolve_guild(self._config, role_pairs(guild), previous)
        self._guilds[guild.id] = current
        return notices(previous, current)

    def moderator_ids(self, guild: discord.Guild) -> frozenset[int]:
        return self.of(guild).moderator_ids

    def moderator_roles(self, guild: discord.Guild) -> list[discord.Role]:
        """The trusted moderator roles of ``guild`` (for channel overwrites, say)."""
        ids = self.moderator_ids(guild)
        return [role for role in guild.roles if role.id in ids]

    def leaders_role(self, guild: discord.Guild) -> discord.Role | None:
        """The configured WIM leaders role, if exactly one role is it."""
        resolution = self.of(guild).first("leaders")
        return guild.get_role(resolution.role_id) if resolution and resolution.role_id else None

    def leaders_refused(self, guild: discord.Guild) -> bool:
        """Two roles carry the leaders role's name (already reported to mod-log as such)."""
        resolution = self.of(guild).first("leaders")
        return resolution is not None and resolution.refused

    def audience_ids(self, guild: discord.Guild) -> dict[str, int]:
        """Configured audience role names to trusted ids, for seeding the calendar."""
        return self.of(guild).audience_ids()


def role_problems(resolved: GuildRoles, guild_name: str) -> list[str]:
    """The configured roles that give nothing, one line each (the start-up check and ``check``)."""
    problems: list[str] = []
    for resolution in resolved.resolutions:
        wanted = resolution.wanted
        if resolution.missing:
            problems.append(f"{wanted.where}: no role {wanted.label} in {guild_name}")
        elif resolution.refused:
            ids = ", ".join(str(role_id) for role_id in resolution.candidates)
            problems.append(
                f"{wanted.where}: {len(resolution.candidates)} roles are named {wanted.label} in "
                f"{guild_name} (ids {ids}); none is trusted: rename all but one, or put the id in config.yml"
            )
    return problems
