"""The command line as an operator meets it: missing token, config mistakes, check and backup."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

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
    # Commands that work from the checkout without an activated virtualenv.
    assert "make run" in result.stderr
    assert "make check" in result.stderr
    assert "python -m bot" not in result.stderr
    assert result.stdout == ""


def test_readme_and_config_commands_work_outside_the_virtualenv() -> None:
    """A bare ``python -m bot`` is the system Python, which has no bot installed: the docs give
    ``make ...`` or the virtualenv's own ``.venv/bin/wim-bot`` (the console script pyproject names)."""
    assert 'wim-bot = "bot.cli:main"' in (REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8")
    for name in ("README.md", "config.yml"):
        text = (REPO_ROOT / name).read_text(encoding="utf-8")
        bare = [line for line in text.splitlines() if re.search(r"(?<![/\w])python -m bot ", line)]
        assert bare == [], name
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert ".venv/bin/wim-bot backup /var/backups/wim-bot/" in readme


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


# --- run without a network ----------------------------------------------------------------------


def run_against(base: str, config: Path) -> subprocess.CompletedProcess[str]:
    """``run`` with discord.py's REST base URL at ``base`` (as tests/double/launch_bot.py points it)."""
    env = {key: value for key, value in os.environ.items() if key != "BOT_CONFIG"}
    env["DISCORD_TOKEN"] = "never-accepted"
    program = (
        "import sys, discord.http\n"
        "discord.http.Route.BASE = sys.argv[1]\n"
        "from bot.cli import main\n"
        "raise SystemExit(main(['run', '--config', sys.argv[2]]))\n"
    )
    return subprocess.run(
        [sys.executable, "-c", program, base, str(config)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("host", "why"),
    [
        pytest.param("127.0.0.1", "the connection was refused", id="connection-refused"),
        pytest.param("discord.invalid", "its name does not resolve", id="dns-failure"),
    ],
)
def test_run_without_a_network_is_one_line_naming_the_host(tmp_path: Path, host: str, why: str) -> None:
    # A socket bound but not listening: connecting to its port is refused, and no other test can
    # start listening there meanwhile. ".invalid" never resolves (RFC 2606).
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        result = run_against(f"http://{host}:{port}/api/v10", config_copy(tmp_path))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        f"Discord could not be reached at {host} ({why}). Check that this machine is online; "
        "a proxy or firewall may be blocking it."
    )
    # What precedes it is the bot's own log (start, stop), not aiohttp's stack.
    assert len(result.stderr.strip().splitlines()) < 10


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


async def test_check_reports_database_timers_next_digest_and_what_the_server_needs(
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
    assert "Warning: guild_ids still holds the placeholder" in out
    # The next weekly digest, in UTC and in its own zone (config.yml: Monday 09:00 UTC).
    digest_line = next(line for line in out.splitlines() if line.startswith("Next digest: "))
    assert "(#weekly-digest), every Monday at 09:00 UTC" in digest_line
    assert " 09:00 UTC (Mon " in digest_line


def test_check_lists_the_channels_and_roles_of_the_guild_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """What a newcomer must create, from the same tables verify_guild checks at start."""
    from bot.config import load_config
    from bot.core.guild_needs import PERMISSION_LABELS, REQUIRED_PERMISSIONS, channel_needs, role_needs

    path = config_copy(tmp_path)
    assert main(["check", "--config", str(path)]) == 0
    out = capsys.readouterr().out
    config = load_config(path)
    assert f"The bot's role, from the invite link: {', '.join(PERMISSION_LABELS.values())}" in out
    assert set(REQUIRED_PERMISSIONS) == set(PERMISSION_LABELS)
    lines = out.splitlines()
    for channel in channel_needs(config):
        line = next(line for line in lines if line.startswith(f"    #{channel.name}: "))
        assert "View Channels, Send Messages, Embed Links" in line
        assert channel.key in line
    assert "    #announcements: View Channels, Send Messages, Embed Links (channels.announcements: " in out
    assert "    #mod-log: " in out
    for role in role_needs(config):
        line = next(line for line in lines if line.startswith(f"    {role.role!r} ("))
        assert role.key in line
    assert "    'Secretariat' (moderator_roles: moderates the bot)" in out
    leaders = next(line for line in lines if line.startswith("    'WIM Leaders' ("))
    assert "calendar[thematic-roundtable].audience_role" in leaders
    assert "directory.leaders_role" in leaders
    assert "'Working Groups – Archive'" in out


def test_check_never_creates_the_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = config_copy(tmp_path)
    assert main(["check", "--config", str(path)]) == 0
    out = capsys.readouterr().out
    assert (
        f"Database: {tmp_path / 'bot.sqlite3'} does not exist yet; the bot creates it when it starts" in out
    )
    assert "Pending timers: 0" in out
    assert "Next timers: none" in out
    assert list(tmp_path.iterdir()) == [path]
    assert "DISCORD_TOKEN: not set" in out or "DISCORD_TOKEN: set" in out


def database_at_previous_schema(path: Path) -> int:
    """A database as the previous version of the bot left it (WAL mode, every migration but the
    last, a pending timer); returns that schema version."""
    from bot.migrations import load_migrations

    migrations = load_migrations()
    previous = len(migrations) - 1
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        script = "\n".join(sql for _, _, sql in migrations[:previous])
        conn.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {previous};\nCOMMIT;")
    finally:
        conn.close()
    return previous


def test_check_of_a_database_with_pending_migrations_reports_them_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.migrations import load_migrations

    path = config_copy(tmp_path)
    database = tmp_path / "bot.sqlite3"
    previous = database_at_previous_schema(database)
    before = database.read_bytes()
    files_before = sorted(tmp_path.iterdir())
    assert main(["check", "--config", str(path)]) == 0
    out = capsys.readouterr().out
    assert (
        f"Database: {database} is at schema version {previous}, this version of the bot has "
        f"{len(load_migrations())}: the migrations run when the bot starts, after a copy of the file "
        f"(bot.sqlite3.schema-{previous}.bak)"
    ) in out
    assert database.read_bytes() == before
    assert sorted(tmp_path.iterdir()) == files_before  # no -wal, -shm or backup either


def database_files(folder: Path) -> dict[str, bytes]:
    return {file.name: file.read_bytes() for file in folder.iterdir() if file.name != "config.yml"}


async def test_check_while_the_bot_has_the_database_open_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = config_copy(tmp_path)
    database = tmp_path / "bot.sqlite3"
    db = await Database.open(database)
    try:
        from bot.services.timers import TimerService

        await TimerService(db, SystemClock()).schedule(
            "event.reminder", datetime.now(UTC) + timedelta(days=1), {}
        )
        before = database_files(tmp_path)
        code = await asyncio.to_thread(main, ["check", "--config", str(path)])
        after = database_files(tmp_path)
    finally:
        await db.close()
    out = capsys.readouterr().out
    assert code == 0, out
    assert "Pending timers: 1" in out
    assert set(after) == set(before)
    assert after["bot.sqlite3"] == before["bot.sqlite3"]
    assert after["bot.sqlite3-wal"] == before["bot.sqlite3-wal"]


def test_starting_with_pending_migrations_backs_the_database_up_first(tmp_path: Path) -> None:
    from bot.migrations import load_migrations

    path = config_copy(tmp_path)
    database = tmp_path / "bot.sqlite3"
    previous = database_at_previous_schema(database)
    with socket.socket() as closed:  # the start stops at Discord, after the migrations
        closed.bind(("127.0.0.1", 0))
        result = run_against(f"http://127.0.0.1:{closed.getsockname()[1]}/api/v10", path)
    assert result.returncode == 2, result.stderr
    backup = tmp_path / f"bot.sqlite3.schema-{previous}.bak"
    assert (
        f"Database {database}: copied to {backup} before migrating it from schema version {previous} "
        f"to {len(load_migrations())}"
    ) in result.stdout
    conn = sqlite3.connect(backup)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == previous
        assert conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
    finally:
        conn.close()
    conn = sqlite3.connect(database)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(load_migrations())
    finally:
        conn.close()
    # A second start has nothing to migrate: no second copy.
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        again = run_against(f"http://127.0.0.1:{closed.getsockname()[1]}/api/v10", path)
    assert "copied to" not in again.stdout
    assert sorted(file.name for file in tmp_path.glob("*.bak")) == [backup.name]


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


# --- every command with bad paths: one line, a documented exit code, never a traceback -----------


def bad_config_paths(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """Each wrong --config an operator can give, with a fragment of the message it must get."""
    a_file = tmp_path / "a-file"
    a_file.write_text("not a directory\n", encoding="utf-8")
    folder = tmp_path / "a-folder"
    folder.mkdir()
    not_yaml = tmp_path / "not-yaml.yml"
    not_yaml.write_text("guild_ids: [1\n  oops: {\n", encoding="utf-8")
    binary = tmp_path / "binary.yml"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00")
    scalar = tmp_path / "scalar.yml"
    scalar.write_text("just some words\n", encoding="utf-8")
    duplicate = config_copy(tmp_path, replace=('language: "en"\n', 'language: "en"\nlanguage: "fr"\n'))
    return {
        "missing": (tmp_path / "nowhere.yml", "no configuration file at"),
        "directory": (folder, "is a directory; give the path of the config.yml file"),
        "under a file": (a_file / "config.yml", "cannot read"),
        "not yaml": (not_yaml, "expected valid YAML; the parser stopped at line"),
        "not text": (binary, "expected UTF-8 text"),
        "not a mapping": (scalar, "(top level)"),
        "duplicate key": (duplicate, "language: written twice, on lines"),
    }


COMMANDS: dict[str, list[str]] = {
    "run": ["run"],
    "check": ["check"],
    "backup": ["backup", "{tmp}/backups/"],
    "sync": ["sync"],
    "docs": ["docs", "--output", "{tmp}/commands.md"],
}


def assert_one_clean_line(err: str, fragment: str) -> None:
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert fragment in lines[0], err


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_command_with_a_bad_config_path_exits_2_in_one_line(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "never-used")  # run and sync stop at the config, offline
    for case, (config, fragment) in bad_config_paths(tmp_path).items():
        argv = [arg.format(tmp=tmp_path) for arg in COMMANDS[command]]
        assert main([*argv, "--config", str(config)]) == 2, case
        captured = capsys.readouterr()
        assert_one_clean_line(captured.err, fragment)
        assert captured.err.startswith(f"{config}: "), case
        assert captured.out == "", case
    assert not (tmp_path / "backups").exists()
    assert not (tmp_path / "commands.md").exists()


def test_an_unreadable_config_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = config_copy(tmp_path)
    if os.geteuid() == 0:  # root reads a mode-000 file: make the read itself fail
        real_read_text = Path.read_text

        def refuse(self: Path, *args: Any, **kwargs: Any) -> str:
            if self == path:
                raise PermissionError(13, "Permission denied", str(self))
            return real_read_text(self, *args, **kwargs)

        monkeypatch.setattr(Path, "read_text", refuse)
    else:
        path.chmod(0)
    assert main(["check", "--config", str(path)]) == 2
    assert_one_clean_line(capsys.readouterr().err, f"{path}: (file): cannot read {path}: Permission denied")


def test_a_database_that_cannot_be_opened_is_one_line_for_check_run_and_sync(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "never-used")  # the database is refused before any login
    a_file = tmp_path / "a-file"
    a_file.write_text("x", encoding="utf-8")
    folder = tmp_path / "a-folder"
    folder.mkdir()
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"this is not an SQLite database, not even close" * 100)
    cases = {
        str(a_file / "bot.sqlite3"): f"{a_file} is a file, not a directory",
        str(folder): "it is a directory; database must name a file",
        str(garbage): "file is not a database",
    }
    for database, fragment in cases.items():
        config = config_copy(
            tmp_path, replace=(f'database: "{tmp_path / "bot.sqlite3"}"', f'database: "{database}"')
        )
        for command in ("check", "run", "sync"):
            assert main([command, "--config", str(config)]) == 2, (database, command)
            captured = capsys.readouterr()
            assert_one_clean_line(captured.err, f"Database {database} (database in {config}): {fragment}")
    assert garbage.read_bytes().startswith(b"this is not an SQLite database")


def test_a_database_newer_than_the_bot_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = config_copy(tmp_path)
    create_database(tmp_path / "bot.sqlite3")
    conn = sqlite3.connect(tmp_path / "bot.sqlite3")
    conn.execute("PRAGMA user_version = 9999")
    conn.close()
    assert main(["check", "--config", str(path)]) == 2
    assert_one_clean_line(capsys.readouterr().err, "newer than this bot")


def test_the_readme_cron_line_works_night_after_night(tmp_path: Path) -> None:
    """The README's `backup /var/backups/wim-bot/` with that directory not there yet, twice."""
    path = config_copy(tmp_path)
    create_database(tmp_path / "bot.sqlite3")
    nightly = tmp_path / "var" / "backups" / "wim-bot"
    for night in (1, 2):
        result = run_cli("backup", "--config", str(path), f"{nightly}/")
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr
        made = sorted(nightly.iterdir())
        assert len(made) == night  # a new file each time, even within the same second
        assert all(p.name.startswith("wim-bot-") and p.suffix == ".sqlite3" for p in made)
        assert str(made[-1]) in result.stdout or str(made[0]) in result.stdout
    for copy in made:
        conn = sqlite3.connect(copy)
        try:
            assert conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
        finally:
            conn.close()


def test_backup_into_a_new_directory_without_slash_is_a_file_and_parents_are_created(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = config_copy(tmp_path)
    create_database(tmp_path / "bot.sqlite3")
    dest = tmp_path / "new" / "deeper" / "latest.sqlite3"
    assert main(["backup", "--config", str(path), str(dest)]) == 0
    assert dest.is_file()
    assert f"to {dest} (" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("dest", "fragment"),
    [
        ("{file}/x.sqlite3", "Backup destination {file}/x.sqlite3: {file} is a file, not a directory."),
        (
            "{file}/deeper/x.sqlite3",
            "Backup destination {file}/deeper/x.sqlite3: {file} is a file, not a directory.",
        ),
        ("{file}/", "Backup destination {file}/: {file} is a file, not a directory."),
        ("{file}/sub/", "Backup destination {file}/sub/: {file} is a file, not a directory."),
    ],
)
def test_backup_under_a_file_is_one_line_exit_1(tmp_path: Path, dest: str, fragment: str) -> None:
    path = config_copy(tmp_path)
    create_database(tmp_path / "bot.sqlite3")
    a_file = tmp_path / "wim-bot"
    a_file.write_text("the first night's backup, written as a file\n", encoding="utf-8")
    result = run_cli("backup", "--config", str(path), dest.format(file=a_file))
    assert result.returncode == 1
    assert result.stdout == ""
    assert_one_clean_line(result.stderr, fragment.format(file=a_file))
    assert a_file.read_text(encoding="utf-8") == "the first night's backup, written as a file\n"


def test_backup_into_a_directory_it_cannot_create(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = config_copy(tmp_path)
    create_database(tmp_path / "bot.sqlite3")

    dest = tmp_path / "root-only" / "wim-bot"
    real_mkdir = Path.mkdir

    def refuse(self: Path, *args: Any, **kwargs: Any) -> None:
        if self == dest:  # as for a directory only root may write in (tests may run as root)
            raise PermissionError(13, "Permission denied", str(self))
        real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", refuse)
    assert main(["backup", "--config", str(path), f"{dest}/"]) == 1
    assert_one_clean_line(capsys.readouterr().err, f"cannot create the directory {dest}: Permission denied.")


def test_docs_output_in_the_way(tmp_path: Path) -> None:
    """docs --output: a directory, a path under a file, and --check of a path under a file."""
    config = REPO_ROOT / "config.yml"
    a_file = tmp_path / "a-file"
    a_file.write_text("keep me\n", encoding="utf-8")
    folder = tmp_path / "docs"
    folder.mkdir()
    cases = [
        (["--output", str(folder)], f"--output {folder} is a directory; give a file path such as"),
        (["--output", f"{a_file}/commands.md"], f"--output {a_file}/commands.md: {a_file} is a file"),
        (
            ["--output", f"{a_file}/commands.md", "--check"],
            f"Cannot read {a_file}/commands.md: Not a directory.",
        ),
    ]
    for extra, fragment in cases:
        result = run_cli("docs", "--config", str(config), *extra)
        assert result.returncode == 1, result.stderr
        assert_one_clean_line(result.stderr, fragment)
    assert a_file.read_text(encoding="utf-8") == "keep me\n"
    assert list(folder.iterdir()) == []


def test_docs_check_of_a_binary_file_is_stale(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    output = tmp_path / "commands.md"
    output.write_bytes(b"\xff\xfe\x00 not text")
    assert main(["docs", "--config", str(REPO_ROOT / "config.yml"), "--output", str(output), "--check"]) == 1
    assert_one_clean_line(capsys.readouterr().err, "is out of date with the commands")


def test_backup_of_a_database_that_is_not_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "a-folder"
    folder.mkdir()
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"not SQLite" * 500)
    cases = {folder: "it is a directory; database must name a file", garbage: "file is not a database"}
    for database, fragment in cases.items():
        config = config_copy(
            tmp_path, replace=(f'database: "{tmp_path / "bot.sqlite3"}"', f'database: "{database}"')
        )
        assert main(["backup", "--config", str(config), f"{tmp_path}/out/"]) == 2
        assert_one_clean_line(
            capsys.readouterr().err, f"Database {database} (database in {config}): {fragment}"
        )
    assert not (tmp_path / "out").exists()


def test_an_empty_config_option_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--config", ""]) == 2
    assert_one_clean_line(capsys.readouterr().err, "--config needs the path of the config file")
