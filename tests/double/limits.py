"""Discord's validation rules for what a bot sends.

Each ``check_*`` function returns a list of ``(path, message)`` problems; an empty list means Discord would
accept the payload. ``invalid_form_body`` turns problems into Discord's 50035 error body.
"""

from __future__ import annotations

import re
from typing import Any

from .state import walk_components

Problem = tuple[str, str]

# Discord's locales (https://discord.com/developers/docs/reference#locales).
DISCORD_LOCALES = frozenset(
    {
        "id", "da", "de", "en-GB", "en-US", "es-ES", "es-419", "fr", "hr", "it", "lt", "hu", "nl", "no",
        "pl", "pt-BR", "ro", "fi", "sv-SE", "vi", "tr", "cs", "el", "bg", "ru", "uk", "hi", "th", "zh-CN",
        "ja", "zh-TW", "ko",
    }
)  # fmt: skip

COMMAND_NAME = re.compile(r"^[-_'\w]{1,32}$", re.UNICODE)


def _max_len(problems: list[Problem], path: str, value: Any, limit: int, *, required: bool = False) -> None:
    if value is None:
        if required:
            problems.append((path, "This field is required"))
        return
    if not isinstance(value, str):
        problems.append((path, "Must be a string"))
        return
    if required and len(value) == 0:
        problems.append((path, f"Must be between 1 and {limit} in length."))
    elif len(value) > limit:
        problems.append((path, f"Must be {limit} or fewer in length."))


def embed_length(embed: dict[str, Any]) -> int:
    total = len(embed.get("title") or "") + len(embed.get("description") or "")
    for fld in embed.get("fields") or []:
        total += len(fld.get("name") or "") + len(fld.get("value") or "")
    total += len((embed.get("footer") or {}).get("text") or "")
    total += len((embed.get("author") or {}).get("name") or "")
    return total


def check_embeds(embeds: list[dict[str, Any]]) -> list[Problem]:
    problems: list[Problem] = []
    if len(embeds) > 10:
        problems.append(("embeds", "Must be 10 or fewer in length."))
    total = 0
    for i, embed in enumerate(embeds):
        p = f"embeds.{i}"
        _max_len(problems, f"{p}.title", embed.get("title"), 256)
        _max_len(problems, f"{p}.description", embed.get("description"), 4096)
        fields = embed.get("fields") or []
        if len(fields) > 25:
            problems.append((f"{p}.fields", "Must be 25 or fewer in length."))
        for j, fld in enumerate(fields):
            _max_len(problems, f"{p}.fields.{j}.name", fld.get("name"), 256, required=True)
            _max_len(problems, f"{p}.fields.{j}.value", fld.get("value"), 1024, required=True)
        if embed.get("footer") is not None:
            _max_len(problems, f"{p}.footer.text", embed["footer"].get("text"), 2048, required=True)
        if embed.get("author") is not None:
            _max_len(problems, f"{p}.author.name", embed["author"].get("name"), 256, required=True)
        for key in ("url",):
            url = embed.get(key)
            if url is not None and not str(url).startswith(("http://", "https://")):
                problems.append((f"{p}.{key}", "Not a well formed URL."))
        total += embed_length(embed)
    if total > 6000:
        problems.append(("embeds", f"Embed size exceeds maximum size of 6000 (total {total})"))
    return problems


def _check_select(problems: list[Problem], p: str, comp: dict[str, Any]) -> None:
    _max_len(problems, f"{p}.custom_id", comp.get("custom_id"), 100, required=True)
    _max_len(problems, f"{p}.placeholder", comp.get("placeholder"), 150)
    min_v, max_v = comp.get("min_values", 1), comp.get("max_values", 1)
    if not 0 <= min_v <= 25:
        problems.append((f"{p}.min_values", "Must be between 0 and 25."))
    if not 1 <= max_v <= 25:
        problems.append((f"{p}.max_values", "Must be between 1 and 25."))
    if comp.get("type") == 3:
        options = comp.get("options") or []
        if not 1 <= len(options) <= 25:
            problems.append((f"{p}.options", "Must be between 1 and 25 in length."))
        if max_v > len(options) and options:
            problems.append((f"{p}.max_values", f"Must be less than or equal to {len(options)}."))
        values = set()
        for k, opt in enumerate(options):
            _max_len(problems, f"{p}.options.{k}.label", opt.get("label"), 100, required=True)
            _max_len(problems, f"{p}.options.{k}.value", opt.get("value"), 100, required=True)
            _max_len(problems, f"{p}.options.{k}.description", opt.get("description"), 100)
            if opt.get("value") in values:
                problems.append((f"{p}.options.{k}.value", "Select option values must be unique"))
            values.add(opt.get("value"))


def _check_button(problems: list[Problem], p: str, comp: dict[str, Any]) -> None:
    style = comp.get("style")
    _max_len(problems, f"{p}.label", comp.get("label"), 80)
    if not comp.get("label") and not comp.get("emoji"):
        problems.append((f"{p}.label", "A button needs a label or an emoji"))
    if style == 5:
        if not comp.get("url"):
            problems.append((f"{p}.url", "This field is required"))
        if comp.get("custom_id"):
            problems.append((f"{p}.custom_id", "A link button cannot have a custom_id"))
    elif style == 6:
        if not comp.get("sku_id"):
            problems.append((f"{p}.sku_id", "This field is required"))
    else:
        _max_len(problems, f"{p}.custom_id", comp.get("custom_id"), 100, required=True)


def check_components(components: list[dict[str, Any]], *, v2: bool) -> list[Problem]:
    problems: list[Problem] = []
    if v2:
        total = len(walk_components(components))
        if total > 40:
            problems.append(("components", f"Must be 40 or fewer in total (got {total})."))
    elif len(components) > 5:
        problems.append(("components", "Must be 5 or fewer in length."))
    for i, row in enumerate(components):
        p = f"components.{i}"
        if not v2 and row.get("type") != 1:
            problems.append((f"{p}.type", "Top-level components must be action rows (type 1)"))
            continue
        if row.get("type") == 1:
            children = row.get("components") or []
            if not children:
                problems.append((f"{p}.components", "Must be between 1 and 5 in length."))
            buttons = [c for c in children if c.get("type") == 2]
            selects = [c for c in children if c.get("type") in (3, 5, 6, 7, 8)]
            if len(buttons) > 5:
                problems.append((f"{p}.components", "Must be 5 or fewer in length."))
            if selects and len(children) > 1:
                problems.append((f"{p}.components", "A select menu must be alone in its action row"))
    seen: set[str] = set()
    for j, comp in enumerate(walk_components(components)):
        p = f"components.*{j}"
        ctype = comp.get("type")
        if ctype == 2:
            _check_button(problems, p, comp)
        elif ctype in (3, 5, 6, 7, 8):
            _check_select(problems, p, comp)
        elif ctype == 10:
            _max_len(problems, f"{p}.content", comp.get("content"), 4000, required=True)
        custom_id = comp.get("custom_id")
        if custom_id is not None:
            if custom_id in seen:
                problems.append((f"{p}.custom_id", "Component custom id cannot be duplicated"))
            seen.add(custom_id)
    return problems


def check_message(payload: dict[str, Any], *, file_count: int = 0, editing: bool = False) -> list[Problem]:
    """A message create/edit body (channel message, interaction response data, webhook followup)."""
    problems: list[Problem] = []
    flags = payload.get("flags") or 0
    v2 = bool(flags & (1 << 15))
    content = payload.get("content")
    if content is not None:
        if not isinstance(content, str):
            problems.append(("content", "Must be a string"))
        elif len(content) > 2000:
            problems.append(("content", "Must be 2000 or fewer in length."))
    embeds = payload.get("embeds") or []
    if payload.get("embed"):
        embeds = [*embeds, payload["embed"]]
    problems += check_embeds(embeds)
    components = payload.get("components") or []
    problems += check_components(components, v2=v2)
    if v2 and (content or embeds):
        problems.append(("content", "Cannot send content or embeds with the IS_COMPONENTS_V2 flag"))
    if not editing:
        has_something = bool(content) or bool(embeds) or bool(components) or file_count > 0
        has_something = has_something or bool(payload.get("sticker_ids")) or bool(payload.get("poll"))
        if not has_something:
            problems.append(("", "EMPTY"))
    am = payload.get("allowed_mentions")
    if isinstance(am, dict):
        parse = am.get("parse") or []
        if "users" in parse and am.get("users"):
            problems.append(("allowed_mentions", "parse:users and users are mutually exclusive"))
        if "roles" in parse and am.get("roles"):
            problems.append(("allowed_mentions", "parse:roles and roles are mutually exclusive"))
        if len(am.get("users") or []) > 100 or len(am.get("roles") or []) > 100:
            problems.append(("allowed_mentions", "Must be 100 or fewer in length."))
    return problems


def check_modal(data: dict[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    _max_len(problems, "data.title", data.get("title"), 45, required=True)
    _max_len(problems, "data.custom_id", data.get("custom_id"), 100, required=True)
    components = data.get("components") or []
    if not 1 <= len(components) <= 5:
        problems.append(("data.components", "Must be between 1 and 5 in length."))
    for i, comp in enumerate(walk_components(components)):
        p = f"data.components.*{i}"
        ctype = comp.get("type")
        if ctype == 4:
            _max_len(problems, f"{p}.custom_id", comp.get("custom_id"), 100, required=True)
            _max_len(problems, f"{p}.label", comp.get("label"), 45)
            _max_len(problems, f"{p}.placeholder", comp.get("placeholder"), 100)
            _max_len(problems, f"{p}.value", comp.get("value"), 4000)
            for key in ("min_length", "max_length"):
                if key in comp and not 0 <= int(comp[key]) <= 4000:
                    problems.append((f"{p}.{key}", "Must be between 0 and 4000."))
        elif ctype == 18:
            _max_len(problems, f"{p}.label", comp.get("label"), 45, required=True)
            _max_len(problems, f"{p}.description", comp.get("description"), 100)
        elif ctype in (3, 5, 6, 7, 8):
            _check_select(problems, p, comp)
    return problems


def check_choices(choices: list[dict[str, Any]]) -> list[Problem]:
    problems: list[Problem] = []
    if len(choices) > 25:
        problems.append(("data.choices", "Must be 25 or fewer in length."))
    for i, choice in enumerate(choices):
        _max_len(problems, f"data.choices.{i}.name", choice.get("name"), 100, required=True)
        if isinstance(choice.get("value"), str):
            _max_len(problems, f"data.choices.{i}.value", choice["value"], 100)
        for loc in choice.get("name_localizations") or {}:
            if loc not in DISCORD_LOCALES:
                problems.append((f"data.choices.{i}.name_localizations.{loc}", "Invalid locale"))
    return problems


def _check_localized(
    problems: list[Problem], path: str, base: Any, locs: dict[str, str] | None, limit: int, name: bool
) -> int:
    """Validate a name/description and its localizations; return the longest variant for the 4000 budget."""
    longest = 0
    variants = [("", base)] + [(f"_localizations.{k}", v) for k, v in (locs or {}).items()]
    for suffix, value in variants:
        where = f"{path}{suffix}"
        if suffix:
            locale = suffix.split(".", 1)[1]
            if locale not in DISCORD_LOCALES:
                problems.append((where, f"Invalid Form Body: '{locale}' is not a valid locale"))
                continue
        if not isinstance(value, str) or not 1 <= len(value) <= limit:
            problems.append((where, f"Must be between 1 and {limit} in length."))
            continue
        if name:
            if not COMMAND_NAME.match(value):
                problems.append((where, "Command name is invalid"))
            elif value != value.lower():
                problems.append((where, "Command name must be lowercase"))
        longest = max(longest, len(value))
    return longest


def _check_options(problems: list[Problem], path: str, options: list[dict[str, Any]], depth: int) -> int:
    total = 0
    if len(options) > 25:
        problems.append((path, "Must be 25 or fewer in length."))
    names: set[str] = set()
    seen_optional = False
    kinds = {o.get("type") for o in options}
    if kinds & {1, 2} and kinds - {1, 2}:
        problems.append((path, "Subcommands cannot be mixed with other option types"))
    for i, opt in enumerate(options):
        p = f"{path}.{i}"
        otype = opt.get("type")
        total += _check_localized(
            problems, f"{p}.name", opt.get("name"), opt.get("name_localizations"), 32, True
        )
        total += _check_localized(
            problems,
            f"{p}.description",
            opt.get("description"),
            opt.get("description_localizations"),
            100,
            False,
        )
        if opt.get("name") in names:
            problems.append((f"{p}.name", "Option names must be unique"))
        names.add(opt.get("name", ""))
        if otype in (1, 2):
            if otype == 2 and depth > 0:
                problems.append((f"{p}.type", "Subcommand groups cannot be nested"))
            if otype == 1 and depth > 1:
                problems.append((f"{p}.type", "Subcommands nested too deeply"))
            total += _check_options(problems, f"{p}.options", opt.get("options") or [], depth + 1)
            continue
        if opt.get("required"):
            if seen_optional:
                problems.append(
                    (f"{p}.required", "Required options must be placed before non-required options")
                )
        else:
            seen_optional = True
        choices = opt.get("choices") or []
        if len(choices) > 25:
            problems.append((f"{p}.choices", "Must be 25 or fewer in length."))
        if choices and opt.get("autocomplete"):
            problems.append((f"{p}.autocomplete", "Autocomplete cannot be used with choices"))
        if opt.get("autocomplete") and otype not in (3, 4, 10):
            problems.append((f"{p}.autocomplete", "Autocomplete only works for string, integer, number"))
        for j, choice in enumerate(choices):
            total += _check_localized(
                problems,
                f"{p}.choices.{j}.name",
                choice.get("name"),
                choice.get("name_localizations"),
                100,
                False,
            )
            if isinstance(choice.get("value"), str) and len(choice["value"]) > 100:
                problems.append((f"{p}.choices.{j}.value", "Must be 100 or fewer in length."))
            total += len(str(choice.get("value", "")))
        for key in ("min_length", "max_length"):
            if key in opt and not 0 <= int(opt[key]) <= 6000:
                problems.append((f"{p}.{key}", "Must be between 0 and 6000."))
    return total


def check_commands(commands: list[dict[str, Any]]) -> list[Problem]:
    """A bulk overwrite body (PUT .../commands)."""
    problems: list[Problem] = []
    by_type: dict[int, set[str]] = {}
    chat_count = 0
    for i, cmd in enumerate(commands):
        problems += check_command(cmd, prefix=f"{i}")
        ctype = int(cmd.get("type", 1))
        chat_count += ctype == 1
        names = by_type.setdefault(ctype, set())
        if cmd.get("name") in names:
            problems.append((f"{i}.name", "Application command names must be unique"))
        names.add(cmd.get("name", ""))
    if chat_count > 100:
        problems.append(("", "Maximum number of application commands reached (100)"))
    return problems


def check_command(cmd: dict[str, Any], *, prefix: str = "") -> list[Problem]:
    problems: list[Problem] = []
    p = f"{prefix}." if prefix else ""
    ctype = int(cmd.get("type", 1))
    if ctype == 1:
        total = _check_localized(
            problems, f"{p}name", cmd.get("name"), cmd.get("name_localizations"), 32, True
        )
        total += _check_localized(
            problems,
            f"{p}description",
            cmd.get("description"),
            cmd.get("description_localizations"),
            100,
            False,
        )
        total += _check_options(problems, f"{p}options", cmd.get("options") or [], 0)
        if total > 4000:
            problems.append((f"{p}", f"Command exceeds maximum size (4000), got {total}"))
    else:
        name = cmd.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= 32:
            problems.append((f"{p}name", "Must be between 1 and 32 in length."))
        if cmd.get("description"):
            problems.append((f"{p}description", "Context menu commands cannot have a description"))
    return problems


def invalid_form_body(problems: list[Problem]) -> dict[str, Any]:
    """Discord's 50035 body, nesting the dotted paths the way the API does."""
    errors: dict[str, Any] = {}
    for path, message in problems:
        node = errors
        for part in [x for x in path.split(".") if x]:
            node = node.setdefault(part.lstrip("*"), {})
        node.setdefault("_errors", []).append({"code": "BASE_TYPE_INVALID", "message": message})
    return {"code": 50035, "message": "Invalid Form Body", "errors": errors}


def describe(problems: list[Problem]) -> str:
    return "; ".join(f"{path or '<body>'}: {msg}" for path, msg in problems)
