"""The command line as an operator meets it: missing token, config mistakes, check and backup."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli import invite_permissions, invite_url, main
from bot.clock import SystemClock
from bot.db import Database

REPO_ROOT = Path(__file__).resolve().parent.parent
SHIPPED_DATABASE_LINE = 'database: "data/wim-bot.sqlite3"'


def config_copy(tmp_path: Path, *, replace: tuple[str, str] | None = None) -> Path:
    """The shipped config.yml with its database moved into tmp_path (and one optional edit)."""
    text = (REPO_ROOT / "config.yml").read_text(encoding="utf-8")
    assert SHIPPED_DATABASE_LINE in text
    text = text.replace(SHIPPED_DATABASE_LINE, f'database: "{tmp_path / "bot.sqlite3"}"')
    if replace is not None:
        assert replace[0] in text
        text = text.replace(*replace)
    path = tmp_path / "config.yml"
    path.write_text(text, encoding="utf-8")
    return path


def create_database(path: Path) -> None:
    async def create() -> None:
        await (await Database.open(path)).close()

    asyncio.run(create())


def run_cli(*args: str, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key not in ("DISCORD_TOKEN", "BOT_CONFIG")}
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


# --- run without a token ------------------------------------------------------------------------


def test_run_without_token_explains_the_setup_and_exits_2() -> None:
    result = run_cli("run")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "DISCORD_TOKEN is not set" in result.stderr
    assert "https://discord.com/developers/applications" in result.stderr
    assert "Server Members Intent" in result.stderr
    assert "scope=bot+applications.commands" in result.stderr
    assert f"permissions={invite_permissions().value}" in result.stderr
    assert "export DISCORD_TOKEN=" in result.stderr
    assert "Mention Everyone is not needed" in result.stderr
    assert result.stdout == ""


def test_no_subcommand_means_run() -> None:
    result = run_cli(env_extra={"DISCORD_TOKEN": "   "})  # blank counts as missing
    assert result.returncode == 2
    assert "DISCORD_TOKEN is not set" in result.stderr
    assert "Traceback" not in result.stderr


def test_invite_permissions_are_exactly_the_documented_ones() -> None:
    bits = {
        "Manage Channels": 4,
        "View Channels": 10,
        "Send Messages": 11,
        "Embed Links": 14,
        "Attach Files": 15,
        "Read Message History": 16,
        "Manage Roles": 28,
        "Manage Events": 33,
        "Send Messages in Threads": 38,
        "Create Events": 44,
    }
    assert invite_permissions().value == sum(1 << bit for bit in bits.values()) == 17875922439184
    assert not invite_permissions().mention_everyone
    assert not invite_permissions().administrator
    assert invite_url("123").startswith("https://discord.com/oauth2/authorize?client_id=123&")


# --- config errors ------------------------------------------------------------------------------


def test_bad_config_exits_2_naming_the_key(tmp_path: Path) -> None:
    path = config_copy(tmp_path, replace=('timezone: "UTC"\n', 'timezone: "Mars/Olympus"\n'))
    result = run_cli("run", "--config", str(path), env_extra={"DISCORD_TOKEN": "not-used"})
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"{path}: timezone: expected an IANA time zone")


def test_config_option_before_the_subcommand_and_bot_config_env(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = config_copy(tmp_path, replace=('language: "en"', 'language: "de"'))
    assert main(["--config", str(path), "check"]) == 2
    assert capsys.readouterr().err.strip() == f"{path}: language: expected one of en, fr, es, got 'de'"
    monkeypatch.setenv("BOT_CONFIG", str(path))
    assert main(["check"]) == 2
    assert capsys.readouterr().err.startswith(f"{path}: language:")


def test_missing_config_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nowhere.yml"
    assert main(["check", "--config", str(missing)]) == 2
    assert capsys.readouterr().err.strip() == f"{missing}: (file): no configuration file at {missing}; " + (
        "copy config.yml from the repository"
    )


def test_token_in_config_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = config_copy(tmp_path)
    path.write_text(path.read_text(encoding="utf-8") + 'token: "abc"\n', encoding="utf-8")
    assert main(["check", "--config", str(path)]) == 2
    assert "token: the bot token must never be in config.yml" in capsys.readouterr().err


# --- check --------------------------------------------------------------------------------------


async def test_check_reports_database_timers_and_next_digest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.services.timers import TimerService

    path = config_copy(tmp_path)
    db = await Database.open(tmp_path / "bot.sqlite3")
    try:
        timers = TimerService(db, SystemClock())
        soon = datetime.now(UTC) + timedelta(days=2)
        await timers.schedule("event.reminder", soon, {"event_id": 1})
        await timers.schedule("poll.close", soon + timedelta(hours=1), {"poll_id": 7})
    finally:
        await db.close()

    # main() runs its own event loop, so it goes to a worker thread from this async test.
    code = await asyncio.to_thread(main, ["check", "--config", str(path)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert f"Config: {path} is valid (1 guild(s), 4 working group(s), 4 calendar entries" in out
    assert "(schema version " in out
    assert "Pending timers: 2" in out
    assert "Next 2 timer(s):" in out
    reminder_line = next(line for line in out.splitlines() if "event.reminder" in line)
    assert f"{soon:%Y-%m-%d %H:%M} UTC" in reminder_line
    assert out.index("event.reminder") < out.index("poll.close")
    assert "Next digest: " in out
    assert "every Monday at 09:00 UTC" in out
    assert "Warning: guild_ids still holds the placeholder" in out


def test_check_on_a_fresh_database_creates_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = config_copy(tmp_path)
    assert main(["check", "--config", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Pending timers: 0" in out
    assert "Next timers: none" in out
    assert (tmp_path / "bot.sqlite3").exists()
    assert "DISCORD_TOKEN: not set" in out or "DISCORD_TOKEN: set" in out


# --- backup -------------------------------------------------------------------------------------


async def test_backup_copies_a_live_database_and_refuses_to_overwrite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = config_copy(tmp_path)
    dest = tmp_path / "backups" / "copy.sqlite3"
    db = await Database.open(tmp_path / "bot.sqlite3")
    try:
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO meta (key, value) VALUES ('before', 'backup')")

        keep_writing = True
        writing_started = asyncio.Event()

        async def writer() -> int:
            written = 0
            while keep_writing:
                async with db.transaction() as tx:
                    await tx.execute("INSERT INTO meta (key, value) VALUES (?, 'x')", (f"during-{written}",))
                written += 1
                writing_started.set()
                await asyncio.sleep(0)
            return written

        writing = asyncio.create_task(writer())
        await writing_started.wait()  # the backup starts while the bot's connection is writing
        code = await asyncio.to_thread(main, ["backup", "--config", str(path), str(dest)])
        keep_writing = False
        written = await writing
    finally:
        await db.close()

    out = capsys.readouterr().out
    assert code == 0
    assert written > 0
    assert out.startswith(f"Backed up {tmp_path / 'bot.sqlite3'} to {dest} (")
    assert f"({dest.stat().st_size:,} bytes, schema version " in out
    copy = sqlite3.connect(dest)
    try:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert copy.execute("SELECT value FROM meta WHERE key = 'before'").fetchone()[0] == "backup"
        assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    finally:
        copy.close()
    assert sorted(p.name for p in dest.parent.iterdir()) == ["copy.sqlite3"]

    original = dest.read_bytes()
    assert main(["backup", "--config", str(path), str(dest)]) == 1
    err = capsys.readouterr().err
    assert "already exists; refusing to overwrite it" in err
    assert "--force" in err
    assert dest.read_bytes() == original

    assert main(["backup", "--config", str(path), str(dest), "--force"]) == 0
    capsys.readouterr()
    forced = sqlite3.connect(dest)
    try:  # the forced copy has every row written during the first backup
        assert forced.execute("SELECT count(*) FROM meta WHERE key LIKE 'during-%'").fetchone()[0] == written
    finally:
        forced.close()


def test_backup_into_a_directory_gets_a_timestamped_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = config_copy(tmp_path)
    create_database(tmp_path / "bot.sqlite3")
    folder = tmp_path / "nightly"
    folder.mkdir()
    assert main(["backup", "--config", str(path), str(folder)]) == 0
    made = list(folder.iterdir())
    assert len(made) == 1
    assert made[0].name.startswith("wim-bot-") and made[0].suffix == ".sqlite3"
    assert str(made[0]) in capsys.readouterr().out


def test_backup_without_a_database_or_onto_itself(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = config_copy(tmp_path)
    assert main(["backup", "--config", str(path), str(tmp_path / "b.sqlite3")]) == 1
    assert "No database at" in capsys.readouterr().err
    assert not (tmp_path / "b.sqlite3").exists()
    create_database(tmp_path / "bot.sqlite3")
    assert main(["backup", "--config", str(path), str(tmp_path / "bot.sqlite3"), "--force"]) == 2
    assert "is the live database itself" in capsys.readouterr().err
