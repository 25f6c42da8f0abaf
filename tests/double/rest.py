"""REST API v10 routes of the double.

One catch-all aiohttp handler matches ``METHOD /path`` against the route table below, so every request is
recorded with its route template, and requests to routes the double does not implement are answered
like Discord does (404, code 0) and recorded as unhandled.
"""

from __future__ import annotations

import copy
import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import BodyPartReader, web

from . import faults
from .clock import CLOCK_PATH
from .ratelimits import generous_headers
from .server import ApiError, form_error
from .state import Channel, Message, Overwrite, Perm, RequestRecord, Role

if TYPE_CHECKING:
    from .server import FakeDiscord


@dataclass
class Call:
    """A parsed request handed to a route handler."""

    double: FakeDiscord
    method: str
    path: str
    params: dict[str, str]
    query: dict[str, str]
    json: Any
    files: list[tuple[str, str | None, bytes]] = field(default_factory=list)
    authorized: bool = False

    def body(self) -> dict[str, Any]:
        if self.json is None:
            return {}
        if not isinstance(self.json, dict):
            raise form_error([("", "Expected a JSON object")])
        return self.json

    def int_param(self, name: str) -> int:
        value = self.params[name]
        if not value.isdigit():
            raise form_error([(name, f"Value {value!r} is not snowflake.")])
        return int(value)


Handler = Callable[[Call], Awaitable[Any]]
ROUTES: list[
    tuple[str, str, re.Pattern[str], Handler, bool]
] = []  # method, template, regex, handler, needs auth


def route(method: str, template: str, *, auth: bool = True) -> Callable[[Handler], Handler]:
    pattern = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template) + "$")

    def register(handler: Handler) -> Handler:
        ROUTES.append((method, template, pattern, handler, auth))
        return handler

    return register


def build_app(double: FakeDiscord) -> web.Application:
    app = web.Application(client_max_size=64 * 1024 * 1024)

    async def gateway(request: web.Request) -> web.StreamResponse:
        return await double.gateway.handle(request)

    async def api(request: web.Request) -> web.StreamResponse:
        return await handle_api(double, request)

    async def attachment(request: web.Request) -> web.StreamResponse:
        raw_id = request.match_info["attachment_id"]
        att = double.find_attachment(int(raw_id)) if raw_id.isdigit() else None
        if att is None:
            return web.Response(status=404)
        kind = att.content_type or "application/octet-stream"
        return web.Response(body=att.data, headers={"Content-Type": kind})

    app.router.add_get("/gateway", gateway)
    app.router.add_get(CLOCK_PATH, double.clock.handle)  # the test clock: not Discord, never recorded
    app.router.add_get("/gateway/", gateway)
    app.router.add_get("/attachments/{channel_id}/{attachment_id}/{filename}", attachment)
    app.router.add_route("*", "/api/v10/{tail:.*}", api)
    app.router.add_route("*", "/api/{version}/{tail:.*}", api)
    return app


async def read_body(request: web.Request) -> tuple[Any, list[tuple[str, str | None, bytes]]]:
    if request.content_type.startswith("multipart/"):
        reader = await request.multipart()
        payload: Any = None
        files: list[tuple[str, str | None, bytes]] = []
        while True:
            part = await reader.next()
            if part is None:
                break
            if not isinstance(part, BodyPartReader):
                continue
            data = await part.read(decode=False)
            if part.name == "payload_json":
                payload = json.loads(bytes(data).decode())
            else:
                files.append(
                    (part.filename or part.name or "file", part.headers.get("Content-Type"), bytes(data))
                )
        return payload, files
    raw = await request.read()
    if not raw:
        return None, []
    try:
        return json.loads(raw), []
    except ValueError as exc:
        raise ApiError(400, 50109, "The request body contains invalid JSON.", violation=True) from exc


async def handle_api(double: FakeDiscord, request: web.Request) -> web.StreamResponse:
    if request.match_info.get("version", "10") != "10":
        double.violate("rest", f"API version {request.match_info.get('version')} instead of v10")
    tail = "/" + request.match_info["tail"]
    method = request.method
    query = dict(request.query)
    status = 200
    template: str | None = None
    body_json: Any = None
    files: list[tuple[str, str | None, bytes]] = []
    response_body: Any = None
    headers: dict[str, str] = {}
    unhandled = False
    try:
        body_json, files = await read_body(request)
        match = None
        for r_method, r_template, pattern, handler, needs_auth in ROUTES:
            if r_method != method:
                continue
            m = pattern.match(tail)
            if m:
                match = (r_template, handler, needs_auth, m.groupdict())
                break
        if match is None:
            unhandled = True
            raise ApiError(404, 0, "404: Not Found")
        template, handler, needs_auth, params = match
        headers = generous_headers(f"{method} {template}")
        auth = request.headers.get("Authorization")
        if needs_auth and auth != f"Bot {double.token}":
            raise ApiError(401, 0, "401: Unauthorized")
        wait = double.rate_limit_check(f"{method} {template}")
        if wait is not None:
            headers.update({"X-RateLimit-Remaining": "0", "Via": "1.1 google", "Retry-After": f"{wait:.3f}"})
            raise ApiError(429, 0, "You are being rate limited.", body={
                "message": "You are being rate limited.", "retry_after": round(wait, 3), "global": False,
            })  # fmt: skip
        if double.discord_limits is not None:
            headers, verdict = double.discord_limits.check(method, template, params)
            if verdict is not None:
                double.record_rate_limited(verdict)
                raise ApiError(429, 0, "You are being rate limited.", body={
                    "message": "You are being rate limited.", "retry_after": round(verdict.retry_after, 3),
                    "global": verdict.is_global,
                })  # fmt: skip
        # ---- failure injection (tests/double/faults.py) ----
        if (injected := faults.apply(double, "before", method, template, tail)) is not None:
            headers.update(injected.headers)
            raise ApiError(injected.status, 0, "injected failure", body=injected.body)
        call = Call(double, method, tail, params, query, body_json, files, authorized=auth is not None)
        response_body = await handler(call)
        if response_body is None:
            status = 204
        await faults.hold(double, method, template, tail)
        if (injected := faults.apply(double, "after", method, template, tail)) is not None:
            headers.update(injected.headers)
            raise ApiError(injected.status, 0, "injected failure after the work was done", body=injected.body)
        # ---- end of failure injection ----
    except ApiError as err:
        status = err.status
        response_body = err.body
        if err.violation:
            double.violate(f"http {err.status}/{err.code}", err.message, method, tail)
    if unhandled:
        double.violate("unhandled route", "the double does not implement this route", method, tail)
    record = RequestRecord(
        index=len(double._requests),
        method=method,
        path=tail,
        route=template,
        query=query,
        json=copy.deepcopy(body_json),
        files=tuple((name, len(data)) for name, _, data in files),
        status=status,
        response=response_body,
        at=time.monotonic(),
    )
    double.record_request(record, unhandled=unhandled)
    if status == 204:
        return web.Response(status=204, headers=headers)
    # Discord sends exactly "application/json" (discord.py compares the header verbatim).
    text = json.dumps(response_body, separators=(",", ":"))
    return web.Response(
        body=text.encode(), status=status, headers={**headers, "Content-Type": "application/json"}
    )


# ---- users, application, gateway ------------------------------------------------------------------------


@route("GET", "/users/@me")
async def get_me(call: Call) -> Any:
    return call.double.users[call.double.bot_user_id].payload() | {"verified": True, "mfa_enabled": False}


@route("GET", "/users/{user_id}")
async def get_user(call: Call) -> Any:
    user = call.double.users.get(call.int_param("user_id"))
    if user is None:
        raise ApiError(404, 10013, "Unknown User")
    return user.payload()


def application_payload(double: FakeDiscord) -> dict[str, Any]:
    return {
        "id": str(double.application_id),
        "name": "WIM Alliance Bot",
        "icon": None,
        "description": "",
        "summary": "",
        "type": None,
        "bot_public": False,
        "bot_require_code_grant": False,
        "verify_key": "0" * 64,
        "flags": 0,
        "owner": double.users[double.guild.owner_id].payload(),
        "team": None,
        "bot": double.users[double.bot_user_id].payload(),
        "interactions_endpoint_url": None,
        "redirect_uris": [],
        "rpc_origins": [],
        "tags": [],
        "approximate_guild_count": 1,
    }


@route("GET", "/oauth2/applications/@me")
async def get_oauth_application(call: Call) -> Any:
    return application_payload(call.double)


@route("GET", "/applications/@me")
async def get_application(call: Call) -> Any:
    return application_payload(call.double)


@route("GET", "/gateway", auth=False)
async def get_gateway(call: Call) -> Any:
    return {"url": call.double.gateway_url}


@route("GET", "/gateway/bot")
async def get_gateway_bot(call: Call) -> Any:
    return {
        "url": call.double.gateway_url,
        "shards": 1,
        "session_start_limit": {
            "total": 1000,
            "remaining": 999,
            "reset_after": 86400000,
            "max_concurrency": 1,
        },
    }


# ---- application commands -------------------------------------------------------------------------------


def _check_app(call: Call) -> None:
    if call.int_param("application_id") != call.double.application_id:
        raise ApiError(403, 50001, "Missing Access")


def _scope(call: Call) -> int | None:
    _check_app(call)
    if "guild_id" not in call.params:
        return None
    guild_id = call.int_param("guild_id")
    if guild_id != call.double.guild_id:
        raise ApiError(403, 50001, "Missing Access")
    return guild_id


@route("GET", "/applications/{application_id}/commands")
@route("GET", "/applications/{application_id}/guilds/{guild_id}/commands")
async def list_commands(call: Call) -> Any:
    return copy.deepcopy(call.double._commands[_scope(call)])


@route("PUT", "/applications/{application_id}/commands")
@route("PUT", "/applications/{application_id}/guilds/{guild_id}/commands")
async def bulk_upsert_commands(call: Call) -> Any:
    scope = _scope(call)
    if not isinstance(call.json, list):
        raise form_error([("", "Expected a list of commands")])
    return call.double.store_commands(scope, call.json)


@route("POST", "/applications/{application_id}/commands")
@route("POST", "/applications/{application_id}/guilds/{guild_id}/commands")
async def upsert_command(call: Call) -> Any:
    scope = _scope(call)
    body = call.body()
    current = [c for c in call.double._commands[scope] if c["name"] != body.get("name")]
    stored = call.double.store_commands(scope, [*current, body])
    return next(c for c in stored if c["name"] == body.get("name"))


@route("GET", "/applications/{application_id}/guilds/{guild_id}/commands/permissions")
async def command_permissions(call: Call) -> Any:
    _scope(call)
    return []


def _command(call: Call) -> tuple[int | None, dict[str, Any]]:
    scope = _scope(call)
    command_id = call.params["command_id"]
    for cmd in call.double._commands[scope]:
        if cmd["id"] == command_id:
            return scope, cmd
    raise ApiError(404, 10063, "Unknown application command")


@route("GET", "/applications/{application_id}/commands/{command_id}")
@route("GET", "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}")
async def get_command(call: Call) -> Any:
    return copy.deepcopy(_command(call)[1])


@route("PATCH", "/applications/{application_id}/commands/{command_id}")
@route("PATCH", "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}")
async def edit_command(call: Call) -> Any:
    scope, cmd = _command(call)
    edited = {**cmd, **call.body()}
    others = [c for c in call.double._commands[scope] if c["id"] != cmd["id"]]
    stored = call.double.store_commands(scope, [*others, edited])
    return next(c for c in stored if c["id"] == cmd["id"])


@route("DELETE", "/applications/{application_id}/commands/{command_id}")
@route("DELETE", "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}")
async def delete_command(call: Call) -> Any:
    scope, cmd = _command(call)
    call.double._commands[scope] = [c for c in call.double._commands[scope] if c["id"] != cmd["id"]]
    call.double.notify()
    return None


# ---- interactions and the interaction webhook -----------------------------------------------------------


@route("POST", "/interactions/{interaction_id}/{token}/callback", auth=False)
async def interaction_callback(call: Call) -> Any:
    double = call.double
    record = double._interactions.get(call.int_param("interaction_id"))
    if record is None or record.token != call.params["token"]:
        raise ApiError(404, 10062, "Unknown interaction", violation=True)
    result = double.respond(record, call.body(), call.files)
    if call.query.get("with_response") in ("1", "true", "True"):
        return result
    return None


def _webhook_record(call: Call) -> Any:
    double = call.double
    if call.params["application_id"] != str(double.application_id):
        raise ApiError(404, 10015, "Unknown Webhook", violation=True)
    record = double.interaction_by_token(call.params["token"])
    if record is None:
        raise ApiError(404, 10015, "Unknown Webhook", violation=True)
    if record.expired:
        raise ApiError(
            401, 50027, "Invalid Webhook Token (interaction tokens last 15 minutes)", violation=True
        )
    if record.response is None:
        raise ApiError(
            404, 10015, "Unknown Webhook (the interaction was not acknowledged yet)", violation=True
        )
    return record


def _channel_of(double: FakeDiscord, channel_id: int) -> Channel:
    channel = double.guild.channels.get(channel_id) or double._dm_channel_objs.get(channel_id)
    if channel is None:
        raise ApiError(404, 10003, "Unknown Channel")
    return channel


@route("POST", "/webhooks/{application_id}/{token}", auth=False)
async def webhook_followup(call: Call) -> Any:
    double = call.double
    record = _webhook_record(call)
    body = call.body()
    app_perms = int(record.payload.get("app_permissions") or 0)
    original = double._messages.get(record.original_message_id) if record.original_message_id else None
    if original is not None and original.loading and record.response.type == 5:
        # Discord: the first followup after a "thinking" deferral replaces the loading message.
        message = double.edit_message(original, body, call.files, author_perms=app_perms)
        record.followup_ids.append(message.id)
    else:
        channel = _channel_of(double, record.channel_id)
        message = double.build_message(
            channel, body, call.files, author_perms=app_perms, interaction=record, allow_ephemeral=True
        )
        double.store_message(message)
        record.followup_ids.append(message.id)
        double.notify()
    if call.query.get("wait") in ("1", "true", "True"):
        return message.payload(double)
    return None


@route("GET", "/webhooks/{application_id}/{token}/messages/{message_id}", auth=False)
async def webhook_get_message(call: Call) -> Any:
    record = _webhook_record(call)
    return call.double.known_interaction_message(record, call.params["message_id"]).payload(call.double)


@route("PATCH", "/webhooks/{application_id}/{token}/messages/{message_id}", auth=False)
async def webhook_edit_message(call: Call) -> Any:
    double = call.double
    record = _webhook_record(call)
    message = double.known_interaction_message(record, call.params["message_id"])
    app_perms = int(record.payload.get("app_permissions") or 0)
    return double.edit_message(message, call.body(), call.files, author_perms=app_perms).payload(double)


@route("DELETE", "/webhooks/{application_id}/{token}/messages/{message_id}", auth=False)
async def webhook_delete_message(call: Call) -> Any:
    record = _webhook_record(call)
    call.double.delete_message(call.double.known_interaction_message(record, call.params["message_id"]))
    return None


# ---- channels and messages ------------------------------------------------------------------------------


@route("GET", "/channels/{channel_id}")
async def get_channel(call: Call) -> Any:
    channel = call.double.channel_for_bot(call.int_param("channel_id"))
    return channel.payload(call.double.users)


@route("PATCH", "/channels/{channel_id}")
async def edit_channel(call: Call) -> Any:
    double = call.double
    channel = double.channel_for_bot(call.int_param("channel_id"))
    if channel.type == 1:
        raise ApiError(403, 50003, "Cannot execute action on a DM channel")
    double.require_permission(Perm.MANAGE_CHANNELS, channel)
    body = call.body()
    if "name" in body:
        if not 1 <= len(body["name"] or "") <= 100:
            raise form_error([("name", "Must be between 1 and 100 in length.")])
        channel.name = body["name"]
    if "topic" in body:
        channel.topic = body["topic"]
    if "position" in body:
        channel.position = int(body["position"])
    apply_channel_structure(double, channel, body)  # working-groups section below
    double._dispatch_guild("CHANNEL_UPDATE", channel.payload())
    return channel.payload()


@route("DELETE", "/channels/{channel_id}")
async def delete_channel(call: Call) -> Any:
    double = call.double
    channel = double.channel_for_bot(call.int_param("channel_id"))
    if channel.type == 1:
        return channel.payload(double.users)
    double.require_permission(Perm.MANAGE_CHANNELS, channel)
    double.guild.channels.pop(channel.id, None)
    double._dispatch_guild("CHANNEL_DELETE", channel.payload())
    return channel.payload()


@route("POST", "/channels/{channel_id}/typing")
async def typing(call: Call) -> Any:
    call.double.channel_for_bot(call.int_param("channel_id"))
    return None


def _bot_channel_perms(double: FakeDiscord, channel: Channel) -> int:
    if channel.type == 1:
        return Perm.EVERYONE_DEFAULT
    return double.guild.channel_permissions(double.bot_member(), channel)


@route("POST", "/channels/{channel_id}/messages")
async def create_message(call: Call) -> Any:
    double = call.double
    channel = double.channel_for_bot(call.int_param("channel_id"))
    if channel.type == 1:
        member = double.guild.members.get(channel.recipient_id or 0)
        if member is not None and member.dms_closed:
            raise ApiError(403, 50007, "Cannot send messages to this user")
    else:
        double.require_permission(Perm.SEND_MESSAGES, channel)
        if call.files:
            double.require_permission(Perm.ATTACH_FILES, channel)
    body = call.body()
    reference = body.get("message_reference")
    if reference and reference.get("message_id"):
        ref = double._messages.get(int(reference["message_id"]))
        if (ref is None or ref.deleted) and reference.get("fail_if_not_exists", True):
            raise form_error([("message_reference", "Unknown message")])
    message = double.build_message(
        channel, body, call.files, author_perms=_bot_channel_perms(double, channel)
    )
    double.store_message(message)
    return message.payload(double)


def _message(call: Call) -> tuple[Channel, Message]:
    double = call.double
    channel = double.channel_for_bot(call.int_param("channel_id"))
    message = double._messages.get(call.int_param("message_id"))
    if message is None or message.deleted or message.channel_id != channel.id or message.ephemeral:
        raise ApiError(404, 10008, "Unknown Message")
    return channel, message


@route("GET", "/channels/{channel_id}/messages/{message_id}")
async def get_message(call: Call) -> Any:
    channel, message = _message(call)
    call.double.require_permission(Perm.READ_MESSAGE_HISTORY, channel)
    return message.payload(call.double)


@route("GET", "/channels/{channel_id}/messages")
async def list_messages(call: Call) -> Any:
    double = call.double
    channel = double.channel_for_bot(call.int_param("channel_id"))
    double.require_permission(Perm.READ_MESSAGE_HISTORY, channel)
    limit = min(int(call.query.get("limit", 50)), 100)
    msgs = [
        double._messages[m]
        for m in double._channel_messages.get(channel.id, [])
        if not double._messages[m].deleted and not double._messages[m].ephemeral
    ]
    if "before" in call.query:
        msgs = [m for m in msgs if m.id < int(call.query["before"])]
    if "after" in call.query:
        msgs = [m for m in msgs if m.id > int(call.query["after"])]
        msgs = msgs[:limit]
    else:
        msgs = msgs[-limit:]
    return [m.payload(double) for m in reversed(msgs)]


@route("PATCH", "/channels/{channel_id}/messages/{message_id}")
async def edit_message(call: Call) -> Any:
    double = call.double
    channel, message = _message(call)
    if message.author_id != double.bot_user_id:
        raise ApiError(403, 50005, "Cannot edit a message authored by another user", violation=True)
    edited = double.edit_message(
        message, call.body(), call.files, author_perms=_bot_channel_perms(double, channel)
    )
    return edited.payload(double)


@route("DELETE", "/channels/{channel_id}/messages/{message_id}")
async def delete_message(call: Call) -> Any:
    double = call.double
    channel, message = _message(call)
    if message.author_id != double.bot_user_id:
        double.require_permission(Perm.MANAGE_MESSAGES, channel)
    double.delete_message(message)
    return None


@route("PUT", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me")
async def add_reaction(call: Call) -> Any:
    double = call.double
    channel, message = _message(call)
    double.require_permission(Perm.ADD_REACTIONS, channel)
    emoji = call.params["emoji"]
    if emoji not in message.reactions:
        message.reactions.append(emoji)
    double.notify()
    return None


@route("DELETE", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me")
async def remove_reaction(call: Call) -> Any:
    _, message = _message(call)
    if call.params["emoji"] in message.reactions:
        message.reactions.remove(call.params["emoji"])
    call.double.notify()
    return None


@route("PUT", "/channels/{channel_id}/pins/{message_id}")
@route("PUT", "/channels/{channel_id}/messages/pins/{message_id}")
async def pin_message(call: Call) -> Any:
    channel, message = _message(call)
    call.double.require_permission(Perm.MANAGE_MESSAGES, channel)
    message.pinned = True
    call.double.notify()
    return None


@route("DELETE", "/channels/{channel_id}/pins/{message_id}")
@route("DELETE", "/channels/{channel_id}/messages/pins/{message_id}")
async def unpin_message(call: Call) -> Any:
    channel, message = _message(call)
    call.double.require_permission(Perm.MANAGE_MESSAGES, channel)
    message.pinned = False
    call.double.notify()
    return None


@route("POST", "/users/@me/channels")
async def create_dm(call: Call) -> Any:
    body = call.body()
    recipient = body.get("recipient_id")
    if recipient is None or not str(recipient).isdigit():
        raise form_error([("recipient_id", "This field is required")])
    channel = call.double.dm_channel_for(int(recipient))
    return channel.payload(call.double.users)


# ---- guild ----------------------------------------------------------------------------------------------


def _guild(call: Call) -> None:
    if call.int_param("guild_id") != call.double.guild_id:
        raise ApiError(404, 10004, "Unknown Guild")


@route("GET", "/guilds/{guild_id}")
async def get_guild(call: Call) -> Any:
    _guild(call)
    data = call.double.guild.payload(call.double)
    for key in ("members", "channels", "threads", "presences", "voice_states", "guild_scheduled_events"):
        data.pop(key, None)
    data["approximate_member_count"] = len(call.double.guild.members)
    return data


@route("GET", "/guilds/{guild_id}/channels")
async def list_channels(call: Call) -> Any:
    _guild(call)
    return [c.payload() for c in call.double.guild.channels.values()]


@route("POST", "/guilds/{guild_id}/channels")
async def create_channel(call: Call) -> Any:
    _guild(call)
    double = call.double
    double.require_permission(Perm.MANAGE_CHANNELS)
    body = call.body()
    name = body.get("name")
    if not isinstance(name, str) or not 1 <= len(name) <= 100:
        raise form_error([("name", "Must be between 1 and 100 in length.")])
    ctype = int(body.get("type", 0))
    if ctype not in (0, 2, 4, 5):
        raise form_error([("type", f"Channel type {ctype} is not supported by the double")])
    check_channel_structure(double, body, None)  # working-groups section below
    channel = Channel(
        double.snowflakes.next(), name, ctype, double.guild_id, len(double.guild.channels), body.get("topic")
    )
    if body.get("parent_id"):
        channel.parent_id = int(body["parent_id"])
    for ow in body.get("permission_overwrites") or []:
        channel.overwrites.append(
            Overwrite(int(ow["id"]), int(ow["type"]), int(ow.get("allow", 0)), int(ow.get("deny", 0)))
        )
    double.guild.channels[channel.id] = channel
    double._dispatch_guild("CHANNEL_CREATE", channel.payload())
    return channel.payload()


@route("GET", "/guilds/{guild_id}/roles")
async def list_roles(call: Call) -> Any:
    _guild(call)
    return [r.payload() for r in call.double.guild.roles.values()]


def _role(call: Call) -> Role:
    _guild(call)
    role = call.double.guild.roles.get(call.int_param("role_id"))
    if role is None:
        raise ApiError(404, 10011, "Unknown Role")
    return role


@route("GET", "/guilds/{guild_id}/roles/{role_id}")
async def get_role(call: Call) -> Any:
    return _role(call).payload()


@route("POST", "/guilds/{guild_id}/roles")
async def create_role(call: Call) -> Any:
    _guild(call)
    double = call.double
    double.require_permission(Perm.MANAGE_ROLES)
    body = call.body()
    name = body.get("name") or "new role"
    if len(name) > 100:
        raise form_error([("name", "Must be 100 or fewer in length.")])
    permissions = int(body.get("permissions") or 0)
    if permissions & ~double.guild.base_permissions(double.bot_member()):
        raise ApiError(403, 50013, "Missing Permissions")
    role = Role(double.snowflakes.next(), name, permissions, position=1)
    role.mentionable = bool(body.get("mentionable"))
    role.hoist = bool(body.get("hoist"))
    role.color = int(body.get("color") or 0)
    for other in double.guild.roles.values():
        if other.id != double.guild_id:
            other.position += 1
    double.guild.roles[role.id] = role
    double._dispatch_guild("GUILD_ROLE_CREATE", {"role": role.payload()})
    return role.payload()


@route("PATCH", "/guilds/{guild_id}/roles/{role_id}")
async def edit_role(call: Call) -> Any:
    double = call.double
    role = _role(call)
    double.require_permission(Perm.MANAGE_ROLES)
    double.check_role_hierarchy(role)
    body = call.body()
    if "name" in body:
        role.name = body["name"]
    if "permissions" in body and body["permissions"] is not None:
        role.permissions = int(body["permissions"])
    if "mentionable" in body:
        role.mentionable = bool(body["mentionable"])
    if "hoist" in body:
        role.hoist = bool(body["hoist"])
    if "color" in body and body["color"] is not None:
        role.color = int(body["color"])
    double._dispatch_guild("GUILD_ROLE_UPDATE", {"role": role.payload()})
    return role.payload()


@route("DELETE", "/guilds/{guild_id}/roles/{role_id}")
async def delete_role(call: Call) -> Any:
    double = call.double
    role = _role(call)
    double.require_permission(Perm.MANAGE_ROLES)
    double.check_role_hierarchy(role)
    double._remove_role(role.id)
    return None


@route("GET", "/guilds/{guild_id}/members")
async def list_members(call: Call) -> Any:
    _guild(call)
    limit = min(int(call.query.get("limit", 1)), 1000)
    after = int(call.query.get("after", 0))
    members = sorted(call.double.guild.members.values(), key=lambda m: m.id)
    return [m.payload() for m in members if m.id > after][:limit]


@route("GET", "/guilds/{guild_id}/members/search")
async def search_members(call: Call) -> Any:
    _guild(call)
    query = call.query.get("query", "").lower()
    limit = min(int(call.query.get("limit", 1)), 1000)
    found = [m for m in call.double.guild.members.values() if m.name.lower().startswith(query)]
    return [m.payload() for m in found[:limit]]


def _member(call: Call) -> Any:
    _guild(call)
    member = call.double.guild.members.get(call.int_param("user_id"))
    if member is None:
        raise ApiError(404, 10007, "Unknown Member")
    return member


@route("GET", "/guilds/{guild_id}/members/{user_id}")
async def get_member(call: Call) -> Any:
    return _member(call).payload()


@route("PUT", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}")
async def add_member_role(call: Call) -> Any:
    double = call.double
    member = _member(call)
    role = _role(call)
    double.require_permission(Perm.MANAGE_ROLES)
    double.check_role_hierarchy(role)
    double._set_member_role(member.id, role.id, True)
    return None


@route("DELETE", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}")
async def remove_member_role(call: Call) -> Any:
    double = call.double
    member = _member(call)
    role = _role(call)
    double.require_permission(Perm.MANAGE_ROLES)
    double.check_role_hierarchy(role)
    double._set_member_role(member.id, role.id, False)
    return None


@route("PATCH", "/guilds/{guild_id}/members/{user_id}")
async def edit_member(call: Call) -> Any:
    double = call.double
    member = _member(call)
    body = call.body()
    if "roles" in body:
        double.require_permission(Perm.MANAGE_ROLES)
        wanted = {int(r) for r in body["roles"] or []}
        for role_id in wanted ^ set(member.role_ids):
            role = double.guild.roles.get(role_id)
            if role is None:
                raise ApiError(404, 10011, "Unknown Role")
            double.check_role_hierarchy(role)
        member.role_ids = sorted(wanted)
    if "nick" in body:
        double.require_permission(Perm.MANAGE_NICKNAMES)
        member.nick = body["nick"]
    double._dispatch_guild("GUILD_MEMBER_UPDATE", member.payload())
    return member.payload()


# ---- scheduled events -----------------------------------------------------------------------------------


@route("GET", "/guilds/{guild_id}/scheduled-events")
async def list_events(call: Call) -> Any:
    _guild(call)
    double = call.double
    creator = double.users[double.bot_user_id]
    return [e.payload(creator) for e in double.guild.scheduled_events.values() if not e.deleted]


@route("POST", "/guilds/{guild_id}/scheduled-events")
async def create_event(call: Call) -> Any:
    _guild(call)
    double = call.double
    body = call.body()
    channel = double.guild.channels.get(int(body["channel_id"])) if body.get("channel_id") else None
    perms = (
        double.guild.channel_permissions(double.bot_member(), channel)
        if channel is not None
        else double.guild.base_permissions(double.bot_member())
    )
    if not perms & (Perm.MANAGE_EVENTS | Perm.CREATE_EVENTS):
        raise ApiError(403, 50013, "Missing Permissions")
    event = double.create_scheduled_event(body)
    return event.payload(double.users[double.bot_user_id])


def _event(call: Call) -> Any:
    _guild(call)
    event = call.double.guild.scheduled_events.get(call.int_param("event_id"))
    if event is None or event.deleted:
        raise ApiError(404, 10070, "Unknown Guild Scheduled Event")
    return event


@route("GET", "/guilds/{guild_id}/scheduled-events/{event_id}")
async def get_event(call: Call) -> Any:
    return _event(call).payload(call.double.users[call.double.bot_user_id])


@route("PATCH", "/guilds/{guild_id}/scheduled-events/{event_id}")
async def edit_event(call: Call) -> Any:
    double = call.double
    event = _event(call)
    _require_event_manage(double, event)
    return double.update_scheduled_event(event, call.body()).payload(double.users[double.bot_user_id])


@route("DELETE", "/guilds/{guild_id}/scheduled-events/{event_id}")
async def delete_event(call: Call) -> Any:
    double = call.double
    event = _event(call)
    _require_event_manage(double, event)
    double.delete_scheduled_event(event)
    return None


def _require_event_manage(double: FakeDiscord, event: Any) -> None:
    perms = double.guild.base_permissions(double.bot_member())
    own = event.creator_id == double.bot_user_id and perms & Perm.CREATE_EVENTS
    if not perms & Perm.MANAGE_EVENTS and not own and perms != Perm.ALL:
        raise ApiError(403, 50013, "Missing Permissions")


@route("GET", "/guilds/{guild_id}/scheduled-events/{event_id}/users")
async def event_users(call: Call) -> Any:
    _event(call)
    return []


# ---- working groups: channel structure and permission overwrites ----------------------------------
# Added for the working-groups feature: moving a channel into a category (PATCH parent_id), replacing
# its overwrites (PATCH permission_overwrites), and editing one overwrite (PUT/DELETE
# /channels/{id}/permissions/{target}), with Discord's validation: the parent must be a category of
# the guild; an overwrite's type is 0 (role) or 1 (member) and its target must exist; a bot may only
# allow or deny permissions it has itself (else 403/50013), unless it is an administrator.


def _check_overwrite(double: FakeDiscord, raw: Any, where: str) -> Overwrite:
    if not isinstance(raw, dict) or "id" not in raw:
        raise form_error([(where, "This field is required")])
    try:
        target = int(raw["id"])
        kind = int(raw.get("type", 0))
        allow = int(raw.get("allow") or 0)
        deny = int(raw.get("deny") or 0)
    except (TypeError, ValueError):
        raise form_error([(where, "Invalid overwrite")]) from None
    if kind not in (0, 1):
        raise form_error([(f"{where}.type", "Value must be one of (0, 1).")])
    if kind == 0 and target not in double.guild.roles:
        raise form_error([(f"{where}.id", "Unknown role")])
    if kind == 1 and target not in double.guild.members:
        raise form_error([(f"{where}.id", "Unknown member")])
    bot_perms = double.guild.base_permissions(double.bot_member())
    if not bot_perms & Perm.ADMINISTRATOR and (allow | deny) & ~bot_perms:
        raise ApiError(403, 50013, "Missing Permissions")
    return Overwrite(target, kind, allow, deny)


def check_channel_structure(double: FakeDiscord, body: dict[str, Any], channel: Channel | None) -> None:
    parent = body.get("parent_id")
    if parent:
        category = double.guild.channels.get(int(parent))
        if category is None or category.type != 4:
            raise form_error([("parent_id", "Category does not exist")])
        if channel is not None and channel.type == 4:
            raise form_error([("parent_id", "Categories cannot have subcategories")])
    raw = body.get("permission_overwrites")
    if raw is not None:
        if not isinstance(raw, list) or len(raw) > 100:
            raise form_error([("permission_overwrites", "Must be 100 or fewer in length.")])
        for index, item in enumerate(raw):
            _check_overwrite(double, item, f"permission_overwrites.{index}")


def apply_channel_structure(double: FakeDiscord, channel: Channel, body: dict[str, Any]) -> None:
    """PATCH /channels/{id}: parent_id and permission_overwrites, validated before anything changes."""
    if "parent_id" not in body and "permission_overwrites" not in body:
        return
    check_channel_structure(double, body, channel)
    if "parent_id" in body:
        channel.parent_id = int(body["parent_id"]) if body["parent_id"] else None
    if body.get("permission_overwrites") is not None:
        double.require_permission(Perm.MANAGE_ROLES)
        channel.overwrites = [
            _check_overwrite(double, item, f"permission_overwrites.{index}")
            for index, item in enumerate(body["permission_overwrites"])
        ]


@route("PUT", "/channels/{channel_id}/permissions/{overwrite_id}")
async def edit_channel_permissions(call: Call) -> Any:
    double = call.double
    channel = double.channel_for_bot(call.int_param("channel_id"))
    if channel.type == 1:
        raise ApiError(403, 50003, "Cannot execute action on a DM channel")
    double.require_permission(Perm.MANAGE_ROLES)
    body = {**call.body(), "id": call.params["overwrite_id"]}
    overwrite = _check_overwrite(double, body, "")
    channel.overwrites = [o for o in channel.overwrites if o.target_id != overwrite.target_id] + [overwrite]
    double._dispatch_guild("CHANNEL_UPDATE", channel.payload())
    return None


@route("DELETE", "/channels/{channel_id}/permissions/{overwrite_id}")
async def delete_channel_permission(call: Call) -> Any:
    double = call.double
    channel = double.channel_for_bot(call.int_param("channel_id"))
    double.require_permission(Perm.MANAGE_ROLES)
    target = call.int_param("overwrite_id")
    channel.overwrites = [o for o in channel.overwrites if o.target_id != target]
    double._dispatch_guild("CHANNEL_UPDATE", channel.payload())
    return None
