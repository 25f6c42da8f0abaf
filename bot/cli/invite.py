"""The invite link and the set-up steps printed when DISCORD_TOKEN is missing."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

from bot.core.guild_needs import PERMISSION_LABELS

if TYPE_CHECKING:
    import discord

# What the invite link asks for: what the start-up guild check requires, no more (the table explains
# why Mention Everyone is absent).
INVITE_PERMISSIONS: dict[str, str] = PERMISSION_LABELS
INVITE_SCOPES: tuple[str, ...] = ("bot", "applications.commands")


def invite_permissions() -> discord.Permissions:
    import discord

    return discord.Permissions(**dict.fromkeys(INVITE_PERMISSIONS, True))


def invite_url(application_id: str = "YOUR_APPLICATION_ID") -> str:
    return (
        f"https://discord.com/oauth2/authorize?client_id={application_id}"
        f"&scope={'+'.join(INVITE_SCOPES)}&permissions={invite_permissions().value}"
    )


def token_help() -> str:
    """What to do when DISCORD_TOKEN is missing: the whole set-up, since this is usually a first run."""
    grants = textwrap.fill(
        f"It grants: {', '.join(INVITE_PERMISSIONS.values())}.", width=96, subsequent_indent="     "
    )
    return f"""\
DISCORD_TOKEN is not set. The bot reads its Discord token from that environment variable only.

To create the bot and get a token:
  1. Open https://discord.com/developers/applications, click "New Application" and name it
     (for example "WIM Alliance").
  2. On the "Bot" page click "Reset Token" and copy the token. Keep it secret: anyone holding it
     controls the bot.
  3. Still on the "Bot" page, under "Privileged Gateway Intents", enable "Server Members Intent".
     The bot does not need the Message Content intent.
  4. Invite the bot to the Alliance's server with this link, after replacing YOUR_APPLICATION_ID
     with the Application ID from the "General Information" page:
       {invite_url()}
     {grants}
     Mention Everyone is not needed. In Server Settings > Roles, drag the bot's role above the
     roles it should manage.
  5. Put the token in the environment and start the bot from the repository's directory:
       export DISCORD_TOKEN=...
       make run            (or .venv/bin/wim-bot run)

Put the server id in guild_ids in config.yml, and check the configuration with: make check
(or .venv/bin/wim-bot check).
More in README.md, "Creating the Discord application".
"""
