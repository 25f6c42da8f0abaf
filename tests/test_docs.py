"""The generated command reference: rendered from the real command tree, and committed up to date."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import discord
import pytest
from discord import app_commands

from bot.cli import generate_command_reference, main, render_command_reference
from bot.config import load_config
from bot.core.checks import coordinator_or_moderator, moderator_only
from bot.core.translator import CatalogTranslator
from bot.i18n import Catalog

REPO_ROOT = Path(__file__).resolve().parent.parent
COMMITTED = REPO_ROOT / "docs" / "commands.md"
SHIPPED_CONFIG = REPO_ROOT / "config.yml"


async def test_committed_command_reference_is_up_to_date() -> None:
    """Fails whenever a command changes without `make docs`: regenerate and commit docs/commands.md."""
    generated = await generate_command_reference(load_config(SHIPPED_CONFIG, environ={}))
    assert COMMITTED.exists(), "docs/commands.md is missing: run `make docs`"
    assert COMMITTED.read_text(encoding="utf-8") == generated, "docs/commands.md is stale: run `make docs`"


async def test_reference_lists_about_in_three_languages() -> None:
    generated = await generate_command_reference(load_config(SHIPPED_CONFIG, environ={}))
    catalog = Catalog.load()
    about_section = generated.split("## `/about`", 1)[1].split("\n## ", 1)[0]
    assert f"| English | `/about` | {catalog.t('en', 'cmd.about.description')} |" in about_section
    assert (
        f"| Français | `/{catalog.t('fr', 'cmd.about.name')}` | {catalog.t('fr', 'cmd.about.description')} |"
        in (about_section)
    )
    assert (
        f"| Español | `/{catalog.t('es', 'cmd.about.name')}` | {catalog.t('es', 'cmd.about.description')} |"
        in (about_section)
    )
    assert "*Who*: everyone" in about_section


@pytest.fixture
async def sample_tree() -> AsyncIterator[app_commands.CommandTree[discord.Client]]:
    """A small tree shaped like the bot's: a moderator group with a subcommand, options and choices."""
    client = discord.Client(intents=discord.Intents.none())
    tree: app_commands.CommandTree[discord.Client] = app_commands.CommandTree(client)
    catalog = Catalog(
        {
            "en": {},
            "fr": {
                "cmd.events.name": "evenements",
                "cmd.events.create.name": "creer",
                "cmd.events.create.description": "Créer un événement | public",
                "cmd.events.create.options.title.name": "titre",
                "cmd.events.create.options.title.description": "Titre de l'événement",
                "cmd.events.create.choices.call": "Appel",
            },
            "es": {
                "cmd.events.name": "eventos",
                "cmd.events.create.name": "crear",
                "cmd.events.create.description": "Crear un evento",
                "cmd.events.create.options.title.name": "titulo",
                "cmd.events.create.options.title.description": "Título del evento",
                "cmd.events.create.choices.call": "Llamada",
            },
        }
    )
    await tree.set_translator(CatalogTranslator(catalog))

    events = app_commands.Group(
        name=app_commands.locale_str("events", key="cmd.events.name"),
        description="Events of the Alliance",
        default_permissions=discord.Permissions(manage_events=True),
    )

    @events.command(
        name=app_commands.locale_str("create", key="cmd.events.create.name"),
        description=app_commands.locale_str("Create an event", key="cmd.events.create.description"),
    )
    @app_commands.rename(title=app_commands.locale_str("title", key="cmd.events.create.options.title.name"))
    @app_commands.describe(
        title=app_commands.locale_str("Title of the event", key="cmd.events.create.options.title.description")
    )
    @app_commands.choices(
        kind=[
            app_commands.Choice(
                name=app_commands.locale_str("Call", key="cmd.events.create.choices.call"), value="call"
            )
        ]
    )
    @moderator_only()
    async def create(
        interaction: discord.Interaction,
        title: app_commands.Range[str, 1, 100],
        kind: app_commands.Choice[str],
        minutes: app_commands.Range[int, 1, 600] = 60,
    ) -> None:
        raise AssertionError("never invoked")

    tree.add_command(events)

    @tree.command(name="ping", description="Is the bot alive")
    async def ping(interaction: discord.Interaction) -> None:
        raise AssertionError("never invoked")

    yield tree
    await client.close()


async def test_renders_groups_translations_options_and_moderator_rights(
    sample_tree: app_commands.CommandTree[discord.Client],
) -> None:
    text = await render_command_reference(sample_tree)
    assert "| `/events create` | moderators | Create an event |" in text
    assert "| `/ping` | everyone | Is the bot alive |" in text
    assert text.index("`/events create`") < text.index("`/ping`")  # sorted by name
    section = text.split("## `/events create`", 1)[1].split("\n## ", 1)[0]
    assert "| English | `/events create` | Create an event |" in section
    assert "| Français | `/evenements creer` | Créer un événement \\| public |" in section
    assert "| Español | `/eventos crear` | Crear un evento |" in section
    assert "*Who*: moderators (hidden by default from members without: Manage Events)" in section
    assert (
        "| `title` / `titre` / `titulo` | text (1–100 characters) | yes | en: Title of the event<br>"
        "fr: Titre de l'événement<br>es: Título del evento |"
    ) in section
    assert "Choices: Call / Appel / Llamada (`call`)" in section
    assert "| `minutes` / `minutes` / `minutes` | whole number (1 to 600) | no |" in section
    ping = text.split("## `/ping`", 1)[1]
    assert "*Who*: everyone" in ping
    assert "No options." in ping


async def test_moderator_check_without_default_permissions_still_counts() -> None:
    client = discord.Client(intents=discord.Intents.none())
    tree: app_commands.CommandTree[discord.Client] = app_commands.CommandTree(client)

    @tree.command(name="purge", description="Moderators only")
    @moderator_only()
    async def purge(interaction: discord.Interaction) -> None:
        raise AssertionError("never invoked")

    text = await render_command_reference(tree)
    await client.close()
    assert "| `/purge` | moderators | Moderators only |" in text
    assert "*Who*: moderators\n" in text + "\n"


async def test_coordinator_check_reads_coordinators_and_moderators_and_is_named_visible() -> None:
    client = discord.Client(intents=discord.Intents.none())
    tree: app_commands.CommandTree[discord.Client] = app_commands.CommandTree(client)
    wg = app_commands.Group(name="wg", description="Working groups")

    @wg.command(name="status", description="Set a group's status")
    @coordinator_or_moderator()
    async def status(interaction: discord.Interaction) -> None:
        raise AssertionError("never invoked")

    @wg.command(name="report", description="Every group")
    @coordinator_or_moderator()
    @moderator_only()
    async def report(interaction: discord.Interaction) -> None:
        raise AssertionError("never invoked")

    @wg.command(name="list", description="Every group")
    async def list_(interaction: discord.Interaction) -> None:
        raise AssertionError("never invoked")

    tree.add_command(wg)
    text = await render_command_reference(tree)
    await client.close()
    assert "| `/wg status` | coordinators and moderators | Set a group's status |" in text
    assert "| `/wg report` | moderators | Every group |" in text  # the narrower check wins
    assert "| `/wg list` | everyone | Every group |" in text
    assert "*Who*: coordinators and moderators\n" in text
    intro = text.split("## Summary")[0]
    assert "`/wg status`, `/wg report`." in intro
    assert "`/wg list`" not in intro


async def test_docs_command_writes_and_checks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    output = tmp_path / "commands.md"
    args = ["docs", "--config", str(SHIPPED_CONFIG), "--output", str(output)]
    # main() runs its own event loop, so it goes to a worker thread from this async test.
    assert await asyncio.to_thread(main, [*args, "--check"]) == 1
    assert "out of date" in capsys.readouterr().err
    assert await asyncio.to_thread(main, args) == 0
    assert output.read_text(encoding="utf-8").startswith("# Command reference\n")
    assert await asyncio.to_thread(main, [*args, "--check"]) == 0
    assert "is up to date" in capsys.readouterr().out
    output.write_text(output.read_text(encoding="utf-8") + "edited by hand\n", encoding="utf-8")
    assert await asyncio.to_thread(main, [*args, "--check"]) == 1


def test_the_architecture_names_every_module() -> None:
    """docs/ARCHITECTURE.md's "Modules" section names every module of bot/ and cogs/ (a package by its
    directory), each under its package's heading or line: a new module is written down when it lands."""
    text = (REPO_ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    section = text.split("## Modules", 1)[1].split("\n## ", 1)[0]
    paragraphs = section.split("\n\n")
    unnamed = []
    for path in sorted([*(REPO_ROOT / "bot").rglob("*.py"), *(REPO_ROOT / "cogs").rglob("*.py")]):
        relative = path.relative_to(REPO_ROOT)
        package = relative.parent.name
        wanted = f"{package}/" if path.name == "__init__.py" else path.name
        if not any(wanted in paragraph and package in paragraph for paragraph in paragraphs):
            unnamed.append(str(relative))
    assert unnamed == [], "modules missing from docs/ARCHITECTURE.md's Modules section"
