"""/event: create, list, edit, cancel, RSVP, check in and export Alliance events.

Discord glue only: each command parses its options, checks what only Discord can know (permissions
in a channel, roles of the member), calls ``EventService`` and renders the result. The service
decides everything else and raises ``UserFacingError`` for what the member can fix; the tree's
error handler shows those in the member's language.

Announcements, reminders and notices posted in channels speak the guild's language
(``config.language``); replies to a member speak theirs (``bot.lang_for``), and so do DMs: the
member's language is remembered on every RSVP and check-in (and /timezone), since a reminder DM is
sent outside any interaction; a member never seen gets ``config.language``.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, Final

import discord
from discord import app_commands
from discord.app_commands import locale_str
from discord.ext import commands
from discord.utils import MISSING

from bot.core.checks import moderator_only
from bot.core.guild_check import find_text_channel
from bot.core.replies import reply
from bot.core.strings import cmd_str
from bot.errors import UserFacingError
from bot.services.events import (
    CHECK_IN_EARLY,
    EVENT_END,
    EVENT_HORIZON,
    EVENT_REMINDER,
    EVENT_START,
    RECURRENCES,
    RSVP_STATUSES,
    EventChanges,
    EventDraft,
    Occurrence,
    Scope,
)
from bot.timeutil import get_zone
from cogs.events import _render
from cogs.events._handlers import EventTimerHandlers
from cogs.events._views import (
    CheckInButton,
    Paginator,
    RsvpButton,
    ScopeAction,
    ScopeChooser,
    event_buttons,
)
from cogs.timezone import canonical_zone, remember_member_language, zone_choices

if TYPE_CHECKING:
    from bot.core.bot import WimBot

log = logging.getLogger(__name__)

# At most one announcement edit per occurrence in this many seconds: a burst of RSVP clicks
# becomes one edit with the final counts instead of one edit per click (and a 429).
REFRESH_INTERVAL: Final = 2.0
# Discord's limits for guild scheduled events.
SCHEDULED_EVENT_LOCATION_LIMIT: Final = 100
SCHEDULED_EVENT_DESCRIPTION_LIMIT: Final = 1000
AUTOCOMPLETE_NAME_LIMIT: Final = 100
# What the bot needs in a channel to announce there, in the order we name what is missing.
ANNOUNCE_PERMISSIONS: Final = ("view_channel", "send_messages", "embed_links")


def _option(command: str, option: str) -> tuple[locale_str, locale_str]:
    """The (name, description) of a command option, keyed into the catalogs."""
    base = f"cmd.event.{command}.options.{option}"
    return cmd_str(f"{base}.name"), cmd_str(f"{base}.description")


def _choices(key_prefix: str, values: tuple[str, ...]) -> list[app_commands.Choice[str]]:
    """Choices whose names come from the catalogs (``<key_prefix>.<value>``), values stay stable ids."""
    return [app_commands.Choice(name=cmd_str(f"{key_prefix}.{value}"), value=value) for value in values]


def _described(command: str, *options: str) -> Any:
    """``rename`` + ``describe`` for ``options`` of ``/event <command>`` in one decorator."""
    names = {option: _option(command, option)[0] for option in options}
    descriptions = {option: _option(command, option)[1] for option in options}

    def decorator(func: Any) -> Any:
        return app_commands.rename(**names)(app_commands.describe(**descriptions)(func))

    return decorator


def _member_role_ids(user: discord.Member | discord.User) -> list[int]:
    return [role.id for role in user.roles] if isinstance(user, discord.Member) else []


def _blank_to_none(value: str | None) -> str | None:
    return value if value is None or value.strip() else None


def _zone_option(value: str | None) -> str | None:
    """A typed time zone option: None when left empty, else its IANA spelling."""
    value = _blank_to_none(value)
    return None if value is None else canonical_zone(value)


class Events(commands.Cog):
    # default_permissions would be the UI hint, but Discord applies it to top-level commands only and
    # /event also holds member commands (list, rsvp...): moderator_only() is what enforces.
    event = app_commands.Group(
        name=cmd_str("cmd.event.name"),
        description=cmd_str("cmd.event.description"),
        guild_only=True,
    )

    def __init__(self, bot: WimBot) -> None:
        self.bot = bot
        self.handlers = EventTimerHandlers(self)
        self._refresh_tasks: dict[int, asyncio.Task[None]] = {}
        self._last_refresh: dict[int, float] = {}
        self._told_no_manage_events: set[int] = set()
        self._seeded_guilds: set[int] = set()

    # --- life cycle ----------------------------------------------------------------------------

    async def cog_load(self) -> None:
        timers = self.bot.services.timers
        timers.register(EVENT_REMINDER, self.handlers.on_reminder)
        timers.register(EVENT_START, self.handlers.on_start)
        timers.register(EVENT_END, self.handlers.on_end)
        timers.register(EVENT_HORIZON, self.handlers.on_horizon)

    async def cog_unload(self) -> None:
        for task in self._refresh_tasks.values():
            task.cancel()
        self._refresh_tasks.clear()
        await self.handlers.close()

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        """Seed the configured calendar into each guild once per process (the service makes it idempotent)."""
        for guild_id in self.bot.config.guild_ids:
            guild = self.bot.get_guild(guild_id)
            if guild is None or guild_id in self._seeded_guilds:
                continue
            self._seeded_guilds.add(guild_id)
            try:
                await self.handlers.seed_calendar(guild)
            except Exception:
                log.exception("Seeding the configured calendar into guild %s failed", guild_id)

    # --- shared helpers --------------------------------------------------------------------------

    @property
    def guild_lang(self) -> str:
        return self.bot.config.language

    def _guild(self, interaction: discord.Interaction) -> discord.Guild:
        if interaction.guild is None:
            raise UserFacingError("events_ui.errors.guild_only")
        return interaction.guild

    async def _occurrence_id(self, interaction: discord.Interaction, value: str) -> int:
        """The occurrence id an ``event`` option names: the autocomplete value, or typed text that
        matches exactly one upcoming event."""
        guild = self._guild(interaction)
        text = value.strip()
        # Snowflake-sized at most: anything longer is not an id we issued (and would overflow SQLite).
        if text.isascii() and text.isdigit() and len(text) <= 18:
            return int(text)
        matches = await self.bot.services.events.search(guild.id, text, limit=2) if text else []
        if len(matches) != 1:
            raise UserFacingError("events_ui.errors.unknown_event")
        return matches[0].id

    async def _occurrence(
        self, interaction: discord.Interaction, value: str, *, include_cancelled: bool = False
    ) -> Occurrence:
        occurrence_id = await self._occurrence_id(interaction, value)
        occurrence = await self.bot.services.events.get_occurrence(
            occurrence_id, include_cancelled=include_cancelled
        )
        if occurrence.guild_id != self._guild(interaction).id:
            raise UserFacingError("events_ui.errors.unknown_event")
        return occurrence

    def missing_permissions(self, channel: discord.abc.GuildChannel) -> list[str]:
        me = channel.guild.me
        granted = channel.permissions_for(me)
        return [name for name in ANNOUNCE_PERMISSIONS if not getattr(granted, name)]

    def _ensure_can_post(self, channel: discord.abc.GuildChannel, lang: str) -> None:
        missing = self.missing_permissions(channel)
        if missing:
            raise UserFacingError(
                "events_ui.errors.bad_channel_permissions",
                channel=channel.mention,
                permissions=", ".join(self.bot.t(lang, f"events_ui.permission.{name}") for name in missing),
            )

    def _announcement_channel(
        self, guild: discord.Guild, channel: discord.TextChannel | None
    ) -> discord.TextChannel:
        if channel is not None:
            return channel
        default = find_text_channel(guild, self.bot.config.channels.announcements)
        if default is None:
            raise UserFacingError(
                "events_ui.errors.no_announcement_channel", channel=self.bot.config.channels.announcements
            )
        return default

    def text_channel(self, guild: discord.Guild, channel_id: int | None) -> discord.TextChannel | None:
        channel = guild.get_channel(channel_id) if channel_id else None
        return channel if isinstance(channel, discord.TextChannel) else None

    def announcement_url(self, occurrence: Occurrence) -> str:
        if occurrence.announcement_channel_id is None or occurrence.announcement_message_id is None:
            return f"<#{occurrence.channel_id}>"
        return (
            f"https://discord.com/channels/{occurrence.guild_id}/"
            f"{occurrence.announcement_channel_id}/{occurrence.announcement_message_id}"
        )

    async def report_once(self, guild_id: int, occurrence_id: int, problem: str, text: str) -> None:
        """Tell moderators about a problem with an occurrence once, however often it recurs and across
        restarts (the database remembers)."""
        if await self.bot.first_time(f"event-problem:{occurrence_id}:{problem}"):
            await self.bot.post_mod_log(guild_id, text)

    async def send_dm(self, user_id: int, content: str) -> bool:
        """DM a member; False when their DMs are closed or they left (never worth a retry)."""
        try:
            user = self.bot.get_user(user_id) or await self.bot.fetch_user(user_id)
            await user.send(content, allowed_mentions=discord.AllowedMentions.none())
        except discord.Forbidden as error:
            log.info("Not DMing user %s: %s (code %s)", user_id, error.text, error.code)
            return False
        except discord.NotFound:
            log.info("Not DMing user %s: unknown user", user_id)
            return False
        return True

    async def member_languages(self, guild_id: int, user_ids: Iterable[int]) -> dict[int, str]:
        """Each member's remembered language, ``config.language`` for those never seen."""
        ids = list(user_ids)
        known = await self.bot.services.members.languages(guild_id, ids)
        return {user_id: known.get(user_id, self.guild_lang) for user_id in ids}

    async def dm_members(self, guild_id: int, user_ids: Iterable[int], render: Callable[[str], str]) -> int:
        """DM each member who keeps reminder DMs on ``render(their language)``; returns how many were
        reached. Each language's text is rendered once."""
        texts: dict[str, str] = {}
        reached = 0
        for user_id, lang in (await self.member_languages(guild_id, user_ids)).items():
            settings = await self.bot.services.members.get(guild_id, user_id)
            if not settings.dm_reminders:
                continue
            if lang not in texts:
                texts[lang] = render(lang)
            if await self.send_dm(user_id, texts[lang]):
                reached += 1
        return reached

    # --- announcements -----------------------------------------------------------------------------

    def announcement_state(self, occurrence: Occurrence) -> tuple[bool, bool]:
        """(ended, check-in shown) for an occurrence right now."""
        now = self.bot.clock.now()
        ended = occurrence.ends_at <= now
        check_in = occurrence.status == "scheduled" and occurrence.starts_at - CHECK_IN_EARLY <= now
        return ended, check_in

    def announcement_message(
        self, occurrence: Occurrence, *, checked_in: int | None = None
    ) -> tuple[discord.Embed, discord.ui.View]:
        ended, check_in = self.announcement_state(occurrence)
        open_ = occurrence.status == "scheduled" and not ended
        embed = _render.announcement_embed(
            self.bot.catalog, self.guild_lang, occurrence, ended=ended, checked_in=checked_in
        )
        view = event_buttons(
            self.bot.catalog,
            self.guild_lang,
            occurrence.id,
            rsvp_open=open_,
            check_in=check_in,
            check_in_open=open_,
        )
        return embed, view

    async def post_announcement(
        self,
        channel: discord.TextChannel,
        occurrence: Occurrence,
        *,
        content: str | None = None,
        allowed_mentions: discord.AllowedMentions | None = None,
    ) -> discord.Message:
        """Post the announcement (embed + buttons) and remember it as the occurrence's announcement."""
        embed, view = self.announcement_message(occurrence)
        message = await channel.send(
            content,
            embed=embed,
            view=view,
            allowed_mentions=allowed_mentions or discord.AllowedMentions.none(),
        )
        await self.bot.services.events.set_announcement(occurrence.id, channel.id, message.id)
        return message

    async def refresh_announcement(self, occurrence_id: int, *, checked_in: int | None = None) -> None:
        """Re-render an occurrence's announcement from the database. Best effort: a deleted message or
        channel is logged, never raised (the database, not the message, is the truth)."""
        occurrence = await self.bot.services.events.get_occurrence(occurrence_id, include_cancelled=True)
        if occurrence.announcement_channel_id is None or occurrence.announcement_message_id is None:
            return
        channel = self.bot.get_channel(occurrence.announcement_channel_id)
        if not isinstance(channel, discord.TextChannel):
            log.info("Announcement channel of occurrence %s is gone", occurrence_id)
            return
        embed, view = self.announcement_message(occurrence, checked_in=checked_in)
        try:
            await channel.get_partial_message(occurrence.announcement_message_id).edit(embed=embed, view=view)
        except discord.NotFound:
            log.info("Announcement of occurrence %s was deleted", occurrence_id)
        except discord.HTTPException:
            log.warning("Could not update the announcement of occurrence %s", occurrence_id, exc_info=True)

    async def move_announcement(self, guild: discord.Guild, occurrence: Occurrence) -> None:
        """Announce the occurrence in its new channel (buttons and current counts; remembered as its
        announcement) and turn the old announcement into a short "moved to" notice without buttons."""
        old_channel_id, old_message_id = (
            occurrence.announcement_channel_id,
            occurrence.announcement_message_id,
        )
        target = self.text_channel(guild, occurrence.channel_id)
        if target is None or self.missing_permissions(target):
            # Checked by /event edit just before; the channel changed since. Reminders report it.
            log.warning(
                "Cannot move the announcement of occurrence %s to %s", occurrence.id, occurrence.channel_id
            )
            await self.refresh_announcement(occurrence.id)
            return
        try:
            await self.post_announcement(target, occurrence)
        except discord.HTTPException:
            log.warning("Could not announce occurrence %s in its new channel", occurrence.id, exc_info=True)
            await self.refresh_announcement(occurrence.id)
            return
        old_channel = self.bot.get_channel(old_channel_id) if old_channel_id is not None else None
        if old_message_id is None or not isinstance(old_channel, discord.TextChannel):
            return
        notice = self.bot.t(
            self.guild_lang, "events_ui.edit.moved", title=occurrence.title, channel=target.mention
        )
        try:
            await old_channel.get_partial_message(old_message_id).edit(content=notice, embed=None, view=None)
        except discord.NotFound:
            pass  # the old announcement was deleted: nothing left to point elsewhere
        except discord.HTTPException:
            log.warning("Could not mark the old announcement of %s as moved", occurrence.id, exc_info=True)

    def schedule_refresh(self, occurrence_id: int) -> None:
        """Refresh the announcement soon, coalescing bursts: one pending task per occurrence, and at
        most one edit per ``REFRESH_INTERVAL``. Clicks arriving while a task waits are folded into it,
        since it reads the counts only when it runs."""
        pending = self._refresh_tasks.get(occurrence_id)
        if pending is not None and not pending.done():
            return
        self._refresh_tasks[occurrence_id] = asyncio.create_task(
            self._refresh_after_pause(occurrence_id), name=f"event-refresh-{occurrence_id}"
        )

    async def _refresh_after_pause(self, occurrence_id: int) -> None:
        loop = asyncio.get_running_loop()
        last = self._last_refresh.get(occurrence_id)
        if last is not None:
            await asyncio.sleep(max(0.0, last + REFRESH_INTERVAL - loop.time()))
        # From here a new click must start a new task: this one may already have read the counts.
        self._refresh_tasks.pop(occurrence_id, None)
        self._last_refresh[occurrence_id] = loop.time()
        try:
            await self.refresh_announcement(occurrence_id)
        except Exception:
            log.exception("Refreshing the announcement of occurrence %s failed", occurrence_id)

    # --- Discord's Events tab ------------------------------------------------------------------------

    async def _can_mirror(self, guild: discord.Guild) -> bool:
        permissions = guild.me.guild_permissions
        if permissions.manage_events or permissions.create_events:
            return True
        await self._tell_no_manage_events(guild)
        return False

    async def _tell_no_manage_events(self, guild: discord.Guild) -> None:
        if guild.id in self._told_no_manage_events:
            return
        self._told_no_manage_events.add(guild.id)
        log.warning(
            "No Manage Events permission in guild %s: events are not mirrored to the Events tab", guild.id
        )
        await self.bot.post_mod_log(
            guild.id, self.bot.t(self.guild_lang, "events_ui.create.no_manage_events")
        )

    def _location(self, occurrence: Occurrence, guild: discord.Guild) -> str:
        if occurrence.link and len(occurrence.link) <= SCHEDULED_EVENT_LOCATION_LIMIT:
            return occurrence.link
        channel = guild.get_channel(occurrence.channel_id)
        name = f"#{channel.name}" if channel is not None else guild.name
        return _render.clip(name, SCHEDULED_EVENT_LOCATION_LIMIT)

    async def mirror_create(self, guild: discord.Guild, occurrence: Occurrence) -> None:
        """Show the occurrence in Discord's Events tab. Best effort: the announcement is the truth."""
        if occurrence.discord_event_id is not None or not await self._can_mirror(guild):
            return
        try:
            scheduled = await guild.create_scheduled_event(
                name=occurrence.title,
                start_time=occurrence.starts_at,
                end_time=occurrence.ends_at,
                entity_type=discord.EntityType.external,
                privacy_level=discord.PrivacyLevel.guild_only,
                location=self._location(occurrence, guild),
                description=_render.clip(occurrence.description, SCHEDULED_EVENT_DESCRIPTION_LIMIT)
                or MISSING,
            )
        except discord.Forbidden:
            await self._tell_no_manage_events(guild)
            return
        except discord.HTTPException:
            log.warning("Could not mirror occurrence %s to the Events tab", occurrence.id, exc_info=True)
            return
        await self.bot.services.events.set_discord_event_id(occurrence.id, scheduled.id)

    async def mirror_update(self, guild: discord.Guild, occurrence: Occurrence) -> None:
        """Edit (or, when cancelled, delete) the mirrored scheduled event of an occurrence."""
        if occurrence.discord_event_id is None:
            return
        try:
            scheduled = await guild.fetch_scheduled_event(occurrence.discord_event_id)
            if occurrence.status == "cancelled":
                await scheduled.delete()
            else:
                await scheduled.edit(
                    name=occurrence.title,
                    start_time=occurrence.starts_at,
                    end_time=occurrence.ends_at,
                    entity_type=discord.EntityType.external,
                    location=self._location(occurrence, guild),
                    description=_render.clip(occurrence.description, SCHEDULED_EVENT_DESCRIPTION_LIMIT),
                )
                return
        except discord.NotFound:
            pass  # deleted by hand in Discord: forget it below
        except discord.Forbidden:
            await self._tell_no_manage_events(guild)
            return
        except discord.HTTPException:
            log.warning(
                "Could not update the Events tab entry of occurrence %s", occurrence.id, exc_info=True
            )
            return
        await self.bot.services.events.set_discord_event_id(occurrence.id, None)

    # --- autocomplete ------------------------------------------------------------------------------

    async def event_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild is None:
            return []
        settings = await self.bot.services.members.get(interaction.guild.id, interaction.user.id)
        zone_name = settings.timezone or self.bot.config.timezone
        zone = get_zone(zone_name)
        found = await self.bot.services.events.search(interaction.guild.id, current.strip(), limit=25)
        choices = []
        for occurrence in found:
            local = occurrence.starts_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
            suffix = f" · {local} ({zone_name})"
            name = _render.clip(occurrence.title, AUTOCOMPLETE_NAME_LIMIT - len(suffix)) + suffix
            choices.append(app_commands.Choice(name=name[:AUTOCOMPLETE_NAME_LIMIT], value=str(occurrence.id)))
        return choices

    async def timezone_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return zone_choices(current)

    # --- commands ----------------------------------------------------------------------------------

    @event.command(
        name=cmd_str("cmd.event.create.name"),
        description=cmd_str("cmd.event.create.description"),
    )
    @_described(
        "create",
        "title",
        "start",
        "timezone",
        "duration",
        "channel",
        "audience",
        "description",
        "link",
        "recurrence",
        "reminders",
    )
    @app_commands.choices(recurrence=_choices("cmd.event.create.choices", RECURRENCES))
    @app_commands.autocomplete(timezone=timezone_autocomplete)
    @moderator_only()
    async def create(
        self,
        interaction: discord.Interaction,
        title: str,
        start: str,
        timezone: str | None = None,
        duration: int | None = None,
        channel: discord.TextChannel | None = None,
        audience: discord.Role | None = None,
        description: str | None = None,
        link: str | None = None,
        recurrence: str = "none",
        reminders: str | None = None,
    ) -> None:
        guild = self._guild(interaction)
        lang = self.bot.lang_for(interaction)
        target = self._announcement_channel(guild, channel)
        # Before anything is written: an event nobody can see announced is worse than no event.
        self._ensure_can_post(target, lang)
        await interaction.response.defer(ephemeral=True, thinking=True)
        draft = EventDraft(
            guild_id=guild.id,
            organiser_id=interaction.user.id,
            title=title,
            start=start,
            channel_id=target.id,
            timezone=_zone_option(timezone),
            duration_minutes=duration,
            description=description or "",
            link=_blank_to_none(link),
            recurrence=recurrence,
            lead_times=reminders,
            audience_role_id=None if audience is None or audience.is_default() else audience.id,
        )
        occurrence = await self.bot.services.events.create_event(draft)
        message = await self.post_announcement(target, occurrence)
        await self.mirror_create(guild, occurrence)
        await reply(
            interaction,
            self.bot.t(
                lang,
                "events_ui.create.done",
                title=occurrence.title,
                when=_render.when(occurrence),
                url=message.jump_url,
            ),
        )

    @event.command(
        name=cmd_str("cmd.event.list.name"),
        description=cmd_str("cmd.event.list.description"),
    )
    @_described("list", "days")
    async def list_(
        self, interaction: discord.Interaction, days: app_commands.Range[int, 1, 3650] = 30
    ) -> None:
        guild = self._guild(interaction)
        lang = self.bot.lang_for(interaction)
        events = self.bot.services.events
        first = await events.upcoming(guild.id, days=days, limit=_render.LIST_PAGE_SIZE, offset=0)
        pages = max(1, -(-first.total // _render.LIST_PAGE_SIZE))

        async def render(page: int) -> discord.Embed:
            found = (
                first
                if page == 0
                else await events.upcoming(
                    guild.id, days=days, limit=_render.LIST_PAGE_SIZE, offset=page * _render.LIST_PAGE_SIZE
                )
            )
            return _render.list_page_embed(
                self.bot.catalog, lang, found.items, days=days, page=page, pages=pages
            )

        embed = await render(0)
        if pages == 1:
            await reply(interaction, embed=embed)
            return
        view = Paginator(interaction.user.id, self.bot.catalog, lang, render, pages)
        await interaction.response.send_message(embed=embed, view=view, ephemeral=True)
        view.message = await interaction.original_response()

    @event.command(
        name=cmd_str("cmd.event.info.name"),
        description=cmd_str("cmd.event.info.description"),
    )
    @_described("info", "event")
    @app_commands.autocomplete(event=event_autocomplete)
    async def info(self, interaction: discord.Interaction, event: str) -> None:
        lang = self.bot.lang_for(interaction)
        occurrence = await self._occurrence(interaction, event)
        embed = _render.announcement_embed(self.bot.catalog, lang, occurrence)
        content = self.announcement_url(occurrence) if occurrence.announcement_message_id else None
        await reply(interaction, content, embed=embed)

    @event.command(
        name=cmd_str("cmd.event.edit.name"),
        description=cmd_str("cmd.event.edit.description"),
    )
    @_described(
        "edit",
        "event",
        "title",
        "start",
        "timezone",
        "duration",
        "description",
        "link",
        "reminders",
        "channel",
    )
    @app_commands.autocomplete(event=event_autocomplete, timezone=timezone_autocomplete)
    @moderator_only()
    async def edit(
        self,
        interaction: discord.Interaction,
        event: str,
        title: str | None = None,
        start: str | None = None,
        timezone: str | None = None,
        duration: int | None = None,
        description: str | None = None,
        link: str | None = None,
        reminders: str | None = None,
        channel: discord.TextChannel | None = None,
    ) -> None:
        lang = self.bot.lang_for(interaction)
        occurrence = await self._occurrence(interaction, event)
        if channel is not None:
            # As in create, before anything is written: never move an event where it cannot be seen.
            self._ensure_can_post(channel, lang)
        changes = EventChanges(
            title=title,
            description=description,
            link=link,
            start=start,
            timezone=_zone_option(timezone),
            duration_minutes=duration,
            lead_times=reminders,
            channel_id=None if channel is None else channel.id,
        )
        if changes.is_empty():
            raise UserFacingError("events_ui.edit.nothing")

        async def apply(answer: discord.Interaction, scope: Scope) -> None:
            await self._apply_edit(answer, occurrence.id, changes, scope, lang)

        await self._with_scope(interaction, occurrence, lang, "events_ui.scope.question_edit", apply)

    async def _with_scope(
        self,
        interaction: discord.Interaction,
        occurrence: Occurrence,
        lang: str,
        question_key: str,
        apply: ScopeAction,
    ) -> None:
        """Run ``apply(interaction, scope)``: directly for a one-off, after asking for a series."""
        if not occurrence.is_recurring:
            await interaction.response.defer(ephemeral=True, thinking=True)
            await apply(interaction, "this")
            return
        view = ScopeChooser(interaction.user.id, self.bot.catalog, lang, apply)
        await interaction.response.send_message(
            self.bot.t(lang, question_key, title=occurrence.title), view=view, ephemeral=True
        )
        view.message = await interaction.original_response()

    async def _apply_edit(
        self,
        interaction: discord.Interaction,
        occurrence_id: int,
        changes: EventChanges,
        scope: Scope,
        lang: str,
    ) -> None:
        guild = self._guild(interaction)
        result = await self.bot.services.events.edit_event(
            occurrence_id,
            changes,
            scope,
            interaction.user.id,
            editor_is_moderator=self.bot.is_moderator(interaction.user),
        )
        for occurrence in result.occurrences:
            if changes.channel_id is not None and occurrence.announcement_channel_id not in (
                None,
                occurrence.channel_id,
            ):
                await self.move_announcement(guild, occurrence)
            else:
                await self.refresh_announcement(occurrence.id)
            # The Events tab location names the channel (unless a link fits there): it follows too.
            await self.mirror_update(guild, occurrence)
        edited = (
            result.occurrences[0]
            if result.occurrences
            else await self.bot.services.events.get_occurrence(occurrence_id)
        )
        notified = 0
        if result.time_changed or changes.link is not None:
            url = self.announcement_url(edited)
            notified = await self.dm_members(
                guild.id,
                result.notify_user_ids,
                lambda lang: _render.change_notice_text(self.bot.catalog, lang, edited, url),
            )
        await reply(
            interaction,
            self.bot.t(
                lang, "events_ui.edit.done", title=edited.title, when=_render.when(edited), notified=notified
            ),
        )

    @event.command(
        name=cmd_str("cmd.event.cancel.name"),
        description=cmd_str("cmd.event.cancel.description"),
    )
    @_described("cancel", "event")
    @app_commands.autocomplete(event=event_autocomplete)
    @moderator_only()
    async def cancel(self, interaction: discord.Interaction, event: str) -> None:
        lang = self.bot.lang_for(interaction)
        occurrence = await self._occurrence(interaction, event)

        async def apply(answer: discord.Interaction, scope: Scope) -> None:
            await self._apply_cancel(answer, occurrence.id, scope, lang)

        await self._with_scope(interaction, occurrence, lang, "events_ui.scope.question_cancel", apply)

    async def _apply_cancel(
        self, interaction: discord.Interaction, occurrence_id: int, scope: Scope, lang: str
    ) -> None:
        guild = self._guild(interaction)
        result = await self.bot.services.events.cancel_event(
            occurrence_id,
            scope,
            interaction.user.id,
            editor_is_moderator=self.bot.is_moderator(interaction.user),
        )
        for occurrence in result.occurrences:
            await self.refresh_announcement(occurrence.id)
            await self.mirror_update(guild, occurrence)
        if not result.occurrences:
            raise UserFacingError("events_ui.errors.unknown_event")
        first = result.occurrences[0]
        series_count = len(result.occurrences) if scope == "series" else None

        def notice(notice_lang: str) -> str:
            return _render.cancelled_post_text(
                self.bot.catalog, notice_lang, first, series_count=series_count
            )

        channel = self.text_channel(guild, first.channel_id)
        if channel is not None and not self.missing_permissions(channel):
            await channel.send(notice(self.guild_lang), allowed_mentions=discord.AllowedMentions.none())
        await self.dm_members(guild.id, result.notify_user_ids, notice)
        if scope == "series":
            text = self.bot.t(
                lang, "events_ui.cancel.done_series", title=first.title, count=len(result.occurrences)
            )
        else:
            text = self.bot.t(lang, "events_ui.cancel.done", title=first.title, when=_render.when(first))
        await reply(interaction, text)

    @event.command(
        name=cmd_str("cmd.event.rsvp.name"),
        description=cmd_str("cmd.event.rsvp.description"),
    )
    @_described("rsvp", "event", "status")
    @app_commands.choices(status=_choices("cmd.event.rsvp.choices", RSVP_STATUSES))
    @app_commands.autocomplete(event=event_autocomplete)
    async def rsvp(self, interaction: discord.Interaction, event: str, status: str) -> None:
        occurrence_id = await self._occurrence_id(interaction, event)
        await self.answer_rsvp(interaction, occurrence_id, status)

    async def _guild_occurrence(self, interaction: discord.Interaction, occurrence_id: int) -> Occurrence:
        """The occurrence a button or command names, refused unless it belongs to this guild."""
        occurrence = await self.bot.services.events.get_occurrence(occurrence_id)
        if occurrence.guild_id != self._guild(interaction).id:
            raise UserFacingError("events_ui.errors.unknown_event")
        return occurrence

    @staticmethod
    @contextlib.contextmanager
    def _polite_audience_refusal(occurrence: Occurrence) -> Iterator[None]:
        """Say whom the event is for, and what to do about it, instead of the service's bare refusal."""
        try:
            yield
        except UserFacingError as error:
            if error.key != "events.errors.not_in_audience" or occurrence.audience_role_id is None:
                raise
            raise UserFacingError(
                "events_ui.rsvp.not_audience",
                title=occurrence.title,
                role=f"<@&{occurrence.audience_role_id}>",
            ) from error

    async def answer_rsvp(self, interaction: discord.Interaction, occurrence_id: int, status: str) -> None:
        """An RSVP from the command or a button: record it, confirm privately, refresh the counts soon."""
        lang = self.bot.lang_for(interaction)
        occurrence = await self._guild_occurrence(interaction, occurrence_id)
        with self._polite_audience_refusal(occurrence):
            await self.bot.services.events.rsvp(
                occurrence_id, interaction.user.id, status, _member_role_ids(interaction.user)
            )
        await reply(
            interaction,
            self.bot.t(
                lang, f"events_ui.rsvp.{status}", title=occurrence.title, when=_render.when(occurrence)
            ),
        )
        self.schedule_refresh(occurrence_id)
        await remember_member_language(self.bot, interaction)

    async def answer_check_in(self, interaction: discord.Interaction, occurrence_id: int) -> None:
        lang = self.bot.lang_for(interaction)
        occurrence = await self._guild_occurrence(interaction, occurrence_id)
        with self._polite_audience_refusal(occurrence):
            result = await self.bot.services.events.check_in(
                occurrence_id, interaction.user.id, _member_role_ids(interaction.user)
            )
        key = "events_ui.checkin.already" if result.already else "events_ui.checkin.done"
        await reply(interaction, self.bot.t(lang, key, title=result.occurrence.title))
        await remember_member_language(self.bot, interaction)

    @event.command(
        name=cmd_str("cmd.event.attendees.name"),
        description=cmd_str("cmd.event.attendees.description"),
    )
    @_described("attendees", "event")
    @app_commands.autocomplete(event=event_autocomplete)
    @moderator_only()
    async def attendees(self, interaction: discord.Interaction, event: str) -> None:
        lang = self.bot.lang_for(interaction)
        occurrence = await self._occurrence(interaction, event, include_cancelled=True)
        found = await self.bot.services.events.attendees(occurrence.id)
        await reply(interaction, embed=_render.attendees_embed(self.bot.catalog, lang, occurrence, found))

    @event.command(
        name=cmd_str("cmd.event.calendar.name"),
        description=cmd_str("cmd.event.calendar.description"),
    )
    @_described("calendar", "event")
    @app_commands.autocomplete(event=event_autocomplete)
    async def calendar(self, interaction: discord.Interaction, event: str | None = None) -> None:
        guild = self._guild(interaction)
        lang = self.bot.lang_for(interaction)
        if event is None:
            data = await self.bot.services.events.ics_for(guild.id)
            content, filename = self.bot.t(lang, "events_ui.calendar.all"), "wim-alliance.ics"
        else:
            occurrence = await self._occurrence(interaction, event, include_cancelled=True)
            data = await self.bot.services.events.ics_for(guild.id, occurrence.id)
            content = self.bot.t(lang, "events_ui.calendar.one", title=occurrence.title)
            filename = f"wim-event-{occurrence.id}.ics"
        await reply(interaction, content, file=discord.File(io.BytesIO(data), filename=filename))

    @event.command(
        name=cmd_str("cmd.event.dm.name"),
        description=cmd_str("cmd.event.dm.description"),
    )
    @_described("dm", "setting")
    @app_commands.choices(setting=_choices("cmd.event.dm.choices", ("on", "off")))
    async def dm(self, interaction: discord.Interaction, setting: str) -> None:
        guild = self._guild(interaction)
        enabled = setting == "on"
        await self.bot.services.members.set_dm_reminders(guild.id, interaction.user.id, enabled)
        await reply(interaction, self.bot.t(interaction, f"events_ui.dm.{'on' if enabled else 'off'}"))


# Kept for the smoke test and docs: the persistent custom_id templates this cog owns.
PERSISTENT_ITEMS: Final = (RsvpButton, CheckInButton)


async def setup(bot: WimBot) -> None:
    await bot.add_cog(Events(bot))
    bot.add_dynamic_items(*PERSISTENT_ITEMS)
