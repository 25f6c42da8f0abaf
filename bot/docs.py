"""The command reference (docs/commands.md), rendered from the bot's command tree through the same
translator that syncs the commands to Discord, in English, French and Spanish."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from discord import app_commands

    from bot.config import Config

OPTION_TYPES: dict[int, str] = {
    3: "text",
    4: "whole number",
    5: "yes/no",
    6: "member",
    7: "channel",
    8: "role",
    9: "member or role",
    10: "number",
    11: "file",
}
SUBCOMMAND, SUBCOMMAND_GROUP = 1, 2
CONTEXT_MENU_KINDS = {2: "member context menu (right-click a member > Apps)", 3: "message context menu"}
DOC_LANGUAGES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    # (label, catalog language, Discord locales carrying it, first found wins)
    ("English", "en", ()),
    ("Français", "fr", ("fr",)),
    ("Español", "es", ("es-ES", "es-419")),
)


def _md(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _localized(payload: dict[str, Any], field: str, locales: tuple[str, ...]) -> str:
    if not locales:
        return str(payload.get(field, ""))
    found = payload.get(f"{field}_localizations") or {}
    for locale in locales:
        if found.get(locale):
            return str(found[locale])
    return str(payload.get(field, ""))  # untranslated: Discord shows the default too


def _checked_who(command: Any) -> str | None:
    """Who the checks from the command up to its root group let through (bot.core.checks marks each
    predicate), the narrowest found: moderators, then coordinators and moderators; None for none."""
    from bot.core.checks import COORDINATORS, MODERATORS, WHO

    found: set[str] = set()
    while command is not None:
        for check in getattr(command, "checks", ()):
            who = getattr(check, WHO, None)
            if isinstance(who, str):
                found.add(who)
        command = getattr(command, "parent", None)
    for who in (MODERATORS, COORDINATORS):
        if who in found:
            return who
    return None


def _permission_names(value: int) -> str:
    import discord

    names = [name.replace("_", " ").title() for name, granted in discord.Permissions(value) if granted]
    return ", ".join(names) or "none"


def _who(root_payload: dict[str, Any], command: Any) -> str:
    permissions = root_payload.get("default_member_permissions")
    hint = (
        f"hidden by default from members without: {_permission_names(int(permissions))}"
        if permissions is not None
        else ""
    )
    # default_permissions hides the command from all but those holding them: moderators' rights.
    checked = "moderators" if permissions is not None else _checked_who(command)
    if checked is None:
        return "everyone"
    return checked + (f" ({hint})" if hint else "")


def _visible_moderator_commands(
    leaves: list[tuple[tuple[str, ...], dict[str, Any], dict[str, Any], Any]],
) -> list[str]:
    """The sentence naming the moderator and coordinator commands Discord shows every member (their
    group also holds member commands, and Discord hides per top-level command only), or nothing when
    there are none."""
    visible = [
        f"`/{names[0]}`"
        for names, _, root_payload, command in leaves
        if _checked_who(command) is not None and root_payload.get("default_member_permissions") is None
    ]
    if not visible:
        return []
    return [
        "These moderator and coordinator commands are therefore **visible to every member** in Discord's",
        f"command list (members who may not use them are refused): {', '.join(visible)}.",
    ]


def _option_type(option: dict[str, Any]) -> str:
    kind = OPTION_TYPES.get(int(option["type"]), f"type {option['type']}")
    limits = []
    if option.get("min_length") is not None or option.get("max_length") is not None:
        limits.append(f"{option.get('min_length', 0)}–{option.get('max_length', '…')} characters")
    if option.get("min_value") is not None or option.get("max_value") is not None:
        limits.append(f"{option.get('min_value', '…')} to {option.get('max_value', '…')}")
    if option.get("autocomplete"):
        limits.append("suggestions as you type")
    return kind + (f" ({', '.join(limits)})" if limits else "")


def _render_options(options: list[dict[str, Any]]) -> list[str]:
    if not options:
        return ["No options."]
    lines = [
        "| Option (en / fr / es) | Type | Required | Description |",
        "|---|---|---|---|",
    ]
    for option in options:
        names = " / ".join(f"`{_md(_localized(option, 'name', loc))}`" for _, _, loc in DOC_LANGUAGES)
        descriptions = "<br>".join(
            f"{lang}: {_md(_localized(option, 'description', loc))}" for _, lang, loc in DOC_LANGUAGES
        )
        choices = option.get("choices") or []
        if choices:
            rendered = "; ".join(
                " / ".join(_md(_localized(choice, "name", loc)) for _, _, loc in DOC_LANGUAGES)
                + f" (`{_md(choice['value'])}`)"
                for choice in choices
            )
            descriptions += f"<br>Choices: {rendered}"
        required = "yes" if option.get("required") else "no"
        lines.append(f"| {names} | {_md(_option_type(option))} | {required} | {descriptions} |")
    return lines


def _walk(
    command: Any, payload: dict[str, Any], root_payload: dict[str, Any], prefixes: tuple[str, ...]
) -> list[tuple[tuple[str, ...], dict[str, Any], dict[str, Any], Any]]:
    """Leaf commands as (full names per language, payload, root payload, command object)."""
    names = tuple(
        f"{prefix} {_localized(payload, 'name', loc)}".strip()
        for prefix, (_, _, loc) in zip(prefixes, DOC_LANGUAGES, strict=True)
    )
    children = [
        option for option in payload.get("options", []) if option["type"] in (SUBCOMMAND, SUBCOMMAND_GROUP)
    ]
    if not children:
        return [(names, payload, root_payload, command)]
    child_objects = list(getattr(command, "commands", []))
    leaves = []
    for index, child in enumerate(children):
        child_object = child_objects[index] if index < len(child_objects) else command
        leaves.extend(_walk(child_object, child, root_payload, names))
    return leaves


async def render_command_reference(tree: app_commands.CommandTree[Any]) -> str:
    """docs/commands.md from the command tree, through the same translator that syncs to Discord."""
    from discord import app_commands

    translator = tree.translator or app_commands.Translator()
    roots = sorted(
        tree.get_commands(), key=lambda command: (getattr(command, "type", None) is not None, command.name)
    )
    leaves = []
    for command in roots:
        payload = await command.get_translated_payload(tree, translator)
        leaves.extend(_walk(command, payload, payload, ("", "", "")))

    out = [
        "# Command reference",
        "",
        "<!-- Generated by `make docs` (wim-bot docs) from the bot's command tree: do not edit.",
        "     Change the command or its `cmd.*` catalog entries in bot/locales, then regenerate. -->",
        "",
        "Every slash command of the WIM Alliance bot, with its name and description in English,",
        "French and Spanish. Discord shows each member the names in their own Discord language.",
        "",
        "*Accents*: French and Spanish command and option names are written without accents or other",
        "diacritics (`/evenement creer`, `/a-propos`, the option `duracion`), because Discord's",
        "command search does not match a name typed without its accents and many members type on",
        "phones or English keyboards; descriptions and choice names keep their accents. The words",
        "follow [the glossary](GLOSSARY.md).",
        "",
        "*Who*: **everyone**; **moderators** — the roles listed in `moderator_roles` (the Secretariat",
        "and the Steering Committee) and anyone with Manage Server; or **coordinators and moderators** —",
        "the coordinators of a working group, each for the groups they coordinate, and the moderators",
        "for every group. The bot checks the role (and, for a coordinator, the group) every time such a",
        "command is used and refuses anyone else with a private message. Discord can hide commands from",
        "members only per top-level command (`default_permissions`); only a command marked *hidden by",
        "default* below is hidden by Discord.",
        *_visible_moderator_commands(leaves),
        "",
        "## Summary",
        "",
        "| Command | Who | What it does |",
        "|---|---|---|",
    ]
    for names, payload, root_payload, command in leaves:
        kind = CONTEXT_MENU_KINDS.get(int(root_payload.get("type") or 1))
        slash = "" if kind else "/"
        who = _who(root_payload, command).split(" (")[0]
        out.append(f"| `{slash}{_md(names[0])}` | {who} | {_md(payload.get('description') or kind or '')} |")
    for names, payload, root_payload, command in leaves:
        kind = CONTEXT_MENU_KINDS.get(int(root_payload.get("type") or 1))
        slash = "" if kind else "/"
        out += ["", f"## `{slash}{_md(names[0])}`", ""]
        if kind:
            out += [f"A {kind}.", "", "| Language | Name |", "|---|---|"]
            out += [
                f"| {label} | `{_md(name)}` |"
                for (label, _, _), name in zip(DOC_LANGUAGES, names, strict=True)
            ]
        else:
            out += ["| Language | Name | Description |", "|---|---|---|"]
            for (label, _, locales), name in zip(DOC_LANGUAGES, names, strict=True):
                description = _localized(payload, "description", locales)
                out.append(f"| {label} | `/{_md(name)}` | {_md(description)} |")
        out += ["", f"*Who*: {_who(root_payload, command)}"]
        if not kind:
            out += ["", *_render_options(list(payload.get("options", [])))]
    if not leaves:
        out += ["", "No commands are registered."]
    return "\n".join(out) + "\n"


async def generate_command_reference(config: Config) -> str:
    """The command reference for the bot ``config`` describes, from a bot that never logs in."""
    from bot.app import build_offline_bot

    bot = await build_offline_bot(config)
    try:
        return await render_command_reference(bot.tree)
    finally:
        await bot.close()
        await bot.db.close()
