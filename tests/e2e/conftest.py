"""End-to-end fixtures: the local Discord double, a seeded guild, and the real bot as a separate process.

See tests/double/README.md ("E2E fixtures") for how tests use them.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pluggy
import pytest
import yaml

from tests.double import Channel, FakeDiscord, Member, Perm, Role

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT = 60.0
FRENCH_CHANNEL = "annonces"
STOP_TIMEOUT = 10.0

MODERATOR_PERMISSIONS = Perm.MANAGE_EVENTS | Perm.MANAGE_MESSAGES | Perm.MODERATE_MEMBERS


@dataclass
class Seed:
    """The seeded guild. Names follow the config written for the bot."""

    secretariat: Role
    steering_committee: Role
    roles: dict[str, Role]
    announcements: Channel
    digest: Channel
    mod_log: Channel
    channels: dict[str, Channel]
    member_en: Member
    member_fr: Member
    member_es: Member
    moderator: Member
    moderator_fr: Member
    dms_closed: Member
    bot_role: Role


def bot_config(tmp_dir: Path, double: FakeDiscord) -> dict[str, Any]:
    """The repository's config.yml with only guild_ids and database overridden."""
    source = REPO / "config.yml"
    config: dict[str, Any] = {}
    if source.exists():
        loaded = yaml.safe_load(source.read_text(encoding="utf-8"))
        if isinstance(loaded, dict):
            config = loaded
    config["guild_ids"] = [double.guild_id]
    config["database"] = str(tmp_dir / "bot.db")
    # A channel for French-speaking members: its public posts speak French (tests/e2e/test_event_language.py).
    config["channel_languages"] = {**(config.get("channel_languages") or {}), FRENCH_CHANNEL: "fr"}
    return config


def _names(config: dict[str, Any]) -> tuple[list[str], dict[str, str], list[str], list[str]]:
    """(moderator role names, channels key->name, extra channel names, extra role names) from the config."""
    moderators = [r for r in config.get("moderator_roles") or [] if isinstance(r, str)]
    if not moderators:
        moderators = ["Secretariat", "Steering Committee"]
    while len(moderators) < 2:
        moderators.append("Steering Committee" if "Steering Committee" not in moderators else "Moderators")
    channels = {"announcements": "announcements", "digest": "digest", "mod_log": "mod-log"}
    for key, value in (config.get("channels") or {}).items():
        if isinstance(value, str):
            channels[key] = value
    extra_channels: list[str] = []
    extra_roles: list[str] = []
    extra_channels += [name for name in config.get("channel_languages") or {} if isinstance(name, str)]
    for entry in config.get("calendar") or []:
        if isinstance(entry, dict):
            if isinstance(entry.get("channel"), str):
                extra_channels.append(entry["channel"])
            if isinstance(entry.get("audience_role"), str):
                extra_roles.append(entry["audience_role"])
    return moderators, channels, extra_channels, extra_roles


def invite_permissions() -> int:
    """What the operator grants through the bot's own invite link (bot.cli), else the double's default."""
    try:
        from bot.cli import invite_permissions as bot_invite_permissions
    except ImportError:
        return Perm.BOT_DEFAULT
    return int(bot_invite_permissions().value)


def seed_guild(double: FakeDiscord, config: dict[str, Any]) -> Seed:
    moderators, channel_names, extra_channels, extra_roles = _names(config)
    double.set_bot_permissions(invite_permissions())
    roles = {name: double.add_role(name, MODERATOR_PERMISSIONS) for name in moderators}
    for name in extra_roles:
        if name not in roles:
            # Audience roles are mentionable, as the README's set-up asks, so reminders notify them.
            roles[name] = double.add_role(name, mentionable=True)
    secretariat, steering = roles[moderators[0]], roles[moderators[1]]
    everyone = double.everyone_role
    channels: dict[str, Channel] = {}
    for key, name in channel_names.items():
        overwrites: list[tuple[Role | Member, int, int]] = []
        if key == "announcements":
            overwrites = [(everyone, 0, Perm.SEND_MESSAGES), (double.bot_role, Perm.SEND_MESSAGES, 0)]
        elif key == "mod_log":
            overwrites = [(everyone, 0, Perm.VIEW_CHANNEL), (double.bot_role, Perm.VIEW_CHANNEL, 0)]
            overwrites += [(roles[m], Perm.VIEW_CHANNEL, 0) for m in moderators]
        channels[key] = double.add_text_channel(name, overwrites=overwrites)
    for name in extra_channels:
        if name not in {c.name for c in channels.values()}:
            channels[name] = double.add_text_channel(name)
    channels.setdefault("general", double.add_text_channel("general"))
    return Seed(
        secretariat=secretariat,
        steering_committee=steering,
        roles=roles,
        announcements=channels["announcements"],
        digest=channels["digest"],
        mod_log=channels["mod_log"],
        channels=channels,
        member_en=double.add_member("ada", locale="en-US"),
        member_fr=double.add_member("margaux", locale="fr"),
        member_es=double.add_member("lucia", locale="es-ES"),
        moderator=double.add_member("sam-secretariat", [secretariat], locale="en-US"),
        moderator_fr=double.add_member("claire-steering", [steering], locale="fr"),
        dms_closed=double.add_member("quiet", locale="en-US", dms_closed=True),
        bot_role=double.bot_role,
    )


class BotProcess:
    """The real bot (``python -m tests.double.launch_bot run --config ...``) as a child process.

    Blocking methods end in ``_blocking``; tests await the async ones, which run them in a thread.
    """

    def __init__(self, double: FakeDiscord, config_path: Path, log_path: Path) -> None:
        self.double = double
        self.config_path = config_path
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def returncode(self) -> int | None:
        return None if self.proc is None else self.proc.poll()

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def log_size(self) -> int:
        return self.log_path.stat().st_size if self.log_path.exists() else 0

    def start_blocking(self, *, timeout: float = START_TIMEOUT) -> None:
        """Start the bot and return once it identified and its session is ready; fail fast if it exits."""
        if self.running:
            raise RuntimeError("the bot is already running")
        identifies = self.double.gateway_stats().identifies
        env = {
            **os.environ,
            "DISCORD_TOKEN": self.double.token,
            "WIM_DOUBLE_PORT": str(self.double.port),
            "PYTHONUNBUFFERED": "1",
        }
        env.pop("BOT_CONFIG", None)
        self.starts += 1
        with self.log_path.open("ab") as log:
            log.write(f"\n===== bot start #{self.starts} ({time.strftime('%H:%M:%S')}) =====\n".encode())
            log.flush()
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "tests.double.launch_bot", "run", "--config", str(self.config_path)],
                cwd=REPO,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        proc = self.proc

        def ready() -> bool:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"the bot exited with code {proc.returncode} while starting:\n{self.tail()}"
                )
            gateway = self.double.gateway
            return gateway.identifies > identifies and gateway.active_session() is not None

        self.double.wait_blocking(ready, timeout, "the bot to connect (IDENTIFY + READY)", extra=self.tail)

    def stop_blocking(self, *, timeout: float = STOP_TIMEOUT) -> int | None:
        """SIGTERM, then SIGKILL if it has not exited within ``timeout``."""
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return self.returncode
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=timeout)
        self._wait_disconnected()
        return proc.returncode

    def kill_blocking(self) -> None:
        """A crash: SIGKILL, no chance to clean up."""
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        proc.kill()
        proc.wait(timeout=STOP_TIMEOUT)
        self._wait_disconnected()

    def _wait_disconnected(self) -> None:
        self.double.wait_blocking(
            lambda: self.double.gateway.active_session() is None, STOP_TIMEOUT, "the bot's socket to close"
        )

    def wait_logged_blocking(self, text: str, *, timeout: float = START_TIMEOUT) -> None:
        """Until the bot's log holds ``text`` (polled: the double sees no change to wake a wait on)."""
        deadline = time.monotonic() + timeout
        while text not in self.log_text():
            if not self.running:
                raise RuntimeError(f"the bot exited before logging {text!r}:\n{self.tail()}")
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"timed out after {timeout}s waiting for the log line {text!r}:\n{self.tail()}"
                )
            time.sleep(0.02)

    def restart_blocking(self) -> None:
        self.stop_blocking()
        self.start_blocking()

    def tail(self, lines: int = 60) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    async def start(self) -> None:
        await asyncio.to_thread(self.start_blocking)

    async def stop(self) -> int | None:
        return await asyncio.to_thread(self.stop_blocking)

    async def kill(self) -> None:
        await asyncio.to_thread(self.kill_blocking)

    async def restart(self) -> None:
        await asyncio.to_thread(self.restart_blocking)

    async def wait_logged(self, text: str) -> None:
        await asyncio.to_thread(self.wait_logged_blocking, text)


@dataclass
class DiscordEnv:
    double: FakeDiscord
    seed: Seed
    bot: BotProcess
    config: dict[str, Any]
    config_path: Path
    directory: Path

    def close(self) -> None:
        try:
            self.bot.stop_blocking()
        finally:
            self.double.stop()


def make_env(directory: Path) -> DiscordEnv:
    directory.mkdir(parents=True, exist_ok=True)
    double = FakeDiscord().start()
    try:
        config = bot_config(directory, double)
        config_path = directory / "config.yml"
        config_path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
        seed = seed_guild(double, config)
        bot = BotProcess(double, config_path, directory / "bot.log")
        env = DiscordEnv(double, seed, bot, config, config_path, directory)
        bot.start_blocking()
        double.wait_blocking(
            lambda: double.registered_commands() or None,
            START_TIMEOUT,
            "the bot to register its guild commands",
        )
        # The bot records what it synced only after Discord answered the PUT (bot.core.bot): a test
        # that restarts it before then would see a second, needless sync.
        bot.wait_logged_blocking(
            f"Synced {len(double.registered_commands())} commands to guild {double.guild_id}"
        )
    except BaseException:
        if "bot" in locals():
            bot.stop_blocking()
        double.stop()
        raise
    return env


# ---- pytest wiring ----------------------------------------------------------------------------------


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pluggy.Result[pytest.TestReport], None]:
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "allow_violations: the test expects the double to record violations")


@pytest.fixture(scope="module")
def _module_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DiscordEnv]:
    """One double and bot per test module: its tests see what the module's earlier tests left, never
    what another module's did, whatever modules ran before or beside it (make test's workers,
    tests/parallel.py, give a module that uses it to one worker, in file order)."""
    env = make_env(tmp_path_factory.mktemp("discord-env"))
    yield env
    env.close()


def _guard(request: pytest.FixtureRequest, env: DiscordEnv) -> Iterator[DiscordEnv]:
    """Per test: fail on new violations; print the bot's log of this test if it failed."""
    checkpoint = env.double.checkpoint()
    log_start = env.bot.log_size()
    yield env
    node = request.node
    failed = any(getattr(getattr(node, f"rep_{when}", None), "failed", False) for when in ("setup", "call"))
    if failed:
        with env.bot.log_path.open("rb") as log:
            log.seek(min(log_start, env.bot.log_size()))
            print(f"----- bot log during {node.name} -----\n" + log.read().decode(errors="replace"))
    if not failed and request.node.get_closest_marker("allow_violations") is None:
        env.double.assert_clean(checkpoint)


@pytest.fixture
def discord_env(request: pytest.FixtureRequest, _module_env: DiscordEnv) -> Iterator[DiscordEnv]:
    """The module-wide double + bot. If a previous test stopped the bot, it is started again."""
    if not _module_env.bot.running:
        _module_env.bot.start_blocking()
    yield from _guard(request, _module_env)


@pytest.fixture
def isolated_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DiscordEnv]:
    """A fresh double, guild and bot process with its own database (for restart/kill tests)."""
    env = make_env(tmp_path / "discord-env")
    try:
        yield from _guard(request, env)
    finally:
        env.close()
