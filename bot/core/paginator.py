"""A generic Previous/Next view over pages rendered on demand.

``Paginator(owner_id, catalog, lang, render, page_count)``: ``render(page)`` returns the embed of page
``page`` (0-based), read fresh on every click. Only the owner may page (``OwnedView``); after
``timeout`` the buttons are disabled and the view lets go of ``render`` and the message, so nothing it
captured (query results, services) outlives the moment it can be used.

Use ``await Paginator.send(interaction, ...)``: it answers with the first page, and without buttons
when there is a single page.

A paginator holds what its pages need (tens of KB) for as long as it can be used, and no longer:
- a member's new paginator for the same command supersedes their previous one (its buttons are
  disabled and it lets go at once), through the bot's ``PaginatorRegistry`` (``bot.paginators``);
- the registry keeps at most ``MAX_LIVE_PAGINATORS``: beyond, the oldest is closed the same way;
- a paginator whose message is gone (Discord answers Unknown Message or Unknown Webhook) stops, and
  none outlives its interaction's token (15 minutes), after which its message cannot be edited.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

import discord

from bot.core.replies import reply
from bot.core.views import OwnedView
from bot.i18n import Catalog

PageRenderer = Callable[[int], Awaitable[discord.Embed]]

log = logging.getLogger(__name__)

# Paginators alive at once, every member and command together (each holds its pages' renderer):
# members paging at the same moment; beyond, the oldest is closed (its member runs the command again).
MAX_LIVE_PAGINATORS = 50
# An interaction token (which edits the paginator's message) is valid 15 minutes; stop before.
TOKEN_LIFETIME = 14 * 60.0


class AnswerHandle:
    """Edits an interaction's answer through the interaction's token, holding only that (a small
    webhook), not the message: a parsed ``InteractionMessage`` (embed, components, author) would stay
    alive for as long as the paginator, for every live paginator."""

    __slots__ = ("_webhook",)

    def __init__(self, interaction: discord.Interaction) -> None:
        self._webhook = interaction.followup

    async def edit(self, *, view: discord.ui.View) -> None:
        # "@original" is Discord's name for an interaction's answer in its webhook routes.
        await self._webhook.edit_message("@original", view=view)  # type: ignore[call-overload]


class PaginatorRegistry:
    """The live paginators, one per (member, command), oldest first; at most ``limit``."""

    def __init__(self, limit: int = MAX_LIVE_PAGINATORS) -> None:
        if limit < 1:
            raise ValueError("limit must be >= 1")
        self.limit = limit
        self._live: OrderedDict[tuple[int, Hashable], Paginator] = OrderedDict()
        self._closing: set[asyncio.Task[None]] = set()

    def __len__(self) -> int:
        return len(self._live)

    def add(self, key: Hashable, view: Paginator) -> None:
        """Track ``view`` as its owner's paginator for ``key``; close what it supersedes or crowds out."""
        slot = (view.owner_id, key)
        previous = self._live.pop(slot, None)
        if previous is not None and previous is not view:
            self._close(previous)
        self._live[slot] = view
        view.registry_slot = (self, slot)
        while len(self._live) > self.limit:
            _, oldest = self._live.popitem(last=False)
            self._close(oldest)

    def discard(self, view: Paginator) -> None:
        if view.registry_slot is not None and view.registry_slot[0] is self:
            slot = view.registry_slot[1]
            if self._live.get(slot) is view:
                del self._live[slot]

    def _close(self, view: Paginator) -> None:
        view.registry_slot = None
        task = asyncio.get_running_loop().create_task(view.close())
        self._closing.add(task)  # keep a reference until done
        task.add_done_callback(self._closing.discard)


class Paginator(OwnedView):
    def __init__(
        self,
        owner_id: int,
        catalog: Catalog,
        lang: str,
        render: PageRenderer,
        page_count: int,
        *,
        timeout: float = 180.0,
    ) -> None:
        super().__init__(owner_id, timeout=min(timeout, TOKEN_LIFETIME))
        self._render: PageRenderer | None = render
        self.registry_slot: tuple[PaginatorRegistry, tuple[int, Hashable]] | None = None
        self.answer: AnswerHandle | None = None  # edits the message (else ``message``, if set)
        self.page = 0
        self.page_count = max(1, page_count)
        self.previous.label = catalog.t(lang, "views.previous")
        self.next.label = catalog.t(lang, "views.next")
        self._sync_buttons()

    @classmethod
    async def send(
        cls,
        interaction: discord.Interaction,
        catalog: Catalog,
        lang: str,
        render: PageRenderer,
        page_count: int,
        *,
        expires_after: float = 180.0,
        key: Hashable | None = None,
    ) -> Paginator | None:
        """Answer ``interaction`` with page 0 (ephemeral); the paginator, or None for a single page.

        ``key`` names what is paged (default: the command's qualified name): the member's previous
        paginator for the same key is closed."""
        first = await render(0)
        registry = getattr(interaction.client, "paginators", None)
        if key is None:
            command = interaction.command
            key = command.qualified_name if command is not None else None
        if page_count <= 1:
            await reply(interaction, embed=first)
            return None
        view = cls(interaction.user.id, catalog, lang, render, page_count, timeout=expires_after)
        await reply(interaction, embed=first, view=view)
        # Disabling the buttons later edits the answer through the interaction's token: no request
        # for the message now (original_response), and the view does not hold it meanwhile.
        view.answer = AnswerHandle(interaction)
        if isinstance(registry, PaginatorRegistry):
            registry.add(key, view)
        return view

    @property
    def released(self) -> bool:
        """True once the view can no longer be used and holds nothing."""
        return self._render is None

    def release(self) -> None:
        """Stop listening and drop the renderer and the message (they may hold large objects)."""
        self.stop()
        self._render = None
        self.message = None
        self.answer = None
        if self.registry_slot is not None:
            self.registry_slot[0].discard(self)
            self.registry_slot = None

    async def close(self) -> None:
        """Superseded or crowded out: disable the buttons on the message, then let go of everything."""
        if self.released:
            return
        self.stop()  # no click reaches it any more, even while the edit below is in flight
        self._render = None
        await self._disable_buttons()
        self.release()

    def _sync_buttons(self) -> None:
        self.previous.disabled = self.page <= 0
        self.next.disabled = self.page >= self.page_count - 1

    async def _show(self, interaction: discord.Interaction, page: int) -> None:
        render = self._render
        if render is None:  # a click that raced the timeout
            await interaction.response.defer()
            return
        self.page = max(0, min(page, self.page_count - 1))
        self._sync_buttons()
        try:
            await interaction.response.edit_message(embed=await render(self.page), view=self)
        except discord.NotFound:
            log.info("Paginator of %s: its message is gone; released", self.owner_id)
            self.release()

    @discord.ui.button(emoji="◀️", style=discord.ButtonStyle.secondary)
    async def previous(self, interaction: discord.Interaction, button: discord.ui.Button[Any]) -> None:
        await self._show(interaction, self.page - 1)

    @discord.ui.button(emoji="▶️", style=discord.ButtonStyle.secondary)
    async def next(self, interaction: discord.Interaction, button: discord.ui.Button[Any]) -> None:
        await self._show(interaction, self.page + 1)

    async def _disable_buttons(self) -> None:
        """Disable the buttons on the message (errors ignored: it may be gone, the token expired)."""
        if self.answer is None:
            await super().on_timeout()
            return
        self.disable_all()
        with contextlib.suppress(discord.HTTPException):
            await self.answer.edit(view=self)

    async def on_timeout(self) -> None:
        await self._disable_buttons()
        self.release()
