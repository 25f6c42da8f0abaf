"""Self-tests of the Discord double, driven by a bare discord.py bot running in the test's event loop."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Iterator

import discord
import pytest
import yarl
from discord import app_commands
from discord.ext import commands

from tests.double import FakeDiscord, InvocationError, Perm, Upload

GUILD_COMMANDS_SYNCED = "synced"


class Echo(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=60)

    @discord.ui.button(label="Again", custom_id="echo:again", style=discord.ButtonStyle.primary)
    async def again(self, interaction: discord.Interaction, button: discord.ui.Button[Echo]) -> None:
        await interaction.response.edit_message(content=f"clicked by {interaction.user.name}", view=None)


class TitleModal(discord.ui.Modal, title="Rename"):
    new_title: discord.ui.TextInput[TitleModal] = discord.ui.TextInput(
        label="Title", custom_id="title", max_length=50
    )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"renamed to {self.new_title.value}", ephemeral=True)


class Pick(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=60)

    @discord.ui.select(custom_id="pick", options=[discord.SelectOption(label=x, value=x) for x in ("a", "b")])
    async def pick(self, interaction: discord.Interaction, select: discord.ui.Select[Pick]) -> None:
        await interaction.response.send_message(f"picked {select.values[0]}", ephemeral=True)


def build_bot(double: FakeDiscord, errors: list[discord.HTTPException]) -> commands.Bot:
    intents = discord.Intents.default()
    intents.members = True
    bot = commands.Bot(
        command_prefix="!",
        intents=intents,
        allowed_mentions=discord.AllowedMentions.none(),
        help_command=None,
        guild_ready_timeout=0.2,
    )
    guild = discord.Object(double.guild_id)

    @bot.tree.command(name="ping", description="Ping", guild=guild)
    async def ping(interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"pong {interaction.locale.value}", ephemeral=True)

    group = app_commands.Group(name="greet", description="Greetings", guild_ids=[double.guild_id])

    @group.command(name="hello", description="Say hello")
    async def hello(interaction: discord.Interaction, who: discord.Member, times: int = 1) -> None:
        await interaction.response.send_message(f"hello {who.name} x{times}")

    bot.tree.add_command(group)

    @bot.tree.command(name="slow", description="Deferred answer", guild=guild)
    async def slow(interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await asyncio.sleep(0.05)
        await interaction.edit_original_response(content="done thinking")

    @bot.tree.command(name="twice", description="Answers twice (a bug)", guild=guild)
    async def twice(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("one")
        try:
            await interaction.client.http.request(
                discord.http.Route(
                    "POST", "/interactions/{i}/{t}/callback", i=interaction.id, t=interaction.token
                ),
                json={"type": 4, "data": {"content": "two"}},
            )
        except discord.HTTPException as exc:
            errors.append(exc)

    @bot.tree.command(name="button", description="Sends a button", guild=guild)
    async def button(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("press it", view=Echo())

    @bot.tree.command(name="rename", description="Opens a modal", guild=guild)
    async def rename(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(TitleModal())

    @bot.tree.command(name="choose", description="Sends a select", guild=guild)
    async def choose(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("choose", view=Pick(), ephemeral=True)

    @bot.tree.command(name="find", description="Autocomplete", guild=guild)
    async def find(interaction: discord.Interaction, term: str) -> None:
        await interaction.response.send_message(term, ephemeral=True)

    @find.autocomplete("term")
    async def find_auto(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return [
            app_commands.Choice(name=w, value=w) for w in ("gold", "granite", "iron") if w.startswith(current)
        ]

    @bot.tree.command(name="post", description="Posts in a channel", guild=guild)
    async def post(interaction: discord.Interaction, channel: discord.TextChannel, text: str) -> None:
        await interaction.response.defer(ephemeral=True)
        try:
            await channel.send(text)
        except discord.Forbidden as exc:
            await interaction.followup.send(f"forbidden {exc.code}", ephemeral=True)
        else:
            await interaction.followup.send("posted", ephemeral=True)

    @bot.tree.command(name="dm", description="DMs a member", guild=guild)
    async def dm(interaction: discord.Interaction, who: discord.Member) -> None:
        try:
            await who.send(f"hi {who.mention}")
        except discord.Forbidden as exc:
            await interaction.response.send_message(f"closed {exc.code}", ephemeral=True)
        else:
            await interaction.response.send_message("sent", ephemeral=True)

    @bot.tree.command(name="long", description="Too long", guild=guild)
    async def long(interaction: discord.Interaction) -> None:
        try:
            await interaction.response.send_message("x" * 2001)
        except discord.HTTPException as exc:
            errors.append(exc)

    @bot.tree.command(name="upload", description="Reads an attachment", guild=guild)
    async def upload(interaction: discord.Interaction, file: discord.Attachment) -> None:
        data = await file.read()
        await interaction.response.send_message(
            f"{file.filename}: {data.decode()}", file=discord.File(io.BytesIO(data), "copy.txt")
        )

    async def setup_hook() -> None:
        await bot.tree.sync(guild=guild)

    bot.setup_hook = setup_hook  # type: ignore[method-assign]  # discord.py's documented hook, per instance
    return bot


@pytest.fixture
def double() -> Iterator[FakeDiscord]:
    fake = FakeDiscord()
    fake.start()
    fake.add_text_channel("general")
    yield fake
    fake.stop()


# The running bot and the HTTP errors its commands caught (build_bot collects them).
BotAndErrors = tuple[commands.Bot, list[discord.HTTPException]]


@pytest.fixture
async def bot(double: FakeDiscord, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[BotAndErrors]:
    monkeypatch.setattr(discord.http.Route, "BASE", double.api_base)
    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(double.gateway_url))
    errors: list[discord.HTTPException] = []
    client = build_bot(double, errors)
    task = asyncio.create_task(client.start(double.token))
    try:
        await double.wait_for_commands(timeout=15)
        await double.wait_until_ready(timeout=15)
        await asyncio.wait_for(client.wait_until_ready(), timeout=15)
        yield client, errors
    finally:
        await client.close()
        await asyncio.wait_for(task, timeout=10)


async def test_connects_registers_guild_commands_and_answers(double: FakeDiscord, bot: BotAndErrors) -> None:
    client, _ = bot
    names = {c["name"] for c in double.registered_commands()}
    assert {"ping", "greet", "slow", "button"} <= names
    assert double.registered_commands(global_=True) == []
    assert client.get_guild(double.guild_id) is not None
    member = double.add_member("ada", locale="fr")

    handle = await double.invoke("ping", user=member)
    response = await handle.response()
    assert response.type == 4
    assert response.ephemeral
    assert response.content == "pong fr"
    assert response.elapsed < 3
    assert double.gateway.connects[0] == {"v": "10", "encoding": "json", "compress": "zlib-stream"}
    double.assert_clean()


async def test_subcommand_options_are_typed_and_resolved(double: FakeDiscord, bot: BotAndErrors) -> None:
    ada = double.add_member("ada")
    bea = double.add_member("bea")
    channel = double.channel("general")
    mark = double.mark()

    handle = await double.invoke("greet hello", user=ada, options={"who": bea, "times": 3})
    message = await handle.message()
    assert message.content == "hello bea x3"
    assert not message.ephemeral
    assert [m.id for m in double.messages(channel, after=mark)] == [message.id]
    with pytest.raises(InvocationError):
        await double.invoke("greet hello", user=ada, options={"times": 2})
    with pytest.raises(InvocationError):
        await double.invoke("greet", user=ada)
    double.assert_clean()


async def test_deferred_then_edited_original(double: FakeDiscord, bot: BotAndErrors) -> None:
    member = double.add_member("ada")
    handle = await double.invoke("slow", user=member)
    response = await handle.response()
    assert response.type == 5 and response.deferred and response.ephemeral
    final = await handle.message()
    assert final.content == "done thinking"
    assert final.ephemeral
    double.assert_clean()


async def test_second_initial_response_is_refused_with_40060(double: FakeDiscord, bot: BotAndErrors) -> None:
    _, errors = bot
    member = double.add_member("ada")
    handle = await double.invoke("twice", user=member)
    assert (await handle.response()).content == "one"
    await double.wait_until(lambda d: errors, what="the bot's second response to fail")
    assert isinstance(errors[0], discord.HTTPException) and errors[0].code == 40060
    assert [v.kind for v in double.violations] == ["http 400/40060"]


async def test_limits_are_enforced_as_invalid_form_body(double: FakeDiscord, bot: BotAndErrors) -> None:
    _, errors = bot
    member = double.add_member("ada")
    await double.invoke("long", user=member)
    await double.wait_until(lambda d: errors, what="the bot's oversized response to fail")
    assert errors[0].code == 50035
    assert any("content" in v.detail for v in double.violations)


async def test_button_click_updates_the_message(double: FakeDiscord, bot: BotAndErrors) -> None:
    ada = double.add_member("ada")
    first = await (await double.invoke("button", user=ada)).message()
    assert first.custom_ids() == ["echo:again"]

    click = await double.click(first, "echo:again", user=ada)
    response = await click.response()
    assert response.type == 7
    updated = await click.message()
    assert updated.id == first.id
    assert updated.content == "clicked by ada"
    assert updated.components == []
    double.assert_clean()


async def test_modal_round_trip(double: FakeDiscord, bot: BotAndErrors) -> None:
    ada = double.add_member("ada")
    opened = await double.invoke("rename", user=ada)
    modal = (await opened.response()).modal
    assert modal["title"] == "Rename"
    submitted = await double.submit_modal(opened, {"title": "Global WIM Call"})
    response = await submitted.response()
    assert response.content == "renamed to Global WIM Call"
    assert response.ephemeral
    with pytest.raises(InvocationError):
        await double.submit_modal(opened, {"nope": "x"})
    double.assert_clean()


async def test_select_and_autocomplete(double: FakeDiscord, bot: BotAndErrors) -> None:
    ada = double.add_member("ada")
    shown = await (await double.invoke("choose", user=ada)).message()
    picked = await double.select(shown, "pick", ["b"], user=ada)
    assert (await picked.response()).content == "picked b"

    auto = await double.autocomplete("find", user=ada, options={"term": "gr"}, focused="term")
    choices = (await auto.response()).choices
    assert [c["value"] for c in choices] == ["granite"]
    double.assert_clean()


async def test_channel_permissions_and_closed_dms(double: FakeDiscord, bot: BotAndErrors) -> None:
    ada = double.add_member("ada")
    closed = double.add_member("cid", dms_closed=True)
    locked = double.add_text_channel("locked", overwrites=[(double.bot_role, 0, Perm.SEND_MESSAGES)])
    hidden = double.add_text_channel("hidden", overwrites=[(double.everyone_role, 0, Perm.VIEW_CHANNEL)])
    general = double.channel("general")

    ok = await double.invoke("post", user=ada, options={"channel": general, "text": "hello <@&1>"})
    assert (await ok.followups(1))[0].content == "posted"
    posted = await double.wait_for_message(general, lambda m: m.content.startswith("hello"))
    assert posted.pinged_role_ids == frozenset() and posted.allowed_mentions == {"parse": []}

    denied = await double.invoke("post", user=ada, options={"channel": locked, "text": "x"})
    assert (await denied.followups(1))[0].content == "forbidden 50013"
    invisible = await double.invoke("post", user=ada, options={"channel": hidden, "text": "x"})
    assert (await invisible.followups(1))[0].content == "forbidden 50001"

    dm_ok = await double.invoke("dm", user=ada, options={"who": ada})
    assert (await dm_ok.response()).content == "sent"
    assert [m.content for m in double.dms(ada)] == [f"hi <@{ada.id}>"]
    assert double.dms(ada)[0].pinged_user_ids == frozenset()
    dm_closed = await double.invoke("dm", user=ada, options={"who": closed})
    assert (await dm_closed.response()).content == "closed 50007"
    double.assert_clean()


async def test_survives_resumable_and_non_resumable_disconnects(
    double: FakeDiscord, bot: BotAndErrors
) -> None:
    client, _ = bot
    member = double.add_member("ada")
    await double.drop_gateway(resume=True)
    assert double.gateway_stats().resumes == 1
    late = double.add_member("late-joiner")  # dispatched while the bot is connected again
    assert (await (await double.invoke("ping", user=member)).response()).content == "pong en-US"

    def cached_late_joiner(d: FakeDiscord) -> discord.Member | None:
        guild = client.get_guild(d.guild_id)
        return guild.get_member(late.id) if guild is not None else None

    await double.wait_until(cached_late_joiner, what="member cache")

    identifies = double.gateway_stats().identifies
    await double.drop_gateway(resume=False)
    stats = double.gateway_stats()
    assert stats.identifies == identifies + 1 and stats.invalid_sessions == 1
    assert (await (await double.invoke("ping", user=member)).response()).content == "pong en-US"
    double.assert_clean()


async def test_events_missed_while_disconnected_are_replayed_on_resume(
    double: FakeDiscord, bot: BotAndErrors
) -> None:
    client, _ = bot

    async def drop_and_add() -> None:
        await double.gateway.drop(code=4000, invalidate=False)
        double.add_role("Working Group: Data")

    await double._async(drop_and_add())
    await double.wait_until(lambda d: d.gateway.resumes == 1 and d.gateway.active_session(), what="resume")
    guild = client.get_guild(double.guild_id)
    assert guild is not None
    await double.wait_until(
        lambda d: discord.utils.get(guild.roles, name="Working Group: Data"), what="role replay"
    )


async def test_late_response_is_unknown_interaction(double: FakeDiscord, bot: BotAndErrors) -> None:
    double.interaction_deadline = 0.0
    member = double.add_member("ada")
    handle = await double.invoke("ping", user=member)
    with pytest.raises(TimeoutError):
        await handle.response(timeout=1)
    await double.wait_until(lambda d: d.violations, what="the late response to be recorded")
    assert double.violations[0].kind == "http 404/10062"


async def test_attachment_option_and_file_upload(double: FakeDiscord, bot: BotAndErrors) -> None:
    ada = double.add_member("ada")
    handle = await double.invoke("upload", user=ada, options={"file": Upload("notes.txt", b"agenda")})
    message = await handle.message()
    assert message.content == "notes.txt: agenda"
    assert [(a.filename, a.data) for a in message.attachments] == [("copy.txt", b"agenda")]
    double.assert_clean()


def test_command_registration_limits() -> None:
    from tests.double import limits

    ok = {"name": "event", "description": "Events", "options": [], "name_localizations": {"fr": "evenement"}}
    assert limits.check_commands([ok]) == []
    bad_locale = {**ok, "description_localizations": {"es": "Eventos"}}
    assert "not a valid locale" in limits.describe(limits.check_commands([bad_locale]))
    upper = {**ok, "name": "Event"}
    assert "lowercase" in limits.describe(limits.check_commands([upper]))
    too_long = {**ok, "description": "d" * 101}
    assert limits.check_commands([too_long])


def test_pings_follow_allowed_mentions_and_permissions() -> None:
    fake = FakeDiscord()  # state only: compute_pings needs no server
    ada = fake.add_member("ada")
    leaders = fake.add_role("WIM Leaders")
    open_role = fake.add_role("Open", mentionable=True)
    content = f"{ada.mention} {leaders.mention} {open_role.mention} @everyone"
    # No allowed_mentions: Discord parses everything the author may ping.
    users, roles, everyone = fake.compute_pings(content, None, Perm.SEND_MESSAGES, True)
    assert users == {ada.id} and roles == {open_role.id} and not everyone
    users, roles, everyone = fake.compute_pings(content, None, Perm.MENTION_EVERYONE, True)
    assert roles == {leaders.id, open_role.id} and everyone
    # Explicit allow-lists only ping what they name.
    only_role = {"parse": [], "roles": [str(leaders.id)]}
    assert fake.compute_pings(content, only_role, Perm.MENTION_EVERYONE, True) == (
        frozenset(),
        frozenset({leaders.id}),
        False,
    )
    assert fake.compute_pings(content, {"parse": []}, Perm.ALL, True) == (frozenset(), frozenset(), False)


async def test_realistic_rate_limits_hold_back_a_client_that_reads_the_headers(
    double: FakeDiscord, bot: BotAndErrors
) -> None:
    client, _ = bot
    double.enable_discord_rate_limits(buckets={("POST", "/channels/{channel_id}/messages"): (3, 1.0)})
    general = double.channel("general")
    channel = client.get_channel(general.id)
    assert isinstance(channel, discord.TextChannel)
    started = asyncio.get_running_loop().time()
    for n in range(7):
        await channel.send(f"burst {n}")
    elapsed = asyncio.get_running_loop().time() - started
    assert [m.content for m in double.messages(general) if m.content.startswith("burst")] == [
        f"burst {n}" for n in range(7)
    ]
    # 7 messages through a 3-per-second bucket need two refills: the client waited, unrefused.
    assert elapsed >= 1.5
    assert double.rate_limited == []


async def test_realistic_rate_limits_refuse_a_burst_beyond_the_bucket(
    double: FakeDiscord, bot: BotAndErrors
) -> None:
    client, _ = bot
    double.enable_discord_rate_limits(buckets={("POST", "/channels/{channel_id}/messages"): (2, 0.5)})
    channel = client.get_channel(double.channel("general").id)
    assert isinstance(channel, discord.TextChannel)
    # Concurrent first sends: the client has not seen the bucket's headers yet, so some are refused
    # with 429 and retried by discord.py; every message still arrives exactly once.
    await asyncio.gather(*(channel.send(f"wave {n}") for n in range(6)))
    contents = sorted(
        m.content for m in double.messages(double.channel("general")) if m.content.startswith("wave")
    )
    assert contents == sorted(f"wave {n}" for n in range(6))
    assert all(not refusal.is_global for refusal in double.rate_limited)


# ---- working groups: channel structure and permission overwrites -----------------------------------


async def test_channel_parent_and_overwrites_follow_discords_rules(
    double: FakeDiscord, bot: BotAndErrors
) -> None:
    client, _ = bot
    double.set_bot_permissions(Perm.BOT_DEFAULT | Perm.MANAGE_CHANNELS)
    await asyncio.sleep(0.2)
    guild = client.get_guild(double.guild_id)
    assert guild is not None
    category = await guild.create_category("Working Groups")
    member_role = await guild.create_role(name="WG1")
    private: dict[discord.Role | discord.Member | discord.Object, discord.PermissionOverwrite] = {
        guild.default_role: discord.PermissionOverwrite(view_channel=False),
        member_role: discord.PermissionOverwrite(view_channel=True),
        guild.me: discord.PermissionOverwrite(view_channel=True, send_messages=True),
    }
    channel = await guild.create_text_channel("wg1-stem", category=category, overwrites=private)
    ada = double.add_member("ada")
    stored = double.guild.channels[channel.id]
    assert stored.parent_id == category.id
    assert not double.permissions_in(stored, ada) & Perm.VIEW_CHANNEL

    # The bot may not grant what it does not have itself (here: Manage Messages).
    with pytest.raises(discord.Forbidden) as refused:
        await guild.create_text_channel(
            "wg2", overwrites={member_role: discord.PermissionOverwrite(manage_messages=True)}
        )
    assert refused.value.code == 50013
    assert "wg2" not in {c.name for c in double.guild.channels.values()}
    # A parent that is not a category is refused as an invalid form body.
    with pytest.raises(discord.HTTPException) as invalid:
        await client.http.edit_channel(channel.id, parent_id=str(channel.id))
    assert invalid.value.status == 400
    assert any("parent_id" in v.detail for v in double.violations), "refused, and recorded as a violation"
    checkpoint = double.checkpoint()

    # Moving to another category with new overwrites: one PATCH; one overwrite: PUT and DELETE.
    archive = await guild.create_category("Archive")
    await channel.edit(
        category=archive, overwrites={guild.me: discord.PermissionOverwrite(view_channel=True)}
    )
    assert (stored := double.guild.channels[channel.id]).parent_id == archive.id
    assert double.permissions_in(stored, ada) & Perm.VIEW_CHANNEL
    target = guild.get_member(ada.id) or await guild.fetch_member(ada.id)
    await channel.set_permissions(target, send_messages=False)
    assert not double.permissions_in(double.guild.channels[channel.id], ada) & Perm.SEND_MESSAGES
    await channel.set_permissions(target, overwrite=None)
    assert double.permissions_in(double.guild.channels[channel.id], ada) & Perm.SEND_MESSAGES
    double.assert_clean(checkpoint)
