"""``newsletter``: the bi-monthly newsletter's draft from the database, as Markdown or one
self-contained HTML file. No Discord connection; the database is opened read-only (nothing is
written, not even its -wal and -shm companions), so it runs beside a running bot."""

from __future__ import annotations

import argparse
import sqlite3
import sys
from datetime import UTC, datetime
from pathlib import Path

from bot.cli._common import (
    EXIT_OK,
    EXIT_USAGE,
    CliError,
    config_file,
    load_or_report,
    open_read_only,
    os_reason,
)
from bot.errors import UserFacingError
from bot.i18n import Catalog
from bot.services.newsletter import gather, parse_dates, render


def cmd_newsletter(args: argparse.Namespace) -> int:
    config = load_or_report(args)
    if config is None:
        return EXIT_USAGE
    catalog = Catalog.load()
    clock = getattr(args, "clock", None)
    now = clock.now() if clock is not None else datetime.now(UTC)
    try:
        first, last = parse_dates(args.first, args.last, now, config.zone)
    except UserFacingError as error:
        raise CliError(catalog.t("en", error.key, **error.params), EXIT_USAGE) from None
    if not config.guild_ids:
        raise CliError(
            f"{config_file(args)}: guild_ids is empty; the newsletter is of one server.", EXIT_USAGE
        )
    guild_id = args.guild if args.guild is not None else config.guild_ids[0]
    if not config.database.is_file():
        raise CliError(f"Database {config.database}: no such file; start the bot once first.", EXIT_USAGE)
    try:
        conn = open_read_only(config.database)
        try:
            data = gather(conn, guild_id, first, last, now, config.zone, args.language)
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise CliError(f"Database {config.database}: {exc}.", EXIT_USAGE) from None
    draft = render(catalog, args.language, data, args.format)
    if args.output is None:
        sys.stdout.write(draft.text)
        return EXIT_OK
    output = Path(args.output)
    target = output / draft.filename if output.is_dir() else output
    try:
        target.write_text(draft.text, encoding="utf-8")
    except OSError as exc:
        raise CliError(f"Cannot write {target}: {os_reason(exc)}.") from None
    print(f"Wrote {target}", file=sys.stderr)
    return EXIT_OK
