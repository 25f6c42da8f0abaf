"""The ``Events`` cog: the /event commands and the entry points of its persistent buttons.

Discord glue only: each command parses its options, checks what only Discord can know (permissions
in a channel, roles of the member), calls ``EventService`` and renders the result. The service
decides everything else and raises ``UserFacingError`` for what the member can fix; the tree's
error handler shows those in the member's language.

Announcements, reminders and notices posted in channels speak the event's language: chosen with
/event create or /event edit (``language``), by default the channel's (``channel_languages`` in
config.yml), else the guild's (``config.language``); see ``Announcements.lang``. Replies to a member
speak theirs (``bot.lang_for``), and so do DMs: the tree remembers each member's language on every
interaction (``bot.core.tree.remember_language``). Reports to the mod-log speak the guild's language.
"""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Final

import discord
from discord import app_commands
from discord.ext import commands

from bot import validation
from bot.core.channels import configured_channel, ensure_can_post, post_language, text_channel
from bot.core.checks import moderator_only
from bot.core.groups import group_choices
from bot.core.guild_members import member_of
from bot.core.mentions import can_ping
from bot.core.paginator import Paginator
from bot.core.replies import reply
from bot.core.strings import CommandText, language_choices
from bot.core.zones import zone_choices
from bot.errors import NotFound, UserFacingError
from bot.limits import CHOICE_NAME, clip
from bot.services.events import (
    EVENT_ANNOUNCE,
    EVENT_MIRROR,
    MAX_DESCRIPTION_LENGTH,
    MAX_DURATION_MINUTES,
    MAX_LINK_LENGTH,
    MAX_TITLE_LENGTH,
    RECURRENCES,
    RSVP_STATUSES,
    EventChanges,
    EventDraft,
    Occurrence,
    OutboxTimer,
    Scope,
)
from bot.timeutil import get_zone
from cogs.events import _render
from cogs.events._announcements import Announcements
from cogs.events._handlers import EventTimerHandlers
from cogs.events._mirror import EventsTabMirror
from cogs.events._views import CheckInButton, MeetingLinkButton, RsvpButton, ScopeAction, ScopeChooser

if TYPE_CHECKING:
    from bot.core.bot import WimBot

log = logging.getLogger(__name__)

# Client-side limits of the string options, so Discord tells the member before they send.
START_MAX: Final = 32  # "YYYY-MM-DD HH:MM" with room for stray spaces
LEAD_TIMES_MAX: Final = 100  # ten lead times such as "60d," fit in 40
EVENT_MAX: Final = 100  # an autocomplete value, or part of a title or date

EVENT = CommandText("event")
CREATE = CommandText("event.create")
LIST = CommandText("event.list")
INFO = CommandText("event.info")
EDIT = CommandText("event.edit")
CANCEL = CommandText("event.cancel")
RSVP = CommandText("event.rsvp")
ATTENDEES = CommandText("event.attendees")
CALENDAR = CommandText("event.calendar")
DM = CommandText("event.dm")

Title = app_commands.Range[str, 1, MAX_TITLE_LENGTH]
Start = app_commands.Range[str, 1, START_MAX]
Zone = app_commands.Range[str, 1, validation.MAX_ZONE_LENGTH]
GroupRef = app_commands.Range[str, 1, 100]  # a working group's key (autocomplete) or name
Description = app_commands.Range[str, 0, MAX_DESCRIPTION_LENGTH]
Link = app_commands.Range[str, 0, MAX_LINK_LENGTH]
LeadTimes = app_commands.Range[str, 0, LEAD_TIMES_MAX]
EventRef = app_commands.Range[str, 1, EVENT_MAX]
Duration = app_commands.Range[int, 1, MAX_DURATION_MINUTES]


def _member_role_ids(user: discord.Member | discord.User) -> list[int]:
    return [role.id for role in user.roles] if isinstance(user, discord.Member) else []


def _blank_to_none(value: str | None) -> str | None:
    return value if value is None or value.strip() else None


def _zone_option(value: str | None) -> str | None:
    """A typed time zone option: None when left empty (the service checks and spells the rest)."""
    return _blank_to_none(value)


class Events(commands.Cog):
    # default_permissions would be the UI hint, but Discord applies it to top-level commands only and
    # /event also holds member commands (list, rsvp...): moderator_only() is what enforces, and
    # docs/commands.md says so.
    event = EVENT.group(guild_only=True)

    def __init__(self, bot: WimBot) -> None:
        self.bot = bot
        self.announcements = Announcements(bot)
        self.mirror = EventsTabMirror(bot)
        self.handlers = EventTimerHandlers(bot, self.announcements, self.mirror)
        self._seeded_guilds: set[int] = set()

    # --- life cycle ----------------------------------------------------------------------------

    async def cog_load(self) -> None:
        self.bot.services.timers.register_all(self.handlers.table())

    async def cog_unload(self) -> None:
        self.bot.services.timers.unregister_all(self.handlers.table())
        await self.handlers.close()

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        """Per guild, once per process: seed the configured calendar (idempotent in the service) and
        check that the audience roles of upcoming events can really be pinged."""
        for guild_id in self.bot.config.guild_ids:
            guild = self.bot.get_guild(guild_id)
            if guild is None or guild_id in self._seeded_guilds:
                continue
            self._seeded_guilds.add(guild_id)
            try:
                await self.handlers.seed_calendar(guild)
                await self._check_audience_pings(guild)
            except Exception:
                log.exception("Setting up events in guild %s failed", guild_id)

    async def _check_audience_pings(self, guild: discord.Guild) -> None:
        """The guild check for events: an audience role that Discord would not notify is reported to
        the mod-log once, naming what to change (README, "Creating the Discord application")."""
        for occurrence in await self.bot.services.events.next_per_audience(guild.id):
            role = guild.get_role(occurrence.audience_role_id or 0)
            channel = text_channel(guild, occurrence.channel_id)
            if role is not None and not can_ping(role, channel):
                log.warning(
                    "Config check: the bot cannot ping audience role %r in guild %s", role.name, guild.id
                )
                await self.bot.report_once(
                    guild.id, f"ping:{role.id}", self._ping_warning(self.guild_lang, occurrence.title, role)
                )

    def _ping_warning(self, lang: str, title: str, role: discord.Role) -> str:
        return self.bot.t(
            lang, "pings.role_not_pingable", title=title, role=role.mention, role_name=role.name
        )

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
        matches = await self.bot.services.events.search(guild.id, text[:EVENT_MAX], limit=2) if text else []
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

    def _announcement_channel(
        self, guild: discord.Guild, channel: discord.TextChannel | None
    ) -> discord.TextChannel:
        if channel is not None:
            return channel
        default = configured_channel(guild, self.bot.config.channels.announcements)
        if default is None:
            raise UserFacingError(
                "events_ui.errors.no_announcement_channel", channel=self.bot.config.channels.announcements
            )
        return default

    # --- autocomplete ------------------------------------------------------------------------------

    async def event_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild is None:
            return []
        settings = await self.bot.services.members.get(interaction.guild.id, interaction.user.id)
        zone_name = settings.timezone or self.bot.config.timezone
        zone = get_zone(zone_name)
        found = await self.bot.services.events.search(
            interaction.guild.id, current.strip()[:EVENT_MAX], limit=25
        )
        choices = []
        for occurrence in found:
            local = occurrence.starts_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
            suffix = f" · {local} ({zone_name})"
            name = clip(occurrence.title, CHOICE_NAME - len(suffix)) + suffix
            choices.append(app_commands.Choice(name=name[:CHOICE_NAME], value=str(occurrence.id)))
        return choices

    async def group_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """Working groups, by name in the member's language (the value is the group's stable key)."""
        return await group_choices(self.bot, interaction, current)

    async def timezone_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return zone_choices(current)

    # --- commands ----------------------------------------------------------------------------------

    @CREATE.command(event)
    @CREATE.options(
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
        "language",
        "group",
    )
    @app_commands.choices(recurrence=CREATE.choices(RECURRENCES), language=language_choices())
    @app_commands.autocomplete(timezone=timezone_autocomplete, group=group_autocomplete)
    @moderator_only()
    async def create(
        self,
        interaction: discord.Interaction,
        title: Title,
        start: Start,
        timezone: Zone | None = None,
        duration: Duration | None = None,
        channel: discord.TextChannel | None = None,
        audience: discord.Role | None = None,
        description: Description | None = None,
        link: Link | None = None,
        recurrence: str = "none",
        reminders: LeadTimes | None = None,
        language: str | None = None,
        group: GroupRef | None = None,
    ) -> None:
        guild = self._guild(interaction)
        lang = self.bot.lang_for(interaction)
        # Hosted by a working group (a thematic roundtable): announced in the group's channel, for the
        # group's role, unless another channel or audience is given.
        host = None
        if group is not None and group.strip():
            host = await self.bot.services.working_groups.find(guild.id, group)
            if channel is None:
                channel = text_channel(guild, host.channel_id)
                if channel is None:
                    raise UserFacingError("events_ui.errors.group_channel_missing", group=host.name.get(lang))
            if audience is None and host.role_id is not None:
                audience = guild.get_role(host.role_id)
        target = self._announcement_channel(guild, channel)
        # What its public posts will speak: as asked, else the channel's, else the server's.
        post_lang = post_language(self.bot.config, target, language)
        # Before anything is written: an event nobody can see announced is worse than no event.
        ensure_can_post(target)
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
            language=post_lang,
        )
        await interaction.response.defer(ephemeral=True, thinking=True)
        # The outbox: the event's rows and a timer per Discord side effect commit together. They run
        # at once here; if Discord fails, the timers retry later and post exactly once.
        if host is not None:
            occurrence = await self.bot.services.working_groups.create_group_event(host.id, draft, lang)
        else:
            occurrence = await self.bot.services.events.create_and_announce(draft)
        timers = self.bot.services.timers
        await timers.run_now(EVENT_ANNOUNCE, occurrence_id=occurrence.id)
        await timers.run_now(EVENT_MIRROR, occurrence_id=occurrence.id)
        occurrence = await self.bot.services.events.get_occurrence(occurrence.id)
        if occurrence.announcement_message_id is not None:
            text = self.bot.t(
                lang,
                "events_ui.create.done",
                title=occurrence.title,
                when=_render.when(occurrence),
                url=self.announcements.url(occurrence),
            )
        else:
            text = self.bot.t(
                lang,
                "events_ui.create.done_pending",
                title=occurrence.title,
                when=_render.when(occurrence),
                channel=target.mention,
            )
        if audience is not None and not audience.is_default() and not can_ping(audience, target):
            warning = self._ping_warning(lang, occurrence.title, audience)
            text = f"{text}\n\n{warning}"
            await self.bot.report_once(
                guild.id,
                f"ping:{audience.id}",
                self._ping_warning(self.guild_lang, occurrence.title, audience),
            )
        await reply(interaction, text)

    @LIST.command(event)
    @LIST.options("days")
    async def list_(
        self, interaction: discord.Interaction, days: app_commands.Range[int, 1, 3650] = 30
    ) -> None:
        guild = self._guild(interaction)
        lang = self.bot.lang_for(interaction)
        events = self.bot.services.events
        first = await events.upcoming(guild.id, days=days, limit=_render.LIST_PAGE_SIZE, offset=0)
        pages = max(1, -(-first.total // _render.LIST_PAGE_SIZE))
        catalog = self.bot.catalog
        # The first page, already read, serves the first answer only: the paginator does not keep it
        # alive for its whole timeout (a click back to page 0 reads it again).
        unread = [first]

        async def render(page: int) -> discord.Embed:
            found = (
                unread.pop()
                if page == 0 and unread
                else await events.upcoming(
                    guild.id, days=days, limit=_render.LIST_PAGE_SIZE, offset=page * _render.LIST_PAGE_SIZE
                )
            )
            return _render.list_page_embed(catalog, lang, found.items, days=days, page=page, pages=pages)

        await Paginator.send(interaction, catalog, lang, render, pages)

    @INFO.command(event)
    @INFO.options("event")
    @app_commands.autocomplete(event=event_autocomplete)
    async def info(self, interaction: discord.Interaction, event: EventRef) -> None:
        lang = self.bot.lang_for(interaction)
        occurrence = await self._occurrence(interaction, event)
        embed = _render.announcement_embed(self.bot.catalog, lang, occurrence)
        content = self.announcements.url(occurrence) if occurrence.announcement_message_id else None
        await reply(interaction, content, embed=embed)

    @EDIT.command(event)
    @EDIT.options(
        "event",
        "title",
        "start",
        "timezone",
        "duration",
        "description",
        "link",
        "reminders",
        "channel",
        "language",
    )
    @app_commands.choices(language=language_choices())
    @app_commands.autocomplete(event=event_autocomplete, timezone=timezone_autocomplete)
    @moderator_only()
    async def edit(
        self,
        interaction: discord.Interaction,
        event: EventRef,
        title: Title | None = None,
        start: Start | None = None,
        timezone: Zone | None = None,
        duration: Duration | None = None,
        description: Description | None = None,
        link: Link | None = None,
        reminders: LeadTimes | None = None,
        channel: discord.TextChannel | None = None,
        language: str | None = None,
    ) -> None:
        lang = self.bot.lang_for(interaction)
        occurrence = await self._occurrence(interaction, event)
        if channel is not None:
            # As in create, before anything is written: never move an event where it cannot be seen.
            ensure_can_post(channel)
        changes = EventChanges(
            title=title,
            description=description,
            link=link,
            start=start,
            timezone=_zone_option(timezone),
            duration_minutes=duration,
            lead_times=reminders,
            channel_id=None if channel is None else channel.id,
            language=language,
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

    async def _run_outbox(self, outbox: tuple[OutboxTimer, ...]) -> bool:
        """Run an action's outbox timers at once (the member usually sees the result right away); True
        when every one succeeded. A failure is only "later": the dispatcher retries it with backoff."""
        ok = True
        for timer in outbox:
            ok = await self.bot.services.timers.run_now(timer.kind, **timer.payload) and ok
        return ok

    async def _apply_edit(
        self,
        interaction: discord.Interaction,
        occurrence_id: int,
        changes: EventChanges,
        scope: Scope,
        lang: str,
    ) -> None:
        events = self.bot.services.events
        result = await events.edit_event(
            occurrence_id,
            changes,
            scope,
            interaction.user.id,
            editor_is_moderator=self.bot.is_moderator(interaction.user),
        )
        # Committed, with a timer for each card, Events-tab entry and DM notice: from here on, Discord
        # failing means "later", never an error for the organiser.
        done = await self._run_outbox(result.outbox)
        edited = next((o for o in result.occurrences if o.id == occurrence_id), None)
        if edited is None:
            edited = await events.get_occurrence(occurrence_id, include_cancelled=True)
        if not done:
            text = self.bot.t(
                lang, "events_ui.edit.done_pending", title=edited.title, when=_render.when(edited)
            )
        else:
            notified = 0 if result.notice_id is None else (await events.notice_outcome(result.notice_id)).sent
            text = self.bot.t(
                lang, "events_ui.edit.done", title=edited.title, when=_render.when(edited), notified=notified
            )
        await reply(interaction, text)

    @CANCEL.command(event)
    @CANCEL.options("event")
    @app_commands.autocomplete(event=event_autocomplete)
    @moderator_only()
    async def cancel(self, interaction: discord.Interaction, event: EventRef) -> None:
        lang = self.bot.lang_for(interaction)
        occurrence = await self._occurrence(interaction, event)

        async def apply(answer: discord.Interaction, scope: Scope) -> None:
            await self._apply_cancel(answer, occurrence.id, scope, lang)

        await self._with_scope(interaction, occurrence, lang, "events_ui.scope.question_cancel", apply)

    async def _apply_cancel(
        self, interaction: discord.Interaction, occurrence_id: int, scope: Scope, lang: str
    ) -> None:
        result = await self.bot.services.events.cancel_event(
            occurrence_id,
            scope,
            interaction.user.id,
            editor_is_moderator=self.bot.is_moderator(interaction.user),
        )
        # Committed with its outbox (cards, Events tab, the notice in the channel, the DMs): run at once,
        # retried by the dispatcher if Discord fails. The organiser is told it is cancelled either way.
        done = await self._run_outbox(result.outbox)
        first = result.occurrences[0]  # the one asked for (the service puts it first)
        pending = "" if done else "_pending"
        if scope == "series":
            text = self.bot.t(
                lang,
                f"events_ui.cancel.done_series{pending}",
                title=first.title,
                count=len(result.occurrences),
            )
        else:
            text = self.bot.t(
                lang, f"events_ui.cancel.done{pending}", title=first.title, when=_render.when(first)
            )
        await reply(interaction, text)

    @RSVP.command(event)
    @RSVP.options("event", "status")
    @app_commands.choices(status=RSVP.choices(RSVP_STATUSES))
    @app_commands.autocomplete(event=event_autocomplete)
    async def rsvp(self, interaction: discord.Interaction, event: EventRef, status: str) -> None:
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
    def _polite_audience_refusal(dm_guild: discord.Guild | None = None) -> Iterator[None]:
        """Say whom the event is for, and what to do about it, instead of the service's bare refusal.
        In a DM (``dm_guild``: the event's server) a role mention shows as an unknown role, so the
        role is named instead."""
        try:
            yield
        except UserFacingError as error:
            if error.key != "events.errors.not_in_audience":
                raise
            role_id = int(error.params["role_id"])
            role = dm_guild.get_role(role_id) if dm_guild is not None else None
            raise UserFacingError(
                "events_ui.rsvp.not_audience",
                title=error.params["title"],
                role=f"**@{role.name}**" if role is not None else f"<@&{role_id}>",
            ) from error

    async def answer_rsvp(self, interaction: discord.Interaction, occurrence_id: int, status: str) -> None:
        """An RSVP from the command or a button: record it and confirm privately, in one trip to the
        database (the service checks the event belongs to this guild). The service marks the
        announcement for a refresh in the same transaction (a timer), so the counts follow shortly."""
        lang = self.bot.lang_for(interaction)
        guild_id = self._guild(interaction).id
        with self._polite_audience_refusal():
            answered = await self.bot.services.events.rsvp(
                occurrence_id,
                interaction.user.id,
                status,
                _member_role_ids(interaction.user),
                guild_id=guild_id,
            )
        occurrence = answered.occurrence
        await reply(
            interaction,
            self.bot.t(
                lang, f"events_ui.rsvp.{status}", title=occurrence.title, when=_render.when(occurrence)
            ),
        )

    async def answer_check_in(self, interaction: discord.Interaction, occurrence_id: int) -> None:
        lang = self.bot.lang_for(interaction)
        await self._guild_occurrence(interaction, occurrence_id)
        with self._polite_audience_refusal():
            result = await self.bot.services.events.check_in(
                occurrence_id, interaction.user.id, _member_role_ids(interaction.user)
            )
        key = "events_ui.checkin.already" if result.already else "events_ui.checkin.done"
        await reply(interaction, self.bot.t(lang, key, title=result.occurrence.title))

    async def answer_meeting_link(self, interaction: discord.Interaction, occurrence_id: int) -> None:
        """The "Join the meeting" button: the link, privately, for the event's audience; the click is
        counted for /stats (a failed count is logged by the service and the link still answered).
        Pressed in a reminder DM (no server), it is for members of the event's own server still: who
        left it, or lost the audience role since the reminder, is told so instead."""
        lang = self.bot.lang_for(interaction)
        dm_guild: discord.Guild | None = None
        if interaction.guild_id is None:
            dm_guild, roles = await self._member_of_event_server(interaction.user.id, occurrence_id)
        else:
            roles = _member_role_ids(interaction.user)
        with self._polite_audience_refusal(dm_guild):
            found = await self.bot.services.events.meeting_link(
                occurrence_id, interaction.user.id, roles, guild_id=interaction.guild_id
            )
        await reply(
            interaction, _render.meeting_link_text(self.bot.catalog, lang, found.occurrence, found.link)
        )

    async def _member_of_event_server(
        self, user_id: int, occurrence_id: int
    ) -> tuple[discord.Guild, list[int]]:
        """The event's server and the member's roles there (a button pressed in a DM has no server of
        its own). Raises ``events_ui.link.not_member`` when they are not in it any more."""
        occurrence = await self.bot.services.events.get_occurrence(occurrence_id)
        guild = self.bot.get_guild(occurrence.guild_id)
        if guild is None:  # the bot was removed from that server
            raise NotFound("events.errors.unknown_event")
        member = await member_of(guild, user_id)
        if member is None:
            raise UserFacingError("events_ui.link.not_member", server=guild.name)
        return guild, _member_role_ids(member)

    @ATTENDEES.command(event)
    @ATTENDEES.options("event")
    @app_commands.autocomplete(event=event_autocomplete)
    @moderator_only()
    async def attendees(self, interaction: discord.Interaction, event: EventRef) -> None:
        lang = self.bot.lang_for(interaction)
        occurrence = await self._occurrence(interaction, event, include_cancelled=True)
        found = await self.bot.services.events.attendees(occurrence.id)
        await reply(interaction, embed=_render.attendees_embed(self.bot.catalog, lang, occurrence, found))

    @CALENDAR.command(event)
    @CALENDAR.options("event")
    @app_commands.autocomplete(event=event_autocomplete)
    async def calendar(self, interaction: discord.Interaction, event: EventRef | None = None) -> None:
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
        web = self.bot.config.web
        if web.enabled:  # the hub's live feed follows every change; a file is a snapshot
            content += "\n" + self.bot.t(lang, "web.subscribe_hint", url=web.url("/calendar.ics"))
        await reply(interaction, content, file=discord.File(io.BytesIO(data), filename=filename))

    @DM.command(event)
    @DM.options("setting")
    @app_commands.choices(setting=DM.choices(("on", "off")))
    async def dm(self, interaction: discord.Interaction, setting: str) -> None:
        guild = self._guild(interaction)
        enabled = setting == "on"
        await self.bot.services.members.set_dm_reminders(guild.id, interaction.user.id, enabled)
        await reply(interaction, self.bot.t(interaction, f"events_ui.dm.{'on' if enabled else 'off'}"))


# Kept for the smoke test and docs: the persistent custom_id templates this cog owns.
PERSISTENT_ITEMS: Final = (RsvpButton, CheckInButton, MeetingLinkButton)
