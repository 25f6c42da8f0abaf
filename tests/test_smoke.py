"""Every extension loads into a bot that never logs in, with the commands and buttons we ship."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import discord
import pytest
from discord import app_commands

from bot.app import build_offline_bot
from bot.config import load_config
from bot.core.bot import WimBot

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
async def offline_bot() -> AsyncIterator[WimBot]:
    bot = await build_offline_bot(load_config(ROOT / "config.yml"))
    yield bot
    await bot.db.close()


def _qualified_names(
    commands: Sequence[app_commands.Command[Any, ..., Any] | app_commands.Group | app_commands.ContextMenu],
) -> set[str]:
    names: set[str] = set()
    for command in commands:
        names.add(command.qualified_name)
        if isinstance(command, app_commands.Group):
            names |= _qualified_names(command.commands)
    return names


async def test_every_cog_loads_and_registers_its_commands(offline_bot: WimBot) -> None:
    names = _qualified_names(offline_bot.tree.get_commands())
    expected = {"about", "event create", "event list", "event rsvp", "event calendar", "timezone set"}
    assert expected <= names, f"missing: {sorted(expected - names)}"
    assert set(offline_bot.cogs) >= {"About"}


async def test_persistent_buttons_are_registered_with_id_only_templates(offline_bot: WimBot) -> None:
    templates = [pattern.pattern for pattern in offline_bot._connection._view_store._dynamic_items]
    assert any(template.startswith("event:rsvp:") for template in templates), templates
    assert any(template.startswith("event:checkin:") for template in templates), templates


async def test_default_allowed_mentions_ping_nobody(offline_bot: WimBot) -> None:
    mentions = offline_bot.allowed_mentions
    assert mentions is not None
    assert dict(mentions.to_dict()) == {"parse": []}


class RecordingTranslator(app_commands.Translator):
    """Sees every string discord.py would send for translation when syncing."""

    def __init__(self) -> None:
        self.strings: list[app_commands.locale_str] = []

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        self.strings.append(string)
        return None


async def test_every_command_string_is_keyed_into_the_catalog(offline_bot: WimBot) -> None:
    recorder = RecordingTranslator()
    for command in offline_bot.tree.get_commands():
        await command.get_translated_payload(offline_bot.tree, recorder)
    unkeyed = sorted({str(s) for s in recorder.strings if "key" not in s.extras})
    assert unkeyed == [], "every command name, description, option and choice needs a catalog key"
    keys = {string.extras["key"] for string in recorder.strings}
    missing = sorted(key for key in keys if not offline_bot.catalog.has(key))
    assert missing == []
    english = offline_bot.catalog.messages["en"]
    drifted = sorted(str(s) for s in recorder.strings if str(s) != english[s.extras["key"]])
    assert drifted == [], "Discord's default text must be the English catalog entry (use cmd_str)"
