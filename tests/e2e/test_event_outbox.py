"""The outbox of /event edit and /event cancel, end to end: Discord failing at each side effect.

The real bot against the local Discord double, on the test clock. Each test injects a 503 (the bot's
own retry path: discord.py does not retry it) or a 429 (discord.py waits and retries it by itself) at
one Discord call of the action: the card's edit, the Events-tab entry's edit, the cancellation notice,
a DM. The organiser is answered either way ("saved; it follows" when something is still due), then the
test moves the bot's clock past the retry's backoff and checks that everything converged: the card and
the Events tab show the change, the notice is posted once, each member got one DM. A SIGKILL between
Discord's post and the bot's record (of /event create's card, of a cancellation notice) posts once too.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.i18n import Catalog
from tests.double import FakeDiscord, Member, Message, faults
from tests.e2e.conftest import DiscordEnv
from tests.e2e.test_events import bot_db, create_event, far_start, field, occurrence_id_of, timers_of

pytestmark = pytest.mark.e2e

CATALOG = Catalog.load()
POST_MESSAGE = "POST /channels/{channel_id}/messages"
EDIT_MESSAGE = "PATCH /channels/{channel_id}/messages/{message_id}"
EDIT_SCHEDULED_EVENT = "PATCH /guilds/{guild_id}/scheduled-events/{event_id}"
# Past the first retry of an outbox timer (5 s backoff, OUTBOX_BACKOFF) and the 10 s grace after which
# the dispatcher takes up a timer the command did not finish (OUTBOX_GRACE).
PAST_BACKOFF = timedelta(seconds=30)
CONVERGE_TIMEOUT = 30.0
OUTBOX_KINDS = ("event.refresh", "event.move", "event.mirror", "event.notice", "event.notify")


def outbox_timers(env: DiscordEnv, occurrence_id: int) -> list[tuple[str, str, int]]:
    """(kind, status, attempts) of every outbox timer of the occurrence, oldest first."""
    return [
        (t["kind"], t["status"], t["attempts"])
        for kind in OUTBOX_KINDS
        for t in timers_of(env, occurrence_id, kind)
    ]


def latest_attempts(env: DiscordEnv, occurrence_id: int, kind: str) -> int | None:
    """How many failed attempts the newest timer of this kind had (None: there is none); it is done."""
    found = timers_of(env, occurrence_id, kind)
    if not found:
        return None
    assert found[-1]["status"] == "done", dict(found[-1])
    return int(found[-1]["attempts"])


def outbox_settled(env: DiscordEnv, occurrence_id: int) -> bool:
    return all(status != "pending" for _, status, _ in outbox_timers(env, occurrence_id))


def dm_channel_id(double: FakeDiscord, member: Member) -> int:
    """The DM channel of the bot with ``member`` (made now if the bot never DM'd them), to aim a fault."""
    return double._sync(lambda: double.dm_channel_for(member.id).id)


def dms_about(double: FakeDiscord, member: Member, title: str, *, after: int) -> list[Message]:
    return [m for m in double.dms(member, after=after) if title in m.content]


def posts_about(double: FakeDiscord, channel: object, text: str, *, after: int) -> list[Message]:
    return [m for m in double.messages(channel, after=after) if text in m.content]  # type: ignore[arg-type]


async def announced_with_a_reply(env: DiscordEnv, title: str, member: Member) -> tuple[Message, int]:
    """An event with its card and Events-tab entry, ``member`` going, the card showing it."""
    double = env.double
    _, card, occurrence_id = await create_event(env, title=title, start=far_start(30), timezone="UTC")
    await double.wait_for_scheduled_event(lambda e: e.name == title, timeout=10)
    click = await double.click(card, f"event:rsvp:{occurrence_id}:going", user=member)
    assert (await click.message()).ephemeral
    await double.wait_until(
        lambda d: "1 going" in d.message(card.id).text, what="the card to count the reply"
    )
    await double.wait_until(
        lambda d: outbox_settled(env, occurrence_id), what="the RSVP's refresh to be done"
    )
    return card, occurrence_id


async def invoke_and_answer(double: FakeDiscord, path: str, user: Member, **options: object) -> Message:
    """Run a command; its answer. The first response (the deferral) comes within Discord's 3 s."""
    handle = await double.invoke(path, user=user, options=options)
    first = await handle.response(timeout=5)
    assert first.elapsed < 3.0, first.elapsed
    answer = await handle.message(timeout=20)
    assert answer.ephemeral, answer.text
    return answer


# --- /event create --------------------------------------------------------------------------------


@pytest.mark.allow_violations  # the held card's answer, and the interaction, never reach the killed bot
async def test_a_crash_between_the_card_and_its_record_announces_once(isolated_env: DiscordEnv) -> None:
    env, double, seed = isolated_env, isolated_env.double, isolated_env.seed
    title = "Outbox card crash probe"
    mark = double.mark()
    held = faults.hold_next(double, POST_MESSAGE, path_contains=str(seed.announcements.id))
    options = {"title": title, "start": far_start(30), "timezone": "UTC"}
    await double.invoke("event create", user=seed.moderator, options=options)
    await held.reached(double)
    await env.bot.kill()  # the card is posted; the bot never hears so and never records it
    held.release(double)
    card = await double.wait_for_message(seed.announcements, lambda m: bool(m.custom_ids()), after=mark)
    occurrence_id = occurrence_id_of(card)
    [announce] = timers_of(env, occurrence_id, "event.announce")
    assert (announce["status"], announce["attempts"]) == ("pending", 0)  # no failure to tell

    await env.bot.start()
    await double.advance(PAST_BACKOFF)
    await double.wait_until(
        lambda d: all(t["status"] == "done" for t in timers_of(env, occurrence_id, "event.announce")),
        timeout=CONVERGE_TIMEOUT,
        what="the announcement timer after the restart",
    )
    await asyncio.sleep(1)  # a second card would follow at once: give it the chance
    posted = double.messages(seed.announcements, after=mark)
    cards = [m for m in posted if occurrence_id in _occurrences_of(m)]
    assert [m.id for m in cards] == [card.id]
    with bot_db(env) as conn:
        recorded = conn.execute(
            "SELECT announcement_message_id FROM event_occurrences WHERE id = ?", (occurrence_id,)
        ).fetchone()[0]
    assert recorded == card.id


# --- /event edit ---------------------------------------------------------------------------------


@pytest.mark.parametrize("when", ["before", "after"])
async def test_an_edit_through_a_503_on_the_card_and_the_events_tab_converges_once(
    discord_env: DiscordEnv, when: faults.When
) -> None:
    double, seed = discord_env.double, discord_env.seed
    title = f"Outbox edit probe ({when})"
    member = double.add_member(f"outbox-edit-{when}", locale="en-US")
    card, occurrence_id = await announced_with_a_reply(discord_env, title, member)
    [entry] = [e for e in double.scheduled_events() if e.name == title]
    mark = double.mark()
    card_fault = faults.fail_next(double, EDIT_MESSAGE, status=503, when=when, path_contains=str(card.id))
    tab_fault = faults.fail_next(
        double, EDIT_SCHEDULED_EVENT, status=503, when=when, path_contains=str(entry.id)
    )
    moved = entry.start + timedelta(days=1, hours=2)
    renamed = f"{title}, moved"

    answer = await invoke_and_answer(
        double,
        "event edit",
        seed.moderator,
        event=str(occurrence_id),
        title=renamed,
        start=moved.strftime("%Y-%m-%d %H:%M"),
    )
    # Saved: the organiser is told what follows, never shown an error.
    assert answer.content.startswith(f"Event **{renamed}** updated: now"), answer.content
    assert "Discord has not accepted every update yet" in answer.content
    assert card_fault.hits == 1 and tab_fault.hits == 1
    # The DM to who had replied did not wait for the card.
    [dm] = dms_about(double, member, renamed, after=mark)
    assert f"<t:{int(moved.timestamp())}:F>" in dm.content
    if when == "before":
        assert renamed not in double.message(card.id).text  # refused: nothing changed yet

    await double.advance(PAST_BACKOFF)
    await double.wait_until(
        lambda d: outbox_settled(discord_env, occurrence_id),
        timeout=CONVERGE_TIMEOUT,
        what="the retried card and Events-tab updates",
    )
    shown = double.message(card.id)
    assert renamed in shown.text and f"<t:{int(moved.timestamp())}:F>" in field(shown, "When")
    assert "1 going" in shown.text
    [tab] = [e for e in double.scheduled_events() if e.id == entry.id]
    assert tab.name == renamed and tab.start == moved
    # Nothing doubled: one card, one Events-tab entry, one DM; each failed timer retried once.
    await asyncio.sleep(1)
    cards = [m for m in double.messages(seed.announcements) if occurrence_id in _occurrences_of(m)]
    assert [m.id for m in cards] == [card.id]
    assert [e.id for e in double.scheduled_events() if e.name in (title, renamed)] == [entry.id]
    assert len(dms_about(double, member, renamed, after=mark)) == 1
    assert {kind: latest_attempts(discord_env, occurrence_id, kind) for kind in OUTBOX_KINDS} == {
        "event.refresh": 1,  # failed once, then done
        "event.move": None,
        "event.mirror": 1,
        "event.notice": None,  # a change is DM'd, not posted
        "event.notify": 0,
    }


def _occurrences_of(message: Message) -> set[int]:
    try:
        return {occurrence_id_of(message)}
    except AssertionError:
        return set()


async def test_an_edit_through_a_429_is_answered_as_done(discord_env: DiscordEnv) -> None:
    double, seed = discord_env.double, discord_env.seed
    title = "Outbox edit 429 probe"
    member = double.add_member("outbox-edit-429", locale="en-US")
    card, occurrence_id = await announced_with_a_reply(discord_env, title, member)
    [entry] = [e for e in double.scheduled_events() if e.name == title]
    mark = double.mark()
    card_fault = faults.fail_next(double, EDIT_MESSAGE, status=429, path_contains=str(card.id))
    tab_fault = faults.fail_next(double, EDIT_SCHEDULED_EVENT, status=429, path_contains=str(entry.id))
    moved = entry.start + timedelta(hours=3)

    answer = await invoke_and_answer(
        double, "event edit", seed.moderator, event=str(occurrence_id), start=moved.strftime("%Y-%m-%d %H:%M")
    )
    # discord.py waited out the rate limit and retried by itself: done at once, the DM counted.
    assert answer.content.startswith(f"Event **{title}** updated: now"), answer.content
    assert "1 member who had replied was told" in answer.content
    assert card_fault.hits == 1 and tab_fault.hits == 1
    assert f"<t:{int(moved.timestamp())}:F>" in field(double.message(card.id), "When")
    [tab] = [e for e in double.scheduled_events() if e.id == entry.id]
    assert tab.start == moved
    assert outbox_settled(discord_env, occurrence_id)
    assert len(dms_about(double, member, title, after=mark)) == 1


async def test_a_burst_of_edits_refreshes_the_card_once_per_edit_at_most(discord_env: DiscordEnv) -> None:
    double, seed = discord_env.double, discord_env.seed
    title = "Outbox burst probe"
    member = double.add_member("outbox-burst", locale="en-US")
    card, occurrence_id = await announced_with_a_reply(discord_env, title, member)
    # Discord down for the card: every edit's refresh waits, and they become one pending refresh.
    fault = faults.fail_next(double, EDIT_MESSAGE, status=503, times=100, path_contains=str(card.id))
    for n in range(3):
        answer = await invoke_and_answer(
            double, "event edit", seed.moderator, event=str(occurrence_id), description=f"Agenda {n}"
        )
        assert "Discord has not accepted every update yet" in answer.content
    pending = [t for t in timers_of(discord_env, occurrence_id, "event.refresh") if t["status"] == "pending"]
    assert len(pending) == 1, [dict(t) for t in pending]
    faults.clear(double)
    await double.advance(timedelta(minutes=2))
    await double.wait_until(
        lambda d: "Agenda 2" in d.message(card.id).text,
        timeout=CONVERGE_TIMEOUT,
        what="the card to show the last edit",
    )
    assert fault.hits >= 3


async def test_edit_language_re_renders_the_card_in_it(discord_env: DiscordEnv) -> None:
    double, seed = discord_env.double, discord_env.seed
    _, card, occurrence_id = await create_event(discord_env, title="Outbox language probe")
    assert field(card, "When")
    answer = await invoke_and_answer(
        double, "event edit", seed.moderator, event=str(occurrence_id), language="fr"
    )
    assert answer.content.startswith("Event **Outbox language probe** updated"), answer.content
    assert field(double.message(card.id), "Quand")
    with bot_db(discord_env) as conn:
        stored = conn.execute(
            "SELECT s.language FROM event_occurrences o JOIN event_series s ON s.id = o.series_id "
            "WHERE o.id = ?",
            (occurrence_id,),
        ).fetchone()[0]
    assert stored == "fr"


# --- /event cancel -------------------------------------------------------------------------------


@pytest.mark.parametrize("when", ["before", "after"])
async def test_a_cancel_through_a_503_on_the_notice_and_a_dm_posts_and_dms_once(
    discord_env: DiscordEnv, when: faults.When
) -> None:
    double, seed = discord_env.double, discord_env.seed
    title = f"Outbox cancel probe ({when})"
    member = double.add_member(f"outbox-cancel-{when}", locale="en-US")
    card, occurrence_id = await announced_with_a_reply(discord_env, title, member)
    mark = double.mark()
    notice_fault = faults.fail_next(
        double, POST_MESSAGE, status=503, when=when, path_contains=str(seed.announcements.id)
    )
    dm_fault = faults.fail_next(
        double, POST_MESSAGE, status=503, when=when, path_contains=str(dm_channel_id(double, member))
    )

    answer = await invoke_and_answer(double, "event cancel", seed.moderator, event=str(occurrence_id))
    assert answer.content.startswith(f"Event **{title}** (") and " cancelled." in answer.content
    assert "Discord has not accepted every notice yet" in answer.content
    assert notice_fault.hits == 1 and dm_fault.hits == 1
    # The card and the Events tab did not wait for the notice.
    assert double.message(card.id).embed["title"] == f"[Cancelled] {title}"  # type: ignore[index]
    assert not any(e.name == title for e in double.scheduled_events())

    await double.advance(PAST_BACKOFF)
    await double.wait_until(
        lambda d: outbox_settled(discord_env, occurrence_id),
        timeout=CONVERGE_TIMEOUT,
        what="the retried notice and DM",
    )
    await asyncio.sleep(1)
    notices = posts_about(double, seed.announcements, "❌ Event cancelled:", after=mark)
    notices = [m for m in notices if title in m.content]
    assert len(notices) == 1, [m.content for m in notices]
    assert len(dms_about(double, member, title, after=mark)) == 1
    with bot_db(discord_env) as conn:
        recorded = conn.execute(
            "SELECT n.channel_message_id, d.status FROM event_notices n "
            "JOIN event_notice_dms d ON d.notice_id = n.id "
            "WHERE n.occurrence_id = ? AND n.kind = 'cancelled'",
            (occurrence_id,),
        ).fetchall()
    assert [tuple(row) for row in recorded] == [(notices[0].id, "sent")]
    assert latest_attempts(discord_env, occurrence_id, "event.notice") == 1
    assert latest_attempts(discord_env, occurrence_id, "event.notify") == 1


async def test_a_cancel_through_a_429_is_answered_as_done(discord_env: DiscordEnv) -> None:
    double, seed = discord_env.double, discord_env.seed
    title = "Outbox cancel 429 probe"
    member = double.add_member("outbox-cancel-429", locale="en-US")
    _, occurrence_id = await announced_with_a_reply(discord_env, title, member)
    mark = double.mark()
    fault = faults.fail_next(double, POST_MESSAGE, status=429, path_contains=str(seed.announcements.id))
    answer = await invoke_and_answer(double, "event cancel", seed.moderator, event=str(occurrence_id))
    assert answer.content.startswith(f"Event **{title}** (") and answer.content.endswith(" cancelled.")
    assert fault.hits == 1
    notices = [m for m in double.messages(seed.announcements, after=mark) if title in m.content]
    assert len(notices) == 1 and notices[0].content.startswith("❌ Event cancelled:")
    assert len(dms_about(double, member, title, after=mark)) == 1
    assert outbox_settled(discord_env, occurrence_id)


@pytest.mark.allow_violations  # the held notice's answer, and the interaction, never reach the killed bot
async def test_a_crash_between_the_cancel_notice_and_its_record_posts_it_once(
    isolated_env: DiscordEnv,
) -> None:
    env, double, seed = isolated_env, isolated_env.double, isolated_env.seed
    title = "Outbox crash probe"
    member = double.add_member("outbox-crash", locale="en-US")
    _, occurrence_id = await announced_with_a_reply(env, title, member)
    mark = double.mark()
    held = faults.hold_next(double, POST_MESSAGE, path_contains=str(seed.announcements.id))
    await double.invoke("event cancel", user=seed.moderator, options={"event": str(occurrence_id)})
    await held.reached(double)
    await env.bot.kill()  # the notice is posted; the bot never hears so and never records it
    held.release(double)
    assert len(posts_about(double, seed.announcements, title, after=mark)) == 1
    with bot_db(env) as conn:
        status = conn.execute(
            "SELECT status FROM event_occurrences WHERE id = ?", (occurrence_id,)
        ).fetchone()[0]
    assert status == "cancelled"  # committed before Discord was called

    await env.bot.start()
    await double.advance(PAST_BACKOFF)
    await double.wait_until(
        lambda d: outbox_settled(env, occurrence_id),
        timeout=CONVERGE_TIMEOUT,
        what="the notice and the DMs after the restart",
    )
    await asyncio.sleep(1)
    [notice] = posts_about(double, seed.announcements, title, after=mark)
    assert len(dms_about(double, member, title, after=mark)) == 1
    with bot_db(env) as conn:
        recorded = conn.execute(
            "SELECT channel_message_id FROM event_notices WHERE occurrence_id = ?", (occurrence_id,)
        ).fetchall()
    assert [row[0] for row in recorded] == [notice.id]
