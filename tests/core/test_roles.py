"""Configured roles are pinned by id (bot/core/roles.py): the resolution, its notices, the moderator check."""

from __future__ import annotations

from pathlib import Path
from unittest.mock import MagicMock

import discord
import msgspec.structs
import pytest

from bot.config import Config, load_config
from bot.core.checks import member_is_moderator
from bot.core.roles import GuildRoles, RoleDirectory, Wanted, notices, resolve, resolve_guild, role_problems

ROOT = Path(__file__).resolve().parents[2]
GUILD = 900
SECRETARIAT, STEERING, LEADERS, IMPOSTOR, OTHER = 1, 2, 3, 4, 5
ROLES = [(SECRETARIAT, "Secretariat"), (STEERING, "Steering Committee"), (LEADERS, "WIM Leaders")]


@pytest.fixture(scope="module")
def config() -> Config:
    return load_config(ROOT / "config.yml")


def by_name(value: str | int) -> Wanted:
    return Wanted("moderator", value, "moderator_roles")


# --- resolve --------------------------------------------------------------------------------------


def test_a_name_means_its_only_role_in_any_case() -> None:
    found = resolve(by_name("secretariat"), ROLES)
    assert (found.role_id, found.candidates, found.refused, found.missing) == (
        SECRETARIAT,
        (1,),
        False,
        False,
    )


def test_an_id_means_that_role_whatever_its_name() -> None:
    assert resolve(by_name(STEERING), [*ROLES, (OTHER, "2")]).role_id == STEERING
    missing = resolve(by_name(99), ROLES)
    assert (missing.role_id, missing.missing) == (None, True)


def test_two_roles_with_one_name_are_both_refused() -> None:
    found = resolve(by_name("Secretariat"), [*ROLES, (IMPOSTOR, "SECRETARIAT")])
    assert (found.role_id, found.candidates, found.refused) == (None, (SECRETARIAT, IMPOSTOR), True)


def test_a_pin_holds_against_a_namesake_while_the_pinned_role_keeps_the_name() -> None:
    roles = [*ROLES, (IMPOSTOR, "Secretariat")]
    assert resolve(by_name("Secretariat"), roles, pinned=SECRETARIAT).role_id == SECRETARIAT
    # The pinned role renamed away: its namesake is now the only one, and is the role the name means.
    renamed = [(SECRETARIAT, "Old secretariat"), (IMPOSTOR, "Secretariat")]
    assert resolve(by_name("Secretariat"), renamed, pinned=SECRETARIAT).role_id == IMPOSTOR


def test_no_role_with_the_name_is_missing_not_refused() -> None:
    found = resolve(by_name("Treasurers"), ROLES)
    assert (found.role_id, found.missing, found.refused) == (None, True, False)


# --- one guild ------------------------------------------------------------------------------------


def test_every_purpose_is_resolved_and_moderators_are_the_moderator_ids(config: Config) -> None:
    resolved = resolve_guild(config, ROLES, None)
    assert resolved.moderator_ids == {SECRETARIAT, STEERING}
    leaders = resolved.first("leaders")
    assert leaders is not None and leaders.role_id == LEADERS
    assert resolved.audience_ids() == {"WIM Leaders": LEADERS}  # config.yml's roundtable audience
    assert role_problems(resolved, "WIM") == []


def test_at_start_a_duplicated_name_is_refused_reported_and_trusted_for_nothing(config: Config) -> None:
    roles = [*ROLES, (IMPOSTOR, "Secretariat")]
    resolved = resolve_guild(config, roles, None)
    assert resolved.moderator_ids == {STEERING}
    [notice] = notices(None, resolved)
    assert notice.kind == "refused"
    assert notice.key == f"roles:refused:moderator:Secretariat:{SECRETARIAT},{IMPOSTOR}"
    assert notice.resolution.candidates == (SECRETARIAT, IMPOSTOR)
    [problem] = role_problems(resolved, "WIM")
    assert "2 roles are named 'Secretariat'" in problem
    assert f"{SECRETARIAT}, {IMPOSTOR}" in problem


def test_a_namesake_created_later_is_not_trusted_and_is_reported(config: Config) -> None:
    start = resolve_guild(config, ROLES, None)
    later = resolve_guild(config, [*ROLES, (IMPOSTOR, "secretariat")], start)
    assert later.moderator_ids == {SECRETARIAT, STEERING}
    [notice] = notices(start, later)
    assert (notice.kind, notice.role_id) == ("impostor", IMPOSTOR)
    assert notice.resolution.role_id == SECRETARIAT
    # Nothing new the next time roles change: the newcomer was reported once.
    assert notices(later, resolve_guild(config, [*ROLES, (IMPOSTOR, "secretariat")], later)) == []


def test_a_deleted_pinned_role_is_lost_and_a_new_only_role_is_pinned_and_reported(config: Config) -> None:
    start = resolve_guild(config, ROLES, None)
    without = [r for r in ROLES if r[0] != LEADERS]
    gone = resolve_guild(config, without, start)
    assert [(n.kind, n.resolution.wanted.purpose) for n in notices(start, gone)] == [
        ("lost", "leaders"),
        ("lost", "audience"),
    ]
    back = resolve_guild(config, [*without, (OTHER, "WIM Leaders")], gone)
    assert back.audience_ids() == {"WIM Leaders": OTHER}
    assert [(n.kind, n.resolution.role_id) for n in notices(gone, back)] == [
        ("pinned", OTHER),
        ("pinned", OTHER),
    ]


def test_a_duplicate_removed_leaves_one_role_the_name_then_means(config: Config) -> None:
    start = resolve_guild(config, [*ROLES, (IMPOSTOR, "Secretariat")], None)
    fixed = resolve_guild(config, ROLES, start)
    assert fixed.moderator_ids == {SECRETARIAT, STEERING}
    assert [(n.kind, n.resolution.role_id) for n in notices(start, fixed)] == [("pinned", SECRETARIAT)]


# --- the directory and the check, on discord.py objects --------------------------------------------


def role(role_id: int, name: str) -> MagicMock:
    mock = MagicMock(spec=discord.Role)
    mock.id, mock.name = role_id, name
    return mock


def guild_with(pairs: list[tuple[int, str]]) -> MagicMock:
    guild = MagicMock(spec=discord.Guild)
    guild.id = GUILD
    guild.roles = [role(role_id, name) for role_id, name in pairs]
    guild.get_role.side_effect = lambda wanted: next((r for r in guild.roles if r.id == wanted), None)
    return guild


def member(guild: MagicMock, role_ids: list[int], *, manage_guild: bool = False) -> MagicMock:
    mock = MagicMock(spec=discord.Member)
    mock.guild = guild
    mock.roles = [r for r in guild.roles if r.id in role_ids]
    mock.guild_permissions = discord.Permissions(manage_guild=manage_guild)
    return mock


def test_the_moderator_check_trusts_pinned_ids_never_a_namesake(config: Config) -> None:
    guild = guild_with(ROLES)
    directory = RoleDirectory(config)
    assert directory.refresh(guild) == []
    guild.roles.append(role(IMPOSTOR, "Secretariat"))
    [notice] = directory.refresh(guild)
    assert notice.kind == "impostor"
    assert member_is_moderator(member(guild, [SECRETARIAT]), directory)
    assert not member_is_moderator(member(guild, [IMPOSTOR]), directory)
    assert member_is_moderator(member(guild, [IMPOSTOR], manage_guild=True), directory)
    assert [r.id for r in directory.moderator_roles(guild)] == [SECRETARIAT, STEERING]


def test_a_new_process_starts_afresh_so_a_namesake_present_at_start_refuses_the_name(config: Config) -> None:
    guild = guild_with([*ROLES, (IMPOSTOR, "Secretariat")])
    directory = RoleDirectory(config)
    directory.of(guild)  # a lookup before the guild's first refresh: nothing is reported yet
    [notice] = directory.refresh(guild)
    assert notice.kind == "refused"
    assert not member_is_moderator(member(guild, [SECRETARIAT]), directory)
    assert not member_is_moderator(member(guild, [IMPOSTOR]), directory)
    assert member_is_moderator(member(guild, [STEERING]), directory)


def test_the_leaders_role_is_none_when_two_roles_carry_its_name(config: Config) -> None:
    directory = RoleDirectory(config)
    assert directory.leaders_role(guild_with(ROLES)) is not None
    twice = guild_with([*ROLES, (OTHER, "wim leaders")])
    directory = RoleDirectory(config)
    assert directory.leaders_role(twice) is None
    assert directory.leaders_refused(twice)  # the directory reports twins; "missing" would mislead
    assert directory.audience_ids(twice) == {}
    assert not RoleDirectory(config).leaders_refused(guild_with(ROLES[:2]))  # missing, not refused


def test_roles_named_by_id_in_the_config_need_no_unique_name(config: Config) -> None:
    by_id = msgspec.structs.replace(config, moderator_roles=(SECRETARIAT,))
    resolved = resolve_guild(by_id, [*ROLES, (IMPOSTOR, "Secretariat")], None)
    assert resolved.moderator_ids == {SECRETARIAT}
    assert notices(None, resolved) == []


def test_an_empty_resolution_trusts_nobody() -> None:
    assert GuildRoles().moderator_ids == frozenset()
    assert GuildRoles().audience_ids() == {}
