"""``docs``: write the command reference (docs/commands.md), or ``--check`` that it is current."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from bot.cli._common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    CliError,
    err,
    load_or_report,
    make_directory,
    os_reason,
)
from bot.docs import generate_command_reference


def cmd_docs(args: argparse.Namespace) -> int:
    config = load_or_report(args)
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
            raise CliError(f"Cannot read {output}: {os_reason(exc)}.") from None
        if current != text:
            err(f"{output} is out of date with the commands; regenerate it with: make docs")
            return EXIT_FAILED
        print(f"{output} is up to date")
        return EXIT_OK
    make_directory(output.parent, f"--output {output}")
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CliError(f"Cannot write {output}: {os_reason(exc)}.") from None
    print(f"Wrote {output}")
    return EXIT_OK
