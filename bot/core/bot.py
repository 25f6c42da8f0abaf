"""The bot: loads every cog, starts the timers, syncs commands only when they changed."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import pkgutil
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import discord
from discord.ext import commands

import cogs
from bot import __version__, validation
from bot.config import Config
from bot.core.channels import configured_channel
from bot.core.checks import member_is_moderator
from bot.core.dm import DmChannels
from bot.core.guild_check import verify_guild
from bot.core.outbox import find_posted, same_text
from bot.core.pacing import RequestPacer
from bot.core.paginator import PaginatorRegistry
from bot.core.roles import Notice, RoleDirectory
from bot.core.translator import CatalogTranslator
from bot.core.tree import WimTree, remember_language
from bot.errors import Term
from bot.i18n import Catalog, language_for
from bot.limits import MESSAGE_CONTENT, clip
from bot.repositories import meta
from bot.timeutil import utc_iso

if TYPE_CHECKING:
    from datetime import datetime

    from bot.clock import Clock
    from bot.db import Database
    from bot.services.container import Services
    from bot.services.timers import Timer

log = logging.getLogger(__name__)

# {guild_id, key, content}: tell moderators about a problem once (``WimBot.report_once``).
MODLOG_REPORT = "modlog.report"
REPORT_GRACE = timedelta(seconds=10)

# At shutdown, the interactions already running get this long to finish before they are cancelled
# (a cancelled action rolls back: the member was never told it was done, and clicks again).
DRAIN_SECONDS = 3.0
# How discord.py names the tasks that run an interaction (app commands, components, modals, listeners).
INTERACTION_TASKS = (
    "CommandTree-invoker",
    "discord-ui-view-dispatch-",
    "discord-ui-dynamic-item-",
    "discord-ui-modal-dispatch-",
    "discord.py: on_interaction",
)


def bot_intents() -> discord.Intents:
    """The minimum: guilds (channels, roles, events) and members (roles of who clicks, audience lists)."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.members = True
    return intents


class WimBot(commands.Bot):
    def __init__(
        self,
        *,
        config: Config,
        db: Database,
        services: Services,
        clock: Clock,
        catalog: Catalog,
        start_timers: bool = True,
        force_sync: bool = False,
        **options: Any,
    ) -> None:
        # Every REST request leaves through the pacer (bot.core.pacing): a burst waits its turn
        # instead of earning Discord's global 429.
        self.pacer = RequestPacer()
        self.dm_channels = DmChannels()  # each member's DM channel, opened once (bot.core.dm)
        self.paginators = PaginatorRegistry()  # live paginators, one per member and command
        options.setdefault("http_trace", self.pacer.trace_config())
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            intents=bot_intents(),
            allowed_mentions=discord.AllowedMentions.none(),
            tree_cls=WimTree,
            **options,
        )
        self.config = config
        # Which role config.yml means, pinned by id per guild (bot.core.roles): checks never match names.
        self.roles = RoleDirectory(config)
        self.db = db
        self.services = services
        self.clock = clock
        self.catalog = catalog
        self.version = __version__
        self.started_at: datetime = clock.now()
        self._start_timers = start_timers
        self._force_sync = force_sync
        self._sync_task: asyncio.Task[None] | None = None
        self._warm_up_task: asyncio.Task[None] | None = None
        self._verified_guilds: set[int] = set()
        self._shutdown: asyncio.Future[None] | None = None

    # -- start-up -------------------------------------------------------------------------------

    async def load_all_extensions(self) -> None:
        """Load every module and package in ``cogs/``: adding a feature is adding a cog."""
        await self.tree.set_translator(CatalogTranslator(self.catalog))
        for module in sorted(pkgutil.iter_modules(cogs.__path__), key=lambda m: m.name):
            if not module.name.startswith("_"):
                await self.load_extension(f"cogs.{module.name}")

    async def setup_hook(self) -> None:
        # The first zone check (the calendar seeding at READY) would read the tz database on the loop.
        self._warm_up_task = asyncio.create_task(asyncio.to_thread(validation.warm_up), name="warm-up")
        # Once per interaction, at the tree's entry: what language each member reads (for later DMs).
        self.add_listener(remember_language, "on_interaction")
        await self.load_all_extensions()
        self.services.timers.on_final_failure(self._report_failed_timer)
        self.services.timers.register(MODLOG_REPORT, self._post_report)
        if self._start_timers:
            await self.services.timers.start()
        for guild_id in self.config.guild_ids:
            # Before any interaction can arrive: the tree finds guild commands among these copies.
            self.tree.copy_global_to(guild=discord.Object(id=guild_id))
        if self._force_sync:
            await self.sync_commands(force=True)
            return
        # Hashing the translated commands (33 locales) and comparing takes tens of milliseconds: done
        # while the gateway connects, not before, so the first member is answered sooner.
        self._sync_task = asyncio.create_task(self._sync_in_background(), name="command-sync")

    async def _sync_in_background(self) -> None:
        try:
            await self.sync_commands(force=False)
        except Exception:
            log.exception("Syncing the commands failed; members see the last synced ones")

    async def close(self) -> None:
        """Stop taking interactions, let the running ones finish (``DRAIN_SECONDS`` at most), stop the
        timers, then disconnect. The database stays open: the caller closes it after this."""
        if self._shutdown is None:
            self._shutdown = asyncio.ensure_future(self._shut_down())
        await asyncio.shield(self._shutdown)

    async def _shut_down(self) -> None:
        # No new interaction starts: Discord tells the member it failed, and they retry once we are back.
        self._connection.parsers["INTERACTION_CREATE"] = lambda data: None
        current = asyncio.current_task()
        running = [
            task
            for task in asyncio.all_tasks()
            if task is not current and task.get_name().startswith(INTERACTION_TASKS)
        ]
        if running:
            _, late = await asyncio.wait(running, timeout=DRAIN_SECONDS)
            for task in late:
                task.cancel()
            if late:
                log.warning("Shutdown: %d interaction(s) still running were cancelled", len(late))
                await asyncio.wait(late, timeout=1.0)
        if self._sync_task is not None and not self._sync_task.done():
            self._sync_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sync_task
        if self._start_timers:
            await self.services.timers.stop()
        await super().close()

    # -- command sync ---------------------------------------------------------------------------

    async def _command_payload_hash(self, guild: discord.abc.Snowflake) -> str:
        translator = self.tree.translator
        assert translator is not None
        commands_ = self.tree.get_commands(guild=guild)
        payload = [await command.get_translated_payload(self.tree, translator) for command in commands_]
        encoded = json.dumps(payload, sort_keys=True, default=str).encode()
        return hashlib.sha256(encoded).hexdigest()

    async def sync_commands(self, *, force: bool) -> list[int]:
        """Push the commands to each configured guild whose command tree changed since its last sync.

        Never global: guild commands update instantly and a boot loop can't hit the global rate limit.
        Returns the guild ids that were synced.
        """
        synced: list[int] = []
        for guild_id in self.config.guild_ids:
            guild = discord.Object(id=guild_id)
            digest = await self._command_payload_hash(guild)
            key = f"commands_hash:{guild_id}"
            if not force and await meta.get(self.db, key) == digest:
                log.info("Commands for guild %s unchanged since the last sync; not syncing", guild_id)
                continue
            try:
                registered = await self.tree.sync(guild=guild)
            except discord.Forbidden:
                log.error(
                    "Cannot sync commands to guild %s: invite the bot with the applications.commands scope",
                    guild_id,
                )
                continue
            async with self.db.transaction() as tx:
                await meta.put(tx, key, digest)
            log.info("Synced %d commands to guild %s", len(registered), guild_id)
            synced.append(guild_id)
        return synced

    # -- events ---------------------------------------------------------------------------------

    async def on_ready(self) -> None:
        log.info(
            "Connected as %s (%s) to %d guild(s)", self.user, getattr(self.user, "id", "?"), len(self.guilds)
        )
        for guild_id in self.config.guild_ids:
            if guild_id in self._verified_guilds:
                continue
            guild = self.get_guild(guild_id)
            if guild is None:
                log.warning("Config check: the bot is not in guild %s listed in guild_ids", guild_id)
                continue
            self._verified_guilds.add(guild_id)
            await self.refresh_roles(guild)
            verify_guild(guild, self.config, self.roles.of(guild))

    async def on_guild_available(self, guild: discord.Guild) -> None:
        # After an outage of the guild: roles may have changed while it was away.
        if guild.id in self._verified_guilds:
            await self.refresh_roles(guild)

    async def on_guild_role_create(self, role: discord.Role) -> None:
        await self.refresh_roles(role.guild)

    async def on_guild_role_update(self, before: discord.Role, after: discord.Role) -> None:
        if before.name != after.name:
            await self.refresh_roles(after.guild)

    async def on_guild_role_delete(self, role: discord.Role) -> None:
        await self.refresh_roles(role.guild)

    async def refresh_roles(self, guild: discord.Guild) -> None:
        """Resolve the configured roles of ``guild`` again and tell mod-log (and the log) what changed:
        a name two roles carry (refused), a newcomer with a trusted role's name (not trusted)..."""
        if guild.id not in self.config.guild_ids:
            return
        for notice in self.roles.refresh(guild):
            text = self._role_notice(notice)
            log.warning("Roles in guild %s: %s", guild.id, text)
            await self.report_once(guild.id, notice.key, text)

    def _role_notice(self, notice: Notice) -> str:
        lang = self.config.channel_language(self.config.channels.mod_log)
        resolution = notice.resolution
        wanted = resolution.wanted
        return self.catalog.t(
            lang,
            f"roles.{notice.kind}",
            purpose=Term(f"roles.purpose.{wanted.purpose}"),
            name=str(wanted.value),
            where=wanted.where,
            roles=", ".join(f"<@&{role_id}>" for role_id in resolution.candidates),
            count=len(resolution.candidates),
            role=f"<@&{notice.role_id or resolution.role_id}>",
            trusted=f"<@&{resolution.role_id}>",
        )

    # -- helpers for cogs -----------------------------------------------------------------------

    def lang_for(self, interaction: discord.Interaction) -> str:
        """The member's language from their Discord locale, else the guild default."""
        return language_for(str(interaction.locale) if interaction.locale else None, self.config.language)

    def t(self, target: discord.Interaction | str, key: str, **params: Any) -> str:
        lang = target if isinstance(target, str) else self.lang_for(target)
        return self.catalog.t(lang, key, **params)

    def discord_time(self, moment: datetime) -> datetime:
        """``moment`` on the bot's clock, as Discord's clock shows it: for snowflake bounds such as
        ``channel.history(after=...)``. Discord runs on real time; the bot's clock differs from it only
        under the end-to-end test clock (tests/double/clock.py), which moves the bot's "now" alone."""
        return moment - (self.clock.now() - discord.utils.utcnow())

    def is_moderator(self, member: discord.Member | discord.User) -> bool:
        return member_is_moderator(member, self.roles)

    async def first_time(self, key: str) -> bool:
        """True only the first time ever for ``key``: kept in the database, so a restart remembers.

        For notices that must reach moderators once (a deleted channel behind an event, say).
        """
        async with self.db.transaction() as tx:
            return await meta.put_if_absent(tx, f"once:{key}", utc_iso(self.clock.now()))

    async def report_once(self, guild_id: int, key: str, content: str) -> bool:
        """Tell moderators (mod-log) about a problem once, however often it recurs and across restarts.

        ``key`` names the problem ("event:12:channel"); it is kept in the database per guild. Returns
        whether this call posted. For what retrying cannot fix: a deleted channel or role, a permission.

        Through the outbox: "reported" and a ``modlog.report`` timer are written together, then the
        timer runs at once. A mod-log post Discord refuses is retried by the dispatcher, never lost,
        and a retry adopts a post Discord made but did not confirm (the same text, since the timer).
        """
        now = self.clock.now()
        payload = {"guild_id": guild_id, "key": key, "content": clip(content, MESSAGE_CONTENT)}
        async with self.db.transaction() as tx:
            if not await meta.put_if_absent(tx, f"once:report:{guild_id}:{key}", utc_iso(now)):
                return False
            # Due a little later: the dispatcher takes it only if this first attempt fails.
            await self.services.timers.ensure_pending(MODLOG_REPORT, now + REPORT_GRACE, payload, tx=tx)
        return await self.services.timers.run_now(MODLOG_REPORT, guild_id=guild_id, key=key)

    async def _post_report(self, timer: Timer) -> None:
        """The ``modlog.report`` timer: post the report unless an earlier attempt already did; a
        Discord failure raises, so the timer is retried."""
        await self.wait_until_ready()
        guild_id, content = int(timer.payload["guild_id"]), str(timer.payload["content"])
        channel = self.mod_log_channel(guild_id)
        if channel is None:
            # Told at start by the config check; waiting would not create the channel.
            log.warning("No #%s channel in guild %s for: %s", self.config.channels.mod_log, guild_id, content)
            return
        if await find_posted(self, channel, same_text(content), since=timer.created_at) is not None:
            return
        await channel.send(content, allowed_mentions=discord.AllowedMentions.none())

    def mod_log_channel(self, guild_id: int) -> discord.TextChannel | None:
        guild = self.get_guild(guild_id)
        return None if guild is None else configured_channel(guild, self.config.channels.mod_log)

    async def post_mod_log(self, guild_id: int, content: str) -> bool:
        """Tell moderators something in the mod-log channel. False (and logged) if it can't be posted."""
        channel = self.mod_log_channel(guild_id)
        if channel is None:
            log.warning("No #%s channel in guild %s for: %s", self.config.channels.mod_log, guild_id, content)
            return False
        try:
            await channel.send(
                clip(content, MESSAGE_CONTENT), allowed_mentions=discord.AllowedMentions.none()
            )
        except discord.HTTPException:
            log.warning(
                "Could not post to #%s in guild %s: %s", channel.name, guild_id, content, exc_info=True
            )
            return False
        return True

    async def _report_failed_timer(self, timer: Timer, error: str) -> None:
        """A timer gave up: tell the mod-log of the guild its payload names, and only that one."""
        await self.wait_until_ready()
        guild_id = timer.payload.get("guild_id")
        if not isinstance(guild_id, int) or guild_id not in self.config.guild_ids:
            log.error(
                "Timer %d (%s) failed for good and names no served guild: %s", timer.id, timer.kind, error
            )
            return
        lang = self.config.language
        text = self.catalog.t(
            lang,
            "timers.failed",
            kind=timer.kind,
            timer_id=timer.id,
            attempts=timer.attempts,
            error=error[:500],
        )
        await self.post_mod_log(guild_id, text)
