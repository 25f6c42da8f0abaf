"""``dm_members`` renders a DM's text and buttons once per language, not once per member: a reminder
to a whole working group builds one "Join the meeting" view per language and every DM in that
language carries it; members who turned DMs off get nothing, and no view is built for them."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import discord
import pytest

from bot.core import dm


class _Members:
    def __init__(self, settings: dict[int, tuple[str | None, bool]]) -> None:
        self.settings = settings

    async def dm_profiles(self, guild_id: int, user_ids: list[int]) -> dict[int, Any]:
        return {
            user_id: SimpleNamespace(
                language=self.settings[user_id][0], dm_reminders=self.settings[user_id][1]
            )
            for user_id in user_ids
        }


async def test_text_and_view_are_built_once_per_language(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = {1: ("en", True), 2: ("fr", True), 3: ("en", True), 4: (None, True), 5: ("es", False)}
    bot = SimpleNamespace(
        services=SimpleNamespace(members=_Members(settings)), config=SimpleNamespace(language="en")
    )
    sent: list[tuple[int, str, discord.ui.View | None]] = []

    async def fake_send(_bot: object, user_id: int, content: str, *, view: Any = None, **_: Any) -> bool:
        sent.append((user_id, content, view))
        return True

    monkeypatch.setattr(dm, "send_dm", fake_send)
    texts: list[str] = []
    views: dict[str, discord.ui.View] = {}

    def render(lang: str) -> str:
        texts.append(lang)
        return f"reminder in {lang}"

    def view(lang: str) -> discord.ui.View:
        assert lang not in views, f"a second view for {lang}"
        views[lang] = discord.ui.View(timeout=None)
        return views[lang]

    result = await dm.dm_members(bot, 10, [1, 2, 3, 4, 5], render, view=view)  # type: ignore[arg-type]

    assert sorted(texts) == sorted(views) == ["en", "fr"]
    assert sorted(result.sent) == [1, 2, 3, 4] and result.opted_out == (5,)
    by_user = {user_id: (content, shown) for user_id, content, shown in sent}
    assert by_user[1] == ("reminder in en", views["en"])
    assert by_user[3][1] is views["en"] and by_user[4][1] is views["en"]  # the guild's language
    assert by_user[2] == ("reminder in fr", views["fr"])


async def test_without_a_view_the_dms_go_without_buttons(monkeypatch: pytest.MonkeyPatch) -> None:
    bot = SimpleNamespace(
        services=SimpleNamespace(members=_Members({1: ("en", True)})), config=SimpleNamespace(language="en")
    )
    sent: list[Any] = []

    async def fake_send(_bot: object, user_id: int, content: str, *, view: Any = None, **_: Any) -> bool:
        sent.append(view)
        return True

    monkeypatch.setattr(dm, "send_dm", fake_send)
    await dm.dm_members(bot, 10, [1], lambda lang: "hello")  # type: ignore[arg-type]
    assert sent == [None]
