"""Wiring: open the database, build the services with (db, clock), hand them to the bot.

``Services`` and ``build_services`` live in ``bot/services/container.py``; re-exported here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
from typing import TYPE_CHECKING

import aiohttp
import discord
import yarl

from bot import runtime
from bot.clock import Clock, SystemClock
from bot.config import Config
from bot.core.bot import WimBot
from bot.db import Database
from bot.i18n import Catalog
from bot.services.container import Services, build_services

if TYPE_CHECKING:
    from bot.web import WebHub

__all__ = ["Services", "StartupError", "build_bot", "build_offline_bot", "build_services", "run_bot"]

log = logging.getLogger(__name__)


class StartupError(Exception):
    """The bot cannot start for a reason the operator can fix; the message says how."""


def unreachable_message(exc: aiohttp.ClientConnectorError) -> str:
    """One line for a Discord the bot cannot connect to (no network, DNS, a proxy or firewall), in
    place of aiohttp's traceback: the host, why, and where to look."""
    host = exc.host or yarl.URL(discord.http.Route.BASE).host or "discord.com"
    if isinstance(exc.os_error, socket.gaierror):
        why = "its name does not resolve"
    elif isinstance(exc.os_error, ConnectionRefusedError):
        why = "the connection was refused"
    elif isinstance(exc.os_error, TimeoutError):
        why = "the connection timed out"
    else:
        why = exc.os_error.strerror or type(exc.os_error).__name__
    return (
        f"Discord could not be reached at {host} ({why}). Check that this machine is online; "
        "a proxy or firewall may be blocking it."
    )


def setup_logging(config: Config) -> None:
    discord.utils.setup_logging(level=logging.getLevelName(config.log_level.upper()), root=True)
    # APScheduler logs every wake-up at INFO; our own timer log lines are more useful.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


def build_bot(
    config: Config,
    db: Database,
    *,
    start_timers: bool,
    force_sync: bool = False,
    clock: Clock | None = None,
) -> WimBot:
    """The bot with its services. ``clock`` defaults to the system clock; only the end-to-end test
    launcher (``tests/double/launch_bot.py``) passes another one."""
    clock = SystemClock() if clock is None else clock
    return WimBot(
        config=config,
        db=db,
        services=build_services(config, db, clock),
        clock=clock,
        catalog=Catalog.load(),
        start_timers=start_timers,
        force_sync=force_sync,
    )


async def build_offline_bot(config: Config) -> WimBot:
    """A bot with every cog loaded that never logs in: for docs generation and smoke tests."""
    bot = build_bot(config, await Database.open(":memory:"), start_timers=False)
    await bot.load_all_extensions()
    return bot


async def run_bot(config: Config, token: str, *, sync_only: bool = False, clock: Clock | None = None) -> None:
    """Run until stopped (SIGINT/SIGTERM), or with ``sync_only`` push the commands and return."""
    setup_logging(config)
    log.info("Runtime: %s", runtime.describe())
    db = await Database.open(config.database)
    bot = build_bot(config, db, start_timers=not sync_only, force_sync=sync_only, clock=clock)
    hub: WebHub | None = None
    try:
        async with bot:
            if sync_only:
                await bot.login(token)  # login runs setup_hook, which syncs
                return

            async def settle_heap() -> None:
                runtime.settle_heap()

            bot.add_listener(settle_heap, "on_ready")
            # The public hub (web: in config.yml) serves from the database alone: it starts before
            # Discord answers, and a port it cannot open is logged, never a reason to stop the bot.
            # Imported only when it is on (aiohttp's server, Jinja2 and the pages' modules).
            if config.web.enabled:
                from bot.web import start_hub

                hub = await start_hub(config, db, bot.clock, bot.catalog, bot.services.consultations)
            loop = asyncio.get_running_loop()
            loop.call_later(runtime.STARTUP_GC_LIMIT, runtime.release_gc)
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError):
                    loop.add_signal_handler(sig, lambda: asyncio.ensure_future(bot.close()))
            await bot.start(token)
    except discord.LoginFailure as exc:
        raise StartupError(
            "Discord refused the token (DISCORD_TOKEN). Copy it again from the Developer Portal, "
            "Bot page, 'Reset Token'."
        ) from exc
    except aiohttp.ClientConnectorError as exc:
        raise StartupError(unreachable_message(exc)) from exc
    except discord.PrivilegedIntentsRequired as exc:
        raise StartupError(
            "The Server Members intent is not enabled. Developer Portal > your application > Bot > "
            "Privileged Gateway Intents: enable 'Server Members Intent'."
        ) from exc
    finally:
        if hub is not None:
            await hub.stop()  # before the database closes: no page is built from a closed database
        await bot.services.members.close()  # the languages remembered in the last second
        await db.close()
        log.info("Stopped")
