"""Production runs on the system clock; only the end-to-end test launcher swaps in the test clock."""

from __future__ import annotations

import ast
import runpy
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import bot.app
from bot.cli import main
from bot.clock import Clock, SystemClock
from bot.core.bot import WimBot
from tests.test_cli import REPO_ROOT, config_copy


def _run_module() -> None:
    with pytest.raises(SystemExit) as exited:
        runpy.run_module("bot", run_name="__main__", alter_sys=True)
    assert exited.value.code == 0


class MarkerClock(SystemClock):
    """Stands for the test launcher's clock."""


MARKER = MarkerClock()


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        pytest.param(lambda: main(), SystemClock, id="bot.cli.main"),
        pytest.param(_run_module, SystemClock, id="python -m bot"),
        # What tests/double/launch_bot.py does: the only way another clock gets in.
        pytest.param(lambda: main(clock=MARKER), MarkerClock, id="main(clock=...)"),
    ],
)
def test_the_production_entry_points_run_on_the_system_clock(
    entry: Callable[[], Any], expected: type, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[Clock] = []

    async def start_without_discord(self: WimBot, token: str, *, reconnect: bool = True) -> None:
        seen.append(self.clock)
        seen.append(self.services.timers._clock)  # what the wake-up follows

    monkeypatch.setattr(WimBot, "start", start_without_discord)
    monkeypatch.setattr(bot.app, "setup_logging", lambda config: None)
    monkeypatch.setenv("DISCORD_TOKEN", "not-a-real-token")
    monkeypatch.setattr(sys, "argv", ["wim-bot", "run", "--config", str(config_copy(tmp_path))])
    result = entry()
    assert result in (None, 0)
    assert len(seen) == 2 and all(type(clock) is expected for clock in seen), seen


def test_the_console_script_is_the_same_main() -> None:
    assert 'wim-bot = "bot.cli:main"' in (REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8")


def test_the_bot_never_imports_the_test_double() -> None:
    offenders = []
    for package in ("bot", "cogs"):
        for path in sorted((REPO_ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = (
                    [alias.name for alias in node.names]
                    if isinstance(node, ast.Import)
                    else [node.module or ""]
                    if isinstance(node, ast.ImportFrom)
                    else []
                )
                offenders += [
                    f"{path.relative_to(REPO_ROOT)}: {n}" for n in names if n.split(".")[0] == "tests"
                ]
    assert offenders == []
