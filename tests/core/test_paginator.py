"""Paginators let go of what they hold as soon as they can no longer be used (bot.core.paginator)."""

from __future__ import annotations

import asyncio
from typing import Any

import discord
import pytest

from bot.core.paginator import TOKEN_LIFETIME, Paginator, PaginatorRegistry
from bot.i18n import Catalog

CATALOG = Catalog.load()


class FakeMessage:
    """Stands in for the paginator's InteractionMessage: records the views it was edited with."""

    def __init__(self, *, gone: bool = False) -> None:
        self.edits: list[discord.ui.View] = []
        self.gone = gone

    async def edit(self, *, view: discord.ui.View) -> None:
        if self.gone:
            raise discord.NotFound(_Response(404), {"code": 10008, "message": "Unknown Message"})
        self.edits.append(view)


class _Response:
    def __init__(self, status: int) -> None:
        self.status = status
        self.reason = "Not Found"


async def _render(page: int) -> discord.Embed:
    return discord.Embed(title=f"page {page}")


def _paginator(owner_id: int, message: FakeMessage | None = None) -> Paginator:
    view = Paginator(owner_id, CATALOG, "en", _render, 3, timeout=60)
    view.message = message  # type: ignore[assignment]
    return view


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_a_members_new_paginator_for_the_same_command_supersedes_the_previous() -> None:
    registry = PaginatorRegistry(limit=10)
    first_message = FakeMessage()
    first, second = _paginator(1, first_message), _paginator(1)
    other_command, other_member = _paginator(1), _paginator(2)
    registry.add("event list", first)
    registry.add("wg list", other_command)
    registry.add("event list", other_member)
    registry.add("event list", second)
    await _settle()
    assert first.released and first.is_finished() and first.message is None
    # Its buttons were disabled on its message before it let go.
    [edited] = first_message.edits
    assert all(getattr(item, "disabled", False) for item in edited.children)
    assert not second.released and not other_command.released and not other_member.released
    assert len(registry) == 3


async def test_at_most_limit_paginators_stay_alive_the_oldest_closed_first() -> None:
    registry = PaginatorRegistry(limit=3)
    views = [_paginator(owner) for owner in range(5)]
    for view in views:
        registry.add("event list", view)
    await _settle()
    assert [view.released for view in views] == [True, True, False, False, False]
    assert len(registry) == 3


async def test_a_paginator_that_expires_leaves_the_registry() -> None:
    registry = PaginatorRegistry(limit=3)
    view = _paginator(1, FakeMessage())
    registry.add("event list", view)
    await view.on_timeout()
    assert view.released and len(registry) == 0


async def test_a_paginator_whose_message_is_gone_still_lets_go_when_closed() -> None:
    registry = PaginatorRegistry(limit=1)
    gone = _paginator(1, FakeMessage(gone=True))
    registry.add("event list", gone)
    registry.add("event list", _paginator(2))
    await _settle()
    assert gone.released


async def test_a_click_after_the_message_is_gone_releases_the_paginator() -> None:
    registry = PaginatorRegistry(limit=3)
    view = _paginator(1, FakeMessage())
    registry.add("event list", view)

    class Response:
        async def edit_message(self, **kwargs: Any) -> None:
            raise discord.NotFound(_Response(404), {"code": 10015, "message": "Unknown Webhook"})

    class Click:
        response = Response()

    await view._show(Click(), 1)  # type: ignore[arg-type]
    assert view.released and len(registry) == 0


def test_no_paginator_outlives_its_interaction_token() -> None:
    async def build() -> Paginator:
        return Paginator(1, CATALOG, "en", _render, 3, timeout=3600)

    view = asyncio.run(build())
    assert view.timeout == TOKEN_LIFETIME < 15 * 60


def test_the_limit_must_be_positive() -> None:
    with pytest.raises(ValueError, match="limit"):
        PaginatorRegistry(limit=0)


async def test_a_paginator_edits_its_answer_through_the_token_and_keeps_no_message() -> None:
    """``send`` keeps an ``AnswerHandle`` (the interaction's followup webhook), not the answer's
    message: no request for the message, and nothing parsed held for the paginator's life."""
    edits: list[tuple[Any, discord.ui.View]] = []

    class Followup:
        async def edit_message(self, message_id: Any, *, view: discord.ui.View) -> None:
            edits.append((message_id, view))

    class Answering:
        def __init__(self) -> None:
            self.sent: dict[str, Any] = {}

        def is_done(self) -> bool:
            return bool(self.sent)

        async def send_message(self, **kwargs: Any) -> None:
            self.sent = kwargs

    class Invoked:
        user = discord.Object(id=7)
        command = None
        client = None
        followup = Followup()
        response = Answering()

        async def original_response(self) -> None:
            raise AssertionError("the answer's message was fetched")

    interaction = Invoked()
    view = await Paginator.send(interaction, CATALOG, "en", _render, 3)  # type: ignore[arg-type]
    assert view is not None and view.message is None and view.answer is not None
    assert interaction.response.sent["view"] is view
    registry = PaginatorRegistry(limit=1)
    registry.add("event list", view)
    registry.add("event list", _paginator(8))  # crowds it out
    await _settle()
    [(message_id, edited)] = edits
    assert message_id == "@original" and edited is view
    assert all(getattr(item, "disabled", False) for item in edited.children)
    assert view.released and view.answer is None
