"""Configured roles are trusted by id, never by name (bot/core/roles.py), end to end: a member with Manage
Roles who makes themselves a role named like a moderator role gains nothing, and two roles with one
name at start are both refused and reported. Real bot process, driven through the local Discord double."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import pytest

from tests.double import Perm
from tests.e2e.conftest import REPO, DiscordEnv
from tests.e2e.test_organisations import add_org, bot_db, claim, run

pytestmark = pytest.mark.e2e

NOT_MODERATOR = "Only moderators"


async def test_a_role_named_like_a_moderator_role_gives_no_moderator_rights(isolated_env: DiscordEnv) -> None:
    double, seed = isolated_env.double, isolated_env.seed
    organisation = await add_org(isolated_env, "WIM Mallory Land", "PE")
    managers = double.add_role("Role managers", Perm.MANAGE_ROLES)
    mallory = double.add_member("mallory", [managers])
    _, post, claim_id = await claim(isolated_env, mallory, organisation, "leader")

    # What the Discord client lets a member with Manage Roles do: create a role, give it to themselves.
    mark = double.mark()
    impostor = double.add_role(seed.secretariat.name)
    double.add_member_role(mallory, impostor)
    report = await double.wait_for_message(
        seed.mod_log, lambda m: impostor.mention in m.content, after=mark, timeout=10
    )
    assert f"**{seed.secretariat.name}**" in report.content
    assert seed.secretariat.mention in report.content and "no rights" in report.content

    refused = await run(
        double, "org add", user=mallory, name="WIM Fake", country="PE", website="https://f.org"
    )
    assert refused.ephemeral and NOT_MODERATOR in refused.content
    click = await double.click(post, f"org:claim:{claim_id}:approve", user=mallory)
    answer = await click.message(timeout=10)
    assert answer.ephemeral and NOT_MODERATOR in answer.content
    with bot_db(isolated_env) as conn:
        status = conn.execute("SELECT status FROM organisation_claims WHERE id = ?", (claim_id,)).fetchone()[
            0
        ]
        fakes = conn.execute("SELECT count(*) FROM organisations WHERE name = 'WIM Fake'").fetchone()[0]
    assert (status, fakes) == ("pending", 0)
    leaders = double.role("WIM Leaders")
    assert leaders.id not in mallory.role_ids

    # The real Secretariat is still trusted: its pin holds against the namesake.
    decided = await double.click(post, f"org:claim:{claim_id}:decline", user=seed.moderator)
    assert (await decided.response()).type == 7
    # A renamed role that takes the name is treated the same way: reported, not trusted.
    mark = double.mark()
    double.update_role(managers, name=seed.secretariat.name.upper())
    await double.wait_for_message(
        seed.mod_log, lambda m: managers.mention in m.content, after=mark, timeout=10
    )
    again = await run(double, "org add", user=mallory, name="WIM Fake", country="PE", website="https://f.org")
    assert NOT_MODERATOR in again.content


async def test_two_roles_with_a_moderator_name_at_start_are_both_refused_and_reported(
    isolated_env: DiscordEnv,
) -> None:
    double, seed = isolated_env.double, isolated_env.seed
    await isolated_env.bot.stop()
    twin = double.add_role(seed.secretariat.name)
    mark = double.mark()
    await isolated_env.bot.start()
    report = await double.wait_for_message(
        seed.mod_log, lambda m: twin.mention in m.content and "2 roles" in m.content, after=mark, timeout=15
    )
    assert seed.secretariat.mention in report.content and "none of them" in report.content
    logged = isolated_env.bot.log_text()
    assert f"Roles in guild {double.guild_id}: ⚠️ Roles: 2 roles are named **Secretariat**" in logged
    # The start-up check logs after the mod-log report is posted.
    await isolated_env.bot.wait_logged("Config check: moderator_roles: 2 roles are named 'Secretariat'")
    double.add_member_role(seed.member_en, twin)
    for member in (seed.moderator, seed.member_en):
        answer = await run(
            double, "org add", user=member, name="WIM Twin", country="PE", website="https://t.org"
        )
        assert answer.ephemeral and NOT_MODERATOR in answer.content, member.name
    # The other moderator role is untouched.
    done = await run(
        double, "org add", user=seed.moderator_fr, name="WIM Twin", country="PE", website="https://t.org"
    )
    assert "WIM Twin" in done.content and NOT_MODERATOR not in done.content

    # A restart with the same twins reports them in the log again, not in mod-log a second time.
    mark = double.mark()
    await isolated_env.bot.restart()
    await asyncio.sleep(1)
    assert not [m for m in double.messages(seed.mod_log, after=mark) if twin.mention in m.content]

    # `python -m bot check` sees the server: it names the refused role.
    env = {**os.environ, "DISCORD_TOKEN": double.token, "WIM_DOUBLE_PORT": str(double.port)}
    env.pop("BOT_CONFIG", None)
    checked = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "tests.double.launch_bot", "check", "--config", str(isolated_env.config_path)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert checked.returncode == 0, checked.stderr
    out = checked.stdout
    assert f"Roles in guild {double.guild_id}:" in out
    assert f"moderator_roles 'Steering Committee': role id {seed.steering_committee.id}" in out
    assert f"2 roles are named 'Secretariat' in guild {double.guild_id}" in out
    assert f"{seed.secretariat.id}, {twin.id}" in out
