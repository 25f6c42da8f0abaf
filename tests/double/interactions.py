"""Interaction records kept by the double and the handles/results handed to tests."""

# The waits take timeout= on purpose: they run on the double's own loop, so a caller-side
# asyncio.timeout could not describe what was awaited; every wait has a bounded default.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import copy
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .state import Message, embed_texts

if TYPE_CHECKING:
    from .server import FakeDiscord

APPLICATION_COMMAND = 2
MESSAGE_COMPONENT = 3
AUTOCOMPLETE = 4
MODAL_SUBMIT = 5

TOKEN_LIFETIME_SECONDS = 15 * 60


class InvocationError(Exception):
    """The test asked for an interaction the Discord client would never send (unknown option, ...)."""


@dataclass
class InteractionRecord:
    id: int
    token: str
    kind: int
    user_id: int
    channel_id: int
    guild_id: int | None
    payload: dict[str, Any]
    dispatched_at: float = field(default_factory=time.monotonic)
    source_message_id: int | None = None
    source_edits: int = 0  # edit count of the source message when the interaction was sent
    response: InteractionResponse | None = None
    original_message_id: int | None = None
    followup_ids: list[int] = field(default_factory=list)
    modal: dict[str, Any] | None = None
    callbacks: int = 0
    # Set (on the double's loop) when the initial response arrives: a burst of 1,000 interactions
    # waits on 1,000 of these, not all on the double's one "something changed" event (every
    # response would wake every waiter: 1,000 x 1,000 wake-ups, the double's own CPU in the figures).
    answered: asyncio.Future[None] | None = None

    @property
    def expired(self) -> bool:
        return time.monotonic() - self.dispatched_at > TOKEN_LIFETIME_SECONDS


@dataclass
class InteractionResponse:
    """The bot's initial response to an interaction, as Discord received it."""

    type: int
    data: dict[str, Any]
    elapsed: float
    message: Message | None = None

    @property
    def flags(self) -> int:
        return int(self.data.get("flags") or 0)

    @property
    def ephemeral(self) -> bool:
        if self.message is not None:
            return self.message.ephemeral
        return bool(self.flags & Message.EPHEMERAL)

    @property
    def deferred(self) -> bool:
        return self.type in (5, 6)

    @property
    def content(self) -> str:
        return str(self.data.get("content") or "")

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return list(self.data.get("embeds") or [])

    @property
    def components(self) -> list[dict[str, Any]]:
        return list(self.data.get("components") or [])

    @property
    def text(self) -> str:
        if self.message is not None:
            return self.message.text
        parts = [self.content] if self.content else []
        for embed in self.embeds:
            parts.extend(embed_texts(embed))
        return "\n".join(parts)

    @property
    def choices(self) -> list[dict[str, Any]]:
        if self.type != 8:
            raise AssertionError(f"response type {self.type} is not an autocomplete result")
        return list(self.data.get("choices") or [])

    @property
    def modal(self) -> dict[str, Any]:
        if self.type != 9:
            raise AssertionError(f"response type {self.type} is not a modal (data={self.data!r})")
        return self.data


class InteractionHandle:
    """What ``invoke``/``click``/``select``/``submit_modal``/``autocomplete`` return."""

    def __init__(self, double: FakeDiscord, record: InteractionRecord) -> None:
        self._double = double
        self.id = record.id
        self.token = record.token
        self.kind = record.kind
        self.user_id = record.user_id
        self.channel_id = record.channel_id

    def __repr__(self) -> str:
        return f"<InteractionHandle id={self.id} kind={self.kind} channel={self.channel_id}>"

    def _record(self) -> InteractionRecord:
        return self._double._interactions[self.id]

    async def response(self, timeout: float = 5.0) -> InteractionResponse:
        """The initial response. Fails after ``timeout`` seconds (Discord itself gives up after 3)."""

        return await self._double._async(self._double._initial_response(self.id, timeout))

    def callback_count(self) -> int:
        """How many times the bot POSTed an initial response (Discord accepts exactly one)."""
        return self._double._sync(lambda: self._record().callbacks)

    def original(self) -> Message | None:
        def get() -> Message | None:
            rec = self._record()
            if rec.original_message_id is None:
                return None
            return copy.deepcopy(self._double._messages[rec.original_message_id])

        return self._double._sync(get)

    async def message(self, timeout: float = 5.0) -> Message:
        """The final visible original message (after a deferral, once the bot edited it)."""

        def get() -> Message | None:
            rec = self._record()
            if rec.response is None or rec.original_message_id is None:
                return None
            msg = self._double._messages[rec.original_message_id]
            if msg.loading:
                return None
            if rec.response.type == 6 and msg.edits == rec.source_edits:
                return None
            return copy.deepcopy(msg)

        return await self._double._wait_value(get, timeout, f"the final message of interaction {self.id}")

    async def followups(self, n: int = 1, timeout: float = 5.0) -> list[Message]:
        def get() -> list[Message] | None:
            rec = self._record()
            if len(rec.followup_ids) < n:
                return None
            return [copy.deepcopy(self._double._messages[i]) for i in rec.followup_ids[:n]]

        return await self._double._wait_value(get, timeout, f"{n} followup(s) of interaction {self.id}")
