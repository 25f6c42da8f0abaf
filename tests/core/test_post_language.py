"""Which language a public post speaks: the event's own, else its channel's, else the server's."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import discord

from bot.config import parse_config
from bot.core.channels import post_language


def channel(name: str) -> discord.abc.GuildChannel:
    return cast(discord.abc.GuildChannel, SimpleNamespace(name=name))


def test_the_event_language_wins_then_the_channel_then_the_server() -> None:
    data: dict[str, Any] = {"guild_ids": [1], "language": "es", "channel_languages": {"annonces": "fr"}}
    config = parse_config(data, base_dir=Path("/srv"), environ={})
    assert post_language(config, channel("annonces")) == "fr"
    assert post_language(config, channel("announcements")) == "es"
    assert post_language(config, None) == "es"
    assert post_language(config, channel("annonces"), "en") == "en"
