"""Polls and consultations end to end: the real bot process, driven through the local Discord double.

Assertions are about what Discord would show (replies, the poll message and its components, the
results post and its chart, DMs) or what the bot stored (read-only peeks into its SQLite file). The
shared env keeps its database between tests, so each test names its polls and organisations after
itself.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest

from tests.double import FakeDiscord, InvocationError, Member, Message
from tests.e2e.conftest import DiscordEnv

pytestmark = pytest.mark.e2e

POLL_ID = re.compile(r"^poll:(?:vote|pick|rank):(\d+)")


# --- helpers -------------------------------------------------------------------------------------


@contextmanager
def bot_db(env: DiscordEnv) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(f"file:{env.config['database']}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        yield conn
    finally:
        conn.close()


def count(env: DiscordEnv, sql: str, *params: Any) -> int:
    with bot_db(env) as conn:
        return int(conn.execute(sql, params).fetchone()[0])


def general(env: DiscordEnv) -> Any:
    return env.seed.channels["general"]


async def run(
    double: FakeDiscord, path: str, *, user: Member, channel: Any = None, **options: Any
) -> Message:
    handle = await double.invoke(path, user=user, options=options, channel=channel)
    return await handle.message(timeout=15)


def poll_id_of(message: Message) -> int:
    for custom_id in message.custom_ids():
        match = POLL_ID.match(custom_id)
        if match:
            return int(match.group(1))
    raise AssertionError(f"not a poll message: {message.custom_ids()}")


async def create_poll(
    env: DiscordEnv, question: str, options: str, *, user: Member | None = None, **more: Any
) -> Message:
    """/poll create in #general; returns the poll message the bot posted."""
    double = env.double
    mark = double.mark()
    more.setdefault("closes", "3d")
    answer = await run(
        double,
        "poll create",
        user=user or env.seed.moderator,
        channel=general(env),
        question=question,
        options=options,
        **more,
    )
    assert answer.ephemeral and "posted" in answer.content, answer.content
    return await double.wait_for_message(
        general(env), lambda m: question in m.text and bool(m.custom_ids()), after=mark, timeout=15
    )


async def click(double: FakeDiscord, message: Message, custom_id: str, user: Member, **kw: Any) -> Message:
    handle = await double.click(message, custom_id, user=user, **kw)
    return await handle.message(timeout=15)


async def results_post(env: DiscordEnv, question: str, mark: int) -> Message:
    return await env.double.wait_for_message(
        general(env), lambda m: question in m.text and bool(m.attachments), after=mark, timeout=20
    )


def results_posts(env: DiscordEnv, question: str, mark: int) -> list[Message]:
    return [m for m in env.double.messages(general(env), after=mark) if question in m.text and m.attachments]


async def rank(double: FakeDiscord, poll: Message, poll_id: int, user: Member, ranking: list[int]) -> Message:
    """Open the ranking, pick each preference in turn (undoing a slip once), confirm."""
    handle = await double.click(poll, f"poll:rank:{poll_id}", user=user)
    step = await handle.message(timeout=15)
    assert step.ephemeral
    done: list[int] = []
    for position in ranking:
        custom_id = f"poll:rk:add:{poll_id}:{'.'.join(map(str, done))}"
        h = await double.select(double.message(step.id), custom_id, [str(position)], user=user)
        await h.response(timeout=15)
        done.append(position)
    confirm = f"poll:rk:ok:{poll_id}:{'.'.join(map(str, done))}"
    h = await double.click(double.message(step.id), confirm, user=user)
    await h.response(timeout=15)
    return double.message(step.id)


async def add_org(env: DiscordEnv, name: str, country: str) -> int:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    answer = await run(
        env.double,
        "org add",
        user=env.seed.moderator,
        name=name,
        country=country,
        website=f"https://{slug}.org",
    )
    assert "is now in the directory" in answer.content, answer.content
    with bot_db(env) as conn:
        row = conn.execute(
            "SELECT id FROM organisations WHERE name = ? AND status = 'active'", (name,)
        ).fetchone()
    return int(row["id"])


async def representative(env: DiscordEnv, member: Member, organisation_id: int) -> None:
    answer = await run(
        env.double,
        "org verify",
        user=env.seed.moderator,
        member=member,
        org=str(organisation_id),
        standing="representative",
    )
    assert answer.ephemeral, answer.text


def active_organisations(env: DiscordEnv) -> int:
    return count(
        env,
        "SELECT count(*) FROM organisations WHERE guild_id = ? AND status = 'active'",
        env.double.guild_id,
    )


# --- members' polls --------------------------------------------------------------------------------


async def test_create_vote_change_the_vote_list_and_results(discord_env: DiscordEnv) -> None:
    double, seed = discord_env.double, discord_env.seed
    question = "Where should the next Global WIM Call be hosted? (vote test)"
    poll = await create_poll(discord_env, question, "Lima; Accra; Perth")
    poll_id = poll_id_of(poll)
    assert [b["label"] for b in poll.buttons()] == ["1. Lima", "2. Accra", "3. Perth"]
    assert "<t:" in poll.text and "Turnout: 0 ballots" in poll.text
    first = await click(double, poll, f"poll:vote:{poll_id}:2", seed.member_en)
    assert first.ephemeral and "is recorded: **Accra**" in first.content, first.content
    again = await click(double, poll, f"poll:vote:{poll_id}:1", seed.member_en)
    assert "is now: **Lima**. It replaces your earlier one" in again.content, again.content
    french = await click(double, poll, f"poll:vote:{poll_id}:1", seed.member_fr)
    assert "Votre bulletin de vote pour" in french.content and "**Lima**" in french.content
    assert count(discord_env, "SELECT count(*) FROM poll_ballots WHERE poll_id = ?", poll_id) == 2
    shown = await double.wait_until(
        lambda d: d.message(poll.id) if "Lima: 2 votes (100%)" in d.message(poll.id).text else None,
        timeout=15,
        what="the tally on the poll message",
    )
    assert "Accra: 0 votes" in shown.text and "Turnout: 2 ballots" in shown.text
    listed = await run(double, "poll list", user=seed.member_en)
    assert listed.ephemeral and question[:40] in listed.text and "you have voted" in listed.text
    not_yet = await run(double, "poll list", user=seed.member_es)
    assert "usted aún no respondió" in not_yet.text
    result = await run(double, "poll results", user=seed.member_en, poll=str(poll_id))
    assert "Lima: 2 votes (100%)" in result.text and "Most votes: **Lima**" in result.text
    assert [a.filename for a in result.attachments] == [f"poll-{poll_id}-results.png"]
    assert result.attachments[0].data[:8] == b"\x89PNG\r\n\x1a\n"
    suggested = await double.autocomplete(
        "poll results", user=seed.member_en, options={"poll": "next Global WIM"}, focused="poll"
    )
    choices = (await suggested.response()).choices
    assert any(c["value"] == str(poll_id) for c in choices), choices


async def test_multiple_choice_with_a_maximum(discord_env: DiscordEnv) -> None:
    double, seed = discord_env.double, discord_env.seed
    question = "Which themes for the 2027 roundtables? (multiple test)"
    poll = await create_poll(
        discord_env, question, "Safety; Mentoring; Data; Finance", kind="multiple", max_choices=2
    )
    poll_id = poll_id_of(poll)
    select = poll.selects()[0]
    assert select["max_values"] == 2 and len(select["options"]) == 4
    picked = await (
        await double.select(poll, f"poll:pick:{poll_id}", ["1", "2"], user=seed.member_en)
    ).message(timeout=15)
    assert "is recorded: **Safety**, **Mentoring**" in picked.content, picked.content
    with pytest.raises(InvocationError):  # Discord's client lets nobody tick more than max_values
        await double.select(poll, f"poll:pick:{poll_id}", ["1", "2", "3"], user=seed.member_en)
    assert count(discord_env, "SELECT count(*) FROM poll_choices WHERE poll_id = ?", poll_id) == 2


async def test_ranked_poll_counts_its_rounds(discord_env: DiscordEnv) -> None:
    double, seed = discord_env.double, discord_env.seed
    question = "Rank the venues of the December assembly (ranked test)"
    poll = await create_poll(discord_env, question, "Accra; Lima; Perth", kind="ranked")
    poll_id = poll_id_of(poll)
    voters = [double.add_member(f"ranker-{n}", locale="en-US") for n in range(5)]
    rankings = [[1, 3], [1, 2], [2, 1], [2, 1], [3, 2]]  # Perth out first, its ballot goes to Lima
    for member, ranking in zip(voters, rankings, strict=True):
        final = await rank(double, poll, poll_id, member, ranking)
        assert "is recorded: 1. **" in final.content and not final.components, final.content
    mark = double.mark()
    closed = await run(double, "poll close", user=seed.moderator, poll=str(poll_id))
    assert "closed: the results are posted" in closed.content, closed.content
    post = await results_post(discord_env, question, mark)
    text = post.text
    assert "**Round 1**" in text and "Perth eliminated." in text and "**Round 2**" in text
    assert "Elected: **Lima**." in text and "Instant-runoff" in text
    assert [a.filename for a in post.attachments] == [f"poll-{poll_id}-rounds.png"]
    again = await run(double, "poll close", user=seed.moderator, poll=str(poll_id))
    assert "was already closed" in again.content
    assert len(results_posts(discord_env, question, mark)) == 1


async def test_hidden_results_show_only_the_turnout_until_the_close(discord_env: DiscordEnv) -> None:
    double, seed = discord_env.double, discord_env.seed
    question = "Adopt the 2027 workplan? (hidden test)"
    poll = await create_poll(discord_env, question, "Yes; No; Abstain", results="hidden")
    poll_id = poll_id_of(poll)
    await click(double, poll, f"poll:vote:{poll_id}:1", seed.member_en)
    member_view = await run(double, "poll results", user=seed.member_es, poll=str(poll_id))
    assert "ocultos hasta el cierre" in member_view.text and "Participación: 1 voto." in member_view.text
    assert "Yes:" not in member_view.text and not member_view.attachments
    moderator_view = await run(double, "poll results", user=seed.moderator, poll=str(poll_id))
    assert "Yes: 1 vote (100%)" in moderator_view.text and moderator_view.attachments
    await double.wait_until(
        lambda d: "Turnout: 1 ballot." in d.message(poll.id).text or None, timeout=15, what="the turnout"
    )
    assert "1 vote" not in double.message(poll.id).text


async def test_quorum_not_reached(discord_env: DiscordEnv) -> None:
    double, seed = discord_env.double, discord_env.seed
    question = "Change the meeting day? (quorum test)"
    poll = await create_poll(discord_env, question, "Tuesday; Thursday", quorum="3")
    poll_id = poll_id_of(poll)
    await click(double, poll, f"poll:vote:{poll_id}:2", seed.member_en)
    mark = double.mark()
    await run(double, "poll close", user=seed.moderator, poll=str(poll_id))
    post = await results_post(discord_env, question, mark)
    assert "Quorum: 3 ballots. Quorum not reached" in post.text, post.text


async def test_automatic_close_at_a_short_deadline_posts_the_results_once(discord_env: DiscordEnv) -> None:
    double, seed = discord_env.double, discord_env.seed
    question = "Quick check: is the agenda fine? (deadline test)"
    poll = await create_poll(discord_env, question, "Yes; No", closes="5m")
    poll_id = poll_id_of(poll)
    await click(double, poll, f"poll:vote:{poll_id}:1", seed.member_en)
    mark = double.mark()
    await double.advance(timedelta(minutes=6))
    post = await results_post(discord_env, question, mark)
    assert "Final results" in post.text and "Yes: 1 vote (100%)" in post.text
    closed = await double.wait_until(
        lambda d: (
            d.message(poll.id) if all(b.get("disabled") for b in d.message(poll.id).buttons()) else None
        ),
        timeout=15,
        what="the poll's buttons disabled",
    )
    assert "Closed" in closed.text
    late = await click(double, closed, f"poll:vote:{poll_id}:2", seed.member_fr, stale=True)
    assert late.ephemeral and "clos" in late.content, late.content
    await asyncio.sleep(1.0)
    assert len(results_posts(discord_env, question, mark)) == 1


async def test_restart_votes_still_count_and_the_deadline_passed_while_down_closes_once(
    isolated_env: DiscordEnv,
) -> None:
    env = isolated_env
    double, seed = env.double, env.seed
    question = "Keep the monthly roundtable? (restart test)"
    poll = await create_poll(env, question, "Keep; Drop", closes="10m", comments=True)
    poll_id = poll_id_of(poll)
    await env.bot.restart()
    after = await click(double, poll, f"poll:vote:{poll_id}:1", seed.member_en)
    assert "is recorded: **Keep**" in after.content
    # A comment through the modal, on the button posted before the restart.
    handle = await double.click(poll, f"poll:comment:{poll_id}", user=seed.member_en)
    await handle.response(timeout=15)
    submitted = await (
        await double.submit_modal(handle, {"comment": "Monthly works for Perth."}, user=seed.member_en)
    ).message(timeout=15)
    assert "Monthly works for Perth." in submitted.content
    await env.bot.stop()
    await double.advance(timedelta(minutes=11))  # the deadline passes while the bot is down
    mark = double.mark()
    await env.bot.start()
    post = await results_post(env, question, mark)
    assert "Keep: 1 vote (100%)" in post.text
    await env.bot.restart()
    await asyncio.sleep(1.0)
    assert len(results_posts(env, question, mark)) == 1
    assert (
        count(env, "SELECT count(*) FROM polls WHERE id = ? AND results_message_id = ?", poll_id, post.id)
        == 1
    )


# --- consultations of the WIM organisations --------------------------------------------------------


async def test_organisation_mode_one_ballot_per_organisation_turnout_by_region_and_export(
    discord_env: DiscordEnv,
) -> None:
    env = discord_env
    double, seed = env.double, env.seed
    ghana = await add_org(env, "WIM Ghana (consultation test)", "GH")
    peru = await add_org(env, "WIM Perú (consultation test)", "PE")
    rep_a = double.add_member("rep-ghana-a", locale="en-US")
    rep_b = double.add_member("rep-ghana-b", locale="en-US")
    rep_peru = double.add_member("rep-peru", locale="es-419")
    await representative(env, rep_a, ghana)
    await representative(env, rep_b, ghana)
    await representative(env, rep_peru, peru)
    question = "Which governance option for the Alliance? (consultation test)"
    poll = await create_poll(
        env, question, "Option A; Option B", voters="organisations", comments=True, anonymous=True
    )
    poll_id = poll_id_of(poll)
    assert "Consultation of the WIM organisations" in poll.text
    outsider = await click(double, poll, f"poll:vote:{poll_id}:1", seed.member_en)
    assert "not a verified representative" in outsider.content and "/org join" in outsider.content
    first = await click(double, poll, f"poll:vote:{poll_id}:1", rep_a)
    assert (
        "The ballot of **WIM Ghana (consultation test)**" in first.content and "is recorded" in first.content
    )
    second = await click(double, poll, f"poll:vote:{poll_id}:2", rep_b)
    assert f"It replaces the ballot <@{rep_a.id}> cast" in second.content, second.content
    peruvian = await click(double, poll, f"poll:vote:{poll_id}:2", rep_peru)
    assert "El voto de **WIM Perú (consultation test)**" in peruvian.content
    assert count(env, "SELECT count(*) FROM poll_ballots WHERE poll_id = ?", poll_id) == 2
    registered = active_organisations(env)
    result = await run(double, "poll results", user=seed.moderator, poll=str(poll_id))
    assert f"Turnout: 2 of {registered} WIM organisations" in result.text, result.text
    assert result.embed is not None
    regions = next(f["value"] for f in result.embed["fields"] if f["name"] == "Turnout by UN region")
    assert re.search(r"Sub-Saharan Africa: 1 of \d+", regions) and re.search(
        r"Latin America and the Caribbean: 1 of \d+", regions
    ), regions
    removal = await run(double, "org remove", user=seed.moderator, org=str(ghana))
    assert "ballot in a consultation that is still open" in removal.content, removal.content
    assert active_organisations(env) == registered
    exported = await (
        await double.invoke("poll export", user=seed.moderator, options={"poll": str(poll_id)})
    ).message(timeout=20)
    csv_file = next(a for a in exported.attachments if a.filename.endswith(".csv"))
    rows = list(csv.reader(io.StringIO(csv_file.data.decode("utf-8"))))
    assert rows[0] == ["option", "votes", "percent"]
    assert rows[1] == ["Option A", "0", "0.0"] and rows[2] == ["Option B", "2", "100.0"]
    header = rows.index(["organisation", "country", "region", "choice", "comment", "cast_at"])
    organisations = {row[0]: row for row in rows[header + 1 :] if row}
    assert organisations["WIM Ghana (consultation test)"][1:4] == ["GH", "202", "Option B"]
    assert organisations["WIM Perú (consultation test)"][1:4] == ["PE", "419", "Option B"]
    text = csv_file.data.decode("utf-8")
    assert all(str(member.id) not in text for member in (rep_a, rep_b, rep_peru)), "anonymous: no names"
    assert "cast_by" not in text


async def test_reminder_24_hours_before_and_a_nudge_dm_in_french(discord_env: DiscordEnv) -> None:
    env = discord_env
    double, seed = env.double, env.seed
    france = await add_org(env, "WIM France (nudge test)", "FR")
    rep = double.add_member("rep-france-nudge", locale="fr")
    await representative(env, rep, france)
    await run(double, "poll list", user=rep)  # the bot learns her language from any interaction
    question = "Theme of the International WIM Day? (nudge test)"
    poll = await create_poll(env, question, "Safety; Leadership", voters="organisations", closes="2d")
    mark = double.mark()
    await double.advance(timedelta(hours=25))
    reminder = await double.wait_for_message(
        general(env), lambda m: question in m.content and "⏰" in m.content, after=mark, timeout=20
    )
    assert "closes <t:" in reminder.content
    listing = await double.wait_for_message(
        seed.mod_log, lambda m: question in m.content and bool(m.custom_ids()), after=mark, timeout=20
    )
    assert "WIM France (nudge test)" in listing.content and f"<@{rep.id}>" in listing.content
    poll_id = poll_id_of(poll)
    refused = await click(double, listing, f"poll:nudge:{poll_id}", seed.member_en)
    assert "Only moderators" in refused.content
    dm_mark = double.mark()
    nudged = await click(double, listing, f"poll:nudge:{poll_id}", seed.moderator)
    assert "WIM France (nudge test)" in nudged.content and "Nudged" in nudged.content, nudged.content
    dm = await double.wait_for_dm(rep, lambda m: question in m.content, after=dm_mark, timeout=20)
    assert "Votre organisation, **WIM France (nudge test)**" in dm.content, dm.content
    twice = await click(double, listing, f"poll:nudge:{poll_id}", seed.moderator)
    assert "Already nudged today" in twice.content and "WIM France (nudge test)" in twice.content
    await asyncio.sleep(0.5)
    assert len([m for m in double.dms(rep, after=dm_mark) if question in m.content]) == 1


# --- bad input ---------------------------------------------------------------------------------------

LONG_OPTION = "x" * 81
BAD_INPUT: list[tuple[str, dict[str, Any], str]] = [
    ("one option", {"options": "Only this"}, "at least 2 options; I found 1"),
    ("21 options", {"options": ";".join(f"o{n}" for n in range(21))}, "at most 20 options; I found 21"),
    ("duplicate, case", {"options": "Yes; YES"}, "appears twice"),
    ("duplicate, accents", {"options": "Café; cafe"}, "appears twice"),
    ("option over 80", {"options": f"Fine; {LONG_OPTION}"}, "is too long: 81 characters, at most 80"),
    ("blank question", {"question": "   "}, "Please write the question"),
    ("deadline passed", {"closes": "2020-01-01 10:00"}, "has already passed"),
    ("deadline too far", {"closes": "400d"}, "at most 366 days"),
    (
        "max over options",
        {"kind": "multiple", "max_choices": 5},
        "between 1 and 3 (the number of options), not 5",
    ),
    ("quorum zero", {"quorum": "0"}, "out of range"),
    ("quorum over 100%", {"voters": "organisations", "quorum": "150%"}, "out of range: between 1 and 100%"),
    ("percent for members", {"quorum": "50%"}, "only applies when the voters are the WIM organisations"),
    ("not a quorum", {"quorum": "many"}, "is not a quorum"),
]


@pytest.mark.parametrize(("case", "options", "expected"), BAD_INPUT, ids=[c[0] for c in BAD_INPUT])
async def test_bad_input_is_refused_privately_and_nothing_is_written(
    discord_env: DiscordEnv, case: str, options: dict[str, Any], expected: str
) -> None:
    double, seed = discord_env.double, discord_env.seed
    before = count(discord_env, "SELECT count(*) FROM polls")
    values = {"question": f"Bad input: {case}", "options": "Red; Green; Blue", "closes": "3d", **options}
    answer = await run(double, "poll create", user=seed.moderator, channel=general(discord_env), **values)
    assert answer.ephemeral and expected in answer.content, answer.content
    assert count(discord_env, "SELECT count(*) FROM polls") == before


async def test_bad_references_and_limits_the_client_enforces(discord_env: DiscordEnv) -> None:
    double, seed = discord_env.double, discord_env.seed
    unknown = await run(double, "poll results", user=seed.member_fr, poll="No such poll anywhere zzz")
    assert unknown.ephemeral and "Je ne trouve pas ce sondage" in unknown.content
    with pytest.raises(InvocationError, match="max_length"):  # a question over 300: Discord refuses it
        await double.invoke(
            "poll create",
            user=seed.moderator,
            options={"question": "Q" * 301, "options": "a;b", "closes": "3d"},
        )
    refused = await run(
        double,
        "poll create",
        user=seed.member_en,
        channel=general(discord_env),
        question="Mine?",
        options="a;b",
        closes="1d",
    )
    assert refused.ephemeral and "Only the coordinators of a working group and moderators" in refused.content
    poll = await create_poll(discord_env, "Comment limit (bad input test)", "A; B", comments=True)
    poll_id = poll_id_of(poll)
    first = await double.click(poll, f"poll:comment:{poll_id}", user=seed.member_en)
    assert "Vote first" in (await first.message(timeout=15)).content
    await click(double, poll, f"poll:vote:{poll_id}:1", seed.member_en)
    handle = await double.click(poll, f"poll:comment:{poll_id}", user=seed.member_en)
    await handle.response(timeout=15)
    with pytest.raises(InvocationError):  # over 1,000 characters: the client's counter stops it
        await double.submit_modal(handle, {"comment": "c" * 1001}, user=seed.member_en)


async def test_options_typed_one_per_line_in_a_modal(discord_env: DiscordEnv) -> None:
    double, seed = discord_env.double, discord_env.seed
    question = "Which mentoring format? (modal test)"
    mark = double.mark()
    handle = await double.invoke(
        "poll create",
        user=seed.moderator,
        channel=general(discord_env),
        options={"question": question, "closes": "2d"},
    )
    response = await handle.response(timeout=15)
    assert response.type == 9  # a modal
    submitted = await double.submit_modal(handle, {"options": "One to one\nGroup circles\nReverse mentoring"})
    answer = await submitted.message(timeout=15)
    assert "posted" in answer.content, answer.content
    poll = await double.wait_for_message(
        general(discord_env), lambda m: question in m.text, after=mark, timeout=15
    )
    assert [b["label"] for b in poll.buttons()] == [
        "1. One to one",
        "2. Group circles",
        "3. Reverse mentoring",
    ]
