"""The shared Discord plumbing in bot/core: clipping replies, keyed command strings, mention lists."""

from __future__ import annotations

import discord
import pytest

from bot import limits
from bot.core.mentions import mention_list
from bot.core.replies import fit_content, fit_embed
from bot.core.strings import CommandText
from bot.core.zones import zone_choices


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
