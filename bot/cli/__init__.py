"""Command line: ``wim-bot`` / ``python -m bot`` with run, check, backup, sync, docs and newsletter.

Operators meet this first, so every failure they can fix (no token, a config mistake, a backup that
would overwrite a file) is one plain sentence on stderr and exit code 2 or 1, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot import __version__
from bot.cli._common import DEFAULT_CONFIG, DEFAULT_DOCS, EXIT_INTERRUPTED, CliError, err
from bot.cli.invite import INVITE_PERMISSIONS, invite_permissions, invite_url, token_help
from bot.docs import generate_command_reference, render_command_reference

if TYPE_CHECKING:
    from bot.clock import Clock

__all__ = [
    "INVITE_PERMISSIONS",
    "build_parser",
    "generate_command_reference",
    "invite_permissions",
    "invite_url",
    "main",
    "render_command_reference",
    "token_help",
]


def _run_handler(args: argparse.Namespace) -> int:
    """A subcommand's handler is ``"module:function"`` in ``bot.cli``, imported only when it runs: a
    start of the bot does not pay for the newsletter's templates or the check's reports."""
    module, function = getattr(args, "handler", "run:cmd_run").split(":")
    return int(getattr(importlib.import_module(f"bot.cli.{module}"), function)(args))


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
    run.set_defaults(handler="run:cmd_run")

    check = sub.add_parser(
        "check",
        parents=[common],
        help="validate the config, show the database and timers, list what the server needs; never writes",
    )
    check.set_defaults(handler="check:cmd_check")

    backup = sub.add_parser(
        "backup", parents=[common], help="copy the database consistently, even while the bot runs"
    )
    backup.add_argument("dest", metavar="DEST", help="file to create, or a directory for a timestamped file")
    backup.add_argument("--force", action="store_true", help="overwrite DEST if it exists")
    backup.set_defaults(handler="backup:cmd_backup")

    sync = sub.add_parser("sync", parents=[common], help="push the slash commands to the configured guilds")
    sync.set_defaults(handler="run:cmd_sync")

    docs = sub.add_parser("docs", parents=[common], help="generate the command reference (docs/commands.md)")
    docs.add_argument("--output", metavar="PATH", default=str(DEFAULT_DOCS), help=f"default: {DEFAULT_DOCS}")
    docs.add_argument("--check", action="store_true", help="exit 1 if PATH differs from the generated text")
    docs.set_defaults(handler="docs:cmd_docs")

    newsletter = sub.add_parser(
        "newsletter", parents=[common], help="draft the bi-monthly newsletter from the database (read-only)"
    )
    newsletter.add_argument("--from", dest="first", metavar="YYYY-MM-DD", required=True, help="first day")
    newsletter.add_argument(
        "--to", dest="last", metavar="YYYY-MM-DD", required=True, help="last day (included)"
    )
    newsletter.add_argument("--language", choices=("en", "fr", "es"), default="en", help="default: en")
    newsletter.add_argument(
        "--format", choices=("markdown", "html"), default="markdown", help="default: markdown"
    )
    newsletter.add_argument(
        "--guild", type=int, default=None, help="server id (default: the first of guild_ids)"
    )
    newsletter.add_argument(
        "--output", metavar="PATH", default=None, help="file or directory (default: stdout)"
    )
    newsletter.set_defaults(handler="newsletter:cmd_newsletter")
    return parser


def main(argv: Sequence[str] | None = None, *, clock: Clock | None = None) -> int:
    """The program. ``clock`` is for the end-to-end test launcher only (``tests/double/launch_bot.py``):
    ``wim-bot`` and ``python -m bot`` never pass one, so the bot runs on the system clock."""
    parser = build_parser()
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    args.clock = clock
    try:
        return _run_handler(args)
    except CliError as exc:
        err(str(exc))
        return exc.code
    except KeyboardInterrupt:
        err("Interrupted.")
        return EXIT_INTERRUPTED
