"""The public web hub: an optional aiohttp server in the bot's own process (``web:`` in config.yml).

* :mod:`.app`: the routes (pages in en/fr/es, the calendar feeds), bad input, conditional requests;
* :mod:`.cache`: rendered responses in memory, rebuilt when the data changes;
* :mod:`.render`: the Jinja2 environment and the helpers its templates call;
* ``templates/`` and ``static/``: the pages (no client framework) and their style sheet and script.

The data comes from :class:`bot.services.hub.HubService` (no Discord, read-only). :class:`WebHub`
starts with the bot and stops before the database closes; a port that cannot be opened is logged and
the bot runs on without its hub.
"""

from __future__ import annotations

import logging

from aiohttp import web

from bot.clock import Clock
from bot.config import Config
from bot.db import Database
from bot.i18n import Catalog
from bot.services.consultations import ConsultationService
from bot.services.hub import HubService
from bot.web.app import Hub, negotiate

__all__ = ["Hub", "WebHub", "negotiate"]

log = logging.getLogger(__name__)

# Seconds a stop waits for requests in flight before closing their connections.
SHUTDOWN_TIMEOUT = 2.0


class WebHub:
    """``WebHub(config, db, clock, catalog, consultations)``; ``await start()``, ``await stop()``."""

    def __init__(
        self, config: Config, db: Database, clock: Clock, catalog: Catalog, consultations: ConsultationService
    ) -> None:
        self.config = config.web
        self.service = HubService(db, clock, config, consultations)
        self.hub = Hub(config.web, self.service, catalog, clock, config.language)
        self._runner: web.AppRunner | None = None
        self.port: int | None = None  # the port listened on once started (0 in the config: any free one)

    async def start(self) -> bool:
        """Listen on ``web.bind``:``web.port``. False (logged) when the address cannot be used."""
        runner = web.AppRunner(
            self.hub.application(), handle_signals=False, access_log=None, shutdown_timeout=SHUTDOWN_TIMEOUT
        )
        await runner.setup()
        site = web.TCPSite(runner, self.config.bind, self.config.port, backlog=512)
        try:
            await site.start()
        except OSError as exc:
            log.error(
                "Web hub not started: cannot listen on %s:%d (%s). The bot runs on without it; "
                "free the port or change web.port in config.yml.",
                self.config.bind,
                self.config.port,
                exc.strerror or exc,
            )
            await runner.cleanup()
            return False
        self._runner = runner
        self.port = self.config.port
        for address in runner.addresses:  # the port the system chose for port 0
            if isinstance(address, tuple) and len(address) >= 2:
                self.port = int(address[1])
                break
        log.info(
            "Web hub listening on %s:%d, public at %s", self.config.bind, self.port, self.config.base_url
        )
        return True

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
            log.info("Web hub stopped")


async def start_hub(
    config: Config, db: Database, clock: Clock, catalog: Catalog, consultations: ConsultationService
) -> WebHub | None:
    """The hub if ``web.enabled``, started; None when off. Never raises: a hub that fails to start is
    logged, and the bot runs on."""
    if not config.web.enabled:
        return None
    hub = WebHub(config, db, clock, catalog, consultations)
    try:
        started = await hub.start()
    except Exception:
        log.exception("Web hub not started")
        return None
    return hub if started else None
