"""Every catalog key the code uses exists in all three catalogs.

``Catalog.t`` shows a member the raw key when it is missing ("events.errors.unknown_evnet"), and only
the English catalog is checked at import (by ``cmd_str``), so a typo or a forgotten French entry
would reach Discord. This test reads the sources of ``bot/`` and ``cogs/`` with ``ast`` and finds the
key argument of every call that takes one:

- ``t(lang, key)``, ``bot.t(target, key)``, ``catalog.t(lang, key)``: the second positional argument
  (the first when there is only one), or ``key=``;
- ``UserFacingError(key)`` and its subclasses wherever they are defined (``NotFound``,
  ``PermissionDenied``, ...), ``cmd_str(key)`` and ``Term(key)``: the first positional, or ``key=``;
- ``locale_str(default, key=key)``: the ``key=`` keyword.

A literal key must exist in every language. A name assigned in the same function (``key = "a" if x
else "b"``) or at module level is followed to its values. A key that is a parameter of a helper
(``def _reminder_body(catalog, lang, key, ...)``, ``validation.text(value, field)``) is followed to
each call site of the helper, and f-strings are filled in the same way. What keeps a hole
(``f"events_ui.rsvp.{status}"``) needs a literal start, and at least one key of that shape in every
language. What has no literal part at all is listed in ``DYNAMIC`` below, so a new dynamic key is a
decision someone made, not an accident.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.i18n import LANGUAGES, PLURAL_FORMS, Catalog

REPO_ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("bot", "cogs")
CATALOG = Catalog.load()

# Call name (a function, or a method's attribute name) -> which argument holds the key.
KEY_SECOND_OF_TWO = "second positional (first if alone), or key="
KEY_FIRST = "first positional, or key="
KEY_KEYWORD = "key= only"
KEY_CALLS: dict[str, str] = {
    "t": KEY_SECOND_OF_TWO,
    "cmd_str": KEY_FIRST,
    "Term": KEY_FIRST,
    "UserFacingError": KEY_FIRST,
    "locale_str": KEY_KEYWORD,
}
# bot/errors.py's classes; subclasses defined anywhere in the sources are found by the scan.
ERROR_CLASSES = frozenset({"UserFacingError", "NotFound", "PermissionDenied"})

# Keys with nothing literal to check, as (file, function, the key expression as ast.unparse writes
# it) -> why that is safe. Each one only passes on a key checked elsewhere.
DYNAMIC: dict[tuple[str, str, str], str] = {
    (
        "bot/web/render.py",
        "menu",
        "key",
    ): "the hub's menu: literals in MENU, rendered by tests/web/test_pages.py",
    ("bot/core/tree.py", "_user_message", "error.key"): "a UserFacingError's key, checked where it is raised",
    (
        "bot/cli/newsletter.py",
        "cmd_newsletter",
        "error.key",
    ): "a UserFacingError's key, checked where it is raised",
    (
        "bot/i18n.py",
        "render_params",
        "item.key",
    ): "a Term's key (in a list), checked where Term(...) is built",
    ("bot/i18n.py", "render_params", "value.key"): "a Term's key, checked where Term(...) is built",
    ("bot/i18n.py", "choice_names", "f'{prefix}.{value}'"): (
        "the names of a Choices: its prefix is a literal where Choices(...) is built, and "
        "test_translations renders the choices"
    ),
    (
        "bot/services/events/validation.py",
        "_reworded",
        "key",
    ): "the literal events.errors.* keys of the callers' maps",
    ("cogs/working_groups/_cog.py", "seed", "error.key"): (
        "a UserFacingError's key (seeding could not set a group up), checked where it is raised"
    ),
    ("bot/core/views.py", "buttons", "f'{cls.labels}.{decision}'"): (
        "a DecisionButton's two labels: its subclass names the literal prefix, and "
        "tests/core/test_decision_button.py checks both keys of every subclass in every language"
    ),
    ("bot/services/organisations/__init__.py", "remove", "reason"): (
        "a removal guard's reason: a catalog key of the feature that registered the guard (consultations), "
        "written as a literal there, where this test checks it"
    ),
    **{
        ("bot/core/strings.py", method, expression): (
            "CommandText builds cmd.<path>.* keys through cmd_str, which fails at import on a key missing "
            "from English (the smoke test imports every cog); test_i18n keeps fr/es to the English keys"
        )
        for method, expression in (
            ("choices", "f'{self.prefix}.choices.{value}'"),
            ("description", "f'{self.prefix}.description'"),
            ("name", "f'{self.prefix}.name'"),
            ("option_description", "f'{self.prefix}.options.{option}.description'"),
            ("option_name", "f'{self.prefix}.options.{option}.name'"),
        )
    },
}


Function = ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda


@dataclass(frozen=True, eq=False)
class Call:
    """A call found in the sources, with where it is (module path, enclosing function)."""

    path: str
    function: Function | None  # None: module level (or a decorator of a module-level function)
    node: ast.Call

    @property
    def name(self) -> str | None:
        func = self.node.func
        return (
            func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
        )

    @property
    def where(self) -> str:
        name = getattr(self.function, "name", "<lambda>") if self.function is not None else "<module>"
        return f"{self.path}:{self.node.lineno} {self.name}(…) in {name}"


@dataclass(frozen=True)
class Param:
    """A part of a key that is the enclosing function's parameter ``name``, known only at call sites."""

    name: str


Part = str | Param | None  # literal text, a parameter, or unknown
Pattern = tuple[Part, ...]
MAX_PATTERNS = 64
MAX_DEPTH = 5


class Sources:
    def __init__(self, root: Path = REPO_ROOT, folders: tuple[str, ...] = SOURCES) -> None:
        self.modules: dict[str, ast.Module] = {
            path.relative_to(root).as_posix(): ast.parse(path.read_text(encoding="utf-8"))
            for folder in folders
            for path in sorted((root / folder).rglob("*.py"))
        }
        self.calls: list[Call] = []
        self.methods: set[Function] = set()
        self.function_path: dict[Function, str] = {}
        for path, module in self.modules.items():
            self._index(path, module.body, None, in_class=False)
        self.key_calls = self._key_call_names()

    def _index(
        self, path: str, nodes: Iterable[ast.AST], function: Function | None, *, in_class: bool
    ) -> None:
        for child in nodes:
            if isinstance(child, Function):
                self.function_path[child] = path
                if in_class:
                    self.methods.add(child)
                # Decorators and defaults run in the enclosing scope, the body in the function's.
                outer = [*getattr(child, "decorator_list", []), *child.args.defaults, *child.args.kw_defaults]
                for expression in (e for e in outer if e is not None):
                    self._index_expression(path, expression, function)
                body = child.body if isinstance(child.body, list) else [child.body]
                for statement in body:
                    self._index_expression(path, statement, child)
            elif isinstance(child, ast.ClassDef):
                for expression in [*child.decorator_list, *child.bases]:
                    self._index_expression(path, expression, function)
                for statement in child.body:
                    if isinstance(statement, Function):
                        self._index(path, [statement], function, in_class=True)
                    else:
                        self._index_expression(path, statement, function)
            else:
                self._index_expression(path, child, function)

    def _index_expression(self, path: str, node: ast.AST, function: Function | None) -> None:
        if isinstance(node, Function | ast.ClassDef):
            self._index(path, [node], function, in_class=False)
            return
        if isinstance(node, ast.Call):
            self.calls.append(Call(path, function, node))
        for child in ast.iter_child_nodes(node):
            self._index_expression(path, child, function)

    def _key_call_names(self) -> dict[str, str]:
        """KEY_CALLS plus every subclass of UserFacingError defined in the sources, however deep."""
        classes = [
            n for module in self.modules.values() for n in ast.walk(module) if isinstance(n, ast.ClassDef)
        ]
        errors = set(ERROR_CLASSES)
        grew = True
        while grew:
            before = len(errors)
            for cls in classes:
                bases = {b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in cls.bases}
                if bases & errors:
                    errors.add(cls.name)
            grew = len(errors) > before
        return KEY_CALLS | dict.fromkeys(errors, KEY_FIRST)

    # --- where a function is called --------------------------------------------------------------

    def _module_name(self, path: str) -> str:
        return path.removesuffix(".py").removesuffix("/__init__").replace("/", ".")

    def _imports(self, path: str) -> tuple[dict[str, str], dict[str, str]]:
        """(names imported from a module: local name -> module, module aliases: local name -> module)."""
        names: dict[str, str] = {}
        aliases: dict[str, str] = {}
        for node in ast.walk(self.modules[path]):
            if isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    local = alias.asname or alias.name
                    names[local] = f"{node.module}:{alias.name}"
                    aliases[local] = f"{node.module}.{alias.name}"
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    aliases[alias.asname or alias.name] = alias.name
        return names, aliases

    def call_sites(self, function: Function) -> list[Call]:
        if isinstance(function, ast.Lambda):
            return []
        path = self.function_path[function]
        module = self._module_name(path)
        sites = []
        for call in self.calls:
            if call.name != function.name:
                continue
            func = call.node.func
            if function in self.methods:
                # self.name(...) in the same module; a public method may be called from anywhere.
                same_module = call.path == path
                if isinstance(func, ast.Attribute) and (same_module or not function.name.startswith("_")):
                    sites.append(call)
                continue
            if isinstance(func, ast.Name):
                names, _ = self._imports(call.path)
                if call.path == path or names.get(func.id) == f"{module}:{function.name}":
                    sites.append(call)
            elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
                _, aliases = self._imports(call.path)
                if aliases.get(func.value.id) == module:
                    sites.append(call)
        return sites

    # --- what a key expression can be ------------------------------------------------------------

    def patterns(self, expression: ast.expr, call: Call, depth: int = 0) -> list[Pattern]:
        """The shapes ``expression`` can take inside ``call.function``."""
        if depth > MAX_DEPTH:
            return [(None,)]
        if isinstance(expression, ast.Constant) and isinstance(expression.value, str):
            return [(expression.value,)]
        if isinstance(expression, ast.JoinedStr):
            out: list[Pattern] = [()]
            for value in expression.values:
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    choices: list[Pattern] = [(value.value,)]
                elif (
                    isinstance(value, ast.FormattedValue)
                    and value.conversion == -1
                    and value.format_spec is None
                ):
                    choices = self.patterns(value.value, call, depth + 1)
                else:
                    choices = [(None,)]
                out = [a + b for a in out for b in choices][:MAX_PATTERNS]
            return out
        if isinstance(expression, ast.IfExp):
            return (
                self.patterns(expression.body, call, depth) + self.patterns(expression.orelse, call, depth)
            )[:MAX_PATTERNS]
        if isinstance(expression, ast.Name):
            scope = call.function
            values = assigned_values(scope, expression.id) if scope is not None else []
            if (not values and scope is None) or (not values and expression.id not in parameters(scope)):
                values = assigned_values(self.modules[call.path], expression.id, top_level=True)
            if values:
                return [p for value in values for p in self.patterns(value, call, depth + 1)][:MAX_PATTERNS]
            if scope is not None and expression.id in parameters(scope):
                return [(Param(expression.id),)]
        return [(None,)]

    def expand(self, pattern: Pattern, call: Call, depth: int = 0) -> list[tuple[Pattern, Call]]:
        """Replace the parameters in ``pattern`` by what each call site of the function passes;
        a pattern that stays open (no call site, too deep) keeps a None."""
        params = {part.name for part in pattern if isinstance(part, Param)}
        if not params:
            return [(pattern, call)]
        function = call.function
        if function is None or depth > MAX_DEPTH:
            return [(tuple(None if isinstance(p, Param) else p for p in pattern), call)]
        sites = self.call_sites(function)
        if not sites:
            # Called only by discord.py (a command, a callback) or not yet at all: the parameter is
            # unknown. A key that is nothing but the parameter has nothing to check (an unused helper).
            if all(isinstance(part, Param) for part in pattern):
                return []
            return [(tuple(None if isinstance(p, Param) else p for p in pattern), call)]
        out = []
        for site in sites:
            bound = bind(function, site, self.methods)
            filled: list[Pattern] = [()]
            for part in pattern:
                if isinstance(part, Param):
                    argument = bound.get(part.name)
                    choices: list[Pattern] = (
                        self.patterns(argument, site) if argument is not None else [(None,)]
                    )
                else:
                    choices = [(part,)]
                filled = [a + b for a in filled for b in choices][:MAX_PATTERNS]
            for candidate in filled:
                out.extend(self.expand(candidate, site, depth + 1))
        return out


def parameters(function: Function | None) -> list[str]:
    if function is None:
        return []
    args = function.args
    return [a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]]


def bind(function: Function, site: Call, methods: set[Function]) -> dict[str, ast.expr]:
    """Which argument of ``site`` each parameter of ``function`` receives (what can be known)."""
    args = function.args
    positional = [a.arg for a in [*args.posonlyargs, *args.args]]
    if function in methods and positional and isinstance(site.node.func, ast.Attribute):
        positional = positional[1:]  # self
    bound: dict[str, ast.expr] = {}
    for index, argument in enumerate(site.node.args):
        if isinstance(argument, ast.Starred):
            break
        if index < len(positional):
            bound[positional[index]] = argument
    for keyword in site.node.keywords:
        if keyword.arg is not None:
            bound[keyword.arg] = keyword.value
    return bound


def assigned_values(scope: ast.AST, name: str, *, top_level: bool = False) -> list[ast.expr]:
    """Values assigned to ``name`` in ``scope`` (plain, annotated and walrus assignments)."""
    nodes = scope.body if top_level and isinstance(scope, ast.Module) else list(ast.walk(scope))
    values: list[ast.expr] = []
    for node in nodes:
        # Two branches, not one `or`: each narrows `node` to the assignment form it reads the value of.
        if isinstance(node, ast.Assign) and any(  # noqa: SIM114
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            values.append(node.value)
        elif (
            isinstance(node, ast.AnnAssign | ast.NamedExpr)
            and isinstance(node.target, ast.Name)
            and node.target.id == name
            and node.value is not None
        ):
            values.append(node.value)
    return values


def key_argument(call: ast.Call, rule: str) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == "key":
            return keyword.value
    positional = [arg for arg in call.args if not isinstance(arg, ast.Starred)]
    if rule == KEY_SECOND_OF_TWO and positional:
        return positional[1] if len(positional) >= 2 else positional[0]
    if rule == KEY_FIRST and positional:
        return positional[0]
    return None


@dataclass
class Keys:
    exact: list[tuple[str, Call]]  # the key as written (after following parameters to call sites)
    shapes: list[tuple[re.Pattern[str], str, Call]]  # a literal start and holes: at least one key fits
    dynamic: list[tuple[Call, str]]  # nothing literal to check: (the call, the key expression)


def collect(sources: Sources) -> Keys:
    keys = Keys([], [], [])
    for call in sources.calls:
        rule = sources.key_calls.get(call.name or "")
        expression = key_argument(call.node, rule) if rule else None
        if expression is None:
            continue
        function_name = getattr(call.function, "name", None)
        for pattern in sources.patterns(expression, call):
            if function_name in sources.key_calls and any(isinstance(p, Param) for p in pattern):
                continue  # a key API forwarding its own argument (WimBot.t, cmd_str): callers are scanned
            for shape, site in sources.expand(pattern, call):
                if all(isinstance(part, str) for part in shape):
                    keys.exact.append(("".join(str(part) for part in shape), site))
                elif isinstance(shape[0], str) and shape[0]:
                    regex = "".join(re.escape(part) if isinstance(part, str) else ".+" for part in shape)
                    keys.shapes.append(
                        (re.compile(regex), "".join(p if isinstance(p, str) else "…" for p in shape), site)
                    )
                else:
                    keys.dynamic.append((call, ast.unparse(expression)))
    return keys


def has_key(messages: dict[str, str], key: str) -> bool:
    """The key itself, or its plural forms (``key.one`` and ``key.other``, picked by ``Catalog.t``)."""
    return key in messages or all(f"{key}.{form}" in messages for form in PLURAL_FORMS)


def missing_keys(keys: Keys, catalog: Catalog = CATALOG) -> list[str]:
    """What the catalogs lack, one line each, sorted and without repeats."""
    problems = {
        f"{site.where}: {key!r} is missing in {lang}"
        for key, site in keys.exact
        for lang in LANGUAGES
        if not has_key(catalog.messages[lang], key)
    }
    problems |= {
        f"{site.where}: no key like {text!r} in {lang}"
        for regex, text, site in keys.shapes
        for lang in LANGUAGES
        if not any(regex.fullmatch(key) for key in catalog.messages[lang])
    }
    return sorted(problems)


def dynamic_keys(keys: Keys) -> set[tuple[str, str, str]]:
    return {
        (call.path, getattr(call.function, "name", "<module>"), expression)
        for call, expression in keys.dynamic
    }


@pytest.fixture(scope="module")
def scanned() -> Keys:
    """The keys of bot/ and cogs/, scanned when a test asks: not at collection, which every worker of
    a parallel run does."""
    return collect(Sources())


def test_the_scan_sees_the_code(scanned: Keys) -> None:
    """Guards the guard: the scan finds each kind of call, so an empty result cannot pass silently."""
    called = {call.name for _, call in scanned.exact}
    assert {"cmd_str", "UserFacingError", "NotFound", "PermissionDenied"} <= called
    assert len(scanned.exact) > 100
    assert {"errors.not_moderator", "events_ui.reminder.post", "events_ui.scope.question_cancel"} <= {
        key for key, _ in scanned.exact
    }  # literal; through a helper's parameter; through a method's parameter
    assert any(text == "events_ui.rsvp.…" for _, text, _ in scanned.shapes)


def test_every_key_used_in_code_exists_in_all_three_catalogs(scanned: Keys) -> None:
    assert missing_keys(scanned) == []


def test_the_dynamic_keys_are_the_listed_ones(scanned: Keys) -> None:
    """A key with no literal part must be listed in DYNAMIC with the reason it is safe."""
    found = dynamic_keys(scanned)
    assert sorted(found - set(DYNAMIC)) == [], "new dynamic catalog keys: check them and list them in DYNAMIC"
    assert sorted(set(DYNAMIC) - found) == [], "listed in DYNAMIC but no longer in the code: remove them"


def test_the_scan_catches_typos_helpers_subclasses_and_fstrings(tmp_path: Path) -> None:
    """The same scan over a small made-up feature: every wrong key in it is reported."""
    (tmp_path / "feature").mkdir()
    (tmp_path / "feature" / "errors.py").write_text(
        "from bot.errors import NotFound\n\n\nclass Gone(NotFound):\n    pass\n", encoding="utf-8"
    )
    (tmp_path / "feature" / "__init__.py").write_text(
        """\
from bot.errors import NotFound, Term, UserFacingError
from feature.errors import Gone

PREFIX = "events_ui.nothing_like_this."


def say(bot, lang, key):
    return bot.t(lang, key)


class Cog:
    def _ask(self, lang, question):
        return self.bot.t(lang, question, title="x")

    def run(self, bot, lang, status, value):
        say(bot, lang, "errors.not_moderator")
        say(bot, lang, "errors.no_such_key")
        self._ask(lang, "events_ui.scope.question_nope")
        key = "errors.generic" if status else "errors.also_missing"
        bot.t(lang, key)
        bot.t(lang, f"events_ui.rsvp.{status}")
        bot.t(lang, f"{PREFIX}{status}")
        bot.t(lang, value.anything)
        raise Gone("events.errors.unknown_evnet", field=Term("events.fields.nope"))
""",
        encoding="utf-8",
    )
    keys = collect(Sources(tmp_path, ("feature",)))
    problems = "\n".join(missing_keys(keys))
    for wrong in (
        "'errors.no_such_key' is missing in en",
        "'events_ui.scope.question_nope' is missing in fr",
        "'errors.also_missing' is missing in es",
        "'events.errors.unknown_evnet' is missing in en",  # a subclass of a subclass of UserFacingError
        "'events.fields.nope' is missing in en",
        "no key like 'events_ui.nothing_like_this.…' in en",
    ):
        assert wrong in problems
    for right in ("errors.not_moderator", "errors.generic", "events_ui.rsvp"):
        assert right not in problems
    assert dynamic_keys(keys) == {("feature/__init__.py", "run", "value.anything")}
