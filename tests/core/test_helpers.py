"""The shared Discord plumbing in bot/core: clipping replies, keyed command strings, mention lists."""

from __future__ import annotations

from pathlib import Path

import discord
import pytest

from bot import limits
from bot.core.mentions import mention_list
from bot.core.replies import fit_content, fit_embed
from bot.core.strings import CommandText
from bot.core.zones import zone_choices

CONFIG = Path(__file__).resolve().parents[2] / "config.yml"


def test_fit_embed_keeps_every_part_within_discords_limits() -> None:
    embed = discord.Embed(title="t" * 6000, description="d" * 6000)
    for index in range(30):
        embed.add_field(name="n" * 300, value="v" * 2000 if index else "", inline=False)
    embed.set_footer(text="f" * 3000)
    embed.set_author(name="a" * 300)
    fit_embed(embed)
    assert len(embed.title or "") <= limits.EMBED_TITLE
    assert len(embed.description or "") <= limits.EMBED_DESCRIPTION
    assert 0 < len(embed.fields) <= limits.EMBED_FIELDS
    assert all(1 <= len(f.name or "") <= 256 and 1 <= len(f.value or "") <= 1024 for f in embed.fields)
    assert len(embed.footer.text or "") <= limits.EMBED_FOOTER
    assert len(embed) <= limits.EMBED_TOTAL


def test_fit_content_clips_to_a_message() -> None:
    assert fit_content(None) is None
    assert fit_content("short") == "short"
    clipped = fit_content("x" * 6000)
    assert clipped is not None and len(clipped) == limits.MESSAGE_CONTENT
    assert clipped.endswith(limits.ELLIPSIS)


def test_command_text_takes_the_path_once() -> None:
    create = CommandText("event.create")
    assert create.name.extras["key"] == "cmd.event.create.name"
    assert str(create.description) == "Create an event and announce it (moderators)"
    choices = create.choices(("none", "weekly"))
    assert [c.value for c in choices] == ["none", "weekly"]
    assert choices[1].name == "Every week" and choices[1]._locale_name is not None
    assert choices[1]._locale_name.extras["key"] == "cmd.event.create.choices.weekly"
    with pytest.raises(KeyError):
        CommandText("event.nope").option_name("x")


def test_mention_list_fits_and_counts_the_rest() -> None:
    ids = list(range(10**17, 10**17 + 100))
    text = mention_list(ids, nobody="-", more=lambda n: f"and {n} more", limit=60)
    assert len(text) <= 60 and text.endswith("more")
    assert mention_list([], nobody="Nobody yet", more=str) == "Nobody yet"


def test_zone_suggestions_for_an_over_long_text_are_empty_not_slow() -> None:
    assert zone_choices("x" * 6000) == []
    assert zone_choices("paris")[0].value == "Europe/Paris"


async def test_paginator_lets_go_of_what_it_holds_when_it_expires() -> None:
    from bot.core.paginator import Paginator
    from bot.i18n import Catalog

    async def render(page: int) -> discord.Embed:
        return discord.Embed(title=f"page {page}")

    view = Paginator(1, Catalog.load(), "fr", render, 3, timeout=60)
    assert view.previous.label == "Précédent" and view.previous.disabled and not view.next.disabled
    assert not view.released
    await view.on_timeout()
    assert view.released and view.message is None and view.is_finished()
    assert all(getattr(item, "disabled", False) for item in view.children)


async def test_a_timer_that_gave_up_is_reported_to_its_own_guild_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from datetime import UTC, datetime

    from bot.app import build_offline_bot
    from bot.config import load_config
    from bot.services.timers import Timer

    bot = await build_offline_bot(load_config(CONFIG))
    posted: list[tuple[int, str]] = []

    async def post_mod_log(guild_id: int, content: str) -> bool:
        posted.append((guild_id, content))
        return True

    async def ready() -> None:
        return None

    monkeypatch.setattr(bot, "post_mod_log", post_mod_log)
    monkeypatch.setattr(bot, "wait_until_ready", ready)
    served = bot.config.guild_ids[0]
    now = datetime(2027, 1, 1, tzinfo=UTC)
    try:
        for payload in ({"guild_id": served}, {}, {"guild_id": served + 1}):
            timer = Timer(1, "event.announce", now, payload, 5, now, status="failed")
            await bot._report_failed_timer(timer, "boom")
        assert [guild for guild, _ in posted] == [served]
        assert "event.announce" in posted[0][1]
    finally:
        await bot.db.close()
