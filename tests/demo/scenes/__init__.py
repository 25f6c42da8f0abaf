"""The tour's scenes, in the order they play.

A feature adds its part of the tour with one module here, ``tests/demo/scenes/<feature>.py``, that
defines ``SCENES = (Scene(key, title, summary, play), ...)`` and is listed below. See
docs/ARCHITECTURE.md, "Adding a demo scene".
"""

from __future__ import annotations

from tests.demo.scenes import consultations, digest, directory, elections, events, hub, stats, working_groups
from tests.demo.tour import Scene

SCENES: tuple[Scene, ...] = (
    *events.SCENES,
    *stats.JOIN_SCENES,
    *working_groups.SCENES,
    *directory.SCENES,
    *consultations.SCENES,
    *elections.SCENES,
    *digest.SCENES,
    *stats.SCENES,
    *hub.SCENES,
)
