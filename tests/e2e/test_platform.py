"""The shared mechanisms end to end (issue 11): every answer arrives and fits, odd inputs are refused
before any write, the outbox survives a Discord 5xx, RSVP counts survive a restart, audience pings that
would notify nobody are reported. Real bot process, driven through the local Discord double."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.double import InvocationError, Message, faults
from tests.e2e.conftest import DiscordEnv
from tests.e2e.test_events import (
    answer_of,
    bot_db,
    create_event,
    far_start,
    occurrence_id_of,
    stored_counts,
)

pytestmark = pytest.mark.e2e

OVER_LONG = "é" * 6000  # the most a string option can carry in Discord
POST_MESSAGE = "POST /channels/{channel_id}/messages"


def _leaf_commands(commands: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """(path, options) of every slash command the bot registered, subcommands included."""
    leaves: list[tuple[str, list[dict[str, Any]]]] = []

    def walk(prefix: str, options: list[dict[str, Any]]) -> None:
        subs = [o for o in options if o["type"] in (1, 2)]
        if not subs:
            leaves.append((prefix, options))
        for sub in subs:
            walk(f"{prefix} {sub['name']}", sub.get("options") or [])

    for command in commands:
        if command.get("type", 1) == 1:
            walk(command["name"], command.get("options") or [])
    return leaves


def assert_fits(message: Message) -> None:
    assert len(message.content) <= 2000, len(message.content)
    for embed in message.embeds:
        assert len(embed.get("description") or "") <= 4096


async def test_an_over_long_value_in_any_string_option_gets_an_answer_that_fits(
    isolated_env: DiscordEnv,
) -> None:
    double, seed = isolated_env.double, isolated_env.seed
    _, _, occurrence_id = await create_event(isolated_env, title="Long input probe")
    valid: dict[str, Any] = {
        "title": "Long input probe",
        "start": far_start(50),
        "event": str(occurrence_id),
        "zone": "Europe/Paris",
        "status": "going",
        "setting": "on",
        # Working groups (/wg): a seeded group, and valid values for the other required options.
        "group": "wg1-stem",
        "key": "wg9-probe",
        "name": "Probe group",
        "member": seed.member_en,
        "text": "Probe",
        "query": "probe",
        "url": "https://example.org/probe",
        "item": "1",
        "deliverable": "1",
        "document": "1",
        # /org (the directory): the organisation named need not exist; the answer must fit anyway.
        # ("name" and "member" above serve /org too.)
        "country": "PE",
        "website": "https://probe.example.org",
        "org": "Long input probe",
        "standing": "member",
        # /poll: a question with its deadline; the poll named need not exist.
        "question": "Long input probe?",
        "closes": "3d",
        "poll": "1",
        # /poll election, nominate, extend: the periods; the election named need not exist.
        "seats": 1,
        "nominations": "2d",
        "voting": "3d",
        "election": "1",
        "duration": "3d",
        # /digest newsletter: a past range of dates.
        "from": "2026-09-01",
        "to": "2026-10-31",
    }
    tried: list[str] = []
    for path, options in _leaf_commands(double.registered_commands()):
        for option in options:
            if option["type"] != 3 or option.get("choices"):
                continue
            name = option["name"]
            value = OVER_LONG
            limit = option.get("max_length")
            if limit is not None and limit < len(OVER_LONG):
                # The client refuses it before sending; the longest the bot can receive is the limit.
                with pytest.raises(InvocationError, match="max_length"):
                    await double.invoke(
                        path,
                        user=seed.moderator,
                        options={
                            **_required(options, {**valid, **PER_COMMAND.get(path, {})}, path),
                            name: value,
                        },
                    )
                value = OVER_LONG[:limit]
            given = {**_required(options, {**valid, **PER_COMMAND.get(path, {})}, path), name: value}
            handle = await double.invoke(path, user=seed.moderator, options=given)
            answer = await handle.message(timeout=15)
            assert handle.callback_count() == 1, (path, name)
            assert answer.ephemeral, (path, name, answer.text)
            assert_fits(answer)
            assert "went wrong" not in answer.content, (path, name, answer.content)
            tried.append(f"{path}:{name}")
            if option.get("autocomplete"):
                suggest = await double.autocomplete(
                    path, user=seed.moderator, options={name: OVER_LONG}, focused=name
                )
                assert len((await suggest.response(timeout=10)).choices) <= 25
    assert {"event create:title", "event create:start", "event create:timezone", "timezone set:zone"} <= set(
        tried
    )
    assert {"event edit:reminders", "event info:event"} <= set(tried)


# Required options whose valid value depends on the command (a choice among that command's own).
PER_COMMAND: dict[str, dict[str, Any]] = {
    "wg status": {"status": "in_progress"},
    "wg deliverable add": {"kind": "guide"},
    "wg initiative add": {"kind": "programme"},
}


# Optional options a command needs to answer in one message (without them /poll create opens a form).
GIVEN_TOO: dict[str, dict[str, Any]] = {
    "poll create": {"options": "Yes; No"},
}


def _required(options: list[dict[str, Any]], valid: dict[str, Any], path: str = "") -> dict[str, Any]:
    given = {o["name"]: valid[o["name"]] for o in options if o.get("required")}
    return {**given, **GIVEN_TOO.get(path, {})}


@pytest.mark.parametrize(
    ("options", "explanation"),
    [
        pytest.param({"start": "9999-12-31 23:59"}, "too far ahead", id="year-9999"),
        pytest.param(
            {"start": "9999-12-31 23:59", "timezone": "America/Lima"}, "too far ahead", id="year-9999-lima"
        ),
        pytest.param({"title": "\x00"}, "control characters", id="nul-title"),
        pytest.param({"link": "https://meet.example.org/join?room=<wim>"}, "web address", id="not-a-uri"),
    ],
)
async def test_odd_create_inputs_get_a_clear_answer_and_write_nothing(
    discord_env: DiscordEnv, options: dict[str, str], explanation: str
) -> None:
    double, seed = discord_env.double, discord_env.seed
    before = stored_counts(discord_env)
    mark = double.mark()
    answer = await answer_of(
        double, "event create", user=seed.moderator, **{"title": "Odd probe", "start": far_start(), **options}
    )
    assert answer.ephemeral and explanation in answer.content, answer.content
    assert "went wrong" not in answer.content
    assert stored_counts(discord_env) == before
    assert double.messages(seed.announcements, after=mark) == []


async def test_a_blank_zone_is_refused_and_the_saved_one_kept(discord_env: DiscordEnv) -> None:
    double, seed = discord_env.double, discord_env.seed
    await answer_of(double, "timezone set", user=seed.member_es, zone="America/Bogota")
    refused = await answer_of(double, "timezone set", user=seed.member_es, zone="   ")
    assert refused.ephemeral and "zona horaria" in refused.content and "went wrong" not in refused.content
    shown = await answer_of(double, "timezone show", user=seed.member_es)
    assert "America/Bogota" in shown.content


def _cards_of(env: DiscordEnv, occurrence_id: int) -> list[Message]:
    wanted = f"event:rsvp:{occurrence_id}:going"
    return [m for m in env.double.messages(env.seed.announcements) if wanted in m.custom_ids()]


@pytest.mark.parametrize("when", ["before", "after"], ids=["refused", "posted-then-5xx"])
async def test_a_5xx_on_the_announcement_post_ends_with_exactly_one_announcement(
    discord_env: DiscordEnv, when: faults.When
) -> None:
    double, seed = discord_env.double, discord_env.seed
    fault = faults.fail_next(
        double, POST_MESSAGE, status=503, when=when, path_contains=str(seed.announcements.id)
    )
    title = f"Outbox probe ({when})"
    try:
        handle = await double.invoke(
            "event create", user=seed.moderator, options={"title": title, "start": far_start(33)}
        )
        answer = await handle.message(timeout=15)
    finally:
        faults.clear(double)
    assert fault.hits == 1
    # The member is told it is created (not "something went wrong"), and that the post will follow.
    assert answer.ephemeral and answer.content.startswith(f"Event **{title}** created"), answer.content
    assert "as soon as it does" in answer.content
    card = await double.wait_for_message(
        seed.announcements, lambda m: bool(m.embeds) and m.embeds[0].get("title") == title, timeout=40
    )
    occurrence_id = occurrence_id_of(card)

    def recorded(_: object) -> bool:
        with bot_db(discord_env) as conn:
            row = conn.execute(
                "SELECT announcement_message_id FROM event_occurrences WHERE id = ?", (occurrence_id,)
            ).fetchone()
        return bool(row[0] == card.id)

    await double.wait_until(recorded, timeout=40, what="the announcement to be recorded")
    with bot_db(discord_env) as conn:
        series = conn.execute("SELECT count(*) FROM event_series WHERE title = ?", (title,)).fetchone()[0]
    await asyncio.sleep(1)  # a second post would come right after the first: give it the chance
    assert [m.id for m in _cards_of(discord_env, occurrence_id)] == [card.id]
    assert series == 1  # no duplicate event


async def test_counts_are_right_after_a_restart_inside_the_refresh_window(isolated_env: DiscordEnv) -> None:
    double, seed = isolated_env.double, isolated_env.seed
    _, announcement, occurrence_id = await create_event(isolated_env, title="Restart probe")
    first = await double.click(announcement, f"event:rsvp:{occurrence_id}:going", user=seed.member_en)
    await first.message()
    second = await double.click(announcement, f"event:rsvp:{occurrence_id}:going", user=seed.member_fr)
    await second.message()
    await isolated_env.bot.kill()  # a crash right after the answers, before the card was edited
    await isolated_env.bot.start()
    await double.wait_until(
        lambda d: "2 going" in d.message(announcement.id).text,
        timeout=20,
        what="the card to count both answers after the restart",
    )


async def test_an_audience_role_nobody_would_be_notified_of_is_explained(discord_env: DiscordEnv) -> None:
    double, seed = discord_env.double, discord_env.seed
    quiet = double.add_role("Unpingable audience (test)")  # not mentionable; the bot lacks Mention Everyone
    loud = double.add_role("Pingable audience (test)", mentionable=True)
    mark = double.mark()
    answer, _, _ = await create_event(discord_env, title="Quiet audience probe", audience=quiet)
    assert answer.content.startswith("Event **Quiet audience probe** created")
    assert (
        "Discord will not notify its members" in answer.content
        and "Allow anyone to @mention" in answer.content
    )
    notice = await double.wait_for_message(seed.mod_log, lambda m: quiet.mention in m.content, after=mark)
    assert "Unpingable audience (test)" in notice.content and not notice.pinged_role_ids
    answer, _, _ = await create_event(discord_env, title="Loud audience probe", audience=loud)
    assert "will not notify" not in answer.content
    assert not [m for m in double.messages(seed.mod_log, after=mark) if loud.mention in m.content]


async def test_the_start_up_check_reports_an_audience_role_that_cannot_be_pinged(
    isolated_env: DiscordEnv,
) -> None:
    double, seed = isolated_env.double, isolated_env.seed
    leaders = double.role("WIM Leaders")  # the configured roundtable's audience, seeded at start
    double.update_role(leaders, mentionable=False)
    mark = double.mark()
    await isolated_env.bot.restart()
    notice = await double.wait_for_message(
        seed.mod_log, lambda m: leaders.mention in m.content, after=mark, timeout=20
    )
    assert "Allow anyone to @mention this role" in notice.content
    assert "WIM Leaders" in notice.content
