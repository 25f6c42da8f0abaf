"""How make test shares the tests among its workers (pytest -n, pytest-xdist): imported only under -n.

Each test of tests/e2e goes alone to the next free worker: those tests share nothing but the worker's
own double and bot (tests/e2e/conftest.py). Every other module goes whole to one worker, so what its
module fixtures set up (the tour of tests/demo, Chromium in tests/browser) is set up once, not once per
worker that would get one of its tests. The e2e tests are handed out first: they are the long ones,
and the many short modules after them even out the workers' ends.
"""

from __future__ import annotations

from xdist.scheduler import LoadScopeScheduling

SPREAD = "tests/e2e/"


# xdist ships no type information, so its classes are Any to mypy.
class ModuleOrTestScheduling(LoadScopeScheduling):  # type: ignore[misc]
    def _split_scope(self, nodeid: str) -> str:
        if nodeid.startswith(SPREAD):
            return nodeid
        return nodeid.split("::", 1)[0]

    _spread_first = False

    def _assign_work_unit(self, node: object) -> None:
        if not self._spread_first:
            # The queue is complete by the first assignment. Their order among themselves is kept.
            spread = [scope for scope in self.workqueue if scope.startswith(SPREAD)]
            for scope in reversed(spread):
                self.workqueue.move_to_end(scope, last=False)
            self._spread_first = True
        super()._assign_work_unit(node)
