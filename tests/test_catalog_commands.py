"""Every /command a catalog message quotes exists, as written, in that language's command tree.

The tree is read from the catalog itself: each ``cmd.<path>.name`` key is the localised name of one
level (``cmd.wg.name`` = "gt", ``cmd.wg.repair.name`` = "reparer"), so a French message must write
"/gt reparer", the group and every subcommand spelt as Discord shows them to a French member. A
quoted group must go on to one of its subcommands, down to a command Discord can run: "/gt" alone,
"/gt réparer" (accented, not typeable as written) and "/gt fiche" after a rename are all paths a
member would type and not find.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import pytest

from bot.i18n import LANGUAGES, Catalog

CATALOG = Catalog.load()

Tree = dict[str, "Tree"]

# A "/" that starts a command: not inside a word, a path, a URL or a Discord token ("and/or",
# "https://", "Europe/Paris", "realizados/total"), and followed by a letter.
_SLASH = re.compile(r"(?<![\w/:.<])/(?=[^\W\d_])")
# A quoted name runs to the next space or punctuation; accents are letters, so "réparer" is one word.
_WORD = re.compile(r"[^\W_][\w-]*")


def command_tree(names: Mapping[str, str]) -> Tree:
    """The localised command tree of one catalog: name -> its subcommands (empty for a command)."""
    tree: Tree = {}
    for key in names:
        parts = key.split(".")
        if parts[0] != "cmd" or parts[-1] != "name" or "options" in parts or len(parts) < 3:
            continue
        node = tree
        for depth in range(2, len(parts)):
            node = node.setdefault(names[".".join([*parts[:depth], "name"])], {})
    return tree


def _quoted_path(text: str, start: int) -> list[str]:
    """The words after the "/" at ``start``, each separated from the previous by one space."""
    words, position = [], start
    while match := _WORD.match(text, position):
        words.append(match.group())
        position = match.end()
        if not text.startswith(" ", position):
            break
        position += 1
    return words


def unknown_commands(names: Mapping[str, str]) -> list[str]:
    """``key: /quoted path`` for every quoted command that does not lead to a runnable command."""
    tree = command_tree(names)
    wrong = []
    for key, text in names.items():
        for slash in _SLASH.finditer(text):
            words = _quoted_path(text, slash.end())
            node, used = tree, []
            for word in words:
                if not node:
                    break  # reached a command: the rest is the sentence
                used.append(word)
                if word not in node:
                    wrong.append(f"{key}: /{' '.join(used)}")
                    break
                node = node[word]
            else:
                if node:  # ran out of words on a group
                    wrong.append(f"{key}: /{' '.join(used)} (a group, not a command)")
    return wrong


def test_the_tree_has_the_localised_paths() -> None:
    fr, es, en = (command_tree(CATALOG.messages[lang]) for lang in ("fr", "es", "en"))
    assert "definir" in fr["fuseau"] and "reparer" in fr["gt"] and "ajouter" in fr["gt"]["doc"]
    assert "definir" in es["zona-horaria"] and "reparar" in es["gt"] and "agregar" in es["gt"]["doc"]
    assert "repair" in en["wg"] and en["wg"]["repair"] == {}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_commands_quoted_in_messages_exist_in_that_language(lang: str) -> None:
    assert unknown_commands(CATALOG.messages[lang]) == []


def test_a_wrong_quote_is_found_at_every_level() -> None:
    names = {
        "cmd.wg.name": "gt",
        "cmd.wg.repair.name": "reparer",
        "cmd.wg.doc.name": "doc",
        "cmd.wg.doc.add.name": "ajouter",
        "cmd.wg.doc.add.options.title.name": "titre",
        "cmd.timezone.name": "fuseau",
        "cmd.timezone.set.name": "definir",
        "ok": "Lancez /gt reparer, puis /gt doc ajouter. Voir https://x.org/gt et/ou Europe/Paris.",
        "accent": "L'équipe peut le rétablir avec /gt réparer.",
        "renamed": "Consultez /gt fiche pour chaque groupe.",
        "group": "Les commandes /gt servent aux groupes.",
        "nested": "Avec /gt doc retirer.",
        "option": "Avec /gt doc titre.",
        "top": "Avec /timezone set.",
        "bare": "Voir /gt.",
    }
    assert unknown_commands(names) == [
        "accent: /gt réparer",
        "renamed: /gt fiche",
        "group: /gt servent",
        "nested: /gt doc retirer",
        "option: /gt doc titre",
        "top: /timezone",
        "bare: /gt (a group, not a command)",
    ]
