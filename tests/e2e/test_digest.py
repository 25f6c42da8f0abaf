"""The weekly digest end to end, through the local Discord double: posted once at its time (the test
clock moved forward) holding an event, a working-group update and an organisation, not again after a
restart; the DM to a French-speaking subscriber in French; /digest preview in Spanish; a digest
channel the bot cannot post in."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import datetime, time, timedelta
from typing import Any

import pytest

from bot.config.digest import DigestConfig
from tests.double import Member, Message, Perm
from tests.e2e.conftest import DiscordEnv

pytestmark = pytest.mark.e2e

TIMEOUT = 30.0
# config.yml's digest: Monday 09:00 UTC.
SCHEDULE = DigestConfig(day=0, time=time(9, 0), timezone="UTC")


async def answer(env: DiscordEnv, path: str, user: Member, **options: Any) -> str:
    """Invoke a command and return the text of its ephemeral final answer."""
    handle = await env.double.invoke(path, user=user, options=options or None)
    response = await handle.response(timeout=5)
    assert response.elapsed < 3.0
    final = await handle.message(timeout=TIMEOUT)
    assert final.ephemeral, f"{path} answered publicly"
    return final.text


def digest_posts(env: DiscordEnv, after: int) -> list[Message]:
    return [
        m for m in env.double.messages(env.seed.digest, after=after) if m.author_id == env.double.bot_user_id
    ]


def weeks_in_db(env: DiscordEnv) -> int:
    with sqlite3.connect(env.directory / "bot.db") as conn:
        return int(conn.execute("SELECT count(*) FROM digest_weeks").fetchone()[0])


def next_slot(env: DiscordEnv) -> datetime:
    return SCHEDULE.next_run(env.double.clock.now())


async def test_the_digest_is_posted_once_at_its_time_and_dmed_in_french(isolated_env: DiscordEnv) -> None:
    env, double, seed = isolated_env, isolated_env.double, isolated_env.seed
    slot = next_slot(env)
    start = slot + timedelta(days=2)  # coming when the digest is posted, whatever today's weekday
    created = await answer(
        env,
        "event create",
        seed.moderator,
        title="Digest Check Call",
        start=start.strftime("%Y-%m-%d %H:%M"),
        timezone="UTC",
        reminders="",
        link="https://meet.example.org/digest",
    )
    assert "Digest Check Call" in created
    await double.wait_until(
        lambda d: any("wg1" in c.name for c in d.guild.channels.values()),
        timeout=TIMEOUT,
        what="the working groups' channels",
    )
    await answer(
        env,
        "wg update",
        seed.moderator,
        group="wg1-stem",
        text="Mentoring survey sent to 30 WIM organisations",
    )
    added = await answer(
        env,
        "org add",
        seed.moderator,
        name="Women in Mining Ghana",
        country="GH",
        website="https://wim.example.gh",
    )
    assert "Women in Mining Ghana" in added
    subscribed = await answer(env, "digest subscribe", seed.member_fr)
    assert "résumé hebdomadaire par message privé" in subscribed
    closed = await answer(env, "digest subscribe", seed.dms_closed)
    assert "weekly digest by direct message" in closed

    mark = double.mark()
    await double.advance_to(slot + timedelta(seconds=1))
    post = await double.wait_for_message(
        seed.digest, lambda m: "Weekly digest" in m.text, after=mark, timeout=TIMEOUT
    )
    assert double.clock.at(post.created_at) >= slot
    for expected in (
        "Digest Check Call",
        "Going: 0",
        "Mentoring survey sent",
        "Women in Mining Ghana",
        "(Ghana)",
    ):
        assert expected in post.text, expected
    assert f"<t:{int(start.replace(second=0, microsecond=0).timestamp())}:F>" in post.text
    assert not post.pinged_user_ids and not post.pinged_role_ids

    dm = await double.wait_for_dm(
        seed.member_fr, lambda m: "Résumé hebdomadaire" in m.text, after=mark, timeout=TIMEOUT
    )
    for expected in (
        "Digest Check Call",
        "Je participe : 0",
        "Groupes de travail",
        "Annuaire des organisations",
        "(Ghana)",
    ):
        assert expected in dm.text, expected
    await double.wait_until(
        lambda d: "not DMed" in env.bot.log_text(), timeout=TIMEOUT, what="the closed DM skipped and logged"
    )
    posted = [m.id for m in digest_posts(env, mark)]
    dms = [m.id for m in double.dms(seed.member_fr, after=mark)]

    # A restart, and time moving on within the week: nothing is posted or sent again.
    await env.bot.restart()
    await double.advance(timedelta(hours=2))
    await asyncio.sleep(3)
    assert [m.id for m in digest_posts(env, mark)] == posted
    assert [m.id for m in double.dms(seed.member_fr, after=mark)] == dms
    with sqlite3.connect(env.directory / "bot.db") as conn:
        rows = conn.execute("SELECT user_id, status FROM digest_deliveries ORDER BY user_id").fetchall()
        subscribers = {r[0] for r in conn.execute("SELECT user_id FROM digest_subscriptions")}
    assert sorted(rows) == sorted([(seed.member_fr.id, "sent"), (seed.dms_closed.id, "skipped_closed")])
    assert seed.dms_closed.id in subscribers  # a closed DM keeps the subscription
    # The moderator cannot post the week a second time either.
    refused = await answer(env, "digest send", seed.moderator)
    assert "already been posted" in refused


async def test_preview_in_spanish(discord_env: DiscordEnv) -> None:
    env, double, seed = discord_env, discord_env.double, discord_env.seed
    handle = await double.invoke("digest preview", user=seed.member_es)
    await handle.response(timeout=5)
    first = await handle.message(timeout=TIMEOUT)
    assert first.ephemeral
    assert "Vista previa del resumen de la semana" in first.text
    assert "Resumen semanal · semana" in first.text
    assert not digest_posts(env, handle.id)  # nothing posted


async def test_send_refuses_a_channel_it_cannot_post_in_naming_the_permission(
    discord_env: DiscordEnv,
) -> None:
    env, double, seed = discord_env, discord_env.double, discord_env.seed
    before = weeks_in_db(env)
    double.set_channel_overwrite(seed.digest, seed.bot_role, deny=Perm.EMBED_LINKS)
    try:
        refused = await answer(env, "digest send", seed.moderator)
    finally:
        double.set_channel_overwrite(seed.digest, seed.bot_role)
    assert "Embed Links" in refused and seed.digest.mention in refused
    assert weeks_in_db(env) == before  # nothing written


async def test_a_scheduled_digest_it_cannot_post_is_told_to_moderators_once(isolated_env: DiscordEnv) -> None:
    env, double, seed = isolated_env, isolated_env.double, isolated_env.seed
    double.set_channel_overwrite(seed.digest, seed.bot_role, deny=Perm.EMBED_LINKS)
    mark = double.mark()
    await double.advance_to(next_slot(env) + timedelta(seconds=1))
    report = await double.wait_for_message(
        seed.mod_log, lambda m: "weekly digest" in m.text, after=mark, timeout=TIMEOUT
    )
    assert "Embed Links" in report.text and seed.digest.mention in report.text
    assert not digest_posts(env, mark)
    await double.advance(timedelta(days=7, seconds=1))  # next week's digest cannot be posted either
    await double.wait_until(
        lambda d: (
            sum(1 for line in env.bot.log_text().splitlines() if "claimed" in line and "Digest of" in line)
            >= 2
        ),
        timeout=TIMEOUT,
        what="the second week's digest claimed",
    )
    await asyncio.sleep(2)
    reports = [m for m in double.messages(seed.mod_log, after=mark) if "weekly digest" in m.text]
    assert len(reports) == 1


async def test_the_consultations_section_and_the_newsletter_draft(isolated_env: DiscordEnv) -> None:
    from html.parser import HTMLParser

    from tests.e2e.test_consultations import click, create_poll, poll_id_of

    env, double, seed = isolated_env, isolated_env.double, isolated_env.seed
    closing = await create_poll(env, "Adopt the mentoring charter?", "Yes; No", closes="1h")
    open_poll = await create_poll(
        env, "Which city for the 2028 Global WIM Summit?", "Lima; Accra", closes="5d"
    )
    await click(double, closing, f"poll:vote:{poll_id_of(closing)}:1", seed.member_en)
    await double.advance(timedelta(hours=1, minutes=1))
    await double.wait_until(
        lambda d: any(
            "Adopt the mentoring charter?" in m.text and m.attachments
            for m in d.messages(env.seed.channels["general"], after=0)
        ),
        timeout=TIMEOUT,
        what="the results post",
    )
    preview = await answer(env, "digest preview", seed.member_en)
    assert "Consultations and results" in preview
    assert "**Which city for the 2028 Global WIM Summit?**: open until" in preview
    assert "✅ **Adopt the mentoring charter?** is closed: Yes · 1 ballot" in preview
    assert poll_id_of(open_poll)

    # The newsletter draft: the same files the command line writes, attached.
    today = double.clock.now().date()
    handle = await double.invoke(
        "digest newsletter",
        user=seed.moderator,
        options={"from": (today - timedelta(days=7)).isoformat(), "to": today.isoformat()},
    )
    response = await handle.response(timeout=5)
    assert response.elapsed < 3.0
    final = await handle.message(timeout=TIMEOUT)
    assert final.ephemeral and "newsletter draft" in final.text
    names = sorted(a.filename for a in final.attachments)
    assert [name.rsplit(".", 1)[1] for name in names] == ["html", "md"]
    html = next(a for a in final.attachments if a.filename.endswith(".html")).data.decode("utf-8")
    images: list[str] = []

    class Images(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            assert tag != "script"
            if tag == "img":
                images.append(str(dict(attrs)["src"]))

    Images().feed(html)
    assert len(images) == 1 and images[0].startswith("data:image/png;base64,")
    markdown = next(a for a in final.attachments if a.filename.endswith(".md")).data.decode("utf-8")
    assert "### Adopt the mentoring charter?" in markdown

    # Bad input: told privately, nothing attached.
    for start, expected in (("2027-99-01", "cannot read the date"), ("2099-01-01", "has not come yet")):
        bad = await double.invoke(
            "digest newsletter", user=seed.moderator, options={"from": start, "to": "2099-02-01"}
        )
        await bad.response(timeout=5)
        told = await bad.message(timeout=TIMEOUT)
        assert told.ephemeral and expected in told.text and not told.attachments
    refused = await double.invoke(
        "digest newsletter", user=seed.member_en, options={"from": "2026-01-01", "to": "2026-02-01"}
    )
    await refused.response(timeout=5)
    assert "moderators" in (await refused.message(timeout=TIMEOUT)).text.lower()
