"""Fault tests (issue 15), inputs and permissions: hostile values in every option of every slash
command, and a member without the needed role trying every moderator and coordinator command.

The command tree is walked as Discord stored it (the registered commands), so a command added later
is covered without editing this file. Values come from hypothesis (a fixed number of examples, each
sending every command once as a moderator and once as a member). The hostile values are sent by a few
tests, each to the commands of one feature and with its own bot, so that the workers of a parallel run
(make test) share them; every command still gets every example.
"""

from __future__ import annotations

import asyncio
import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as fixed_seed
from hypothesis import strategies as st

from bot.config import load_config
from bot.docs import generate_command_reference
from bot.i18n import Catalog
from tests.double import InvocationError, Member, Upload
from tests.double.interactions import InteractionHandle
from tests.e2e.conftest import DiscordEnv
from tests.e2e.test_events import bot_db, create_event, far_start
from tests.e2e.test_faults import error_lines
from tests.e2e.test_platform import PER_COMMAND, _leaf_commands, _required

pytestmark = pytest.mark.e2e

CATALOG = Catalog.load()
ANSWER_WITHIN = 3.0  # Discord's deadline for the initial response
# The bot's generic "something went wrong ... error id" reply, in every language.
GENERIC_ERRORS = tuple(
    CATALOG.t(lang, "errors.generic", error_id="\x00").split("\x00")[0] for lang in ("en", "fr", "es")
)

# Invisible and direction marks, NUL, and what would ping if the bot let it through.
ODD_CHARACTERS = "\u200b\u200c\u200d\u2060\ufeff\u200e\u200f\u202a\u202b\u202e\u2066\u2069\x00\n\t"
LONGEST = 6000  # the most characters a string option can carry


def string_values(env: DiscordEnv) -> st.SearchStrategy[str]:
    seed = env.seed
    mentions = [
        "@everyone",
        "@here",
        f"<@{seed.member_fr.id}>",
        f"<@!{seed.moderator.id}>",
        f"<@&{seed.secretariat.id}>",
        f"<#{seed.mod_log.id}>",
    ]
    pieces = st.one_of(
        st.text(max_size=40),
        st.text(alphabet=ODD_CHARACTERS, min_size=1, max_size=10),
        st.sampled_from(mentions),
        st.sampled_from(["wg1-stem", "1", "-1", "0", "2030-01-01 10:00", "Europe/Paris", "https://x.org"]),
    )
    return st.one_of(
        st.just(""),
        st.just(" "),
        st.lists(pieces, max_size=6).map("".join),
        st.builds(
            lambda c, m: (c * LONGEST)[: LONGEST - len(m)] + m,
            st.sampled_from("é\u200fa𝔸"),
            st.sampled_from(mentions),
        ),
    )


HUGE = [0, -1, 1, -(2**53), 2**53, 2**31, -(2**31) - 1, 10**15]


def option_value(
    data: st.DataObject,
    option: dict[str, Any],
    env: DiscordEnv,
    strings: st.SearchStrategy[str],
) -> Any:
    """A value for ``option`` the Discord client would send (within its choices and bounds)."""
    kind = option["type"]
    if option.get("choices"):
        return data.draw(st.sampled_from([c["value"] for c in option["choices"]]))
    seed = env.seed
    if kind == 3:
        value = data.draw(strings)
        if option.get("max_length") is not None:
            value = value[: option["max_length"]]
        if len(value) < (option.get("min_length") or 0):
            value = value.ljust(option["min_length"], "\u200b")
        return value
    if kind in (4, 10):
        low, high = option.get("min_value", -(2**53)), option.get("max_value", 2**53)
        raw: float
        if kind == 4:
            raw = data.draw(st.one_of(st.sampled_from(HUGE), st.integers(-(2**53), 2**53)))
        else:
            raw = data.draw(
                st.one_of(st.sampled_from([float(h) for h in HUGE]), st.floats(-1e15, 1e15, allow_nan=False))
            )
        return min(max(raw, low), high)
    if kind == 5:
        return data.draw(st.booleans())
    if kind == 6:
        return data.draw(st.sampled_from([seed.member_en, seed.moderator, seed.dms_closed]))
    if kind == 7:
        return data.draw(st.sampled_from(list(seed.channels.values())))
    if kind == 8:
        return data.draw(st.sampled_from([seed.secretariat, env.double.everyone_role, seed.bot_role]))
    if kind == 9:
        return data.draw(st.sampled_from([seed.member_fr, seed.steering_committee]))
    if kind == 11:
        return Upload("probe.txt", data.draw(st.binary(max_size=64)), content_type="text/plain")
    raise AssertionError(f"option type {kind} not covered: {option}")


def assert_nobody_pinged(env: DiscordEnv, *, after: int) -> None:
    double = env.double
    channel_ids = double._sync(lambda: list(double.guild.channels))
    for channel_id in channel_ids:
        for message in double.messages(channel_id, after=after, include_ephemeral=True):
            assert not message.pinged_everyone, message.text
            assert not message.pinged_user_ids, (message.text, message.pinged_user_ids)
            assert not message.pinged_role_ids, (message.text, message.pinged_role_ids)


def assert_database_sound(env: DiscordEnv) -> None:
    with bot_db(env) as conn:
        assert [tuple(r) for r in conn.execute("PRAGMA integrity_check")] == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []


def assert_no_error_logged(env: DiscordEnv, since: int) -> None:
    with env.bot.log_path.open("rb") as log:
        log.seek(since)
        text = log.read().decode(errors="replace")
    errors = error_lines(text)
    assert errors == [], "\n".join(errors[:20])


async def assert_answered_sanely(handle: InteractionHandle, what: object) -> None:
    response = await handle.response(timeout=ANSWER_WITHIN + 5)
    assert response.elapsed <= ANSWER_WITHIN, (what, response.elapsed)
    assert handle.callback_count() == 1, what
    if response.type == 9:  # a modal: the form is the answer
        return
    final = await handle.message(timeout=15)
    assert not final.content.startswith(GENERIC_ERRORS), (what, final.content)
    assert len(final.content) <= 2000, what


# Who sends which command: a feature's commands together (what one does can change what another
# answers), except /event create, whose every answer waits for the Events-tab mirror (sent once the
# bot's requests have been quiet a moment, bot.core.pacing), and /wg's subcommand groups, as many
# options as its other commands. Every command of another feature, or added later, is in the last.
SHARES = ("event create", "event", "org", "wg", "wg groups", "others")


def share_of(path: str) -> str:
    feature, *rest = path.split()
    if path in SHARES:
        return path
    if feature == "wg" and len(rest) == 2:
        return "wg groups"
    return feature if feature in SHARES else "others"


@pytest.mark.parametrize("share", SHARES)
def test_hostile_values_in_every_option_get_a_sane_answer(isolated_env: DiscordEnv, share: str) -> None:
    env, double, seed = isolated_env, isolated_env.double, isolated_env.seed
    _, _, occurrence_id = asyncio.run(create_event(env, title="Hostile input probe"))
    valid: dict[str, Any] = {
        "group": "wg1-stem",
        "event": str(occurrence_id),
        "start": far_start(50),
        "zone": "Europe/Paris",
        "timezone": "America/Lima",
        "url": "https://example.org/probe",
        "link": "https://example.org/probe",
        "key": "wg9-probe",
        "item": "1",
        "deliverable": "1",
        "document": "1",
        "title": "Probe title",
        "name": "Probe group",
        "text": "Probe text",
        "query": "probe",
        "description": "Probe description",
        "reminders": "1h",
        "country": "PE",
        "website": "https://example.org/probe",
        "org": "Probe organisation",
    }
    every_leaf = _leaf_commands(double.registered_commands())
    assert len(every_leaf) > 20, [p for p, _ in every_leaf]
    leaves = [(path, options) for path, options in every_leaf if share_of(path) == share]
    assert leaves, f"no command in the share {share!r}"
    strings = string_values(env)
    mark = double.mark()
    log_start = env.bot.log_size()
    checkpoint = double.checkpoint()
    sent: list[str] = []

    async def invoke_once(path: str, user: Member, options: dict[str, Any]) -> None:
        try:
            handle = await double.invoke(path, user=user, options=options, ignore_default_permissions=True)
        except InvocationError as error:
            raise AssertionError(
                f"the strategy built a value the client would refuse: {path}: {error}"
            ) from None
        await assert_answered_sanely(handle, (path, user.name, options))

    # Each example sends every command once per option, that option hostile, as a moderator and as a
    # member; the seed makes the values the same on every run, so a failure is reproducible.
    @settings(
        max_examples=5,
        deadline=timedelta(seconds=60),
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        database=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: bounded, and the raw example is shown
    )
    @fixed_seed(20261201)
    @given(data=st.data())
    def every_command(data: st.DataObject) -> None:
        for path, options in leaves:
            for target in [o["name"] for o in options] or [None]:
                # The target option gets a hostile value; the others what a member would type (where
                # known), so that the hostile value reaches past the look-ups into what the command does.
                given_options: dict[str, Any] = {}
                for o in options:
                    hostile = o["name"] == target or o["name"] not in valid or bool(o.get("choices"))
                    if not (o.get("required") or o["name"] == target or data.draw(st.integers(0, 3)) == 0):
                        continue
                    given_options[o["name"]] = (
                        option_value(data, o, env, strings) if hostile else valid[o["name"]]
                    )
                for user in (seed.moderator, seed.member_en):
                    sent.append(f"{path}:{target}")
                    asyncio.run(invoke_once(path, user, given_options))

    every_command()
    every_option = {f"{p}:{o['name']}" for p, options in leaves for o in options}
    assert every_option <= set(sent), every_option - set(sent)
    assert_nobody_pinged(env, after=mark)
    assert_no_error_logged(env, log_start)
    assert_database_sound(env)
    # Nothing real Discord would refuse (a late answer, an over-long message, a ping...).
    recorded = double.violations[checkpoint[0] :]
    assert recorded == [], recorded[:10]


# --- a member without the needed role -------------------------------------------------------------

# Every command that needs a moderator (events, /wg) or a group's coordinator (/wg, for a group the
# member does not coordinate), and /org's when that feature is registered.
PRIVILEGED = (
    "event create",
    "event edit",
    "event cancel",
    "event attendees",
    "wg panel",
    "wg create",
    "wg edit",
    "wg archive",
    "wg coordinator add",
    "wg coordinator remove",
    "wg repair",
    "wg report",
    "wg status",
    "wg workplan add",
    "wg workplan update",
    "wg workplan remove",
    "wg deliverable add",
    "wg deliverable update",
    "wg deliverable remove",
    "wg update",
    "wg summary",
    "wg doc add",
    "wg doc remove",
    "wg initiative add",
    "wg export",
)
ORG_PREFIX = "org "
# The member commands of /org: everything else under /org is a moderator's.
ORG_MEMBER_COMMANDS = {"org list", "org info", "org join", "org leave", "org me"}


def snapshot(env: DiscordEnv) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in a stable order."""
    with bot_db(env) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master "
                "WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        return {t: sorted(map(tuple, conn.execute(f'SELECT * FROM "{t}"')), key=repr) for t in tables}


def discord_side(env: DiscordEnv) -> tuple[Any, ...]:
    """What the bot could have changed on Discord: roles, channels, member roles, scheduled events."""
    double = env.double

    def read() -> tuple[Any, ...]:
        guild = double.guild
        return (
            sorted((r.id, r.name, r.permissions) for r in guild.roles.values()),
            sorted((c.id, c.name) for c in guild.channels.values()),
            sorted((m.user.id, tuple(sorted(m.role_ids))) for m in guild.members.values()),
        )

    return (*double._sync(read), sorted((e.id, e.name, e.start) for e in double.scheduled_events()))


def test_a_member_without_the_role_is_refused_every_privileged_command_and_nothing_changes(
    isolated_env: DiscordEnv,
) -> None:
    env, double, seed = isolated_env, isolated_env.double, isolated_env.seed
    _, _, occurrence_id = asyncio.run(create_event(env, title="Permission probe"))
    valid: dict[str, Any] = {
        "title": "Sneaky",
        "start": far_start(45),
        "event": str(occurrence_id),
        "group": "wg1-stem",
        "key": "wg9-sneaky",
        "name": "Sneaky group",
        "member": seed.member_en,
        "text": "Sneaky",
        "url": "https://example.org/sneaky",
        "website": "https://example.org/sneaky",
        "country": "PE",
        "org": "Sneaky organisation",
        "standing": "leader",
        "item": "1",
        "deliverable": "1",
        "document": "1",
    }
    leaves = dict(_leaf_commands(double.registered_commands()))
    wanted = [p for p in PRIVILEGED if p.split()[0] in {q.split()[0] for q in leaves}]
    wanted += [p for p in leaves if p.startswith(ORG_PREFIX) and p not in ORG_MEMBER_COMMANDS]
    missing = [p for p in wanted if p not in leaves]
    assert missing == [], f"privileged commands no longer registered: {missing}"

    # Any interaction records the language the member uses Discord in (member_settings): let a
    # harmless one do that first, so the snapshot tells apart only what a refused command changed.
    async def harmless() -> None:
        await (await double.invoke("about", user=seed.member_en)).message(timeout=15)

    asyncio.run(harmless())

    def language_recorded() -> bool:
        with bot_db(env) as conn:
            row = conn.execute(
                "SELECT 1 FROM member_settings WHERE user_id = ? AND language IS NOT NULL",
                (seed.member_en.id,),
            ).fetchone()
        return row is not None

    double.wait_blocking(language_recorded, 10, "the member's language to be recorded")
    mark = double.mark()
    before = snapshot(env)
    guild_before = discord_side(env)

    async def try_all() -> list[tuple[str, str]]:
        answers: list[tuple[str, str]] = []
        for path in wanted:
            options = leaves[path]
            given = {
                o["name"]: PER_COMMAND.get(path, {}).get(o["name"], valid.get(o["name"]))
                for o in options
                if o.get("required")
            }
            handle = await double.invoke(
                path, user=seed.member_en, options=given, ignore_default_permissions=True
            )
            response = await handle.response(timeout=ANSWER_WITHIN + 5)
            assert response.type != 9, f"{path}: a form opened for a member who may not use it"
            final = await handle.message(timeout=15)
            assert final.ephemeral, (path, final.content)
            answers.append((path, final.content))
        return answers

    answers = asyncio.run(try_all())
    refused = [(p, a) for p, a in answers if not a.startswith("Only ")]
    assert refused == [], refused
    assert snapshot(env) == before
    assert discord_side(env) == guild_before
    assert list(double.messages(seed.announcements, after=mark)) == []
    assert_nobody_pinged(env, after=mark)


# --- the reference says who may use each command, as the bot enforces it ---------------------------

SHIPPED_CONFIG = Path(__file__).resolve().parents[2] / "config.yml"
MODERATORS, COORDINATORS = "moderators", "coordinators and moderators"


def refusal_kinds(group_names: list[str]) -> dict[str, str]:
    """Every refusal text, in every language, and who it says may do it: the moderator check's and
    the service's, the coordinator check's and the service's (naming a group)."""
    kinds: dict[str, str] = {}
    for lang in ("en", "fr", "es"):
        kinds[CATALOG.t(lang, "errors.not_moderator")] = MODERATORS
        kinds[CATALOG.t(lang, "errors.not_coordinator")] = COORDINATORS
        for name in group_names:
            kinds[CATALOG.t(lang, "working_groups.errors.not_coordinator", group=name)] = COORDINATORS
    return kinds


def reference_who() -> dict[str, str]:
    """The Who column of the command reference's summary, by English command path."""
    text = asyncio.run(generate_command_reference(load_config(SHIPPED_CONFIG, environ={})))
    summary = text.split("## Summary", 1)[1].split("\n## ", 1)[0]
    return {
        found.group(1): found.group(2)
        for found in re.finditer(r"^\| `/([^`]+)` \| ([^|]+?) \|", summary, flags=re.MULTILINE)
    }


def test_every_command_refuses_a_member_exactly_when_the_reference_says_it_is_not_everyones(
    isolated_env: DiscordEnv,
) -> None:
    """Every slash command, as a member who is no moderator and coordinates nothing, with valid
    options: refused (by the exact refusal texts) if and only if docs/commands.md lists it as the
    moderators' or the coordinators', and refused by the check it names. Other answers (an unknown id,
    a form, a success) are not refusals."""
    env, double, seed = isolated_env, isolated_env.double, isolated_env.seed
    _, _, occurrence_id = asyncio.run(create_event(env, title="Reference probe"))
    valid: dict[str, Any] = {
        "title": "Probe",
        "start": far_start(45),
        "event": str(occurrence_id),
        "group": "wg1-stem",
        "key": "wg9-probe",
        "name": "Probe group",
        "member": seed.member_en,
        "text": "Probe",
        "url": "https://example.org/probe",
        "website": "https://example.org/probe",
        "country": "PE",
        "org": "Probe organisation",
        "standing": "leader",
        "question": "Probe question?",
        "closes": "3d",
        "poll": "1",
        "seats": 1,
        "nominations": "2d",
        "voting": "3d",
        "election": "1",
        "duration": "3d",
        "from": "2026-09-01",
        "to": "2026-10-31",
        "item": "1",
        "deliverable": "1",
        "document": "1",
        "zone": "Europe/Paris",
        "query": "probe",
    }
    listed = reference_who()
    leaves = dict(_leaf_commands(double.registered_commands()))
    assert leaves, "no command registered"
    assert [p for p in leaves if p not in listed] == [], "commands missing from the reference"

    async def try_all() -> dict[str, str]:
        answers: dict[str, str] = {}
        for path, options in leaves.items():
            # A choice option takes its first choice unless the command needs another.
            first_choices = {o["name"]: o["choices"][0]["value"] for o in options if o.get("choices")}
            values = {**valid, **first_choices, **PER_COMMAND.get(path, {})}
            missing = [o["name"] for o in options if o.get("required") and o["name"] not in values]
            assert missing == [], f"{path}: give the test a valid value for {missing}"
            given = _required(options, values)
            handle = await double.invoke(
                path, user=seed.member_en, options=given, ignore_default_permissions=True
            )
            response = await handle.response(timeout=ANSWER_WITHIN + 5)
            if response.type == 9:  # a form opened: the member may use it
                continue
            answers[path] = (await handle.message(timeout=15)).content
        return answers

    answers = asyncio.run(try_all())
    with bot_db(env) as conn:  # the service's refusal names the group, in any of its languages
        names = [
            name for (row,) in conn.execute("SELECT name FROM wg_groups") for name in json.loads(row).values()
        ]
    kinds = refusal_kinds(names)
    refused = {path: kinds[answer] for path, answer in answers.items() if answer in kinds}
    wrongly_refused = {p: who for p, who in refused.items() if listed[p] == "everyone"}
    assert wrongly_refused == {}, "refused a member, yet listed as everyone's"
    expected = {p: who.split(" (")[0] for p, who in listed.items() if p in leaves and who != "everyone"}
    assert refused == expected, "the reference's Who column and the refusals disagree"
    assert {"wg status", "wg export", "event create", "wg report"} <= set(refused)
