"""The guided tour: a seeded Alliance server on the local Discord double, the real bot, and scenes.

``run_tour`` starts the double (tests/double) with the Alliance's server (moderators of the Secretariat
and the Steering Committee, WIM leaders, members whose Discord is in English, French and Spanish), writes
the shipped ``config.yml`` with only ``guild_ids`` and ``database`` changed (as the e2e fixtures do) and
the web hub enabled on a free loopback port,
starts the real bot with ``tests/double/launch_bot.py`` and plays every scene of
``tests/demo/scenes.SCENES`` in order. A scene drives the bot only as members would, through the double:
slash commands and button clicks; it moves time with the test clock.

A scene is ``Scene(key, title, summary, play)`` where ``play`` is ``async def play(tour: Tour) -> None``;
see ``tests/demo/scenes/events.py`` for the pattern and docs/ARCHITECTURE.md, "Adding a demo scene".
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import yaml

from bot.config import Config, parse_config
from bot.timeutil import utc_iso
from tests.demo.transcript import (
    BOT_NAME,
    Action,
    FileShown,
    Narration,
    Persona,
    Post,
    Reader,
    SceneLog,
    Screenshot,
    Transcript,
    moment_text,
)
from tests.double import Channel, FakeDiscord, Member, Message, Perm, Role
from tests.e2e.conftest import (
    MODERATOR_PERMISSIONS,
    START_TIMEOUT,
    BotProcess,
    bot_config,
    invite_permissions,
)

WAIT = 15.0  # seconds: the longest any step waits for the bot before the tour fails (never a pause)
HUB_PICTURES = "hub"  # the folder, next to the page, of the web hub's pictures
SETTLE = 5.0  # seconds: the longest advance_to waits for earlier timers before going on anyway


@dataclass(frozen=True)
class Scene:
    key: str  # stable id, used as the page's anchor ("events-announce")
    title: str
    summary: str  # one sentence for the reader: what this scene shows
    play: Callable[[Tour], Awaitable[None]]


# The cast: fictional members of the Alliance's server. Zones are their devices'; locales their Discord's.
CAST_SPEC: tuple[tuple[str, str, str, str, str, str, str], ...] = (
    # key, name, title, locale, zone, role key ("" for none), colour
    ("grace", "Grace", "Secretariat, Head of Engagement", "en-GB", "Europe/London", "secretariat", "#eb459e"),
    ("claire", "Claire", "Steering Committee", "fr", "Europe/Paris", "steering", "#f0b232"),
    ("amara", "Amara", "WIM leader, Ghana", "en-US", "Africa/Accra", "leaders", "#23a55a"),
    ("valentina", "Valentina", "WIM leader, Peru", "es-419", "America/Lima", "leaders", "#00a8fc"),
    ("margaux", "Margaux", "member, Québec", "fr", "America/Toronto", "", "#9b59b6"),
    ("lucia", "Lucía", "member, Spain", "es-ES", "Europe/Madrid", "", "#e67e22"),
    ("ada", "Ada", "member, Western Australia", "en-US", "Australia/Perth", "", "#1abc9c"),
)


@dataclass
class Cast:
    personas: dict[str, Persona]
    members: dict[str, Member]
    roles: dict[str, Role]  # "secretariat", "steering", "leaders"
    channels: dict[str, Channel]  # config keys: "announcements", "digest", "mod_log"

    def __getitem__(self, key: str) -> Persona:
        return self.personas[key]

    def everyone(self) -> tuple[Persona, ...]:
        return tuple(self.personas.values())


def seed_alliance(double: FakeDiscord, config: dict[str, Any]) -> Cast:
    """The Alliance's server as the shipped config names it: roles, channels and the cast."""
    double.set_bot_permissions(invite_permissions())
    moderator_roles = [r for r in config.get("moderator_roles") or [] if isinstance(r, str)]
    secretariat_name, steering_name = [*moderator_roles, "Secretariat", "Steering Committee"][:2]
    leaders_name = next(
        (e["audience_role"] for e in config.get("calendar") or [] if isinstance(e.get("audience_role"), str)),
        "WIM Leaders",
    )
    roles = {
        "secretariat": double.add_role(secretariat_name, MODERATOR_PERMISSIONS, hoist=True),
        "steering": double.add_role(steering_name, MODERATOR_PERMISSIONS, hoist=True),
        "leaders": double.add_role(leaders_name, mentionable=True),
    }
    everyone = double.everyone_role
    names = {"announcements": "announcements", "digest": "weekly-digest", "mod_log": "mod-log"}
    names.update({k: v for k, v in (config.get("channels") or {}).items() if isinstance(v, str)})
    channels: dict[str, Channel] = {}
    for key, name in names.items():
        overwrites: list[tuple[Role | Member, int, int]] = []
        if key in ("announcements", "digest"):
            overwrites = [(everyone, 0, Perm.SEND_MESSAGES), (double.bot_role, Perm.SEND_MESSAGES, 0)]
        elif key == "mod_log":
            overwrites = [(everyone, 0, Perm.VIEW_CHANNEL), (double.bot_role, Perm.VIEW_CHANNEL, 0)]
            overwrites += [(roles[k], Perm.VIEW_CHANNEL, 0) for k in ("secretariat", "steering")]
        channels[key] = double.add_text_channel(name, overwrites=overwrites)
    for entry in config.get("calendar") or []:
        name = entry.get("channel")
        if isinstance(name, str) and name not in {c.name for c in channels.values()}:
            channels[name] = double.add_text_channel(name)
    channels["general"] = double.add_text_channel("general")
    personas: dict[str, Persona] = {}
    members: dict[str, Member] = {}
    for key, name, title, locale, zone, role_key, color in CAST_SPEC:
        personas[key] = Persona(key, name, title, locale, zone, color)
        members[key] = double.add_member(key, [roles[role_key]] if role_key else [], locale=locale, nick=name)
    return Cast(personas, members, roles, channels)


@dataclass
class Tour:
    """What a scene plays with. Every method records what the members did and saw in ``transcript``."""

    double: FakeDiscord
    bot: BotProcess
    cast: Cast
    transcript: Transcript
    database: Path
    config: Config  # the config.yml the bot runs with (the shipped one, guild id, database and web changed)
    directory: Path  # where the page, the bot's database and log and the hub's pictures go
    shared: dict[str, Any] = field(default_factory=dict)  # what one scene leaves for a later one

    # -- reading the world ---------------------------------------------------------------------------

    def now(self) -> datetime:
        """The bot's time (the test clock)."""
        return self.double.clock.now()

    def mark(self) -> int:
        return self.double.mark()

    def channel(self, key: str) -> Channel:
        return self.cast.channels[key]

    def member(self, persona: Persona) -> Member:
        return self.cast.members[persona.key]

    # -- narrating -----------------------------------------------------------------------------------

    def note(self, text: str) -> None:
        self.transcript.add(Narration(text))

    # -- acting as members ---------------------------------------------------------------------------

    async def command(
        self,
        persona: Persona,
        path: str,
        options: dict[str, Any] | None = None,
        *,
        channel: str = "general",
        shown: dict[str, str] | None = None,
    ) -> Message:
        """``persona`` runs ``/path`` with ``options`` in a channel; returns (and records) the bot's answer.

        ``shown`` overrides how an option's value is written in the transcript (a role by its name).
        """
        options = options or {}
        typed = {**{k: str(v) for k, v in options.items()}, **(shown or {})}
        detail = " ".join(f"{name}: {value}" for name, value in typed.items())
        self.transcript.add(Action(persona, f"used /{path} in #{self.channel(channel).name}", detail))
        handle = await self.double.invoke(
            path, user=self.member(persona), options=options, channel=self.channel(channel)
        )
        answer = await handle.message(timeout=WAIT)
        self.record(answer, viewer=persona if answer.ephemeral else None)
        return answer

    async def click(
        self, persona: Persona, message: Message, custom_id: str, *, on: str = "the message above"
    ) -> Message:
        """``persona`` presses the button ``custom_id`` on ``message`` (called ``on`` in the transcript);
        returns (and records) the bot's answer."""
        current = self.double.message(message.id)
        button = current.button(custom_id=custom_id)
        emoji = (button.get("emoji") or {}).get("name", "")
        label = " ".join(part for part in (emoji, button.get("label", "")) if part)
        self.transcript.add(Action(persona, f"pressed [{label}] on {on}"))
        handle = await self.double.click(current, custom_id, user=self.member(persona))
        answer = await handle.message(timeout=WAIT)
        private = answer.ephemeral or answer.channel_id not in self._channel_ids()  # or in their DMs
        self.record(answer, viewer=persona if private else None)
        return answer

    # -- waiting for what the bot does on its own ----------------------------------------------------

    async def channel_post(
        self, key: str, predicate: Callable[[Message], bool], *, after: int, caption: str | None = None
    ) -> Message:
        """Wait for the bot's post in channel ``key`` matching ``predicate``; record it as everyone saw it."""
        message = await self.double.wait_for_message(self.channel(key), predicate, after=after, timeout=WAIT)
        self.record(message, caption=caption)
        return message

    async def dm(
        self, persona: Persona, predicate: Callable[[Message], bool] | None = None, *, after: int
    ) -> Message:
        """Wait for the bot's direct message to ``persona``; record it as they saw it."""
        message = await self.double.wait_for_dm(self.member(persona), predicate, after=after, timeout=WAIT)
        self.record(message, viewer=persona)
        return message

    async def updated(
        self, message: Message, predicate: Callable[[Message], bool], *, caption: str
    ) -> Message:
        """Wait until the bot has edited ``message`` into what ``predicate`` accepts; record it."""
        current: Message = await self.double.wait_until(
            lambda d: d.message(message.id) if predicate(d.message(message.id)) else None,
            timeout=WAIT,
            what=caption,
        )
        self.record(current, caption=caption, at=self.now())
        return current

    # -- the web hub, as a visitor sees it -------------------------------------------------------------

    async def pictures(self, pages: Sequence[tuple[str, str, str, str]]) -> bool:
        """Open each page of the bot's web hub, ``(path, name, caption, zone)``, in headless Chromium at
        a laptop's width, as a visitor whose device is in ``zone`` (the page's script shows its times
        there), and record its picture, saved as ``hub/<name>.png`` next to the page. Without a
        Chromium (Debian's, as the browser tests drive it: tests/browser/ensure_chromium.sh installs it)
        or without Playwright, a note says so and the tour goes on: False."""
        try:
            from playwright.async_api import Error, async_playwright
        except ImportError:
            self.note("No pictures of the hub: Playwright is not installed (make demo installs it).")
            return False
        chromium = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))  # as tests/browser/page_check.py
        if not await asyncio.to_thread(chromium.exists):
            self.note(
                f"No pictures of the hub: there is no Chromium at {chromium} on this machine "
                "(tests/browser/ensure_chromium.sh installs Debian's). The hub was served all the same."
            )
            return False
        folder = self.directory / HUB_PICTURES
        await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
        shots: list[Screenshot] = []
        try:
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(executable_path=str(chromium), headless=True)
                try:
                    for path, name, caption, zone in pages:
                        context = await browser.new_context(
                            viewport={"width": 1280, "height": 860}, device_scale_factor=1, timezone_id=zone
                        )
                        page = await context.new_page()
                        url = self.config.web.url(path)
                        response = await page.goto(url, wait_until="load", timeout=WAIT * 1000)
                        if response is None or response.status != 200:
                            raise RuntimeError(f"{url} answered {response and response.status}")
                        await page.screenshot(path=str(folder / f"{name}.png"), timeout=WAIT * 1000)
                        await context.close()
                        shots.append(Screenshot(f"{HUB_PICTURES}/{name}.png", f"{name}.png", caption, url))
                finally:
                    await browser.close()
        except (Error, RuntimeError) as exc:
            first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            self.note(f"No pictures of the hub: Chromium could not show it ({first_line[:200]}).")
            return False
        for shot in shots:
            self.transcript.add(shot)
        return True

    # -- time and the bot process ---------------------------------------------------------------------

    async def advance_to(self, moment: datetime, *, why: str) -> None:
        """Move the bot's clock to ``moment``, letting whatever falls due before it settle first.

        Two steps, so timers due earlier (the shipped calendar's own reminders, say) are handled
        before the moment the scene is about, never batched into its messages.
        """
        start = self.now()
        early = moment - timedelta(minutes=1)
        if early > start:
            await self.double.advance_to(early)
            await self._settle()
        await self.double.advance_to(moment)
        span = _span(moment - start)
        self.transcript.add(
            Narration(
                f"Time moves forward {span} ({why}): it is now {moment_text(moment, self.transcript.reader)} "
                f"({self.transcript.reader.zone}).",
                "clock",
            )
        )

    async def _settle(self) -> None:
        """Wait (bounded) until the bot has handled every timer due by now."""
        now = utc_iso(self.now())

        def settled(_: FakeDiscord) -> bool:
            with contextlib.closing(sqlite3.connect(f"file:{self.database}?mode=ro", uri=True)) as conn:
                pending = conn.execute(
                    "SELECT count(*) FROM timers WHERE status = 'pending' AND due_at <= ?", (now,)
                ).fetchone()[0]
            return int(pending) == 0

        # A timer kind without a handler stays pending; the scene's own step still runs.
        with contextlib.suppress(TimeoutError):
            await self.double.wait_until(settled, timeout=SETTLE, what="due timers to be handled")

    async def restart_bot(self) -> None:
        self.transcript.add(
            Narration(
                "The bot process is stopped (SIGTERM) and started again. Its state lives in SQLite; "
                "the buttons it posted before carry only ids.",
                "system",
            )
        )
        await self.bot.restart()

    # -- the transcript ------------------------------------------------------------------------------

    def record(
        self,
        message: Message,
        *,
        viewer: Persona | None = None,
        caption: str | None = None,
        at: datetime | None = None,
    ) -> None:
        """Add ``message`` to the transcript as ``viewer`` (one member) or everyone in the cast saw it."""
        self._learn_names()
        in_guild = message.channel_id in self._channel_ids()
        kind: Literal["channel", "ephemeral", "dm"]
        if message.ephemeral:
            kind = "ephemeral"
        elif not in_guild:
            kind = "dm"
        else:
            kind = "channel"
        if kind != "channel" and viewer is None:
            raise ValueError("a private message needs its viewer")
        where = f"#{self.double.guild.channels[message.channel_id].name}" if in_guild else "Direct messages"
        self.transcript.add(
            Post(
                kind=kind,
                where=where,
                author=BOT_NAME,
                content=message.content,
                embeds=tuple(message.embeds),
                components=tuple(message.components),
                files=tuple(FileShown(a.filename, a.content_type, a.data) for a in message.attachments),
                at=at or self.double.clock.at(message.created_at),
                viewer=viewer if kind != "channel" else None,
                audience=self.cast.everyone() if kind == "channel" else (),
                caption=caption,
            )
        )

    def _channel_ids(self) -> set[int]:
        return set(self.double.guild.channels)

    def _learn_names(self) -> None:
        names = self.transcript.names
        guild = self.double.guild
        for role in guild.roles.values():
            names[f"@&{role.id}"] = role.name
        for channel in guild.channels.values():
            names[f"#{channel.id}"] = channel.name
        for key, member in self.cast.members.items():
            names[f"@{member.id}"] = self.cast.personas[key].name
        names[f"@{self.double.bot_user_id}"] = BOT_NAME


def _span(delta: timedelta) -> str:
    minutes = round(delta.total_seconds() / 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [
        f"{n} {unit}{'s' if n != 1 else ''}"
        for n, unit in ((days, "day"), (hours, "hour"), (minutes, "minute"))
        if n
    ]
    return " ".join(parts) or "a moment"


# ---- playing the whole tour ---------------------------------------------------------------------------


def _fresh_directory(directory: Path) -> None:
    """Remove what a previous tour left there (its database, log and config); create it if needed."""
    for stale in ("bot.db", "bot.db-wal", "bot.db-shm", "bot.log", "config.yml"):
        (directory / stale).unlink(missing_ok=True)
    for picture in (directory / HUB_PICTURES).glob("*.png"):
        picture.unlink()
    directory.mkdir(parents=True, exist_ok=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


REPO = Path(__file__).resolve().parents[2]


@dataclass
class TourResult:
    transcript: Transcript
    cast: Cast
    violations: list[str]


async def run_tour(directory: Path, *, reader_zone: str, scenes: Sequence[Scene] | None = None) -> TourResult:
    """Play ``scenes`` (default: all of ``tests.demo.scenes.SCENES``) in a fresh ``directory``."""
    if scenes is None:
        from tests.demo.scenes import SCENES

        scenes = SCENES
    await asyncio.to_thread(_fresh_directory, directory)
    double = FakeDiscord(guild_name="WIM Alliance").start()
    bot: BotProcess | None = None
    try:
        config = bot_config(directory, double)  # the shipped config.yml, guild id and database changed
        # The web hub on a free loopback port: the bot serves it while the tour plays.
        port = _free_port()
        config["web"] = {
            "enabled": True,
            "bind": "127.0.0.1",
            "port": port,
            "base_url": f"http://127.0.0.1:{port}",
        }
        config_path = directory / "config.yml"
        config_path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
        cast = seed_alliance(double, config)
        bot = BotProcess(double, config_path, directory / "bot.log")
        await bot.start()
        await double.wait_for_commands(timeout=START_TIMEOUT)
        transcript = Transcript(Reader(reader_zone))
        parsed = parse_config(config, base_dir=directory, environ={})
        tour = Tour(double, bot, cast, transcript, Path(config["database"]), parsed, directory)
        for scene in scenes:
            transcript.scenes.append(SceneLog(scene.key, scene.title, scene.summary))
            await scene.play(tour)
        await bot.stop()
        violations = [str(v) for v in double.violations]
        return TourResult(transcript, cast, violations)
    except BaseException:
        if bot is not None:
            print(f"----- bot log (tail) -----\n{bot.tail()}")
        raise
    finally:
        if bot is not None:
            await asyncio.to_thread(bot.stop_blocking)
        double.stop()
