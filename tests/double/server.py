"""FakeDiscord: the test-facing facade of the local Discord double.

The double owns a thread running its own asyncio loop and aiohttp server. All state lives on that loop;
public synchronous methods hop onto it (``_sync``), public async methods run there and are awaited from
any other loop (``_async``). See README.md for the API.
"""

# The waits take timeout= on purpose: they run on the double's own loop, so a caller-side
# asyncio.timeout could not describe what was awaited; every wait has a bounded default.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import copy
import datetime as dt
import re
import secrets
import socket
import threading
import time
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from aiohttp import web

from . import limits
from .clock import ClockControl
from .gateway import Gateway
from .interactions import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    MESSAGE_COMPONENT,
    MODAL_SUBMIT,
    InteractionHandle,
    InteractionRecord,
    InteractionResponse,
    InvocationError,
)
from .ratelimits import DiscordRateLimits, RateLimited
from .state import (
    Attachment,
    Channel,
    Guild,
    Member,
    Message,
    Overwrite,
    Perm,
    RequestRecord,
    Role,
    ScheduledEvent,
    SnowflakeFactory,
    Upload,
    User,
    Violation,
    as_permission_int,
    now_utc,
    walk_components,
)

T = TypeVar("T")


class _Named(Protocol):
    @property
    def name(self) -> str: ...


NamedT = TypeVar("NamedT", bound=_Named)

USER_MENTION = re.compile(r"<@!?(\d{15,21})>")
ROLE_MENTION = re.compile(r"<@&(\d{15,21})>")


class ApiError(Exception):
    """An error response in Discord's shape. ``violation`` marks a bot mistake worth failing a test on."""

    def __init__(
        self,
        status: int,
        code: int,
        message: str,
        *,
        violation: bool = False,
        body: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.violation = violation
        self.body = body if body is not None else {"code": code, "message": message}


def form_error(problems: list[limits.Problem]) -> ApiError:
    if problems == [("", "EMPTY")]:
        return ApiError(400, 50006, "Cannot send an empty message", violation=True)
    problems = [p for p in problems if p != ("", "EMPTY")] or problems
    body = limits.invalid_form_body(problems)
    body["message"] = f"Invalid Form Body ({limits.describe(problems)})"
    return ApiError(400, 50035, body["message"], violation=True, body=body)


@dataclass(frozen=True)
class GatewayStats:
    identifies: int
    resumes: int
    connected: bool
    ready: bool
    invalid_sessions: int


class FakeDiscord:
    interaction_deadline = 3.0

    def __init__(self, *, guild_name: str = "WIM Alliance", token: str | None = None) -> None:
        self.snowflakes = SnowflakeFactory()
        self.token = token or f"fake.{secrets.token_urlsafe(24)}"
        self.application_id = self.snowflakes.next()
        self.started_at = now_utc()
        self.users: dict[int, User] = {}
        owner = User(self.snowflakes.next(), "alliance-owner")
        bot_user = User(self.application_id, "WIM Alliance Bot", bot=True)
        self.bot_user_id = bot_user.id
        self.users[owner.id] = owner
        self.users[bot_user.id] = bot_user
        self.guild_id = self.snowflakes.next()
        self.guild = Guild(id=self.guild_id, name=guild_name, owner_id=owner.id)
        self.guild.roles[self.guild_id] = Role(self.guild_id, "@everyone", Perm.EVERYONE_DEFAULT, position=0)
        self.bot_role = Role(
            self.snowflakes.next(),
            "WIM Alliance Bot",
            Perm.BOT_DEFAULT,
            position=10,
            managed=True,
            bot_id=bot_user.id,
        )
        self.guild.roles[self.bot_role.id] = self.bot_role
        self.guild.members[owner.id] = Member(owner, locale="en-US")
        self.guild.members[bot_user.id] = Member(bot_user, role_ids=[self.bot_role.id])
        self._messages: dict[int, Message] = {}
        self._channel_messages: dict[int, list[int]] = {}
        self._dm_channels: dict[int, int] = {}  # user id -> DM channel id
        self._dm_channel_objs: dict[int, Channel] = {}
        self._commands: dict[int | None, list[dict[str, Any]]] = {None: [], self.guild_id: []}
        self._interactions: dict[int, InteractionRecord] = {}
        self._interactions_by_token: dict[str, InteractionRecord] = {}
        self._requests: list[RequestRecord] = []
        self._violations: list[Violation] = []
        self._unhandled: list[RequestRecord] = []
        self._rate_limits: dict[str, tuple[int, float, list[float]]] = {}
        self.discord_limits: DiscordRateLimits | None = None
        self._rate_limited: list[RateLimited] = []
        self._uploads: dict[int, Attachment] = {}  # files attached to slash command options
        self.gateway = Gateway(self)
        self.clock = ClockControl(self)  # the bot's "now": see clock.py and advance()
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._changed: asyncio.Event | None = None
        self._stopped: asyncio.Event | None = None

    # ---- lifecycle ------------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        return f"{self.base_url}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    @property
    def everyone_role(self) -> Role:
        return self.guild.roles[self.guild_id]

    def start(self) -> FakeDiscord:
        """Start the server thread; returns once 127.0.0.1:<port> accepts connections."""
        ready: concurrent.futures.Future[None] = concurrent.futures.Future()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._serve(sock, ready))
            finally:
                loop.close()

        self._thread = threading.Thread(target=run, name=f"fake-discord-{self.port}", daemon=True)
        self._thread.start()
        ready.result(timeout=10)
        return self

    async def _serve(self, sock: socket.socket, ready: concurrent.futures.Future[None]) -> None:
        from .rest import build_app

        self._changed = asyncio.Event()
        self._stopped = asyncio.Event()
        try:
            self._runner = web.AppRunner(
                build_app(self), handle_signals=False, access_log=None, shutdown_timeout=1.0
            )
            await self._runner.setup()
            site = web.SockSite(self._runner, sock)
            await site.start()
        except BaseException as exc:
            ready.set_exception(exc)
            raise
        ready.set_result(None)
        await self._stopped.wait()
        await self.gateway.close_all()
        await self.clock.close_all()
        await self._runner.cleanup()

    def stop(self) -> None:
        if self._loop is None or self._thread is None:
            return
        stopped = self._stopped
        if stopped is not None:
            self._loop.call_soon_threadsafe(stopped.set)
        self._thread.join(timeout=10)
        self._thread = None

    def __enter__(self) -> FakeDiscord:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- thread bridging ------------------------------------------------------------------------------

    def _on_loop(self) -> bool:
        return self._thread is None or threading.current_thread() is self._thread

    def _sync(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        if self._on_loop() or self._loop is None:
            return fn(*args, **kwargs)
        result: concurrent.futures.Future[T] = concurrent.futures.Future()

        def run() -> None:
            try:
                result.set_result(fn(*args, **kwargs))
            except BaseException as exc:
                result.set_exception(exc)

        self._loop.call_soon_threadsafe(run)
        return result.result(timeout=30)

    async def _async(self, coro: Coroutine[Any, Any, T]) -> T:
        if self._loop is None:
            raise RuntimeError("FakeDiscord.start() has not been called")
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self._loop:
            return await coro
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self._loop))

    def notify(self) -> None:
        """Wake every waiter (called on the double's loop after each state change)."""
        if self._changed is not None:
            self._changed.set()
            self._changed = asyncio.Event()

    async def _wait_value_here(self, get: Callable[[], T | None], timeout: float, what: str) -> T:
        deadline = time.monotonic() + timeout
        while True:
            value = get()
            if value is not None and value is not False:
                return value
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(
                    f"timed out after {timeout}s waiting for {what}.\n{self._recent_summary()}"
                )
            assert self._changed is not None
            changed = self._changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), timeout=min(remaining, 0.5))

    async def _initial_response(self, interaction_id: int, timeout: float) -> InteractionResponse:
        """A copy of the interaction's initial response, once it arrived (on the double's loop)."""
        record = self._interactions[interaction_id]
        if record.response is None:
            if record.answered is None:
                record.answered = asyncio.get_running_loop().create_future()
            try:
                await asyncio.wait_for(asyncio.shield(record.answered), timeout=timeout)
            except TimeoutError:
                raise TimeoutError(
                    f"timed out after {timeout}s waiting for the initial response to interaction "
                    f"{interaction_id}.\n{self._recent_summary()}"
                ) from None
        assert record.response is not None
        return copy.deepcopy(record.response)

    async def _wait_value(self, get: Callable[[], T | None], timeout: float, what: str) -> T:
        return await self._async(self._wait_value_here(get, timeout, what))

    def wait_blocking(
        self,
        predicate: Callable[[], Any],
        timeout: float,
        what: str,
        *,
        extra: Callable[[], str] | None = None,
    ) -> Any:
        """Block the calling (non-double) thread until ``predicate()`` is truthy on the double's loop.

        For synchronous fixtures; an exception raised by the predicate propagates at once.
        """
        if self._loop is None or self._on_loop():
            raise RuntimeError("wait_blocking needs a started double and another thread")
        future = asyncio.run_coroutine_threadsafe(
            self._wait_value_here(lambda: predicate() or None, timeout, what), self._loop
        )
        try:
            return future.result(timeout + 5)
        except TimeoutError as exc:
            if extra is None:
                raise
            raise TimeoutError(f"{exc}\n----- bot log (tail) -----\n{extra()}") from None

    def _recent_summary(self) -> str:
        lines = ["recent requests to the double:"]
        lines += [f"  {r.method} {r.path} -> {r.status}" for r in self._requests[-8:]] or ["  (none)"]
        if self._violations:
            lines.append("violations: " + "; ".join(str(v) for v in self._violations[-5:]))
        return "\n".join(lines)

    # ---- records --------------------------------------------------------------------------------------

    def violate(self, kind: str, detail: str, method: str = "", path: str = "") -> None:
        self._violations.append(Violation(kind, detail, method, path))
        self.notify()

    def record_request(self, record: RequestRecord, *, unhandled: bool) -> None:
        self._requests.append(record)
        if unhandled:
            self._unhandled.append(record)
        self.notify()

    @property
    def requests(self) -> list[RequestRecord]:
        return self._sync(lambda: list(self._requests))

    @property
    def violations(self) -> list[Violation]:
        return self._sync(lambda: list(self._violations))

    @property
    def unhandled(self) -> list[RequestRecord]:
        return self._sync(lambda: list(self._unhandled))

    def assert_clean(self, since: tuple[int, int] | int = 0) -> None:
        """Fail if violations or unhandled routes were recorded after ``since`` (see ``checkpoint()``)."""
        v_from, u_from = since if isinstance(since, tuple) else (since, since)
        violations = self.violations[v_from:]
        unhandled = self.unhandled[u_from:]
        if violations or unhandled:
            lines = [f"violation: {v}" for v in violations]
            lines += [f"unhandled route: {r.method} {r.path}" for r in unhandled]
            raise AssertionError("the bot did something real Discord would refuse:\n" + "\n".join(lines))

    def checkpoint(self) -> tuple[int, int]:
        """Counts of (violations, unhandled) now; pass to ``assert_clean``."""
        return self._sync(lambda: (len(self._violations), len(self._unhandled)))

    def mark(self) -> int:
        """Issue a snowflake as a cursor: everything created afterwards has a larger id."""
        return self._sync(self.snowflakes.next)

    def rate_limit(self, route: str, limit: int, per_seconds: float) -> None:
        """Opt-in: answer 429 on ``route`` (a template like ``POST /channels/{channel_id}/messages``)."""
        self._sync(lambda: self._rate_limits.__setitem__(route, (limit, per_seconds, [])))

    def enable_discord_rate_limits(
        self,
        *,
        buckets: dict[tuple[str, str], tuple[int, float]] | None = None,
        global_per_second: int = 50,
    ) -> None:
        """Opt-in: Discord's per-channel message buckets (5 per 5 s) and global cap, with truthful headers."""
        self._sync(lambda: setattr(self, "discord_limits", DiscordRateLimits(buckets, global_per_second)))

    def record_rate_limited(self, refusal: RateLimited) -> None:
        self._rate_limited.append(refusal)

    @property
    def rate_limited(self) -> list[RateLimited]:
        """Every 429 the realistic limits gave (a well-behaved bot gets few or none)."""
        return list(self._rate_limited)

    def rate_limit_check(self, route: str) -> float | None:
        """Seconds to wait if ``route`` is exhausted, else None (and the call is counted)."""
        entry = self._rate_limits.get(route)
        if entry is None:
            return None
        limit, per, stamps = entry
        now = time.monotonic()
        stamps[:] = [s for s in stamps if now - s < per]
        if len(stamps) >= limit:
            return per - (now - stamps[0])
        stamps.append(now)
        return None

    # ---- guild builders -------------------------------------------------------------------------------

    def _next_position(self) -> int:
        return max((r.position for r in self.guild.roles.values() if not r.managed), default=0) + 1

    def add_role(
        self,
        name: str,
        permissions: Any = 0,
        *,
        mentionable: bool = False,
        hoist: bool = False,
        position: int | None = None,
    ) -> Role:
        def run() -> Role:
            pos = position if position is not None else min(self._next_position(), self.bot_role.position - 1)
            if pos >= self.bot_role.position:
                self.bot_role.position = pos + 1
            role = Role(self.snowflakes.next(), name, as_permission_int(permissions), pos, mentionable, hoist)
            self.guild.roles[role.id] = role
            self._dispatch_guild("GUILD_ROLE_CREATE", {"role": role.payload()})
            return role

        return self._sync(run)

    def update_role(
        self, role: Role, *, name: str | None = None, permissions: Any = None, mentionable: bool | None = None
    ) -> None:
        def run() -> None:
            target = self.guild.roles[role.id]
            if name is not None:
                target.name = name
            if permissions is not None:
                target.permissions = as_permission_int(permissions)
            if mentionable is not None:
                target.mentionable = mentionable
            self._dispatch_guild("GUILD_ROLE_UPDATE", {"role": target.payload()})

        self._sync(run)

    def delete_role(self, role: Role) -> None:
        def run() -> None:
            self._remove_role(role.id)

        self._sync(run)

    # ---- working groups: role position (added for the working-groups feature) ----------------------

    def set_role_position(self, role: Role, position: int) -> None:
        """Move a role in the hierarchy (as dragging it in Server Settings > Roles); GUILD_ROLE_UPDATE."""

        def run() -> None:
            target = self.guild.roles[role.id]
            target.position = position
            self._dispatch_guild("GUILD_ROLE_UPDATE", {"role": target.payload()})

        self._sync(run)

    # ---- end of working groups ---------------------------------------------------------------------

    def _remove_role(self, role_id: int) -> None:
        self.guild.roles.pop(role_id, None)
        for member in self.guild.members.values():
            if role_id in member.role_ids:
                member.role_ids.remove(role_id)
        self._dispatch_guild("GUILD_ROLE_DELETE", {"role_id": str(role_id)})

    def add_member(
        self,
        name: str,
        roles: Iterable[Role] = (),
        *,
        locale: str = "en-US",
        dms_closed: bool = False,
        nick: str | None = None,
        bot: bool = False,
    ) -> Member:
        def run() -> Member:
            user = User(self.snowflakes.next(), name, bot=bot)
            self.users[user.id] = user
            member = Member(user, [r.id for r in roles], locale=locale, dms_closed=dms_closed, nick=nick)
            self.guild.members[user.id] = member
            self._dispatch_guild("GUILD_MEMBER_ADD", member.payload())
            return member

        return self._sync(run)

    def remove_member(self, member: Member) -> None:
        def run() -> None:
            self.guild.members.pop(member.id, None)
            self._dispatch_guild("GUILD_MEMBER_REMOVE", {"user": self.users[member.id].payload()})

        self._sync(run)

    def add_member_role(self, member: Member, role: Role) -> None:
        self._sync(self._set_member_role, member.id, role.id, True)

    def remove_member_role(self, member: Member, role: Role) -> None:
        self._sync(self._set_member_role, member.id, role.id, False)

    def _set_member_role(self, user_id: int, role_id: int, present: bool) -> None:
        member = self.guild.members[user_id]
        if present and role_id not in member.role_ids:
            member.role_ids.append(role_id)
        elif not present and role_id in member.role_ids:
            member.role_ids.remove(role_id)
        else:
            return
        self._dispatch_guild("GUILD_MEMBER_UPDATE", member.payload())

    def add_text_channel(
        self,
        name: str,
        *,
        topic: str | None = None,
        overwrites: Iterable[tuple[Role | Member, int, int]] = (),
    ) -> Channel:
        """``overwrites``: (role_or_member, allow, deny) triples."""

        def run() -> Channel:
            channel = Channel(self.snowflakes.next(), name, 0, self.guild_id, len(self.guild.channels), topic)
            for target, allow, deny in overwrites:
                kind = 1 if isinstance(target, Member) else 0
                channel.overwrites.append(
                    Overwrite(target.id, kind, as_permission_int(allow), as_permission_int(deny))
                )
            self.guild.channels[channel.id] = channel
            self._dispatch_guild("CHANNEL_CREATE", channel.payload())
            return channel

        return self._sync(run)

    def set_channel_overwrite(
        self, channel: Channel, target: Role | Member, *, allow: Any = 0, deny: Any = 0
    ) -> None:
        def run() -> None:
            ch = self.guild.channels[channel.id]
            ch.overwrites = [o for o in ch.overwrites if o.target_id != target.id]
            kind = 1 if isinstance(target, Member) else 0
            ch.overwrites.append(
                Overwrite(target.id, kind, as_permission_int(allow), as_permission_int(deny))
            )
            self._dispatch_guild("CHANNEL_UPDATE", ch.payload())

        self._sync(run)

    def delete_channel(self, channel: Channel) -> None:
        def run() -> None:
            ch = self.guild.channels.pop(channel.id)
            self._dispatch_guild("CHANNEL_DELETE", ch.payload())

        self._sync(run)

    def set_bot_permissions(self, permissions: Any) -> None:
        self.update_role(self.bot_role, permissions=permissions)

    def set_everyone_permissions(self, permissions: Any) -> None:
        self.update_role(self.everyone_role, permissions=permissions)

    def post_user_message(self, channel: Channel, member: Member, content: str) -> Message:
        def run() -> Message:
            msg = Message(self.snowflakes.next(), channel.id, member.id, content=content)
            msg.pinged_user_ids = frozenset(
                int(u) for u in USER_MENTION.findall(content) if int(u) in self.users
            )
            self._store_message(msg)
            return copy.deepcopy(msg)

        return self._sync(run)

    def post_bot_message(
        self,
        channel: Channel,
        content: str,
        *,
        embeds: list[dict[str, Any]] | None = None,
        components: list[dict[str, Any]] | None = None,
    ) -> Message:
        """A message the bot posted earlier (state prepared for a test): stored, nothing dispatched."""

        def run() -> Message:
            msg = Message(
                self.snowflakes.next(),
                channel.id,
                self.bot_user_id,
                content=content,
                embeds=copy.deepcopy(embeds or []),
                components=copy.deepcopy(components or []),
            )
            self._store_message(msg)
            return copy.deepcopy(msg)

        return self._sync(run)

    def role(self, name: str) -> Role:
        return self._sync(lambda: self._find(self.guild.roles.values(), name, "role"))

    def channel(self, name: str) -> Channel:
        return self._sync(lambda: self._find(self.guild.channels.values(), name, "channel"))

    def member(self, name: str) -> Member:
        return self._sync(lambda: self._find(self.guild.members.values(), name, "member"))

    @staticmethod
    def _find(items: Iterable[NamedT], name: str, what: str) -> NamedT:
        for item in items:
            if item.name == name:
                return item
        raise KeyError(f"no {what} named {name!r}")

    def permissions_in(self, channel: Channel, member: Member | None = None) -> int:
        def run() -> int:
            who = self.guild.members[member.id if member is not None else self.bot_user_id]
            return self.guild.channel_permissions(who, self.guild.channels[channel.id])

        return self._sync(run)

    def _dispatch_guild(self, event: str, data: dict[str, Any]) -> None:
        self.gateway.dispatch(event, {**data, "guild_id": str(self.guild_id)})
        self.notify()

    # ---- inspection -----------------------------------------------------------------------------------

    @staticmethod
    def _id(obj: Any) -> int:
        return obj if isinstance(obj, int) else int(obj.id)

    def messages(
        self,
        channel: Channel | int,
        *,
        after: int | None = None,
        include_ephemeral: bool = False,
        include_deleted: bool = False,
    ) -> list[Message]:
        channel_id = self._id(channel)

        def run() -> list[Message]:
            out = []
            for mid in self._channel_messages.get(channel_id, []):
                msg = self._messages[mid]
                if after is not None and msg.id <= after:
                    continue
                if msg.ephemeral and not include_ephemeral:
                    continue
                if msg.deleted and not include_deleted:
                    continue
                out.append(copy.deepcopy(msg))
            return out

        return self._sync(run)

    def dms(self, user: Member | User | int, *, after: int | None = None) -> list[Message]:
        user_id = self._id(user)
        channel_id = self._sync(lambda: self._dm_channels.get(user_id))
        if channel_id is None:
            return []
        return self.messages(channel_id, after=after)

    def message(self, message_id: int) -> Message:
        return self._sync(lambda: copy.deepcopy(self._messages[message_id]))

    def scheduled_events(self) -> list[ScheduledEvent]:
        return self._sync(
            lambda: [copy.deepcopy(e) for e in self.guild.scheduled_events.values() if not e.deleted]
        )

    def registered_commands(self, *, global_: bool = False) -> list[dict[str, Any]]:
        scope = None if global_ else self.guild_id
        return self._sync(lambda: copy.deepcopy(self._commands[scope]))

    def gateway_stats(self) -> GatewayStats:
        def run() -> GatewayStats:
            gw = self.gateway
            active = gw.active_session()
            return GatewayStats(
                gw.identifies, gw.resumes, active is not None, active is not None, gw.invalid_sessions
            )

        return self._sync(run)

    # ---- waits ----------------------------------------------------------------------------------------

    async def wait_until(
        self, predicate: Callable[[FakeDiscord], Any], *, timeout: float = 5.0, what: str = ""
    ) -> Any:
        return await self._wait_value(lambda: predicate(self) or None, timeout, what or repr(predicate))

    async def wait_for_message(
        self,
        channel: Channel | int,
        predicate: Callable[[Message], bool] | None = None,
        *,
        after: int | None = None,
        timeout: float = 5.0,
    ) -> Message:
        channel_id = self._id(channel)

        def get() -> Message | None:
            for mid in self._channel_messages.get(channel_id, []):
                msg = self._messages[mid]
                if msg.ephemeral or msg.deleted or (after is not None and msg.id <= after):
                    continue
                snapshot = copy.deepcopy(msg)
                if predicate is None or predicate(snapshot):
                    return snapshot
            return None

        return await self._wait_value(get, timeout, f"a message in channel {channel_id}")

    async def wait_for_dm(
        self,
        user: Member | User | int,
        predicate: Callable[[Message], bool] | None = None,
        *,
        after: int | None = None,
        timeout: float = 5.0,
    ) -> Message:
        user_id = self._id(user)
        channel_id = await self._wait_value(
            lambda: self._dm_channels.get(user_id), timeout, f"a DM channel with user {user_id}"
        )
        return await self.wait_for_message(channel_id, predicate, after=after, timeout=timeout)

    async def wait_for_request(
        self, method: str, route_or_prefix: str, *, after_index: int = 0, timeout: float = 5.0
    ) -> RequestRecord:
        def get() -> RequestRecord | None:
            for rec in self._requests[after_index:]:
                if rec.method == method and (
                    rec.route == route_or_prefix or rec.path.startswith(route_or_prefix)
                ):
                    return rec
            return None

        return await self._wait_value(get, timeout, f"a {method} {route_or_prefix} request")

    async def wait_for_scheduled_event(
        self, predicate: Callable[[ScheduledEvent], bool], *, timeout: float = 5.0
    ) -> ScheduledEvent:
        def get() -> ScheduledEvent | None:
            for event in self.guild.scheduled_events.values():
                if not event.deleted and predicate(event):
                    return copy.deepcopy(event)
            return None

        return await self._wait_value(get, timeout, "a matching scheduled event")

    async def wait_until_ready(self, timeout: float = 30.0) -> None:
        await self._wait_value(
            lambda: self.gateway.active_session() is not None, timeout, "a ready gateway session"
        )

    async def wait_for_commands(self, timeout: float = 30.0) -> list[dict[str, Any]]:
        return await self._wait_value(
            lambda: copy.deepcopy(self._commands[self.guild_id]) or None,
            timeout,
            "guild command registration",
        )

    # ---- the test clock (clock.py) --------------------------------------------------------------------

    async def advance(self, delta: dt.timedelta, *, timeout: float = 10.0) -> dt.datetime:
        """Move the bot's clock ahead by ``delta``; returns its new time once every connected bot follows
        (its timer wake-up re-armed, so what fell due fires now). Discord's own time does not move."""
        return await self._async(self.clock.advance_here(delta, timeout))

    async def advance_to(self, moment: dt.datetime, *, timeout: float = 10.0) -> dt.datetime:
        """Move the bot's clock ahead to ``moment`` (no-op if it is already there or later)."""
        return await self.advance(max(moment - self.clock.now(), dt.timedelta(0)), timeout=timeout)

    # ---- gateway control ------------------------------------------------------------------------------

    async def drop_gateway(self, resume: bool = True, *, timeout: float = 30.0) -> None:
        """Close the bot's socket; resumable (4000) or not (session invalidated, 4009). Waits for recovery."""

        async def run() -> None:
            before_resumes, before_identifies = self.gateway.resumes, self.gateway.identifies
            dropped = await self.gateway.drop(code=4000 if resume else 4009, invalidate=not resume)
            if dropped is None:
                raise AssertionError("drop_gateway: no connected bot session to drop")
            if resume:
                await self._wait_value_here(
                    lambda: (
                        self.gateway.resumes > before_resumes and self.gateway.active_session() is not None
                    ),
                    timeout,
                    "the bot to RESUME after a resumable disconnect",
                )
            else:
                await self._wait_value_here(
                    lambda: (
                        self.gateway.identifies > before_identifies
                        and self.gateway.active_session() is not None
                    ),
                    timeout,
                    "the bot to IDENTIFY again after its session was invalidated",
                )

        await self._async(run())

    async def request_reconnect(self, *, timeout: float = 30.0) -> None:
        async def run() -> None:
            before = self.gateway.resumes
            if not self.gateway.send_op(7):
                raise AssertionError("request_reconnect: no connected bot session")
            await self._wait_value_here(
                lambda: self.gateway.resumes > before and self.gateway.active_session() is not None,
                timeout,
                "the bot to RESUME after op 7 RECONNECT",
            )

        await self._async(run())

    async def invalidate_session(self, *, timeout: float = 30.0) -> None:
        """Send op 9 INVALID SESSION (``d=false``: not resumable) on the live socket, as Discord does when
        it ends a session; the client must close and IDENTIFY again. Waits for the new READY."""

        async def run() -> None:
            before = self.gateway.identifies
            if not self.gateway.invalidate():
                raise AssertionError("invalidate_session: no connected bot session")
            await self._wait_value_here(
                lambda: self.gateway.identifies > before and self.gateway.active_session() is not None,
                timeout,
                "the bot to IDENTIFY again after op 9 INVALID SESSION",
            )

        await self._async(run())

    # ---- interaction drivers --------------------------------------------------------------------------

    async def invoke(
        self,
        path: str,
        *,
        user: Member,
        options: dict[str, Any] | None = None,
        channel: Channel | int | None = None,
        locale: str | None = None,
        guild_locale: str = "en-US",
        ignore_default_permissions: bool = False,
    ) -> InteractionHandle:
        """Run a slash command as ``user`` (path: "command [group] [subcommand]")."""

        def build() -> tuple[int, dict[str, Any], int]:
            cmd, opts, resolved = self._command_options(path, options or {}, focused=None)
            self._check_default_permissions(cmd, user, ignore_default_permissions)
            return (
                APPLICATION_COMMAND,
                self._command_data(cmd, opts, resolved),
                self._channel_or_default(channel),
            )

        kind, data, channel_id = self._sync(build)
        return await self._start_interaction(kind, data, user, channel_id, locale, guild_locale)

    def _command_data(self, cmd: dict[str, Any], opts: list[Any], resolved: dict[str, Any]) -> dict[str, Any]:
        """The ``data`` of an APPLICATION_COMMAND or AUTOCOMPLETE interaction for a registered command."""
        data: dict[str, Any] = {
            "id": cmd["id"],
            "name": cmd["name"],
            "type": 1,
            "guild_id": str(self.guild_id),
            "options": opts,
        }
        if resolved:
            data["resolved"] = resolved
        return data

    async def autocomplete(
        self,
        path: str,
        *,
        user: Member,
        options: dict[str, Any],
        focused: str,
        channel: Channel | int | None = None,
        locale: str | None = None,
        guild_locale: str = "en-US",
    ) -> InteractionHandle:
        def build() -> tuple[int, dict[str, Any], int]:
            cmd, opts, resolved = self._command_options(path, options, focused=focused)
            return AUTOCOMPLETE, self._command_data(cmd, opts, resolved), self._channel_or_default(channel)

        kind, data, channel_id = self._sync(build)
        return await self._start_interaction(kind, data, user, channel_id, locale, guild_locale)

    async def click(
        self,
        message: Message | int,
        custom_id: str,
        *,
        user: Member,
        locale: str | None = None,
        stale: bool = False,
        wait_for_bot: float = 30.0,
    ) -> InteractionHandle:
        """Press a button. ``stale=True`` allows a disabled button: a click racing the bot's edit.
        With no bot connected it waits ``wait_for_bot`` seconds for one, then raises TimeoutError."""

        def build() -> tuple[dict[str, Any], Message]:
            msg, comp = self._component(message, custom_id, stale=stale)
            if comp.get("type") != 2:
                raise InvocationError(f"component {custom_id!r} is not a button (type {comp.get('type')})")
            return {"custom_id": custom_id, "component_type": 2, "id": comp.get("id", 0)}, msg

        data, msg = self._sync(build)
        return await self._start_interaction(
            MESSAGE_COMPONENT,
            data,
            user,
            msg.channel_id,
            locale,
            "en-US",
            source=msg.id,
            wait_for_bot=wait_for_bot,
        )

    async def select(
        self,
        message: Message | int,
        custom_id: str,
        values: list[Any],
        *,
        user: Member,
        locale: str | None = None,
        stale: bool = False,
    ) -> InteractionHandle:
        def build() -> tuple[dict[str, Any], Message]:
            msg, comp = self._component(message, custom_id, stale=stale)
            ctype = comp.get("type")
            if ctype not in (3, 5, 6, 7, 8):
                raise InvocationError(f"component {custom_id!r} is not a select menu (type {ctype})")
            min_v, max_v = comp.get("min_values", 1), comp.get("max_values", 1)
            if not min_v <= len(values) <= max_v:
                raise InvocationError(
                    f"select {custom_id!r} takes {min_v}..{max_v} values, got {len(values)}"
                )
            data: dict[str, Any] = {"custom_id": custom_id, "component_type": ctype, "id": comp.get("id", 0)}
            if ctype == 3:
                allowed = [o.get("value") for o in comp.get("options") or []]
                for v in values:
                    if v not in allowed:
                        raise InvocationError(f"{v!r} is not an option of select {custom_id!r} ({allowed})")
                data["values"] = list(values)
            else:
                ids = [self._id(v) for v in values]
                data["values"] = [str(i) for i in ids]
                resolved: dict[str, Any] = {}
                for i in ids:
                    self._resolve(resolved, i, {5: 6, 6: 8, 7: 9, 8: 7}[ctype])
                data["resolved"] = resolved
            return data, msg

        data, msg = self._sync(build)
        return await self._start_interaction(
            MESSAGE_COMPONENT, data, user, msg.channel_id, locale, "en-US", source=msg.id
        )

    async def submit_modal(
        self,
        handle: InteractionHandle,
        values: dict[str, Any],
        *,
        user: Member | None = None,
        custom_id: str | None = None,
        locale: str | None = None,
    ) -> InteractionHandle:
        def build() -> tuple[dict[str, Any], InteractionRecord]:
            parent = self._interactions[handle.id]
            if parent.modal is None:
                raise InvocationError(f"interaction {handle.id} was not answered with a modal")
            modal = parent.modal
            remaining = dict(values)
            components = [self._modal_component(c, remaining) for c in modal.get("components") or []]
            if remaining:
                raise InvocationError(f"the modal has no inputs {sorted(remaining)}")
            data = {
                "custom_id": custom_id or modal.get("custom_id"),
                "components": [c for c in components if c is not None],
            }
            return data, parent

        data, parent = self._sync(build)
        who = user if user is not None else self._sync(lambda: self.guild.members[parent.user_id])
        return await self._start_interaction(
            MODAL_SUBMIT, data, who, parent.channel_id, locale, "en-US", source=parent.source_message_id
        )

    def _modal_component(self, comp: dict[str, Any], values: dict[str, Any]) -> dict[str, Any] | None:
        ctype = comp.get("type")
        if ctype == 1:
            inner = [self._modal_component(c, values) for c in comp.get("components") or []]
            return {"type": 1, "id": comp.get("id", 0), "components": [c for c in inner if c is not None]}
        if ctype == 18:
            inner_comp = self._modal_component(comp["component"], values)
            return {"type": 18, "id": comp.get("id", 0), "component": inner_comp}
        if ctype == 4:
            cid = comp["custom_id"]
            value = values.pop(cid, comp.get("value") or "")
            if not isinstance(value, str):
                raise InvocationError(f"text input {cid!r} takes a string")
            if comp.get("required", True) and not value:
                raise InvocationError(f"text input {cid!r} is required")
            if value and not comp.get("min_length", 0) <= len(value) <= comp.get("max_length", 4000):
                raise InvocationError(f"text input {cid!r}: length {len(value)} outside its min/max")
            return {"type": 4, "id": comp.get("id", 0), "custom_id": cid, "value": value}
        if ctype in (3, 5, 6, 7, 8):
            cid = comp["custom_id"]
            chosen = values.pop(cid, [])
            return {
                "type": ctype,
                "id": comp.get("id", 0),
                "custom_id": cid,
                "values": [str(v) for v in chosen],
            }
        return None

    def _component(
        self, message: Message | int, custom_id: str, *, stale: bool = False
    ) -> tuple[Message, dict[str, Any]]:
        msg = self._messages.get(self._id(message))
        if msg is None or msg.deleted:
            raise InvocationError(f"message {self._id(message)} does not exist (deleted?)")
        comp = msg.component(custom_id)
        if comp is None:
            raise InvocationError(
                f"message {msg.id} has no component {custom_id!r}; it has {msg.custom_ids()}"
            )
        if comp.get("disabled") and not stale:
            raise InvocationError(
                f"component {custom_id!r} is disabled: Discord does not let members press it"
                " (pass stale=True to simulate a click racing the bot's edit)"
            )
        return msg, comp

    def _channel_or_default(self, channel: Channel | int | None) -> int:
        if channel is not None:
            channel_id = self._id(channel)
            if channel_id not in self.guild.channels:
                raise InvocationError(f"channel {channel_id} is not a guild channel")
            return channel_id
        text = self.guild.text_channels()
        if not text:
            raise InvocationError("the guild has no text channel to invoke the command in")
        return text[0].id

    def _find_command(self, name: str) -> dict[str, Any]:
        for scope in (self.guild_id, None):
            for cmd in self._commands[scope]:
                if cmd["name"] == name and int(cmd.get("type", 1)) == 1:
                    return cmd
        known = [c["name"] for c in self._commands[self.guild_id] + self._commands[None]]
        raise InvocationError(f"no registered slash command {name!r} (registered: {known})")

    def _check_default_permissions(self, cmd: dict[str, Any], user: Member, ignore: bool) -> None:
        required = cmd.get("default_member_permissions")
        if required is None or ignore:
            return
        perms = self.guild.base_permissions(self.guild.members[user.id])
        if perms & Perm.ADMINISTRATOR or perms == Perm.ALL:
            return
        if int(required) & ~perms:
            raise InvocationError(
                f"{user.name} lacks default_member_permissions={required} of /{cmd['name']}: Discord hides it"
            )

    def _command_options(
        self, path: str, given: dict[str, Any], *, focused: str | None
    ) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]:
        parts = path.split()
        if not parts:
            raise InvocationError("empty command path")
        cmd = self._find_command(parts[0])
        schema: list[dict[str, Any]] = cmd.get("options") or []
        wrappers: list[dict[str, Any]] = []
        for part in parts[1:]:
            sub = next((o for o in schema if o.get("name") == part and o.get("type") in (1, 2)), None)
            if sub is None:
                raise InvocationError(f"/{cmd['name']} has no subcommand (group) {part!r} on path {path!r}")
            wrappers.append({"type": sub["type"], "name": sub["name"], "options": []})
            schema = sub.get("options") or []
        if any(o.get("type") in (1, 2) for o in schema):
            raise InvocationError(
                f"{path!r} is not a complete command: choose one of {[o['name'] for o in schema]}"
            )
        resolved: dict[str, Any] = {}
        leaf: list[dict[str, Any]] = []
        for name, value in given.items():
            opt = next((o for o in schema if o.get("name") == name), None)
            if opt is None:
                raise InvocationError(
                    f"{path!r} has no option {name!r}; it has {[o['name'] for o in schema]}"
                )
            entry: dict[str, Any] = {"name": name, "type": opt["type"]}
            if focused == name:
                entry["value"] = str(value)
                entry["focused"] = True
            else:
                entry["value"] = self._option_value(opt, value, resolved)
            leaf.append(entry)
        if focused is None:
            for opt in schema:
                if opt.get("required") and opt["name"] not in given:
                    raise InvocationError(f"{path!r} requires option {opt['name']!r}")
        elif focused not in given:
            raise InvocationError(f"focused option {focused!r} must be given a (partial) value")
        options = leaf
        for wrapper in reversed(wrappers):
            wrapper["options"] = options
            options = [wrapper]
        return cmd, options, resolved

    def _option_value(self, opt: dict[str, Any], value: Any, resolved: dict[str, Any]) -> Any:
        otype = opt["type"]
        name = opt["name"]
        if otype == 11:
            if not isinstance(value, Upload):
                raise InvocationError(
                    f"option {name!r} is an attachment option: pass tests.double.Upload(...)"
                )
            att = Attachment(self.snowflakes.next(), value.filename, value.content_type, value.data)
            self._uploads[att.id] = att
            payload = att.payload(self.base_url, 0)
            payload["ephemeral"] = True
            resolved.setdefault("attachments", {})[str(att.id)] = payload
            return str(att.id)
        if otype in (6, 7, 8, 9):
            target_id = self._id(value)
            self._resolve(resolved, target_id, otype)
            return str(target_id)
        if otype == 3:
            if not isinstance(value, str):
                raise InvocationError(f"option {name!r} is a string option, got {value!r}")
            if not opt.get("min_length", 0) <= len(value) <= opt.get("max_length", 6000):
                raise InvocationError(f"option {name!r}: length {len(value)} outside min/max_length")
        elif otype == 4:
            if isinstance(value, bool) or not isinstance(value, int):
                raise InvocationError(f"option {name!r} is an integer option, got {value!r}")
        elif otype == 10:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InvocationError(f"option {name!r} is a number option, got {value!r}")
        elif otype == 5:
            if not isinstance(value, bool):
                raise InvocationError(f"option {name!r} is a boolean option, got {value!r}")
        else:
            raise InvocationError(f"option {name!r} has type {otype}, which invoke() does not support")
        if otype in (4, 10):
            if "min_value" in opt and value < opt["min_value"]:
                raise InvocationError(f"option {name!r}: {value} < min_value {opt['min_value']}")
            if "max_value" in opt and value > opt["max_value"]:
                raise InvocationError(f"option {name!r}: {value} > max_value {opt['max_value']}")
        choices = opt.get("choices")
        if choices and value not in [c["value"] for c in choices]:
            raise InvocationError(f"option {name!r}: {value!r} is not one of {[c['value'] for c in choices]}")
        return value

    def _resolve(self, resolved: dict[str, Any], target_id: int, otype: int) -> None:
        if otype in (6, 9) and target_id in self.users:
            resolved.setdefault("users", {})[str(target_id)] = self.users[target_id].payload()
            member = self.guild.members.get(target_id)
            if member is not None:
                perms = self.guild.base_permissions(member)
                resolved.setdefault("members", {})[str(target_id)] = member.payload(
                    permissions=perms, with_user=False
                )
            return
        if otype in (8, 9) and target_id in self.guild.roles:
            resolved.setdefault("roles", {})[str(target_id)] = self.guild.roles[target_id].payload()
            return
        if otype == 7 and target_id in self.guild.channels:
            ch = self.guild.channels[target_id]
            entry = ch.payload()
            entry["permissions"] = str(
                self.guild.channel_permissions(self.guild.members[self.bot_user_id], ch)
            )
            resolved.setdefault("channels", {})[str(target_id)] = entry
            return
        kinds = {6: "user", 7: "channel", 8: "role", 9: "user or role"}
        raise InvocationError(f"id {target_id} is not a known {kinds.get(otype, 'object')}")

    async def _start_interaction(
        self,
        kind: int,
        data: dict[str, Any],
        user: Member,
        channel_id: int,
        locale: str | None,
        guild_locale: str,
        *,
        source: int | None = None,
        wait_for_bot: float = 30.0,
    ) -> InteractionHandle:
        async def run() -> InteractionHandle:
            await self._wait_value_here(
                lambda: self.gateway.active_session() is not None,
                wait_for_bot,
                "a connected bot to send the interaction to",
            )
            record = self._build_interaction(kind, data, user, channel_id, locale, guild_locale, source)
            self._interactions[record.id] = record
            self._interactions_by_token[record.token] = record
            record.dispatched_at = time.monotonic()
            self.gateway.dispatch("INTERACTION_CREATE", record.payload)
            return InteractionHandle(self, record)

        return await self._async(run())

    def _build_interaction(
        self,
        kind: int,
        data: dict[str, Any],
        user: Member,
        channel_id: int,
        locale: str | None,
        guild_locale: str,
        source: int | None,
    ) -> InteractionRecord:
        interaction_id = self.snowflakes.next()
        token = f"aW50ZXJhY3Rpb246{interaction_id}:{secrets.token_urlsafe(48)}"
        member = self.guild.members.get(user.id)
        user_locale = locale or (member.locale if member is not None else "en-US")
        payload: dict[str, Any] = {
            "id": str(interaction_id),
            "application_id": str(self.application_id),
            "type": kind,
            "data": data,
            "token": token,
            "version": 1,
            "locale": user_locale,
            "entitlements": [],
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        dm_channel = self._dm_channel_objs.get(channel_id)
        guild_id: int | None
        if dm_channel is not None:
            guild_id = None
            payload.update(
                channel_id=str(channel_id),
                channel=dm_channel.payload(self.users),
                user=self.users[user.id].payload(),
                context=1,
                authorizing_integration_owners={"0": str(self.guild_id)},
                app_permissions=str(Perm.EVERYONE_DEFAULT),
            )
        else:
            if member is None:
                raise InvocationError(f"{user.name} is not a member of the guild")
            channel = self.guild.channels[channel_id]
            guild_id = self.guild_id
            bot_member = self.guild.members[self.bot_user_id]
            payload.update(
                guild_id=str(self.guild_id),
                guild={"id": str(self.guild_id), "locale": guild_locale, "features": []},
                guild_locale=guild_locale,
                channel_id=str(channel_id),
                channel=channel.payload(),
                member=member.payload(permissions=self.guild.channel_permissions(member, channel)),
                app_permissions=str(self.guild.channel_permissions(bot_member, channel)),
                context=0,
                authorizing_integration_owners={"0": str(self.guild_id)},
            )
        source_edits = 0
        if source is not None:
            src = self._messages[source]
            source_edits = src.edits
            payload["message"] = src.payload(self)
        return InteractionRecord(
            id=interaction_id,
            token=token,
            kind=kind,
            user_id=user.id,
            channel_id=channel_id,
            guild_id=guild_id,
            payload=payload,
            source_message_id=source,
            source_edits=source_edits,
        )

    # ---- operations used by the REST routes (run on the double's loop) --------------------------------

    def bot_member(self) -> Member:
        return self.guild.members[self.bot_user_id]

    def channel_for_bot(self, channel_id: int) -> Channel:
        channel = self.guild.channels.get(channel_id) or self._dm_channel_objs.get(channel_id)
        if channel is None:
            raise ApiError(404, 10003, "Unknown Channel")
        if (
            channel.type != 1
            and not self.guild.channel_permissions(self.bot_member(), channel) & Perm.VIEW_CHANNEL
        ):
            raise ApiError(403, 50001, "Missing Access")
        return channel

    def require_permission(self, perm: int, channel: Channel | None = None) -> None:
        if channel is not None and channel.type == 1:
            return
        member = self.bot_member()
        perms = (
            self.guild.channel_permissions(member, channel)
            if channel is not None
            else self.guild.base_permissions(member)
        )
        if not perms & perm and perms != Perm.ALL:
            raise ApiError(403, 50013, "Missing Permissions")

    def dm_channel_for(self, user_id: int) -> Channel:
        if user_id not in self.users:
            raise ApiError(400, 50035, "Invalid Form Body (recipient_id: unknown user)", violation=True)
        channel_id = self._dm_channels.get(user_id)
        if channel_id is None:
            channel = Channel(self.snowflakes.next(), "", type=1, recipient_id=user_id)
            self._dm_channels[user_id] = channel.id
            self._dm_channel_objs[channel.id] = channel
            return channel
        return self._dm_channel_objs[channel_id]

    def compute_pings(
        self, content: str, allowed_mentions: dict[str, Any] | None, author_perms: int, guild_message: bool
    ) -> tuple[frozenset[int], frozenset[int], bool]:
        """Who Discord would notify, given the content, allowed_mentions and the author's permissions."""
        if allowed_mentions is None:
            parse = {"users", "roles", "everyone"}
            users_ok: set[int] = set()
            roles_ok: set[int] = set()
        else:
            parse = set(allowed_mentions.get("parse") or [])
            users_ok = {int(u) for u in allowed_mentions.get("users") or []}
            roles_ok = {int(r) for r in allowed_mentions.get("roles") or []}
        can_everyone = bool(author_perms & Perm.MENTION_EVERYONE)
        users = {
            int(u)
            for u in USER_MENTION.findall(content)
            if int(u) in self.users and ("users" in parse or int(u) in users_ok)
        }
        roles: set[int] = set()
        if guild_message:
            for r in ROLE_MENTION.findall(content):
                role = self.guild.roles.get(int(r))
                if role is None or not ("roles" in parse or role.id in roles_ok):
                    continue
                if role.mentionable or can_everyone:
                    roles.add(role.id)
        everyone = (
            guild_message
            and ("@everyone" in content or "@here" in content)
            and "everyone" in parse
            and can_everyone
        )
        return frozenset(users), frozenset(roles), everyone

    def build_message(
        self,
        channel: Channel,
        body: dict[str, Any],
        files: list[tuple[str, str | None, bytes]],
        *,
        author_perms: int,
        interaction: InteractionRecord | None = None,
        allow_ephemeral: bool = False,
    ) -> Message:
        problems = limits.check_message(body, file_count=len(files))
        if problems:
            raise form_error(problems)
        flags = int(body.get("flags") or 0)
        allowed_flags = (
            (1 << 2) | (1 << 12) | Message.COMPONENTS_V2 | (Message.EPHEMERAL if allow_ephemeral else 0)
        )
        if flags & ~allowed_flags:
            raise form_error([("flags", f"Invalid message flags {flags}")])
        msg = Message(
            id=self.snowflakes.next(),
            channel_id=channel.id,
            author_id=self.bot_user_id,
            content=body.get("content") or "",
            embeds=list(body.get("embeds") or []),
            components=list(body.get("components") or []),
            flags=flags,
            allowed_mentions=body.get("allowed_mentions"),
            interaction_id=interaction.id if interaction is not None else None,
            webhook_id=self.application_id if interaction is not None else None,
            message_reference=body.get("message_reference"),
        )
        if interaction is not None and interaction.kind == APPLICATION_COMMAND:
            msg.type = 20
        elif body.get("message_reference"):
            msg.type = 19
        msg.attachments = self.attachments_from(body, files)
        if not msg.ephemeral:
            msg.pinged_user_ids, msg.pinged_role_ids, msg.pinged_everyone = self.compute_pings(
                msg.content, msg.allowed_mentions, author_perms, channel.type != 1
            )
        return msg

    def attachments_from(
        self, body: dict[str, Any], files: list[tuple[str, str | None, bytes]]
    ) -> list[Attachment]:
        meta = {int(a["id"]): a for a in body.get("attachments") or [] if str(a.get("id", "")).isdigit()}
        out = []
        for index, (filename, content_type, data) in enumerate(files):
            info = meta.get(index, {})
            out.append(
                Attachment(
                    self.snowflakes.next(),
                    info.get("filename", filename),
                    content_type,
                    data,
                    info.get("description"),
                )
            )
        return out

    def _store_message(self, msg: Message) -> None:
        self._messages[msg.id] = msg
        self._channel_messages.setdefault(msg.channel_id, []).append(msg.id)
        channel = self.guild.channels.get(msg.channel_id) or self._dm_channel_objs.get(msg.channel_id)
        if channel is not None:
            channel.last_message_id = msg.id
        if not msg.ephemeral:
            self.gateway.dispatch(
                "MESSAGE_CREATE", self.message_event(msg), guild_message=self._is_guild(msg)
            )
        self.notify()

    def store_message(self, msg: Message) -> None:
        self._store_message(msg)

    def _is_guild(self, msg: Message) -> bool:
        return msg.channel_id in self.guild.channels

    def message_event(self, msg: Message) -> dict[str, Any]:
        data = msg.payload(self)
        if self._is_guild(msg):
            data["guild_id"] = str(self.guild_id)
            member = self.guild.members.get(msg.author_id)
            if member is not None:
                data["member"] = member.payload(with_user=False)
        return data

    def edit_message(
        self,
        msg: Message,
        body: dict[str, Any],
        files: list[tuple[str, str | None, bytes]],
        *,
        author_perms: int,
    ) -> Message:
        problems = limits.check_message(body, file_count=len(files), editing=True)
        if problems:
            raise form_error(problems)
        was_loading = msg.loading
        if "content" in body:
            msg.content = body["content"] or ""
        if "embeds" in body:
            msg.embeds = list(body["embeds"] or [])
        if "components" in body:
            msg.components = list(body["components"] or [])
        if "flags" in body and body["flags"] is not None:
            keep = msg.flags & Message.EPHEMERAL
            msg.flags = (int(body["flags"]) & ~Message.EPHEMERAL & ~Message.LOADING) | keep
        if "attachments" in body or files:
            kept_ids = {int(a["id"]) for a in body.get("attachments") or [] if int(a.get("id", -1)) > 10_000}
            msg.attachments = [a for a in msg.attachments if a.id in kept_ids] + self.attachments_from(
                body, files
            )
        if "allowed_mentions" in body:
            msg.allowed_mentions = body["allowed_mentions"]
        msg.flags &= ~Message.LOADING
        if not msg.content and not msg.embeds and not msg.components and not msg.attachments:
            raise ApiError(400, 50006, "Cannot send an empty message", violation=True)
        if was_loading and not msg.ephemeral:
            msg.pinged_user_ids, msg.pinged_role_ids, msg.pinged_everyone = self.compute_pings(
                msg.content, msg.allowed_mentions, author_perms, self._is_guild(msg)
            )
        msg.edits += 1
        msg.edited_at = now_utc()
        if not msg.ephemeral:
            self.gateway.dispatch(
                "MESSAGE_UPDATE", self.message_event(msg), guild_message=self._is_guild(msg)
            )
        self.notify()
        return msg

    def delete_message(self, msg: Message) -> None:
        msg.deleted = True
        if not msg.ephemeral:
            data: dict[str, Any] = {"id": str(msg.id), "channel_id": str(msg.channel_id)}
            if self._is_guild(msg):
                data["guild_id"] = str(self.guild_id)
            self.gateway.dispatch("MESSAGE_DELETE", data, guild_message=self._is_guild(msg))
        self.notify()

    def interaction_by_token(self, token: str) -> InteractionRecord | None:
        return self._interactions_by_token.get(token)

    def respond(
        self, record: InteractionRecord, body: dict[str, Any], files: list[tuple[str, str | None, bytes]]
    ) -> Any:
        """POST /interactions/{id}/{token}/callback: returns the with_response body."""
        elapsed = time.monotonic() - record.dispatched_at
        record.callbacks += 1
        if record.response is not None:
            raise ApiError(400, 40060, "Interaction has already been acknowledged.", violation=True)
        if elapsed > self.interaction_deadline:
            raise ApiError(404, 10062, f"Unknown interaction (answered after {elapsed:.2f}s)", violation=True)
        rtype = body.get("type")
        data = body.get("data") or {}
        from_component = record.source_message_id is not None
        allowed = {
            APPLICATION_COMMAND: {4, 5, 9},
            MESSAGE_COMPONENT: {4, 5, 6, 7, 9},
            AUTOCOMPLETE: {8},
            MODAL_SUBMIT: {4, 5, 6, 7} if from_component else {4, 5},
        }[record.kind]
        if rtype not in allowed:
            raise form_error(
                [("type", f"Interaction response type {rtype} is invalid for interaction type {record.kind}")]
            )
        channel = self.guild.channels.get(record.channel_id) or self._dm_channel_objs.get(record.channel_id)
        if channel is None:
            raise ApiError(404, 10003, "Unknown Channel")
        app_perms = int(record.payload.get("app_permissions") or 0)
        message: Message | None = None
        if rtype == 4:
            message = self.build_message(
                channel, data, files, author_perms=app_perms, interaction=record, allow_ephemeral=True
            )
            self._store_message(message)
            record.original_message_id = message.id
        elif rtype == 5:
            problems = limits.check_message(data, editing=True) if data else []
            if problems:
                raise form_error(problems)
            flags = (int(data.get("flags") or 0) & Message.EPHEMERAL) | Message.LOADING
            message = Message(
                self.snowflakes.next(), channel.id, self.bot_user_id, flags=flags,
                interaction_id=record.id, webhook_id=self.application_id,
                type=20 if record.kind == APPLICATION_COMMAND else 0,
            )  # fmt: skip
            self._store_message(message)
            record.original_message_id = message.id
        elif rtype == 6:
            record.original_message_id = record.source_message_id
        elif rtype == 7:
            assert record.source_message_id is not None
            source = self._messages[record.source_message_id]
            message = self.edit_message(source, data, files, author_perms=app_perms)
            record.original_message_id = source.id
        elif rtype == 8:
            problems = limits.check_choices(data.get("choices") or [])
            if problems:
                raise form_error(problems)
        elif rtype == 9:
            problems = limits.check_modal(data)
            if problems:
                raise form_error(problems)
            record.modal = copy.deepcopy(data)
        record.response = InteractionResponse(
            type=int(rtype), data=copy.deepcopy(data), elapsed=elapsed,
            message=copy.deepcopy(message) if message is not None else None,
        )  # fmt: skip
        if record.answered is not None and not record.answered.done():
            record.answered.set_result(None)
        self.notify()
        result: dict[str, Any] = {
            "interaction": {
                "id": str(record.id),
                "type": record.kind,
                "response_message_loading": rtype == 5,
                "response_message_ephemeral": bool(message is not None and message.ephemeral),
            }
        }
        if message is not None:
            result["interaction"]["response_message_id"] = str(message.id)
            result["resource"] = {"type": rtype, "message": message.payload(self)}
        elif rtype in (6, 8, 9):
            result["resource"] = {"type": rtype}
        return result

    def create_scheduled_event(self, body: dict[str, Any]) -> ScheduledEvent:
        problems = self._check_event(body, creating=True)
        if problems:
            raise form_error(problems)
        event = ScheduledEvent(
            id=self.snowflakes.next(),
            guild_id=self.guild_id,
            name=body["name"],
            start=_parse_time(body["scheduled_start_time"]),
            end=_parse_time(body["scheduled_end_time"]) if body.get("scheduled_end_time") else None,
            entity_type=int(body["entity_type"]),
            creator_id=self.bot_user_id,
            description=body.get("description"),
            location=(body.get("entity_metadata") or {}).get("location"),
            channel_id=int(body["channel_id"]) if body.get("channel_id") else None,
            privacy_level=int(body.get("privacy_level", 2)),
            image=body.get("image"),
            recurrence_rule=body.get("recurrence_rule"),
        )
        self.guild.scheduled_events[event.id] = event
        self._dispatch_guild("GUILD_SCHEDULED_EVENT_CREATE", event.payload(self.users[self.bot_user_id]))
        return event

    def update_scheduled_event(self, event: ScheduledEvent, body: dict[str, Any]) -> ScheduledEvent:
        problems = self._check_event(body, creating=False, current=event)
        if problems:
            raise form_error(problems)
        if "name" in body:
            event.name = body["name"]
        if "description" in body:
            event.description = body["description"]
        if "scheduled_start_time" in body:
            event.start = _parse_time(body["scheduled_start_time"])
        if "scheduled_end_time" in body:
            end = body["scheduled_end_time"]
            event.end = _parse_time(end) if end else None
        if "entity_type" in body:
            event.entity_type = int(body["entity_type"])
        if "entity_metadata" in body:
            event.location = (body["entity_metadata"] or {}).get("location")
        if "channel_id" in body:
            event.channel_id = int(body["channel_id"]) if body["channel_id"] else None
        if "status" in body:
            new = int(body["status"])
            legal = {1: {2, 4}, 2: {3}}.get(event.status, set())
            if new != event.status and new not in legal:
                raise form_error([("status", f"Cannot change event status from {event.status} to {new}")])
            event.status = new
        if "image" in body:
            event.image = body["image"]
        self._dispatch_guild("GUILD_SCHEDULED_EVENT_UPDATE", event.payload(self.users[self.bot_user_id]))
        return event

    def _check_event(
        self, body: dict[str, Any], *, creating: bool, current: ScheduledEvent | None = None
    ) -> list[limits.Problem]:
        problems: list[limits.Problem] = []
        if creating or "name" in body:
            name = body.get("name")
            if not isinstance(name, str) or not 1 <= len(name) <= 100:
                problems.append(("name", "Must be between 1 and 100 in length."))
        if body.get("description") is not None and len(body["description"]) > 1000:
            problems.append(("description", "Must be 1000 or fewer in length."))
        entity_type = int(body.get("entity_type", current.entity_type if current else 0))
        if entity_type not in (1, 2, 3):
            problems.append(("entity_type", "Value must be one of (1, 2, 3)."))
        start_raw = body.get("scheduled_start_time")
        start = _parse_time(start_raw) if start_raw else (current.start if current else None)
        if creating and start is None:
            problems.append(("scheduled_start_time", "This field is required"))
        if start_raw and start is not None and start < now_utc() - dt.timedelta(seconds=5):
            problems.append(("scheduled_start_time", "Cannot schedule event in the past."))
        end_raw = body.get("scheduled_end_time") if "scheduled_end_time" in body else None
        end = (
            _parse_time(end_raw)
            if end_raw
            else (current.end if current and "scheduled_end_time" not in body else None)
        )
        if entity_type == 3:
            location = (
                (body.get("entity_metadata") or {}).get("location")
                if "entity_metadata" in body
                else (current.location if current else None)
            )
            if not location:
                problems.append(("entity_metadata.location", "This field is required"))
            elif len(location) > 100:
                problems.append(("entity_metadata.location", "Must be 100 or fewer in length."))
            if end is None:
                problems.append(("scheduled_end_time", "This field is required for external events"))
            if body.get("channel_id"):
                problems.append(("channel_id", "External events cannot have a channel"))
        elif entity_type in (1, 2):
            channel_id = body.get("channel_id") or (current.channel_id if current else None)
            if not channel_id or int(channel_id) not in self.guild.channels:
                problems.append(("channel_id", "A voice or stage event needs a channel"))
        if start is not None and end is not None and end <= start:
            problems.append(("scheduled_end_time", "Must be after scheduled_start_time"))
        if body.get("privacy_level", 2) != 2:
            problems.append(("privacy_level", "Value must be one of (2,)."))
        return problems

    def delete_scheduled_event(self, event: ScheduledEvent) -> None:
        event.deleted = True
        self._dispatch_guild("GUILD_SCHEDULED_EVENT_DELETE", event.payload(self.users[self.bot_user_id]))

    def check_role_hierarchy(self, role: Role) -> None:
        if self.guild.top_role_position(self.bot_member()) <= role.position and not (
            self.guild.base_permissions(self.bot_member()) & Perm.ADMINISTRATOR
        ):
            raise ApiError(403, 50013, "Missing Permissions")
        if role.managed or role.id == self.guild_id:
            raise ApiError(403, 50013, "Missing Permissions")

    def store_commands(self, scope: int | None, commands: list[dict[str, Any]]) -> list[dict[str, Any]]:
        problems = limits.check_commands(commands)
        if problems:
            raise form_error(problems)
        previous = {(c["name"], int(c.get("type", 1))): c for c in self._commands[scope]}
        stored = []
        for cmd in commands:
            key = (cmd["name"], int(cmd.get("type", 1)))
            old = previous.get(key)
            entry = copy.deepcopy(cmd)
            entry.setdefault("type", 1)
            entry["id"] = old["id"] if old else str(self.snowflakes.next())
            entry["application_id"] = str(self.application_id)
            entry["version"] = str(self.snowflakes.next())
            entry.setdefault("default_member_permissions", None)
            entry.setdefault("nsfw", False)
            entry.setdefault("options", [])
            if scope is not None:
                entry["guild_id"] = str(scope)
            stored.append(entry)
        self._commands[scope] = stored
        self.notify()
        return copy.deepcopy(stored)

    def known_interaction_message(self, record: InteractionRecord, message_ref: str) -> Message:
        if message_ref == "@original":
            mid = record.original_message_id
        else:
            mid = int(message_ref) if message_ref.isdigit() else None
            if mid is not None and mid != record.original_message_id and mid not in record.followup_ids:
                mid = None
        if mid is None or mid not in self._messages or self._messages[mid].deleted:
            raise ApiError(404, 10008, "Unknown Message", violation=message_ref == "@original")
        return self._messages[mid]

    def find_attachment(self, attachment_id: int) -> Attachment | None:
        if attachment_id in self._uploads:
            return self._uploads[attachment_id]
        for msg in self._messages.values():
            for att in msg.attachments:
                if att.id == attachment_id:
                    return att
        return None

    def walk(self, components: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return walk_components(components)


def _parse_time(value: str) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (TypeError, ValueError) as exc:
        raise form_error([("scheduled_start_time", f"Invalid ISO8601 timestamp {value!r}")]) from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed
