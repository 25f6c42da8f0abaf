"""Working groups' outbox end to end: Discord fails, the state converges, nothing happens twice.

Each Discord side effect of /wg (a post, a join request, the panel, the channel's overwrites, the
role's name, archiving, the role of an approved request) and of ``report_once`` (the mod-log) is a
timer written with the action. Here Discord refuses the call (503 ``before``), does it and then answers
503 (``after``), rate-limits it (429, which discord.py waits out itself), or the bot is killed between
Discord's answer and the record (of a post, of a decision's DM); the test clock is moved past the
retry's backoff and the end state is checked: the database and Discord agree, one post, nothing
doubled.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from tests.double import FakeDiscord, Message, Perm, faults
from tests.e2e.conftest import DiscordEnv
from tests.e2e.test_working_groups import (
    TIMEOUT,
    answer,
    bot_db,
    count,
    group_row,
    new_group,
    seeded,
    t,
    wait_role,
)

pytestmark = pytest.mark.e2e

POST_MESSAGE = "POST /channels/{channel_id}/messages"
EDIT_CHANNEL = "PATCH /channels/{channel_id}"
EDIT_ROLE = "PATCH /guilds/{guild_id}/roles/{role_id}"
ADD_ROLE = "PUT /guilds/{guild_id}/members/{user_id}/roles/{role_id}"
# Past the first retry of an outbox timer (5 s) and of a mod-log report (the service's 30 s).
PAST_BACKOFF = timedelta(seconds=12)
PAST_REPORT_BACKOFF = timedelta(seconds=40)


def timers(env: DiscordEnv, kind: str) -> list[str]:
    with bot_db(env) as conn:
        return [
            r["status"] for r in conn.execute("SELECT status FROM timers WHERE kind = ? ORDER BY id", (kind,))
        ]


def bot_posts(double: FakeDiscord, channel_id: int, mark: int, needle: str) -> list[Message]:
    return [
        m
        for m in double.messages(channel_id, after=mark)
        if m.author_id == double.bot_user_id and needle in m.text
    ]


async def settle(env: DiscordEnv, kind: str) -> None:
    """Wait until no timer of ``kind`` is pending any more (done, or failed for good)."""
    await env.double.wait_until(
        lambda d: "pending" not in timers(env, kind), timeout=TIMEOUT, what=f"the {kind} timers to settle"
    )


# --- posts -------------------------------------------------------------------------------------------


async def test_an_update_refused_lost_or_rate_limited_by_discord_is_posted_once(
    discord_env: DiscordEnv,
) -> None:
    env, double, seed = discord_env, discord_env.double, discord_env.seed
    await seeded(env)
    row = await new_group(env, "wg20-posts", "WG20 – Outbox posts")
    channel = str(row["channel_id"])
    cases: tuple[tuple[faults.When, int, str], ...] = (
        ("before", 503, "Refused news"),
        ("after", 503, "Lost answer news"),
        ("before", 429, "Rate-limited news"),
    )
    for when, status, text in cases:
        mark = double.mark()
        faults.fail_next(double, POST_MESSAGE, status=status, when=when, path_contains=channel)
        await answer(env, "wg update", seed.moderator, group="wg20-posts", text=text)
        if status == 503:
            await asyncio.sleep(1)  # the first attempt fails
            assert count(env, "wg_posts", "body = ? AND message_id IS NULL", (text,)) == 1
            await double.advance(PAST_BACKOFF)

        def recorded(_: FakeDiscord, body: str = text) -> bool:
            return count(env, "wg_posts", "body = ? AND message_id IS NOT NULL", (body,)) == 1

        await double.wait_until(
            recorded,
            timeout=TIMEOUT,
            what=f"the update {text!r} recorded",
        )
        await settle(env, "wg.post")
        posted = bot_posts(double, row["channel_id"], mark, text)
        assert len(posted) == 1, [m.text for m in posted]
        assert count(env, "wg_posts", "body = ? AND message_id = ?", (text, posted[0].id)) == 1


@pytest.mark.allow_violations  # the held post's answer never reaches the killed bot
async def test_a_crash_between_posting_an_update_and_recording_it_posts_it_once(
    isolated_env: DiscordEnv,
) -> None:
    env, double, seed = isolated_env, isolated_env.double, isolated_env.seed
    await seeded(env)
    row = await new_group(env, "wg21-crash", "WG21 – Crash")
    mark = double.mark()
    held = faults.hold_next(double, POST_MESSAGE, path_contains=str(row["channel_id"]))
    await answer(env, "wg update", seed.moderator, group="wg21-crash", text="Posted before the crash")
    await held.reached(double, timeout=TIMEOUT)  # the update is on Discord...
    await env.bot.kill()  # ...and the bot dies before it hears so
    held.release(double)
    assert count(env, "wg_posts", "message_id IS NULL AND group_id = ?", (row["id"],)) == 1
    await env.bot.start()
    await double.wait_until(
        lambda d: count(env, "wg_posts", "message_id IS NOT NULL AND group_id = ?", (row["id"],)) == 1,
        timeout=TIMEOUT,
        what="the update adopted after the restart",
    )
    await asyncio.sleep(1)  # a second post would follow at once: give it the chance
    posted = bot_posts(double, row["channel_id"], mark, "Posted before the crash")
    assert len(posted) == 1, [m.text for m in posted]
    assert count(env, "wg_posts", "message_id = ?", (posted[0].id,)) == 1


# --- /wg edit and /wg archive ----------------------------------------------------------------------------


async def test_edit_and_archive_converge_when_discord_fails_at_the_channel_and_role(
    discord_env: DiscordEnv,
) -> None:
    env, double, seed = discord_env, discord_env.double, discord_env.seed
    await seeded(env)
    row = await new_group(env, "wg22-edit", "WG22 – Outbox edit")
    channel = double.guild.channels[row["channel_id"]]
    faults.fail_next(double, EDIT_CHANNEL, status=503, path_contains=str(channel.id))
    faults.fail_next(double, EDIT_ROLE, status=503, path_contains=str(row["role_id"]))
    text = await answer(
        env, "wg edit", seed.moderator, group="wg22-edit", name="WG22 – Renamed", private=True
    )
    assert text == t("en", "working_groups.edit.pending", group="WG22 – Renamed")
    # Stored, and Discord not changed yet: the timers hold what is left to do.
    assert group_row(env, "wg22-edit")["visibility"] == "private"
    assert double.permissions_in(channel, seed.member_en) & Perm.VIEW_CHANNEL
    assert double.guild.roles[row["role_id"]].name == "WG22 – Outbox edit"
    await double.advance(PAST_BACKOFF)
    await double.wait_until(
        lambda d: (
            not d.permissions_in(channel, seed.member_en) & Perm.VIEW_CHANNEL
            and d.guild.roles[row["role_id"]].name == "WG22 – Renamed"
        ),
        timeout=TIMEOUT,
        what="the channel private and the role renamed",
    )
    await settle(env, "wg.overwrites")
    await settle(env, "wg.role_name")
    assert double.permissions_in(channel, seed.moderator) & Perm.VIEW_CHANNEL

    # A 429 is waited out by discord.py: the member is told it is done, at once.
    faults.fail_next(double, EDIT_CHANNEL, status=429, path_contains=str(channel.id))
    text = await answer(env, "wg edit", seed.moderator, group="wg22-edit", private=False)
    assert text == t("en", "working_groups.edit.done", group="WG22 – Renamed")
    assert double.permissions_in(channel, seed.member_en) & Perm.VIEW_CHANNEL

    # Archived first; the channel moves when Discord answers again.
    home = channel.parent_id
    faults.fail_next(double, EDIT_CHANNEL, status=503, path_contains=str(channel.id))
    text = await answer(env, "wg archive", seed.moderator, group="wg22-edit")
    assert text == t("en", "working_groups.archive.pending", group="WG22 – Renamed")
    assert group_row(env, "wg22-edit")["archived_at"] is not None
    assert double.guild.channels[channel.id].parent_id == home
    await double.advance(PAST_BACKOFF)
    await double.wait_until(
        lambda d: d.guild.channels[channel.id].parent_id != home,
        timeout=TIMEOUT,
        what="the archived channel moved",
    )
    await settle(env, "wg.archive_channel")
    archive = double.guild.channels[double.guild.channels[channel.id].parent_id or 0]
    assert archive.name == "Working Groups – Archive"
    assert not double.permissions_in(channel, seed.member_en) & Perm.SEND_MESSAGES
    assert double.permissions_in(channel, None) & Perm.SEND_MESSAGES


# --- /wg panel ----------------------------------------------------------------------------------------


async def test_a_panel_discord_posted_without_answering_is_adopted_not_posted_again(
    discord_env: DiscordEnv,
) -> None:
    env, double, seed = discord_env, discord_env.double, discord_env.seed
    await seeded(env)
    general = seed.channels["general"]
    whens: tuple[faults.When, ...] = ("after", "before")
    for when in whens:
        mark = double.mark()
        faults.fail_next(double, POST_MESSAGE, status=503, when=when, path_contains=str(general.id))
        handle = await double.invoke("wg panel", user=seed.moderator, channel=general)
        final = await handle.message(timeout=TIMEOUT)
        assert final.ephemeral and final.text == t("en", "working_groups.panel.pending")
        await double.advance(PAST_BACKOFF)

        def panel_recorded(d: FakeDiscord, since: int = mark) -> bool:
            return any(
                count(env, "wg_panels", "message_id = ?", (p.id,)) for p in d.messages(general, after=since)
            )

        await double.wait_until(
            panel_recorded,
            timeout=TIMEOUT,
            what=f"the panel recorded ({when})",
        )
        await settle(env, "wg.panel")
        panels = [m for m in double.messages(general, after=mark) if m.custom_ids()]
        assert len(panels) == 1, f"{when}: {len(panels)} panels"
        assert count(env, "wg_panels", "message_id = ?", (panels[0].id,)) == 1


# --- join requests ---------------------------------------------------------------------------------------


async def test_join_requests_post_once_and_a_decision_is_recorded_before_the_role(
    discord_env: DiscordEnv,
) -> None:
    env, double, seed = discord_env, discord_env.double, discord_env.seed
    await seeded(env)
    row = await new_group(env, "wg23-join", "WG23 – Outbox join", private=True)
    channel_id = row["channel_id"]
    await answer(env, "wg coordinator add", seed.moderator, group="wg23-join", member=seed.member_en)
    await wait_role(env, seed.member_en, row["role_id"])

    # The request is posted, Discord answers 503: the retry adopts it.
    mark = double.mark()
    faults.fail_next(double, POST_MESSAGE, status=503, when="after", path_contains=str(channel_id))
    await answer(env, "wg join", seed.member_fr, group="wg23-join")
    await asyncio.sleep(1)
    await double.advance(PAST_BACKOFF)
    await settle(env, "wg.join_request")
    requests = [m for m in double.messages(channel_id, after=mark) if m.custom_ids()]
    assert len(requests) == 1, len(requests)
    assert count(env, "wg_join_requests", "message_id = ?", (requests[0].id,)) == 1

    # An approval and a decline at once: one decision wins, and the role follows it.
    approve = next(c for c in requests[0].custom_ids() if c.endswith(":approve"))
    decline = next(c for c in requests[0].custom_ids() if c.endswith(":decline"))
    clicks = await asyncio.gather(
        double.click(requests[0], approve, user=seed.member_en),
        double.click(requests[0], decline, user=seed.moderator),
    )
    responses = [await click.response(timeout=TIMEOUT) for click in clicks]
    assert sorted(r.type for r in responses) == [4, 7], [r.type for r in responses]  # one edit, one refusal
    await settle(env, "wg.join_outcome")
    with bot_db(env) as conn:
        status = conn.execute(
            "SELECT status FROM wg_join_requests WHERE message_id = ?", (requests[0].id,)
        ).fetchone()["status"]
    await asyncio.sleep(0.5)
    member = double.guild.members[seed.member_fr.id]
    assert (row["role_id"] in member.role_ids) == (status == "approved"), status
    dms = [m for m in double.dms(seed.member_fr, after=mark) if "WG23" in m.text]
    assert len(dms) == 1, [m.text for m in dms]

    # Approved while Discord refuses the role: recorded at once, the role and then the DM follow.
    mark = double.mark()
    await answer(env, "wg join", seed.member_es, group="wg23-join")
    request = await double.wait_for_message(
        channel_id, lambda m: bool(m.custom_ids()), after=mark, timeout=TIMEOUT
    )
    faults.fail_next(double, ADD_ROLE, status=503, path_contains=str(seed.member_es.id))
    approve = next(c for c in request.custom_ids() if c.endswith(":approve"))
    click = await double.click(request, approve, user=seed.member_en)
    assert (await click.response(timeout=TIMEOUT)).type == 7
    await asyncio.sleep(1)
    assert count(env, "wg_join_requests", "message_id = ? AND status = 'approved'", (request.id,)) == 1
    assert row["role_id"] not in double.guild.members[seed.member_es.id].role_ids
    assert not [m for m in double.dms(seed.member_es, after=mark) if "WG23" in m.text], "told before the role"
    await double.advance(PAST_BACKOFF)
    await wait_role(env, seed.member_es, row["role_id"])
    await settle(env, "wg.join_outcome")
    dms = [m for m in double.dms(seed.member_es, after=mark) if "WG23" in m.text]
    assert [m.text for m in dms] == [t("es", "working_groups.join.dm_approved", group="WG23 – Outbox join")]


@pytest.mark.allow_violations  # the held DM's answer never reaches the killed bot
async def test_a_crash_between_the_join_outcome_dm_and_the_timer_sends_one_dm(
    isolated_env: DiscordEnv,
) -> None:
    env, double, seed = isolated_env, isolated_env.double, isolated_env.seed
    await seeded(env)
    row = await new_group(env, "wg26-dm", "WG26 – Outcome DM", private=True)
    mark = double.mark()
    await answer(env, "wg join", seed.member_fr, group="wg26-dm")
    request = await double.wait_for_message(
        row["channel_id"], lambda m: bool(m.custom_ids()), after=mark, timeout=TIMEOUT
    )
    dm_channel = double._sync(lambda: double.dm_channel_for(seed.member_fr.id).id)
    held = faults.hold_next(double, POST_MESSAGE, path_contains=str(dm_channel))
    approve = next(c for c in request.custom_ids() if c.endswith(":approve"))
    await double.click(request, approve, user=seed.moderator)
    await held.reached(double, timeout=TIMEOUT)  # the DM is on Discord...
    await env.bot.kill()  # ...and the bot dies before the timer is marked done
    held.release(double)
    assert timers(env, "wg.join_outcome") == ["pending"]
    await env.bot.start()
    await double.advance(PAST_BACKOFF)
    await settle(env, "wg.join_outcome")
    await asyncio.sleep(1)  # a second DM would follow at once: give it the chance
    assert row["role_id"] in double.guild.members[seed.member_fr.id].role_ids
    dms = [m for m in double.dms(seed.member_fr, after=mark) if "WG26" in m.text]
    assert [m.text for m in dms] == [t("fr", "working_groups.join.dm_approved", group="WG26 – Outcome DM")]


# --- report_once ----------------------------------------------------------------------------------------


async def test_a_mod_log_report_discord_refuses_or_loses_is_posted_once(discord_env: DiscordEnv) -> None:
    env, double, seed = discord_env, discord_env.double, discord_env.seed
    await seeded(env)
    cases: tuple[tuple[faults.When, str], ...] = (("before", "wg24-refused"), ("after", "wg25-lost"))
    for when, key in cases:
        row = await new_group(env, key, f"{key} report")
        channel = double.guild.channels[row["channel_id"]]
        # The bot may no longer post in the group's channel: moderators are told once in mod-log.
        double.set_channel_overwrite(
            channel, double.bot_member(), allow=Perm.VIEW_CHANNEL, deny=Perm.SEND_MESSAGES
        )
        await asyncio.sleep(0.3)
        mark = double.mark()
        faults.fail_next(double, POST_MESSAGE, status=503, when=when, path_contains=str(seed.mod_log.id))
        await answer(env, "wg update", seed.moderator, group=key, text="Held back")
        await asyncio.sleep(1)
        told = [m for m in double.messages(seed.mod_log, after=mark) if str(channel.id) in m.content]
        assert len(told) == (1 if when == "after" else 0)
        await double.advance(PAST_REPORT_BACKOFF)
        await settle(env, "modlog.report")
        await answer(env, "wg update", seed.moderator, group=key, text="Held back again")  # told once only
        await asyncio.sleep(1)
        told = [m for m in double.messages(seed.mod_log, after=mark) if str(channel.id) in m.content]
        assert len(told) == 1, [m.content for m in told]
