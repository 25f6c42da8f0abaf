"""Gateway side of the double: sessions, IDENTIFY/RESUME, heartbeats, zlib-stream, ordered dispatch."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import zlib
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

if TYPE_CHECKING:
    from .server import FakeDiscord

log = logging.getLogger("tests.double.gateway")

HEARTBEAT_INTERVAL_MS = 41250

# Intent bits.
GUILDS = 1 << 0
GUILD_MEMBERS = 1 << 1
GUILD_PRESENCES = 1 << 8
GUILD_MESSAGES = 1 << 9
DIRECT_MESSAGES = 1 << 12
MESSAGE_CONTENT = 1 << 15
GUILD_SCHEDULED_EVENTS = 1 << 16
PRIVILEGED = GUILD_MEMBERS | GUILD_PRESENCES | MESSAGE_CONTENT
ALL_INTENTS = (1 << 26) - 1

# Which intent each event needs (None: always sent).
EVENT_INTENTS: dict[str, int | None] = {
    "GUILD_CREATE": GUILDS,
    "GUILD_UPDATE": GUILDS,
    "GUILD_ROLE_CREATE": GUILDS,
    "GUILD_ROLE_UPDATE": GUILDS,
    "GUILD_ROLE_DELETE": GUILDS,
    "CHANNEL_CREATE": GUILDS,
    "CHANNEL_UPDATE": GUILDS,
    "CHANNEL_DELETE": GUILDS,
    "GUILD_MEMBER_ADD": GUILD_MEMBERS,
    "GUILD_MEMBER_UPDATE": GUILD_MEMBERS,
    "GUILD_MEMBER_REMOVE": GUILD_MEMBERS,
    "GUILD_SCHEDULED_EVENT_CREATE": GUILD_SCHEDULED_EVENTS,
    "GUILD_SCHEDULED_EVENT_UPDATE": GUILD_SCHEDULED_EVENTS,
    "GUILD_SCHEDULED_EVENT_DELETE": GUILD_SCHEDULED_EVENTS,
}


@dataclass
class Session:
    id: str
    intents: int
    seq: int = 0
    buffer: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=2000))
    conn: Connection | None = None
    invalid: bool = False
    ready: bool = False

    def wants(self, event: str, guild_message: bool | None = None) -> bool:
        if event.startswith("MESSAGE_"):
            needed = GUILD_MESSAGES if guild_message else DIRECT_MESSAGES
            return bool(self.intents & needed)
        needed_intent = EVENT_INTENTS.get(event)
        return needed_intent is None or bool(self.intents & needed_intent)


class Connection:
    """One websocket. Frames go through a queue so dispatch order equals send order."""

    def __init__(self, ws: web.WebSocketResponse, compress: str | None) -> None:
        self.ws = ws
        self.compress = compress
        self._compressor = zlib.compressobj() if compress == "zlib-stream" else None
        self.queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self.session: Session | None = None
        self.identified = False
        self.closed = False
        self.writer: asyncio.Task[None] | None = None

    def put(self, frame: dict[str, Any]) -> None:
        if not self.closed:
            self.queue.put_nowait(frame)

    async def run_writer(self) -> None:
        while True:
            frame = await self.queue.get()
            if frame is None or self.ws.closed:
                return
            text = json.dumps(frame, separators=(",", ":"))
            try:
                if self._compressor is not None:
                    data = self._compressor.compress(text.encode()) + self._compressor.flush(
                        zlib.Z_SYNC_FLUSH
                    )
                    await self.ws.send_bytes(data)
                else:
                    await self.ws.send_str(text)
            except (ConnectionError, RuntimeError):
                return

    async def close(self, code: int) -> None:
        self.closed = True
        self.queue.put_nowait(None)
        if self.writer is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.writer, timeout=2)
        with contextlib.suppress(Exception):
            await self.ws.close(code=code)


class Gateway:
    def __init__(self, double: FakeDiscord) -> None:
        self.double = double
        self.sessions: list[Session] = []
        self.connections: list[Connection] = []
        self.identifies = 0
        self.resumes = 0
        self.invalid_sessions = 0
        self.allowed_privileged_intents = PRIVILEGED
        self.connects: list[dict[str, str]] = []  # query of every websocket connection, in order

    # ---- dispatch -------------------------------------------------------------------------------------

    def dispatch(self, event: str, data: dict[str, Any], *, guild_message: bool | None = None) -> None:
        """Send an event to every live session that asked for it (INTERACTION_CREATE: newest only)."""
        if event == "INTERACTION_CREATE":
            target = self.active_session()
            targets = [target] if target is not None else []
        else:
            targets = [s for s in self.sessions if not s.invalid and s.wants(event, guild_message)]
        for session in targets:
            payload = data
            if event in ("MESSAGE_CREATE", "MESSAGE_UPDATE") and not session.intents & MESSAGE_CONTENT:
                payload = self._without_content(data, guild_message)
            self._send_dispatch(session, event, payload)

    def _without_content(self, data: dict[str, Any], guild_message: bool | None) -> dict[str, Any]:
        author = (data.get("author") or {}).get("id")
        mentioned = any(u.get("id") == str(self.double.bot_user_id) for u in data.get("mentions", []))
        if not guild_message or author == str(self.double.bot_user_id) or mentioned:
            return data
        return {**data, "content": "", "embeds": [], "attachments": [], "components": []}

    def _send_dispatch(self, session: Session, event: str, data: dict[str, Any]) -> None:
        session.seq += 1
        frame = {"op": 0, "t": event, "s": session.seq, "d": data}
        session.buffer.append(frame)
        if session.conn is not None and session.ready:
            session.conn.put(frame)
        self.double.notify()

    def active_session(self) -> Session | None:
        live = [
            s for s in self.sessions if not s.invalid and s.ready and s.conn is not None and not s.conn.closed
        ]
        return live[-1] if live else None

    # ---- control --------------------------------------------------------------------------------------

    async def drop(self, *, code: int, invalidate: bool) -> Session | None:
        session = self.active_session()
        if session is None:
            return None
        if invalidate:
            session.invalid = True
        conn = session.conn
        session.conn = None
        session.ready = False
        if conn is not None:
            await conn.close(code)
        self.double.notify()
        return session

    def send_op(self, op: int, d: Any = None) -> bool:
        session = self.active_session()
        if session is None or session.conn is None:
            return False
        session.conn.put({"op": op, "d": d})
        return True

    def invalidate(self) -> bool:
        """op 9 ``d=false`` on the live session's socket; the session can no longer be resumed."""
        session = self.active_session()
        if session is None or session.conn is None:
            return False
        session.invalid = True
        self.invalid_sessions += 1
        session.conn.put({"op": 9, "d": False})
        self.double.notify()
        return True

    async def close_all(self) -> None:
        for conn in list(self.connections):
            await conn.close(1001)

    # ---- websocket handler ----------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(autoping=True, max_msg_size=0)
        await ws.prepare(request)
        query = request.query
        self.connects.append(dict(query))
        compress = query.get("compress")
        if query.get("v") != "10":
            self.double.violate("gateway", f"gateway version v={query.get('v')!r}, expected 10")
            await ws.close(code=4012)
            return ws
        if query.get("encoding", "json") != "json":
            self.double.violate("gateway", f"encoding {query.get('encoding')!r} not supported by the double")
            await ws.close(code=4002)
            return ws
        if compress not in (None, "zlib-stream", "zstd-stream"):
            self.double.violate("gateway", f"unknown compress={compress!r}")
        # zstd-stream is answered with plain text frames, which every client must accept.
        conn = Connection(ws, "zlib-stream" if compress == "zlib-stream" else None)
        conn.writer = asyncio.get_running_loop().create_task(conn.run_writer())
        self.connections.append(conn)
        conn.put({"op": 10, "d": {"heartbeat_interval": HEARTBEAT_INTERVAL_MS, "_trace": ["fake-discord"]}})
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    try:
                        payload = json.loads(msg.data)
                    except ValueError:
                        self.double.violate("gateway", "payload is not valid JSON")
                        await conn.close(4002)
                        break
                    await self._on_payload(conn, payload)
                elif msg.type == WSMsgType.BINARY:
                    self.double.violate("gateway", "client sent a binary frame (ETF or compressed payload)")
                    await conn.close(4002)
                    break
                elif msg.type in (WSMsgType.ERROR, WSMsgType.CLOSE):
                    break
                if conn.closed:
                    break
        finally:
            conn.closed = True
            conn.queue.put_nowait(None)
            if conn.session is not None and conn.session.conn is conn:
                conn.session.conn = None
                conn.session.ready = False
            if conn in self.connections:
                self.connections.remove(conn)
            self.double.notify()
        return ws

    async def _on_payload(self, conn: Connection, payload: dict[str, Any]) -> None:
        op = payload.get("op")
        d = payload.get("d")
        if op == 1:
            conn.put({"op": 11})
        elif op == 2:
            await self._identify(conn, d or {})
        elif op == 6:
            await self._resume(conn, d or {})
        elif conn.session is None and op in (3, 4, 8):
            self.double.violate("gateway", f"op {op} sent before IDENTIFY")
            await conn.close(4003)
        elif op == 8:
            self._request_members(conn, d or {})
        elif op in (3, 4):
            pass  # presence and voice state updates: accepted and ignored
        else:
            self.double.violate("gateway", f"unknown opcode {op}")
            await conn.close(4001)

    async def _identify(self, conn: Connection, d: dict[str, Any]) -> None:
        if conn.identified:
            self.double.violate("gateway", "IDENTIFY sent twice on one connection")
            await conn.close(4005)
            return
        if d.get("token") not in (self.double.token, f"Bot {self.double.token}"):
            self.double.violate("gateway", "IDENTIFY with a wrong token")
            await conn.close(4004)
            return
        intents = d.get("intents")
        if not isinstance(intents, int) or intents < 0 or intents > ALL_INTENTS:
            await conn.close(4013)
            return
        if intents & PRIVILEGED & ~self.allowed_privileged_intents:
            await conn.close(4014)
            return
        conn.identified = True
        self.identifies += 1
        session = Session(id=secrets.token_hex(16), intents=intents)
        # A new IDENTIFY supersedes older sessions of this bot (the old process is gone or reconnecting).
        for old in self.sessions:
            if old.conn is None:
                old.invalid = True
        self.sessions = [s for s in self.sessions if not s.invalid] + [session]
        session.conn = conn
        conn.session = session
        double = self.double
        ready = {
            "v": 10,
            "user": double.users[double.bot_user_id].payload() | {"verified": True, "mfa_enabled": False},
            "guilds": [{"id": str(double.guild_id), "unavailable": True}],
            "session_id": session.id,
            "resume_gateway_url": double.gateway_url,
            "shard": [0, 1],
            "application": {"id": str(double.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
            "user_settings": {},
            "_trace": ["fake-discord"],
        }
        session.ready = True
        self._send_dispatch(session, "READY", ready)
        self._send_dispatch(session, "GUILD_CREATE", double.guild.payload(double))

    async def _resume(self, conn: Connection, d: dict[str, Any]) -> None:
        session = next((s for s in self.sessions if s.id == d.get("session_id")), None)
        if d.get("token") not in (self.double.token, f"Bot {self.double.token}"):
            await conn.close(4004)
            return
        if session is None or session.invalid:
            self.invalid_sessions += 1
            conn.put({"op": 9, "d": False})
            self.double.notify()
            return
        if session.conn is not None and session.conn is not conn:
            old = session.conn
            session.conn = None
            await old.close(4000)
        seq = d.get("seq") or 0
        session.conn = conn
        conn.session = session
        conn.identified = True
        for frame in list(session.buffer):
            if frame["s"] > seq:
                conn.put(frame)
        self.resumes += 1
        session.ready = True
        self._send_dispatch(session, "RESUMED", {"_trace": ["fake-discord"]})

    def _request_members(self, conn: Connection, d: dict[str, Any]) -> None:
        session = conn.session
        assert session is not None
        double = self.double
        query = d.get("query")
        user_ids = d.get("user_ids")
        if (query == "" or query is None) and not user_ids and not session.intents & GUILD_MEMBERS:
            self.double.violate("gateway", "REQUEST_GUILD_MEMBERS for all members without the members intent")
            return
        members = list(double.guild.members.values())
        if user_ids:
            wanted = {int(u) for u in (user_ids if isinstance(user_ids, list) else [user_ids])}
            members = [m for m in members if m.id in wanted]
        elif query:
            members = [m for m in members if m.name.lower().startswith(str(query).lower())]
        limit = d.get("limit") or 0
        if limit:
            members = members[:limit]
        chunk: dict[str, Any] = {
            "guild_id": str(double.guild_id),
            "members": [m.payload() for m in members],
            "chunk_index": 0,
            "chunk_count": 1,
        }
        if d.get("nonce") is not None:
            chunk["nonce"] = d["nonce"]
        self._send_dispatch(session, "GUILD_MEMBERS_CHUNK", chunk)
