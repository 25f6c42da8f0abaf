"""Working groups end to end: the real bot process, driven through the local Discord double.

Seeding (the four groups' roles and channels, once), joining and leaving by command and by the
persistent panel (also after a restart), private groups' join approval with the DM in the member's
language, coordinators limited to their own group, the role as the truth for membership, long
meeting notes attached whole, accent-folding search, the report with its chart, the stale-group
nudge (once), and the bad inputs and missing permissions that must write nothing.
"""

from __future__ import annotations

import asyncio
import csv
import io
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest

from bot.i18n import Catalog
from tests.double import FakeDiscord, Member, Perm
from tests.e2e.conftest import DiscordEnv, invite_permissions

pytestmark = pytest.mark.e2e

CATALOG = Catalog.load()
SEEDED_KEYS = ("wg1-stem", "wg2-workplace", "wg3-data", "wg4-mentors")
TIMEOUT = 15.0


# --- helpers -------------------------------------------------------------------------------------


@contextmanager
def bot_db(env: DiscordEnv) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(f"file:{env.config['database']}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        yield conn
    finally:
        conn.close()


def group_row(env: DiscordEnv, key: str) -> sqlite3.Row:
    with bot_db(env) as conn:
        row: sqlite3.Row | None = conn.execute("SELECT * FROM wg_groups WHERE key = ?", (key,)).fetchone()
    assert row is not None, f"no group {key}"
    return row


def count(env: DiscordEnv, table: str, where: str = "1", params: tuple[Any, ...] = ()) -> int:
    with bot_db(env) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table} WHERE {where}", params).fetchone()[0])


async def seeded(env: DiscordEnv) -> None:
    """Wait until the four configured groups have their role and channel."""

    def ready(double: FakeDiscord) -> bool:
        names = {c.name for c in double.guild.channels.values()}
        return all(key in names for key in SEEDED_KEYS)

    await env.double.wait_until(ready, timeout=30, what="the seeded working-group channels")
    for key in SEEDED_KEYS:
        for _ in range(50):
            row = group_row(env, key)
            if row["role_id"] and row["channel_id"]:
                break
            await asyncio.sleep(0.1)


async def answer(env: DiscordEnv, path: str, user: Member, **options: Any) -> str:
    """Invoke a command and return the text of its (ephemeral) final answer."""
    handle = await env.double.invoke(path, user=user, options=options or None)
    response = await handle.response(timeout=5)
    assert response.elapsed < 3.0
    final = await handle.message(timeout=TIMEOUT)
    assert final.ephemeral, f"{path} answered publicly"
    return final.text


def t(lang: str, key: str, **params: Any) -> str:
    return CATALOG.t(lang, key, **params)


def has_role(env: DiscordEnv, member: Member, role_id: int) -> bool:
    return role_id in env.double.guild.members[member.id].role_ids


async def wait_role(env: DiscordEnv, member: Member, role_id: int, present: bool = True) -> None:
    await env.double.wait_until(
        lambda d: (role_id in d.guild.members[member.id].role_ids) == present,
        timeout=TIMEOUT,
        what=f"role {role_id} {'given to' if present else 'taken from'} {member.name}",
    )


async def new_group(env: DiscordEnv, key: str, name: str, *, private: bool = False) -> sqlite3.Row:
    text = await answer(env, "wg create", env.seed.moderator, key=key, name=name, private=private)
    assert name in text, text
    return group_row(env, key)


# --- seeding -------------------------------------------------------------------------------------


async def test_seeding_creates_the_four_groups_once_and_the_panel_survives_a_restart(
    isolated_env: DiscordEnv,
) -> None:
    env, double, seed = isolated_env, isolated_env.double, isolated_env.seed
    await seeded(env)
    category = next(c for c in double.guild.channels.values() if c.type == 4 and c.name == "Working Groups")
    for key in SEEDED_KEYS:
        row = group_row(env, key)
        channel = double.guild.channels[row["channel_id"]]
        assert channel.name == key and channel.parent_id == category.id
        assert row["role_id"] in double.guild.roles
    wg2_role = double.guild.roles[group_row(env, "wg2-workplace")["role_id"]]
    assert wg2_role.name == "WG2 – Inclusive Workplace Design"
    roles, channels = len(double.guild.roles), len(double.guild.channels)

    panel = await double.invoke("wg panel", user=seed.moderator, channel=seed.channels["general"])
    assert (await panel.response()).ephemeral
    message = await double.wait_for_message(seed.channels["general"], lambda m: bool(m.custom_ids()))
    wg1 = group_row(env, "wg1-stem")
    assert f"wg:toggle:{wg1['id']}" in message.custom_ids()
    assert len(message.custom_ids()) == 4

    mark = double.mark()
    before_requests = len(double.requests)
    await env.bot.restart()
    await asyncio.sleep(2)  # on_ready seeding has run by now
    created = [
        r
        for r in double.requests[before_requests:]
        if r.method == "POST" and r.route in ("/guilds/{guild_id}/roles", "/guilds/{guild_id}/channels")
    ]
    assert created == [], "a restart created roles or channels again"
    assert (len(double.guild.roles), len(double.guild.channels)) == (roles, channels)

    # The panel's buttons still work after the restart: join, then leave.
    click = await double.click(message, f"wg:toggle:{wg1['id']}", user=seed.member_fr)
    reply = await click.response()
    assert reply.ephemeral and "Bienvenue" in reply.text
    await wait_role(env, seed.member_fr, wg1["role_id"])
    click = await double.click(message, f"wg:toggle:{wg1['id']}", user=seed.member_fr)
    assert "quitté" in (await click.response()).text
    await wait_role(env, seed.member_fr, wg1["role_id"], present=False)
    assert double.messages(seed.channels["general"], after=mark) == []


# --- members ------------------------------------------------------------------------------------


async def test_join_and_leave_by_command_and_the_role_is_the_truth(discord_env: DiscordEnv) -> None:
    env, double, seed = discord_env, discord_env.double, discord_env.seed
    await seeded(env)
    wg3 = group_row(env, "wg3-data")
    text = await answer(env, "wg join", seed.member_es, group="wg3-data")
    assert (
        t(
            "es",
            "working_groups.join.joined",
            group="GT3 – Déficit mundial de datos sobre las mujeres en la minería",
            channel=f"<#{wg3['channel_id']}>",
        )
        == text
    )
    await wait_role(env, seed.member_es, wg3["role_id"])
    again = await answer(env, "wg join", seed.member_es, group="wg3-data")
    assert "ya forma parte" in again

    info = await answer(env, "wg info", seed.member_en, group="wg3-data")
    assert "Mapping existing data" in info and "White paper" in info and "intersectionality" in info

    # A role taken away by hand in Discord shows at once: nothing was stored about membership.
    role = double.guild.roles[wg3["role_id"]]
    holders_before = sum(role.id in m.role_ids for m in double.guild.members.values())
    double.remove_member_role(seed.member_es, role)
    await asyncio.sleep(0.5)
    card = await double.invoke("wg info", user=seed.member_en, options={"group": "wg3-data"})
    embed = (await card.message(timeout=TIMEOUT)).embed
    assert embed is not None
    members_field = next(f for f in embed["fields"] if f["name"] == t("en", "working_groups.card.members"))
    assert int(members_field["value"]) == holders_before - 1

    left = await answer(env, "wg leave", seed.member_es, group="wg3-data")
    assert "no forma parte" in left

    listing = await answer(env, "wg list", seed.member_en)
    for key in SEEDED_KEYS:
        assert group_row(env, key)["channel_id"] and f"<#{group_row(env, key)['channel_id']}>" in listing


async def test_private_group_join_approval_with_the_answer_by_dm(discord_env: DiscordEnv) -> None:
    env, double, seed = discord_env, discord_env.double, discord_env.seed
    await seeded(env)
    row = await new_group(env, "wg5-safety", "WG5 – Safety at work", private=True)
    channel = double.guild.channels[row["channel_id"]]
    # Private: hidden from @everyone, visible to the role, the moderators and the bot.
    assert double.permissions_in(channel, seed.member_fr) & Perm.VIEW_CHANNEL == 0
    assert double.permissions_in(channel, seed.moderator) & Perm.VIEW_CHANNEL
    assert double.permissions_in(channel, None) & Perm.SEND_MESSAGES

    added = await answer(env, "wg coordinator add", seed.moderator, group="wg5-safety", member=seed.member_en)
    assert seed.member_en.mention in added
    await wait_role(env, seed.member_en, row["role_id"])

    mark = double.mark()
    requested = await answer(env, "wg join", seed.member_fr, group="wg5-safety")
    assert "transmise" in requested
    request = await double.wait_for_message(
        channel, lambda m: bool(m.custom_ids()), after=mark, timeout=TIMEOUT
    )
    assert seed.member_en.id in request.pinged_user_ids and seed.member_fr.id not in request.pinged_user_ids
    second = await answer(env, "wg join", seed.member_fr, group="wg5-safety")
    assert "déjà demandé" in second
    # Of this group: the shared double's other tests may have members ask to join other groups.
    assert count(env, "wg_join_requests", "group_id = ? AND user_id = ?", (row["id"], seed.member_fr.id)) == 1

    approve = next(c for c in request.custom_ids() if c.endswith(":approve"))
    refused = await double.click(request, approve, user=seed.member_es)  # neither coordinator nor moderator
    assert (await refused.response()).ephemeral
    assert not has_role(env, seed.member_fr, row["role_id"])
    click = await double.click(request, approve, user=seed.member_en)
    assert (await click.response()).type == 7
    await wait_role(env, seed.member_fr, row["role_id"])
    dm = await double.wait_for_dm(seed.member_fr, after=mark, timeout=TIMEOUT)
    assert dm.text == t("fr", "working_groups.join.dm_approved", group="WG5 – Safety at work")
    decided = double.message(request.id)
    assert all(b.get("disabled") for b in decided.buttons())

    # A declined request: the member is told, in their language, and gets no role.
    mark = double.mark()
    await answer(env, "wg join", seed.member_es, group="wg5-safety")
    request = await double.wait_for_message(
        channel, lambda m: bool(m.custom_ids()), after=mark, timeout=TIMEOUT
    )
    decline = next(c for c in request.custom_ids() if c.endswith(":decline"))
    await (await double.click(request, decline, user=seed.moderator)).response()
    dm = await double.wait_for_dm(seed.member_es, after=mark, timeout=TIMEOUT)
    assert "no fue aceptada" in dm.text
    assert not has_role(env, seed.member_es, row["role_id"])


# --- coordinators ---------------------------------------------------------------------------------


async def test_a_coordinator_updates_their_own_group_and_is_refused_on_another(
    discord_env: DiscordEnv,
) -> None:
    env, double, seed = discord_env, discord_env.double, discord_env.seed
    await seeded(env)
    wg4 = group_row(env, "wg4-mentors")
    await answer(env, "wg coordinator add", seed.moderator, group="wg4-mentors", member=seed.member_es)
    text = await answer(
        env, "wg status", seed.member_es, group="wg4-mentors", status="needs_attention", note="Faltan datos"
    )
    assert "Requiere atención" in text
    assert group_row(env, "wg4-mentors")["status"] == "needs_attention"

    history = count(env, "wg_status_history")
    refused = await answer(env, "wg status", seed.member_es, group="wg1-stem", status="completed")
    assert refused == t(
        "es",
        "working_groups.errors.not_coordinator",
        group="GT1 – Atraer y retener a mujeres de áreas STEM en la minería",
    )
    assert count(env, "wg_status_history") == history
    assert group_row(env, "wg1-stem")["status"] == "in_progress"
    member_refused = await answer(env, "wg workplan add", seed.member_en, group="wg4-mentors", title="Mine")
    assert "Only the coordinators" in member_refused

    mark = double.mark()
    posted = await answer(
        env, "wg update", seed.member_es, group="wg4-mentors", text="Encuesta enviada a 30 organizaciones WIM"
    )
    assert "se está publicando" in posted
    channel = double.guild.channels[wg4["channel_id"]]
    update = await double.wait_for_message(channel, after=mark, timeout=TIMEOUT)
    assert "Encuesta enviada" in update.text and not update.pinged_user_ids
    await double.wait_until(
        lambda d: count(env, "wg_posts", "message_id = ?", (update.id,)) == 1,
        timeout=TIMEOUT,
        what="the update recorded",
    )

    item = await answer(
        env,
        "wg workplan add",
        seed.member_es,
        group="wg4-mentors",
        title="Mapear programas en Perú",
        status="in_progress",
    )
    item_id = int(item.split("`")[1])
    done = await answer(
        env, "wg workplan update", seed.member_es, group="wg4-mentors", item=str(item_id), status="completed"
    )
    assert "Completado" in done
    with bot_db(env) as conn:
        wg1_item = conn.execute(
            "SELECT id FROM wg_workplan_items WHERE group_id = ? LIMIT 1", (group_row(env, "wg1-stem")["id"],)
        ).fetchone()["id"]
    other = await answer(
        env, "wg workplan update", seed.member_es, group="wg4-mentors", item=str(wg1_item), status="completed"
    )
    assert "no existe" in other

    doc = await answer(
        env,
        "wg doc add",
        seed.member_es,
        group="wg4-mentors",
        title="Guía de mentoría",
        url="https://example.org/guia",
    )
    assert "Guía de mentoría" in doc
    duplicate = await answer(
        env, "wg doc add", seed.member_es, group="wg4-mentors", title="Otra", url="https://example.org/guia"
    )
    assert "ya tiene un documento" in duplicate
    with bot_db(env) as conn:
        guide = conn.execute(
            "SELECT id FROM wg_deliverables WHERE group_id = ? AND kind = 'guide'", (wg4["id"],)
        ).fetchone()["id"]
    published = await answer(
        env,
        "wg deliverable update",
        seed.member_es,
        group="wg4-mentors",
        deliverable=str(guide),
        status="completed",
        link="https://example.org/how-to-guide.pdf",
    )
    assert "Completado" in published
    card = await double.invoke("wg info", user=seed.member_en, options={"group": "wg4-mentors"})
    embed = (await card.message(timeout=TIMEOUT)).embed
    assert embed is not None
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert "https://example.org/guia" in fields["Documents"]
    assert (
        "🟢" in fields["Expected outcomes"]
        and "https://example.org/how-to-guide.pdf" in fields["Expected outcomes"]
    )
    assert "Encuesta enviada" in fields["Recent updates"]
    with bot_db(env) as conn:
        doc_id = conn.execute(
            "SELECT id FROM wg_documents WHERE url = ?", ("https://example.org/guia",)
        ).fetchone()[0]
    # The suggestions for deliverables and documents, as for workplan items below.
    for command, option, typed, wanted in (
        ("wg deliverable update", "deliverable", "", str(guide)),
        ("wg doc remove", "document", "mentoría", str(doc_id)),
    ):
        choices = await double.autocomplete(
            command, user=seed.member_es, options={"group": "wg4-mentors", option: typed}, focused=option
        )
        values = [c["value"] for c in (await choices.response()).choices]
        assert wanted in values, (command, values)
        if typed:
            assert values == [wanted]
    removed = await answer(env, "wg doc remove", seed.member_es, group="wg4-mentors", document=str(doc_id))
    assert "Documento quitado" in removed
    gone = await answer(
        env, "wg coordinator remove", seed.moderator, group="wg4-mentors", member=seed.member_es
    )
    assert "no longer coordinates" in gone
    after = await answer(env, "wg status", seed.member_es, group="wg4-mentors", status="completed")
    assert "Solo la coordinación de" in after
    await answer(env, "wg coordinator add", seed.moderator, group="wg4-mentors", member=seed.member_es)

    choices = await double.autocomplete(
        "wg workplan update",
        user=seed.member_es,
        options={"group": "wg4-mentors", "item": "Perú"},
        focused="item",
    )
    assert [c["value"] for c in (await choices.response()).choices] == [str(item_id)]


# --- summaries and search ------------------------------------------------------------------------


async def test_long_meeting_notes_arrive_whole_and_search_folds_accents(discord_env: DiscordEnv) -> None:
    env, double, seed = discord_env, discord_env.double, discord_env.seed
    await seeded(env)
    wg2 = group_row(env, "wg2-workplace")
    channel = double.guild.channels[wg2["channel_id"]]
    notes = "Points clés de la réunion sur les EPI adaptés aux femmes.\n" + "\n".join(
        f"{n}. Fournisseur {n} : tailles, délais et prix discutés en détail." for n in range(1, 90)
    )
    assert len(notes) > 4000
    first, rest = notes[:3990], notes[3990:]
    mark = double.mark()
    handle = await double.invoke("wg summary", user=seed.moderator_fr, options={"group": "wg2-workplace"})
    modal = await handle.response()
    assert modal.type == 9
    submitted = await double.submit_modal(
        handle, {"title": "Table ronde EPI", "notes1": first, "notes2": rest}
    )
    assert "en cours de publication" in (await submitted.response()).text
    post = await double.wait_for_message(channel, after=mark, timeout=TIMEOUT)
    assert len(post.attachments) == 1 and post.attachments[0].filename.endswith(".md")
    document = post.attachments[0].data.decode("utf-8")
    assert first.strip() in document and rest.strip() in document, "the notes were cut"
    assert "Table ronde EPI" in post.text and len(post.content) <= 2000

    await double.wait_until(
        lambda d: count(env, "wg_posts", "message_id = ?", (post.id,)) == 1,
        timeout=TIMEOUT,
        what="the summary recorded",
    )
    found = await double.invoke("wg search", user=seed.member_en, options={"query": "reunion EPI"})
    result = await found.message(timeout=TIMEOUT)
    assert result.ephemeral and "Table ronde EPI" in result.text
    assert f"https://discord.com/channels/{double.guild_id}/{channel.id}/{post.id}" in result.text
    nothing = await answer(env, "wg search", seed.member_en, query="zzzunknownword")
    assert t("en", "working_groups.search.none") in nothing


async def test_a_private_group_archive_is_found_only_with_its_role(discord_env: DiscordEnv) -> None:
    env, double, seed = discord_env, discord_env.double, discord_env.seed
    await seeded(env)
    row = await new_group(env, "wg6-private", "WG6 – Private notes", private=True)
    mark = double.mark()
    await answer(
        env,
        "wg update",
        seed.moderator,
        group="wg6-private",
        text="Confidential réunion about mentoring budgets",
    )
    channel = double.guild.channels[row["channel_id"]]
    await double.wait_for_message(channel, after=mark, timeout=TIMEOUT)
    outsider = await answer(env, "wg search", seed.member_es, query="budgets")
    assert "Confidential" not in outsider
    card = await answer(env, "wg info", seed.member_es, group="wg6-private")
    assert "Confidential" not in card and "solo para sus miembros" in card
    double.add_member_role(seed.member_es, double.guild.roles[row["role_id"]])
    await asyncio.sleep(0.5)
    insider = await answer(env, "wg search", seed.member_es, query="budgets")
    assert "Confidential" in insider
    assert "Confidential" in await answer(env, "wg info", seed.member_es, group="wg6-private")


# --- bad input and missing permissions ------------------------------------------------------------


async def test_bad_input_gets_a_clear_message_and_writes_nothing(discord_env: DiscordEnv) -> None:
    env, double, seed = discord_env, discord_env.double, discord_env.seed
    await seeded(env)
    tables = ("wg_groups", "wg_deliverables", "wg_documents", "wg_posts", "wg_workplan_items", "timers")
    before = {table: count(env, table) for table in tables}
    roles = len(double.guild.roles)
    cases = [
        ("wg create", seed.moderator, {"key": "wg1-stem", "name": "Brand new"}, "already uses the key"),
        (
            "wg create",
            seed.moderator,
            {"key": "wg9-x", "name": "wg1 – attracting and retaining stem women to mining"},
            "already called",
        ),
        ("wg create", seed.moderator, {"key": "Bad Key!", "name": "Fine"}, "cannot be a key"),
        ("wg create", seed.member_en, {"key": "wg9-x", "name": "Fine"}, t("en", "errors.not_moderator")),
        (
            "wg doc add",
            seed.moderator,
            {"group": "wg1-stem", "title": "Doc", "url": "ftp://example.org/x"},
            "https://",
        ),
        (
            "wg doc add",
            seed.moderator,
            {"group": "wg1-stem", "title": "   ", "url": "https://example.org/x"},
            "missing",
        ),
        (
            "wg deliverable add",
            seed.moderator,
            {"group": "wg1-stem", "title": "Guide", "kind": "guide", "due": "2020-01-01"},
            "past",
        ),
        (
            "wg deliverable add",
            seed.moderator,
            {"group": "wg1-stem", "title": "Guide", "kind": "guide", "due": "soon"},
            "YYYY-MM-DD",
        ),
        ("wg update", seed.moderator, {"group": "wg7-nothing", "text": "Hello"}, "No working group called"),
        ("wg update", seed.moderator, {"group": "wg1-stem", "text": "x" * 4001}, "4000"),
        (
            "wg workplan update",
            seed.moderator,
            {"group": "wg1-stem", "item": "999999", "status": "completed"},
            "No such workplan item",
        ),
        (
            "wg deliverable remove",
            seed.moderator,
            {"group": "wg1-stem", "deliverable": "abc"},
            "No such deliverable",
        ),
        ("wg status", seed.moderator, {"group": "wg1-stem", "status": "completed", "note": "x" * 501}, "500"),
    ]
    for path, user, options, expected in cases:
        text = await answer(env, path, user, **options)
        assert expected.lower() in text.lower(), (path, options, text)
    assert {table: count(env, table) for table in tables} == before
    assert len(double.guild.roles) == roles


@pytest.mark.allow_violations
async def test_missing_permissions_are_named_and_nothing_is_half_created(discord_env: DiscordEnv) -> None:
    env, double, seed = discord_env, discord_env.double, discord_env.seed
    await seeded(env)
    groups, roles, channels = count(env, "wg_groups"), len(double.guild.roles), len(double.guild.channels)
    full = invite_permissions()
    everyone = double.guild.roles[double.guild_id].permissions
    try:
        double.set_bot_permissions(full & ~Perm.MANAGE_ROLES)
        await asyncio.sleep(0.3)
        text = await answer(env, "wg create", seed.moderator, key="wg8-roles", name="WG8 – No roles")
        assert "Manage Roles" in text and "Manage Channels" not in text
        # Without Attach Files the bot may not grant it in the channel's overwrites: Discord refuses the
        # channel after the role was made, and the role goes again.
        double.set_bot_permissions(full & ~Perm.ATTACH_FILES)
        double.set_everyone_permissions(everyone & ~Perm.ATTACH_FILES)
        await asyncio.sleep(0.3)
        text = await answer(env, "wg create", seed.moderator, key="wg8-files", name="WG8 – No files")
        assert "nothing was created" in text
        assert not any(r.name == "WG8 – No files" for r in double.guild.roles.values())
    finally:
        double.set_bot_permissions(full)
        double.set_everyone_permissions(everyone)
    assert (count(env, "wg_groups"), len(double.guild.roles), len(double.guild.channels)) == (
        groups,
        roles,
        channels,
    )

    # The group's role dragged above the bot's: joining names both roles and changes nothing.
    wg1 = group_row(env, "wg1-stem")
    role = double.guild.roles[wg1["role_id"]]
    original = role.position
    try:
        double.set_role_position(role, double.bot_role.position + 5)
        await asyncio.sleep(0.3)
        text = await answer(env, "wg join", seed.member_en, group="wg1-stem")
        assert role.name in text and "above my own role" in text
        assert not has_role(env, seed.member_en, role.id)
    finally:
        double.set_role_position(role, original)


# --- report and stale nudge ---------------------------------------------------------------------


async def test_report_flags_a_stale_group_and_nudges_its_coordinators_once(isolated_env: DiscordEnv) -> None:
    env, double, seed = isolated_env, isolated_env.double, isolated_env.seed
    await seeded(env)
    await answer(env, "wg coordinator add", seed.moderator, group="wg3-data", member=seed.member_en)
    wg3 = group_row(env, "wg3-data")
    channel = double.guild.channels[wg3["channel_id"]]
    mark = double.mark()
    # Three weeks of silence: not stale yet (the shipped threshold is four weeks).
    await double.advance(timedelta(weeks=3))
    await asyncio.sleep(1)
    assert double.messages(channel, after=mark) == []
    # A fourth week: the stale timer fires, flags the group and nudges its coordinators in its channel.
    await double.advance(timedelta(weeks=1, minutes=1))
    nudge = await double.wait_for_message(channel, after=mark, timeout=TIMEOUT * 2)
    assert seed.member_en.id in nudge.pinged_user_ids and "Needs attention" in nudge.text
    assert not nudge.pinged_role_ids and not nudge.pinged_everyone
    await double.wait_until(
        lambda d: group_row(env, "wg3-data")["status"] == "needs_attention", timeout=TIMEOUT, what="the flag"
    )
    with bot_db(env) as conn:
        flagged = conn.execute(
            "SELECT actor_id FROM wg_status_history WHERE group_id = ? ORDER BY id DESC LIMIT 1", (wg3["id"],)
        ).fetchone()
    assert flagged["actor_id"] is None, "the flag is the bot's, not a member's"

    report = await double.invoke("wg report", user=seed.moderator)
    final = await report.message(timeout=TIMEOUT * 2)
    assert final.ephemeral
    flagged_line = next(text for text in final.text.split("\n") if text.startswith("Needs attention: "))
    assert "WG3 – Global Data Deficit about Women in Mining" in flagged_line and "wg3-data" not in final.text
    assert "⚠ WG3 – Global Data Deficit about Women in Mining" in final.text and "```" not in final.text
    png = [a for a in final.attachments if a.filename == "wg-report.png"]
    assert png and png[0].data.startswith(b"\x89PNG")

    # Once: more silent weeks and a restart bring no second nudge for the same quiet spell.
    await double.advance(timedelta(weeks=5))
    await env.bot.restart()
    await asyncio.sleep(2)
    assert [m.id for m in double.messages(channel, after=mark)] == [nudge.id], "nudged twice"
    refused = await answer(env, "wg report", seed.member_en)
    assert refused == t("en", "errors.not_moderator")

    # An update ends the quiet spell; the next one is nudged again after four weeks.
    await answer(env, "wg update", seed.member_en, group="wg3-data", text="Indicator survey drafted")
    update = await double.wait_for_message(channel, after=nudge.id, timeout=TIMEOUT)
    await double.advance(timedelta(weeks=4, minutes=1))
    second = await double.wait_for_message(channel, after=update.id, timeout=TIMEOUT * 2)
    assert seed.member_en.id in second.pinged_user_ids


# --- moderators: the panel follows new and archived groups; archive and repair -------------------


async def test_panel_follows_new_and_archived_groups_and_repair_restores_a_deleted_channel(
    discord_env: DiscordEnv,
) -> None:
    env, double, seed = discord_env, discord_env.double, discord_env.seed
    await seeded(env)
    general = seed.channels["general"]
    mark = double.mark()
    await (await double.invoke("wg panel", user=seed.moderator, channel=general)).response()
    panel = await double.wait_for_message(general, lambda m: bool(m.custom_ids()), after=mark)
    row = await new_group(env, "wg10-panel", "WG10 – Panel test")
    toggle = f"wg:toggle:{row['id']}"
    await double.wait_until(
        lambda d: toggle in d.message(panel.id).custom_ids(), timeout=TIMEOUT, what="panel"
    )

    # A channel deleted by hand comes back with /wg repair, under the category, with its overwrites.
    double.delete_channel(double.guild.channels[row["channel_id"]])
    await asyncio.sleep(0.3)
    repaired = await answer(env, "wg repair", seed.moderator, group="wg10-panel")
    assert "the channel" in repaired
    new_channel_id = group_row(env, "wg10-panel")["channel_id"]
    assert new_channel_id != row["channel_id"] and new_channel_id in double.guild.channels
    again = await answer(env, "wg repair", seed.moderator, group="wg10-panel")
    assert "nothing was missing" in again

    archived = await answer(env, "wg archive", seed.moderator, group="wg10-panel")
    assert "nothing was deleted" in archived
    channel = double.guild.channels[new_channel_id]
    archive = double.guild.channels[channel.parent_id or 0]
    assert archive.name == "Working Groups – Archive"
    assert double.permissions_in(channel, seed.member_en) & Perm.VIEW_CHANNEL
    assert not double.permissions_in(channel, seed.member_en) & Perm.SEND_MESSAGES
    assert double.permissions_in(channel, None) & Perm.SEND_MESSAGES
    assert row["role_id"] in double.guild.roles, "archiving deleted the role"
    await double.wait_until(
        lambda d: toggle not in d.message(panel.id).custom_ids(), timeout=TIMEOUT, what="panel"
    )
    refused = await answer(env, "wg update", seed.moderator, group="wg10-panel", text="Late")
    assert "No working group called" in refused
    card = await answer(env, "wg info", seed.member_en, group="wg10-panel")
    assert "Archived" in card


# --- index of initiatives ---------------------------------------------------------------------------


async def test_an_initiative_is_submitted_approved_found_and_exported(discord_env: DiscordEnv) -> None:
    env, double, seed = discord_env, discord_env.double, discord_env.seed
    await seeded(env)
    wg4 = group_row(env, "wg4-mentors")
    channel = double.guild.channels[wg4["channel_id"]]
    role = double.guild.roles[wg4["role_id"]]

    suggested = await double.autocomplete(
        "wg initiative add",
        user=seed.member_fr,
        options={"group": "wg4-mentors", "kind": "programme", "country": "ivoi"},
        focused="country",
    )
    assert (await suggested.response()).choices[0] == {"name": "Côte d'Ivoire", "value": "CI"}
    peru = await double.autocomplete(
        "wg initiative add", user=seed.member_es, options={"country": "peru"}, focused="country"
    )
    assert (await peru.response()).choices[0] == {"name": "Perú", "value": "PE"}  # in the member's language
    options = {"group": "wg4-mentors", "kind": "programme", "country": "CI"}
    outsider = await double.invoke("wg initiative add", user=seed.member_fr, options=options)
    assert "rejoignez-le" in (await outsider.response()).text

    double.add_member_role(seed.member_fr, role)
    await asyncio.sleep(0.3)
    unknown = await double.invoke(
        "wg initiative add", user=seed.member_fr, options={**options, "country": "Atlantide"}
    )
    assert (await unknown.response()).text == t("fr", "orgs.errors.unknown_country", country="Atlantide"), (
        "an unknown country is refused before the form opens"
    )
    mark = double.mark()
    handle = await double.invoke("wg initiative add", user=seed.member_fr, options=options)
    opened = await handle.response()
    assert opened.type == 9
    inputs = [item["custom_id"] for row in opened.modal["components"] for item in row["components"]]
    assert inputs == ["title", "organisation", "link", "description"], "the country is the command's option"
    values = {
        "title": "Réseau de mentorat « Femmes & Mines »",
        "organisation": "WIM Côte d'Ivoire",
        "link": "https://example.org/femmes-mines",
        "description": "Binômes mentore-mentorée pendant un an, avec un suivi trimestriel, "
        "dans cinq sociétés minières.",
    }
    submitted = await double.submit_modal(handle, values)
    assert "Merci" in (await submitted.response()).text
    review = await double.wait_for_message(
        channel, lambda m: bool(m.custom_ids()), after=mark, timeout=TIMEOUT
    )
    assert "Femmes & Mines" in review.text
    approve = next(
        c for c in review.custom_ids() if c.startswith("wg:initiative:") and c.endswith(":approve")
    )
    member_click = await double.click(review, approve, user=seed.dms_closed)  # no role, no coordination
    assert "Only the coordinators" in (await member_click.response()).text
    click = await double.click(review, approve, user=seed.moderator)
    assert (await click.response()).type == 7
    dm = await double.wait_for_dm(seed.member_fr, after=mark, timeout=TIMEOUT)
    assert "figure désormais dans le catalogue" in dm.text

    listing = await answer(
        env, "wg initiatives", seed.member_en, group="wg4-mentors", country="cote d'ivoire"
    )
    assert "Femmes & Mines" in listing
    other_country = await answer(env, "wg initiatives", seed.member_en, group="wg4-mentors", country="Chile")
    assert "Femmes & Mines" not in other_country
    found = await answer(env, "wg search", seed.member_en, query="binomes trimestriel")
    assert "Femmes & Mines" in found and "https://example.org/femmes-mines" in found

    refused = await answer(env, "wg export", seed.member_fr, group="wg4-mentors")
    assert refused == t("fr", "errors.not_coordinator")  # a member who coordinates no group
    export = await double.invoke("wg export", user=seed.moderator, options={"group": "wg4-mentors"})
    message = await export.message(timeout=TIMEOUT)
    files = {a.filename: a.data.decode("utf-8-sig") for a in message.attachments}
    rows = list(csv.DictReader(io.StringIO(files["wg4-mentors-initiatives.csv"])))
    mine = [row for row in rows if row["title"] == values["title"]]
    assert len(mine) == 1
    assert {
        k: mine[0][k] for k in ("organisation", "country_code", "country", "link", "description", "kind")
    } == {
        "organisation": values["organisation"],
        "country_code": "CI",
        "country": "Côte d'Ivoire",
        "link": values["link"],
        "description": values["description"],
        "kind": "programme",
    }
    markdown = files["wg4-mentors-initiatives.md"]
    assert (
        "## Côte d'Ivoire" in markdown
        and "[Réseau de mentorat « Femmes & Mines »](https://example.org/femmes-mines)" in markdown
    )


# --- roundtables hosted by a group ------------------------------------------------------------------


async def test_a_roundtable_is_announced_in_the_group_channel_and_listed_with_attendance(
    isolated_env: DiscordEnv,
) -> None:
    env, double, seed = isolated_env, isolated_env.double, isolated_env.seed
    await seeded(env)
    wg1 = group_row(env, "wg1-stem")
    channel = double.guild.channels[wg1["channel_id"]]
    await answer(env, "wg join", seed.member_es, group="wg1-stem")
    await wait_role(env, seed.member_es, wg1["role_id"])
    start = (double.clock.now() + timedelta(minutes=3)).replace(second=0, microsecond=0)
    mark = double.mark()
    handle = await double.invoke(
        "event create",
        user=seed.moderator,
        options={
            "title": "STEM Women in Mining Roundtable",
            "start": start.strftime("%Y-%m-%d %H:%M"),
            "timezone": "UTC",
            "reminders": "",
            "group": "wg1-stem",
        },
    )
    created = await handle.message(timeout=TIMEOUT)
    assert created.ephemeral and "STEM Women in Mining Roundtable" in created.text
    announcement = await double.wait_for_message(
        channel, lambda m: bool(m.embeds) and bool(m.custom_ids()), after=mark, timeout=TIMEOUT
    )
    assert double.messages(seed.announcements, after=mark) == [], "announced in the general channel"
    with bot_db(env) as conn:
        series = conn.execute(
            "SELECT s.id, s.audience_role_id, s.channel_id FROM event_series s "
            "JOIN wg_events w ON w.series_id = s.id WHERE w.group_id = ?",
            (wg1["id"],),
        ).fetchone()
    assert series is not None and series["audience_role_id"] == wg1["role_id"]
    assert series["channel_id"] == channel.id

    card = await answer(env, "wg info", seed.member_en, group="wg1-stem")
    assert "📅" in card and "STEM Women in Mining Roundtable" in card
    occurrence_id = next(
        int(c.split(":")[2]) for c in announcement.custom_ids() if c.startswith("event:rsvp:")
    )
    checkin = await double.click(announcement, f"event:checkin:{occurrence_id}", user=seed.member_es)
    await checkin.message()
    await double.advance(timedelta(hours=2))
    card = await answer(env, "wg info", seed.member_en, group="wg1-stem")
    line = next(line for line in card.splitlines() if "STEM Women in Mining Roundtable" in line)
    assert line.startswith("✅") and "1 checked in" in line

    # Meeting notes tied to the roundtable name it.
    mark = double.mark()
    notes = await double.invoke(
        "wg summary", user=seed.moderator, options={"group": "wg1-stem", "event": str(occurrence_id)}
    )
    assert (await notes.response()).type == 9
    sent = await double.submit_modal(
        notes, {"title": "Roundtable notes", "notes1": "Three programmes compared."}
    )
    await sent.response()
    posted = await double.wait_for_message(channel, after=mark, timeout=TIMEOUT)
    assert (
        "Meeting: STEM Women in Mining Roundtable" in posted.content and "Three programmes" in posted.content
    )
    assert not posted.attachments, "a short summary is posted as it is"

    unknown = await double.invoke(
        "event create",
        user=seed.moderator,
        options={"title": "Nobody's", "start": start.strftime("%Y-%m-%d %H:%M"), "group": "wg9-none"},
    )
    assert "No working group called" in (await unknown.message(timeout=TIMEOUT)).text


async def test_edit_renames_the_role_switches_privacy_and_a_lost_permission_is_told_once(
    discord_env: DiscordEnv,
) -> None:
    env, double, seed = discord_env, discord_env.double, discord_env.seed
    await seeded(env)
    row = await new_group(env, "wg11-edit", "WG11 – Edit me")
    channel = double.guild.channels[row["channel_id"]]
    assert double.permissions_in(channel, seed.member_en) & Perm.VIEW_CHANNEL

    renamed = await answer(
        env, "wg edit", seed.moderator, group="wg11-edit", name="WG11 – Edited", private=True
    )
    assert "WG11 – Edited" in renamed
    await double.wait_until(
        lambda d: d.guild.roles[row["role_id"]].name == "WG11 – Edited",
        timeout=TIMEOUT,
        what="the role renamed",
    )
    assert not double.permissions_in(channel, seed.member_en) & Perm.VIEW_CHANNEL, "still public"
    assert double.permissions_in(channel, seed.moderator) & Perm.VIEW_CHANNEL

    # Someone takes Send Messages from the bot in the channel: the update is kept, moderators are told
    # once in mod-log (not at every retry or update), and /wg repair gives the permission back.
    double.set_channel_overwrite(
        channel, double.bot_member(), allow=Perm.VIEW_CHANNEL, deny=Perm.SEND_MESSAGES
    )
    await asyncio.sleep(0.3)
    mark = double.mark()
    await answer(env, "wg update", seed.moderator, group="wg11-edit", text="First news")
    notice = await double.wait_for_message(
        seed.mod_log,
        lambda m: "#wg11-edit" in m.text or str(channel.id) in m.content,
        after=mark,
        timeout=TIMEOUT,
    )
    await answer(env, "wg update", seed.moderator, group="wg11-edit", text="Second news")
    await asyncio.sleep(1)
    told = [m for m in double.messages(seed.mod_log, after=mark) if str(channel.id) in m.content]
    assert [m.id for m in told] == [notice.id]
    assert count(env, "wg_posts", "group_id = ?", (row["id"],)) == 2
    repaired = await answer(env, "wg repair", seed.moderator, group="wg11-edit")
    assert "nothing was missing" in repaired
    assert double.permissions_in(channel, None) & Perm.SEND_MESSAGES
    await double.wait_until(
        lambda d: sum("news" in m.text for m in d.messages(channel, after=mark)) == 2,
        timeout=TIMEOUT,
        what="the two held-back updates posted after the repair",
    )
    later = double.mark()
    await answer(env, "wg update", seed.moderator, group="wg11-edit", text="Third news")
    posted = await double.wait_for_message(channel, after=later, timeout=TIMEOUT)
    assert "Third news" in posted.text
    texts = [m.text for m in double.messages(channel, after=mark)]
    assert [sum(word in text for text in texts) for word in ("First", "Second", "Third")] == [1, 1, 1]


async def test_seeding_that_cannot_set_a_group_up_tells_moderators_once(isolated_env: DiscordEnv) -> None:
    env, double, seed = isolated_env, isolated_env.double, isolated_env.seed
    await seeded(env)
    await env.bot.stop()
    wg1 = group_row(env, "wg1-stem")
    # As if WG1 had never been set up, and someone made a role of that name above the bot's own.
    double.delete_channel(double.guild.channels[wg1["channel_id"]])
    double.delete_role(double.guild.roles[wg1["role_id"]])
    squatter = double.add_role("WG1 – Attracting and Retaining STEM Women to Mining")
    double.set_role_position(squatter, double.bot_role.position + 1)
    conn = sqlite3.connect(env.config["database"])
    with conn:
        conn.execute("UPDATE wg_groups SET role_id = NULL, channel_id = NULL WHERE id = ?", (wg1["id"],))
    conn.close()
    mark = double.mark()
    await env.bot.start()
    notice = await double.wait_for_message(
        seed.mod_log, lambda m: "WG1" in m.content, after=mark, timeout=TIMEOUT
    )
    assert "above my own role" in notice.content and not notice.pinged_role_ids
    assert group_row(env, "wg1-stem")["role_id"] is None, "half set up"
    assert "wg1-stem" not in {c.name for c in double.guild.channels.values()}
    await env.bot.restart()
    await asyncio.sleep(2)
    assert [m.id for m in double.messages(seed.mod_log, after=mark) if "WG1" in m.content] == [notice.id]
