"""A generic Previous/Next view over pages rendered on demand.

``Paginator(owner_id, catalog, lang, render, page_count)``: ``render(page)`` returns the embed of page
``page`` (0-based), read fresh on every click. Only the owner may page (``OwnedView``); after
``timeout`` the buttons are disabled and the view lets go of ``render`` and the message, so nothing it
captured (query results, services) outlives the moment it can be used.

Use ``await Paginator.send(interaction, ...)``: it answers with the first page, and without buttons
when there is a single page.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import discord

from bot.core.replies import reply
from bot.core.views import OwnedView
from bot.i18n import Catalog

PageRenderer = Callable[[int], Awaitable[discord.Embed]]


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
        super().__init__(owner_id, timeout=timeout)
        self._render: PageRenderer | None = render
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
    ) -> Paginator | None:
        """Answer ``interaction`` with page 0 (ephemeral); the paginator, or None for a single page."""
        first = await render(0)
        if page_count <= 1:
            await reply(interaction, embed=first)
            return None
        view = cls(interaction.user.id, catalog, lang, render, page_count, timeout=expires_after)
        await reply(interaction, embed=first, view=view)
        view.message = await interaction.original_response()
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
        await interaction.response.edit_message(embed=await render(self.page), view=self)

    @discord.ui.button(emoji="◀️", style=discord.ButtonStyle.secondary)
    async def previous(self, interaction: discord.Interaction, button: discord.ui.Button[Any]) -> None:
        await self._show(interaction, self.page - 1)

    @discord.ui.button(emoji="▶️", style=discord.ButtonStyle.secondary)
    async def next(self, interaction: discord.Interaction, button: discord.ui.Button[Any]) -> None:
        await self._show(interaction, self.page + 1)

    async def on_timeout(self) -> None:
        await super().on_timeout()  # disables the buttons on the message
        self.release()
