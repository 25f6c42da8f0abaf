"""The events package is small modules with imports going one way (no runtime import cycle)."""

from __future__ import annotations

import subprocess
import sys

import cogs.events

PARTS = ("_render", "_views", "_announcements", "_mirror", "_handlers")


def test_the_package_module_holds_only_setup() -> None:
    public = {name for name in vars(cogs.events) if not name.startswith("_")}
    assert public - {"annotations", "TYPE_CHECKING"} == {"setup"}


def test_no_part_imports_the_cog_or_the_package_body() -> None:
    """Importing any part never imports the cog module (the handlers no longer reach into it)."""
    for part in PARTS:
        code = (
            f"import sys, cogs.events.{part}; "
            "assert 'cogs.events._cog' not in sys.modules, sorted(m for m in sys.modules if 'cogs' in m)"
        )
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
        assert result.returncode == 0, (part, result.stderr)


def test_events_does_not_import_another_cog() -> None:
    code = "import sys, cogs.events._cog; assert 'cogs.timezone' not in sys.modules"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
