"""How make test shares the tests among its workers (pytest -n, pytest-xdist): imported only under -n.

A module goes whole to one worker, its tests in file order: its module fixtures (the tour of
tests/demo, Chromium in tests/browser, the double and bot of an e2e module, tests/e2e/conftest.py) are
set up once, and its tests meet the same state as in a run without workers. An e2e module that never
uses that shared double and bot (``discord_env``) is the exception: each of its tests starts its own
(``isolated_env``), so each goes alone to the next free worker. The browser modules stay whole too:
a worker that took some of their pages would open its own Chromium, and the machine's two cores then
spend more on browsers than on the tests. The modules that drive the real bot (tests/e2e, tests/demo)
and the hub's pages are handed out first: they are the long ones, and the many short modules after
them even out the workers' ends.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from xdist.scheduler import LoadScopeScheduling

ROOT = Path(__file__).resolve().parent.parent
E2E = "tests/e2e/"
FIRST = (E2E, "tests/demo/", "tests/browser/test_hub.py")
SHARED_ENV = "discord_env"


@cache
def uses_shared_env(module: str) -> bool:
    """Whether the module's source names the shared env (its text is enough: a mention too many only
    keeps its tests together)."""
    return SHARED_ENV in (ROOT / module).read_text(encoding="utf-8")


# xdist ships no type information, so its classes are Any to mypy.
class ModuleScheduling(LoadScopeScheduling):  # type: ignore[misc]
    _first_moved = False

    def _split_scope(self, nodeid: str) -> str:
        module = nodeid.split("::", 1)[0]
        if module.startswith(E2E) and not uses_shared_env(module):
            return nodeid
        return module

    def _assign_work_unit(self, node: object) -> None:
        if not self._first_moved:
            # The queue is complete by the first assignment; the moved scopes keep their order.
            first = [scope for scope in self.workqueue if scope.startswith(FIRST)]
            for scope in reversed(first):
                self.workqueue.move_to_end(scope, last=False)
            self._first_moved = True
        super()._assign_work_unit(node)
