"""Command line: ``wim-bot`` / ``python -m bot`` with run, check, backup, sync and docs.

Operators meet this first, so every failure they can fix (no token, a config mistake, a backup that
would overwrite a file) is one plain sentence on stderr and exit code 2 or 1, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import sys
import textwrap
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot import __version__
from bot.config import Config, ConfigError, load_config
from bot.timeutil import get_zone

if TYPE_CHECKING:
    import discord
    from discord import app_commands

    from bot.clock import Clock

EXIT_OK = 0
EXIT_FAILED = 1  # the action itself failed (or --check found a difference)
EXIT_USAGE = 2  # the operator must fix something first: token, config, database, arguments
EXIT_INTERRUPTED = 130  # Ctrl-C outside run (which stops cleanly with 0), as shells report SIGINT

DEFAULT_CONFIG = "config.yml"
DEFAULT_DOCS = Path("docs/commands.md")
UPCOMING_TIMERS_SHOWN = 10
PLACEHOLDER_GUILD_ID = 100000000000000000  # the id shipped in config.yml, to be replaced

# What the invite link asks for. Mention Everyone is deliberately absent: the bot pings a role only
# where a feature means to (e.g. the roundtable's audience role), which needs no such permission.
# discord.py flag -> the label the Developer Portal and Server Settings show.
# Create Events: since 23 February 2026 Discord requires it (not Manage Events alone) for a bot to
# create scheduled events (discord-api-docs change log, 2025-11-20).
INVITE_PERMISSIONS: dict[str, str] = {
    "manage_roles": "Manage Roles",
    "manage_channels": "Manage Channels",
    "manage_events": "Manage Events",
    "create_events": "Create Events",
    "view_channel": "View Channels",
    "send_messages": "Send Messages",
    "send_messages_in_threads": "Send Messages in Threads",
    "embed_links": "Embed Links",
    "attach_files": "Attach Files",
    "read_message_history": "Read Message History",
}
INVITE_SCOPES: tuple[str, ...] = ("bot", "applications.commands")


def invite_permissions() -> discord.Permissions:
    import discord

    return discord.Permissions(**dict.fromkeys(INVITE_PERMISSIONS, True))


def invite_url(application_id: str = "YOUR_APPLICATION_ID") -> str:
    return (
        f"https://discord.com/oauth2/authorize?client_id={application_id}"
        f"&scope={'+'.join(INVITE_SCOPES)}&permissions={invite_permissions().value}"
    )


def token_help() -> str:
    """What to do when DISCORD_TOKEN is missing: the whole set-up, since this is usually a first run."""
    grants = textwrap.fill(
        f"It grants: {', '.join(INVITE_PERMISSIONS.values())}.", width=96, subsequent_indent="     "
    )
    return f"""\
DISCORD_TOKEN is not set. The bot reads its Discord token from that environment variable only.

To create the bot and get a token:
  1. Open https://discord.com/developers/applications, click "New Application" and name it
     (for example "WIM Alliance").
  2. On the "Bot" page click "Reset Token" and copy the token. Keep it secret: anyone holding it
     controls the bot.
  3. Still on the "Bot" page, under "Privileged Gateway Intents", enable "Server Members Intent".
     The bot does not need the Message Content intent.
  4. Invite the bot to the Alliance's server with this link, after replacing YOUR_APPLICATION_ID
     with the Application ID from the "General Information" page:
       {invite_url()}
     {grants}
     Mention Everyone is not needed. In Server Settings > Roles, drag the bot's role above the
     roles it should manage.
  5. Put the token in the environment and start the bot:
       export DISCORD_TOKEN=...
       python -m bot run

Put the server id in guild_ids in config.yml, and check the configuration with: python -m bot check
More in README.md, "Creating the Discord application".
"""


# --- helpers ------------------------------------------------------------------------------------


class CliError(Exception):
    """A mistake the operator can fix: ``main`` prints the message (one line) and exits with ``code``."""

    def __init__(self, message: str, code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.code = code


def _err(message: str) -> None:
    print(message, file=sys.stderr)


def _os_reason(exc: OSError) -> str:
    """ "Permission denied" rather than "[Errno 13] Permission denied: '/x'" (the caller names the path)."""
    return exc.strerror or str(exc)


def _file_in_the_way(path: Path) -> Path | None:
    """The nearest existing ancestor of ``path`` when it is not a directory (a file where a folder
    must be), else None."""
    for ancestor in path.parents:
        if ancestor.exists():
            return None if ancestor.is_dir() else ancestor
    return None


def _make_directory(folder: Path, context: str) -> None:
    """Create ``folder`` with its parents, or say in one sentence why it cannot be."""
    blocking = folder if folder.exists() and not folder.is_dir() else _file_in_the_way(folder)
    if blocking is not None:
        raise CliError(f"{context}: {blocking} is a file, not a directory.")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CliError(f"{context}: cannot create the directory {folder}: {_os_reason(exc)}.") from None


def _config_path(args: argparse.Namespace) -> Path:
    """--config, else $BOT_CONFIG, else config.yml in the current directory."""
    given = getattr(args, "config", None)
    if given is not None and not given.strip():
        raise CliError(
            "--config needs the path of the config file, for example --config config.yml", EXIT_USAGE
        )
    chosen = given or os.environ.get("BOT_CONFIG", "").strip() or DEFAULT_CONFIG
    return Path(chosen)


def _load(args: argparse.Namespace) -> Config | None:
    path = _config_path(args)
    try:
        return load_config(path)
    except ConfigError as exc:
        _err(f"{path}: {exc}")
        return None


def _token() -> str | None:
    token = os.environ.get("DISCORD_TOKEN", "").strip()
    if not token:
        _err(token_help())
        return None
    return token


def _format_local(when: datetime, zone_name: str) -> str:
    """ "2026-11-30 08:00 UTC (Mon 2026-11-30 09:00 Europe/Paris)": both, since operators think locally."""
    local = when.astimezone(get_zone(zone_name))
    return f"{when.astimezone(UTC):%Y-%m-%d %H:%M} UTC ({local:%a %Y-%m-%d %H:%M} {zone_name})"


# --- run / sync ---------------------------------------------------------------------------------


def _run_discord(args: argparse.Namespace, *, sync_only: bool) -> int:
    token = _token()
    if token is None:
        return EXIT_USAGE
    config = _load(args)
    if config is None:
        return EXIT_USAGE
    from bot import runtime
    from bot.app import StartupError, run_bot

    _probe_database(config, _config_path(args))
    try:
        runtime.run(run_bot(config, token, sync_only=sync_only, clock=getattr(args, "clock", None)))
    except StartupError as exc:
        _err(str(exc))
        return EXIT_USAGE
    except KeyboardInterrupt:
        # run_bot stops cleanly on SIGINT itself; this covers a Ctrl-C during start-up.
        return EXIT_OK
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    return _run_discord(args, sync_only=False)


def cmd_sync(args: argparse.Namespace) -> int:
    return _run_discord(args, sync_only=True)


# --- check --------------------------------------------------------------------------------------


async def _check_report(config: Config, config_path: Path) -> list[str]:
    from bot.clock import SystemClock
    from bot.db import Database
    from bot.services.timers import TimerService

    clock = SystemClock()
    lines = [
        f"Config: {config_path} is valid ({len(config.guild_ids)} guild(s), "
        f"{len(config.working_groups)} working group(s), {len(config.calendar)} calendar entr"
        f"{'y' if len(config.calendar) == 1 else 'ies'}, language {config.language}, "
        f"time zone {config.timezone})",
    ]
    db = await Database.open(config.database)
    try:
        # Read only: the service is built to query, never started, so nothing fires from here.
        timers = TimerService(db, clock)
        lines.append(f"Database: {config.database} (schema version {await db.schema_version()})")
        lines.append(f"Pending timers: {await timers.pending_count()}")
        upcoming = await timers.upcoming(UPCOMING_TIMERS_SHOWN)
        if upcoming:
            lines.append(f"Next {len(upcoming)} timer(s):")
            lines.extend(
                f"  #{timer.id} {timer.kind}: {_format_local(timer.due_at, config.timezone)}"
                for timer in upcoming
            )
        else:
            lines.append("Next timers: none")
    finally:
        await db.close()
    digest = config.digest
    next_digest = digest.next_run(clock.now())
    lines.append(
        f"Next digest: {_format_local(next_digest, digest.timezone)}, "
        f"every {next_digest.astimezone(get_zone(digest.timezone)):%A at %H:%M} {digest.timezone}"
    )
    if PLACEHOLDER_GUILD_ID in config.guild_ids:
        lines.append(
            f"Warning: guild_ids still holds the placeholder {PLACEHOLDER_GUILD_ID}; put your server id there"
        )
    has_token = bool(os.environ.get("DISCORD_TOKEN", "").strip())
    lines.append(f"DISCORD_TOKEN: {'set' if has_token else 'not set (run and sync need it)'}")
    if has_token and set(config.guild_ids) - {PLACEHOLDER_GUILD_ID}:
        # Which role each configured name means, read over REST: names two roles carry are refused.
        from bot.core.guild_check import check_roles_over_rest

        token = os.environ["DISCORD_TOKEN"].strip()
        lines.extend(await check_roles_over_rest(config, token, skip={PLACEHOLDER_GUILD_ID}))
    return lines


def _database_problem(config: Config, config_path: Path, exc: BaseException) -> CliError:
    """What went wrong opening ``config.database``, in one line: a file in the way, a directory, a
    file that is not a database, a schema newer than this bot."""
    database = config.database
    if database.is_dir():
        reason = "it is a directory; database must name a file"
    elif (blocking := _file_in_the_way(database)) is not None:
        reason = f"{blocking} is a file, not a directory"
    elif isinstance(exc, OSError):
        reason = _os_reason(exc)
    else:
        reason = str(exc)
    return CliError(f"Database {database} (database in {config_path}): {reason}.", EXIT_USAGE)


def _precheck_database(config: Config, config_path: Path) -> int:
    """Open the database file with plain sqlite3 first: when aiosqlite fails to connect, its worker
    thread outlives the event loop and prints a traceback of its own after our message.
    Returns the database's schema version (0 for a new file)."""
    try:
        config.database.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(config.database)
        try:
            # "file is not a database" shows here
            return int(conn.execute("PRAGMA user_version").fetchone()[0])
        finally:
            conn.close()
    except (OSError, sqlite3.Error) as exc:
        raise _database_problem(config, config_path, exc) from None


def _probe_database(config: Config, config_path: Path) -> None:
    """Open the database (applying migrations) and close it, so run and sync report a database they
    cannot use before connecting to Discord, in one line. A database already at this bot's schema
    version has nothing to apply: the plain sqlite3 check is all it needs."""
    from bot.db import Database, load_migrations

    async def probe() -> None:
        await (await Database.open(config.database)).close()

    version = _precheck_database(config, config_path)
    try:
        if version == len(load_migrations()):
            return  # opening it here as well cost every start 9 ms (its threads, a loop)
        asyncio.run(probe())
    except (OSError, sqlite3.Error, RuntimeError) as exc:
        raise _database_problem(config, config_path, exc) from None


def cmd_check(args: argparse.Namespace) -> int:
    config = _load(args)
    if config is None:
        return EXIT_USAGE
    _precheck_database(config, _config_path(args))
    try:
        lines = asyncio.run(_check_report(config, _config_path(args)))
    except (OSError, sqlite3.Error, RuntimeError) as exc:
        raise _database_problem(config, _config_path(args), exc) from None
    print("\n".join(lines))
    return EXIT_OK


# --- backup -------------------------------------------------------------------------------------


BACKUP_NAME = "wim-bot-{now:%Y%m%d-%H%M%S}{suffix}.sqlite3"


def _backup_target(raw: str, now: datetime) -> Path:
    """Where ``backup DEST`` writes.

    A trailing slash or an existing directory means a directory: it is created (with its parents)
    and gets a timestamped file, never one that exists already, so the README's cron line works
    night after night. Anything else is the file to write; its missing parent directories are
    created. A file where a directory must be is a one-line error.
    """
    dest = Path(raw)
    if raw.endswith(("/", os.sep)) or dest.is_dir():
        _make_directory(dest, f"Backup destination {raw}")
        for attempt in range(1, 1000):
            suffix = "" if attempt == 1 else f"-{attempt}"
            target = dest / BACKUP_NAME.format(now=now, suffix=suffix)
            if not target.exists():
                return target
        raise CliError(f"Backup directory {dest}: too many backups named for {now:%Y-%m-%d %H:%M:%S}.")
    _make_directory(dest.parent, f"Backup destination {raw}")
    return dest


def _finish_copy(path: Path) -> int:
    """Make the copy one self-contained file and let SQLite check it; returns its schema version.

    The copy inherits WAL mode from the live database; switching it to a rollback journal means a
    backup is a single file with no -wal/-shm companions (the bot turns WAL back on when it opens it).
    """
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA journal_mode = DELETE")
        result = conn.execute("PRAGMA quick_check").fetchone()[0]
        if result != "ok":
            raise sqlite3.DatabaseError(f"the copy failed SQLite's check: {result}")
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    finally:
        conn.close()


def cmd_backup(args: argparse.Namespace) -> int:
    from bot.db import backup_database

    config = _load(args)
    if config is None:
        return EXIT_USAGE
    source = config.database
    if not source.exists():
        _err(f"No database at {source} (database in {_config_path(args)}): nothing to back up.")
        return EXIT_FAILED
    _precheck_database(config, _config_path(args))  # a directory or a file that is not SQLite
    dest = _backup_target(args.dest, datetime.now(UTC))
    if dest.resolve() == source.resolve():
        _err(f"{dest} is the live database itself; choose another destination.")
        return EXIT_USAGE
    if dest.exists() and not args.force:
        _err(f"{dest} already exists; refusing to overwrite it. Choose another name or add --force.")
        return EXIT_FAILED
    # Copy beside the destination, then rename: an interrupted backup never leaves a half file
    # under the real name, and --force never destroys the old backup before the new one is good.
    partial = dest.with_name(dest.name + ".partial")
    try:
        partial.unlink(missing_ok=True)
        backup_database(source, partial)
        version = _finish_copy(partial)
        os.replace(partial, dest)
    except (OSError, sqlite3.Error) as exc:
        for leftover in ("", "-wal", "-shm", "-journal"):
            partial.with_name(partial.name + leftover).unlink(missing_ok=True)
        reason = _os_reason(exc) if isinstance(exc, OSError) else str(exc)
        _err(f"Backup of {source} to {dest} failed: {reason}")
        return EXIT_FAILED
    print(f"Backed up {source} to {dest} ({dest.stat().st_size:,} bytes, schema version {version})")
    return EXIT_OK


# --- docs ---------------------------------------------------------------------------------------


OPTION_TYPES: dict[int, str] = {
    3: "text",
    4: "whole number",
    5: "yes/no",
    6: "member",
    7: "channel",
    8: "role",
    9: "member or role",
    10: "number",
    11: "file",
}
SUBCOMMAND, SUBCOMMAND_GROUP = 1, 2
CONTEXT_MENU_KINDS = {2: "member context menu (right-click a member > Apps)", 3: "message context menu"}
DOC_LANGUAGES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    # (label, catalog language, Discord locales carrying it, first found wins)
    ("English", "en", ()),
    ("Français", "fr", ("fr",)),
    ("Español", "es", ("es-ES", "es-419")),
)


def _md(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _localized(payload: dict[str, Any], field: str, locales: tuple[str, ...]) -> str:
    if not locales:
        return str(payload.get(field, ""))
    found = payload.get(f"{field}_localizations") or {}
    for locale in locales:
        if found.get(locale):
            return str(found[locale])
    return str(payload.get(field, ""))  # untranslated: Discord shows the default too


def _is_moderator_only(command: Any) -> bool:
    """A moderator_only() check anywhere from the command up to its root group."""
    while command is not None:
        for check in getattr(command, "checks", ()):
            if "moderator_only" in getattr(check, "__qualname__", ""):
                return True
        command = getattr(command, "parent", None)
    return False


def _permission_names(value: int) -> str:
    import discord

    names = [name.replace("_", " ").title() for name, granted in discord.Permissions(value) if granted]
    return ", ".join(names) or "none"


def _who(root_payload: dict[str, Any], command: Any) -> str:
    permissions = root_payload.get("default_member_permissions")
    hint = (
        f"hidden by default from members without: {_permission_names(int(permissions))}"
        if permissions is not None
        else ""
    )
    if _is_moderator_only(command) or permissions is not None:
        return "moderators" + (f" ({hint})" if hint else "")
    return "everyone"


def _visible_moderator_commands(
    leaves: list[tuple[tuple[str, ...], dict[str, Any], dict[str, Any], Any]],
) -> list[str]:
    """The sentence naming moderator commands Discord shows every member (their group also holds
    member commands, and Discord hides per top-level command only), or nothing when there are none."""
    visible = [
        f"`/{names[0]}`"
        for names, _, root_payload, command in leaves
        if _is_moderator_only(command) and root_payload.get("default_member_permissions") is None
    ]
    if not visible:
        return []
    return [
        "These moderator commands are therefore **visible to every member** in Discord's command list",
        f"(members who try them are refused): {', '.join(visible)}.",
    ]


def _option_type(option: dict[str, Any]) -> str:
    kind = OPTION_TYPES.get(int(option["type"]), f"type {option['type']}")
    limits = []
    if option.get("min_length") is not None or option.get("max_length") is not None:
        limits.append(f"{option.get('min_length', 0)}–{option.get('max_length', '…')} characters")
    if option.get("min_value") is not None or option.get("max_value") is not None:
        limits.append(f"{option.get('min_value', '…')} to {option.get('max_value', '…')}")
    if option.get("autocomplete"):
        limits.append("suggestions as you type")
    return kind + (f" ({', '.join(limits)})" if limits else "")


def _render_options(options: list[dict[str, Any]]) -> list[str]:
    if not options:
        return ["No options."]
    lines = [
        "| Option (en / fr / es) | Type | Required | Description |",
        "|---|---|---|---|",
    ]
    for option in options:
        names = " / ".join(f"`{_md(_localized(option, 'name', loc))}`" for _, _, loc in DOC_LANGUAGES)
        descriptions = "<br>".join(
            f"{lang}: {_md(_localized(option, 'description', loc))}" for _, lang, loc in DOC_LANGUAGES
        )
        choices = option.get("choices") or []
        if choices:
            rendered = "; ".join(
                " / ".join(_md(_localized(choice, "name", loc)) for _, _, loc in DOC_LANGUAGES)
                + f" (`{_md(choice['value'])}`)"
                for choice in choices
            )
            descriptions += f"<br>Choices: {rendered}"
        required = "yes" if option.get("required") else "no"
        lines.append(f"| {names} | {_md(_option_type(option))} | {required} | {descriptions} |")
    return lines


def _walk(
    command: Any, payload: dict[str, Any], root_payload: dict[str, Any], prefixes: tuple[str, ...]
) -> list[tuple[tuple[str, ...], dict[str, Any], dict[str, Any], Any]]:
    """Leaf commands as (full names per language, payload, root payload, command object)."""
    names = tuple(
        f"{prefix} {_localized(payload, 'name', loc)}".strip()
        for prefix, (_, _, loc) in zip(prefixes, DOC_LANGUAGES, strict=True)
    )
    children = [
        option for option in payload.get("options", []) if option["type"] in (SUBCOMMAND, SUBCOMMAND_GROUP)
    ]
    if not children:
        return [(names, payload, root_payload, command)]
    child_objects = list(getattr(command, "commands", []))
    leaves = []
    for index, child in enumerate(children):
        child_object = child_objects[index] if index < len(child_objects) else command
        leaves.extend(_walk(child_object, child, root_payload, names))
    return leaves


async def render_command_reference(tree: app_commands.CommandTree[Any]) -> str:
    """docs/commands.md from the command tree, through the same translator that syncs to Discord."""
    from discord import app_commands

    translator = tree.translator or app_commands.Translator()
    roots = sorted(
        tree.get_commands(), key=lambda command: (getattr(command, "type", None) is not None, command.name)
    )
    leaves = []
    for command in roots:
        payload = await command.get_translated_payload(tree, translator)
        leaves.extend(_walk(command, payload, payload, ("", "", "")))

    out = [
        "# Command reference",
        "",
        "<!-- Generated by `python -m bot docs` (make docs) from the bot's command tree: do not edit.",
        "     Change the command or its `cmd.*` catalog entries in bot/locales, then regenerate. -->",
        "",
        "Every slash command of the WIM Alliance bot, with its name and description in English,",
        "French and Spanish. Discord shows each member the names in their own Discord language.",
        "",
        "*Accents*: French and Spanish command and option names are written without accents or other",
        "diacritics (`/evenement creer`, `/a-propos`, the option `duracion`), because Discord's",
        "command search does not match a name typed without its accents and many members type on",
        "phones or English keyboards; descriptions and choice names keep their accents. The words",
        "follow [the glossary](GLOSSARY.md).",
        "",
        "*Who*: **everyone**, or **moderators** — the roles listed in `moderator_roles` (the Secretariat",
        "and the Steering Committee) and anyone with Manage Server. The bot checks the role every time a",
        "moderator command is used and refuses anyone else with a private message. Discord can hide",
        "commands from members only per top-level command (`default_permissions`); only a command",
        "marked *hidden by default* below is hidden by Discord.",
        *_visible_moderator_commands(leaves),
        "",
        "## Summary",
        "",
        "| Command | Who | What it does |",
        "|---|---|---|",
    ]
    for names, payload, root_payload, command in leaves:
        kind = CONTEXT_MENU_KINDS.get(int(root_payload.get("type") or 1))
        slash = "" if kind else "/"
        who = _who(root_payload, command).split(" (")[0]
        out.append(f"| `{slash}{_md(names[0])}` | {who} | {_md(payload.get('description') or kind or '')} |")
    for names, payload, root_payload, command in leaves:
        kind = CONTEXT_MENU_KINDS.get(int(root_payload.get("type") or 1))
        slash = "" if kind else "/"
        out += ["", f"## `{slash}{_md(names[0])}`", ""]
        if kind:
            out += [f"A {kind}.", "", "| Language | Name |", "|---|---|"]
            out += [
                f"| {label} | `{_md(name)}` |"
                for (label, _, _), name in zip(DOC_LANGUAGES, names, strict=True)
            ]
        else:
            out += ["| Language | Name | Description |", "|---|---|---|"]
            for (label, _, locales), name in zip(DOC_LANGUAGES, names, strict=True):
                description = _localized(payload, "description", locales)
                out.append(f"| {label} | `/{_md(name)}` | {_md(description)} |")
        out += ["", f"*Who*: {_who(root_payload, command)}"]
        if not kind:
            out += ["", *_render_options(list(payload.get("options", [])))]
    if not leaves:
        out += ["", "No commands are registered."]
    return "\n".join(out) + "\n"


async def generate_command_reference(config: Config) -> str:
    """The command reference for the bot ``config`` describes, from a bot that never logs in."""
    from bot.app import build_offline_bot

    bot = await build_offline_bot(config)
    try:
        return await render_command_reference(bot.tree)
    finally:
        await bot.close()
        await bot.db.close()


def cmd_docs(args: argparse.Namespace) -> int:
    config = _load(args)
    if config is None:
        return EXIT_USAGE
    output = Path(args.output)
    if output.is_dir():
        raise CliError(
            f"--output {output} is a directory; give a file path such as {output / 'commands.md'}."
        )
    text = asyncio.run(generate_command_reference(config))
    if args.check:
        try:
            current: str | None = output.read_text(encoding="utf-8")
        except FileNotFoundError:
            current = None
        except UnicodeDecodeError:
            current = None  # not even UTF-8: certainly not what the generator writes
        except OSError as exc:
            raise CliError(f"Cannot read {output}: {_os_reason(exc)}.") from None
        if current != text:
            _err(f"{output} is out of date with the commands; regenerate it with: python -m bot docs")
            return EXIT_FAILED
        print(f"{output} is up to date")
        return EXIT_OK
    _make_directory(output.parent, f"--output {output}")
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CliError(f"Cannot write {output}: {_os_reason(exc)}.") from None
    print(f"Wrote {output}")
    return EXIT_OK


# --- parser -------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    # --config is accepted before or after the subcommand; SUPPRESS keeps a subcommand's missing
    # option from overwriting one given before it.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help=f"configuration file (default: $BOT_CONFIG, else {DEFAULT_CONFIG})",
    )
    parser = argparse.ArgumentParser(
        prog="wim-bot",
        description="Discord bot of the International Women in Mining (WIM) Alliance.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", parents=[common], help="connect to Discord and serve (the default)")
    run.set_defaults(handler=cmd_run)

    check = sub.add_parser(
        "check", parents=[common], help="validate the config and show the database, timers and next digest"
    )
    check.set_defaults(handler=cmd_check)

    backup = sub.add_parser(
        "backup", parents=[common], help="copy the database consistently, even while the bot runs"
    )
    backup.add_argument("dest", metavar="DEST", help="file to create, or a directory for a timestamped file")
    backup.add_argument("--force", action="store_true", help="overwrite DEST if it exists")
    backup.set_defaults(handler=cmd_backup)

    sync = sub.add_parser("sync", parents=[common], help="push the slash commands to the configured guilds")
    sync.set_defaults(handler=cmd_sync)

    docs = sub.add_parser("docs", parents=[common], help="generate the command reference (docs/commands.md)")
    docs.add_argument("--output", metavar="PATH", default=str(DEFAULT_DOCS), help=f"default: {DEFAULT_DOCS}")
    docs.add_argument("--check", action="store_true", help="exit 1 if PATH differs from the generated text")
    docs.set_defaults(handler=cmd_docs)
    return parser


def main(argv: Sequence[str] | None = None, *, clock: Clock | None = None) -> int:
    """The program. ``clock`` is for the end-to-end test launcher only (``tests/double/launch_bot.py``):
    ``wim-bot`` and ``python -m bot`` never pass one, so the bot runs on the system clock."""
    parser = build_parser()
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    args.clock = clock
    handler = getattr(args, "handler", cmd_run)
    try:
        return int(handler(args))
    except CliError as exc:
        _err(str(exc))
        return exc.code
    except KeyboardInterrupt:
        _err("Interrupted.")
        return EXIT_INTERRUPTED
