"""YAML reading that refuses a key written twice in one mapping.

PyYAML keeps the last of two equal keys without a word, so a second ``time:`` under ``digest:`` (or a
second ``created:`` in a catalog) silently replaces the first. Config and catalogs both read through
:func:`load` here, which names the key and both lines instead.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

_MERGE_TAG = "tag:yaml.org,2002:merge"


class DuplicateKeyError(yaml.constructor.ConstructorError):
    """``path`` (``digest.time``, ``calendar[2].title.en``) is written on ``first_line`` and again
    on ``second_line`` (both 1-based)."""

    def __init__(self, path: str, first_line: int, second_line: int, node: Node) -> None:
        super().__init__(
            None,
            None,
            f"key {path!r} is written twice, on lines {first_line} and {second_line}",
            node.start_mark,
        )
        self.path = path
        self.first_line = first_line
        self.second_line = second_line


class _UniqueKeys(yaml.constructor.SafeConstructor):
    """Checks every mapping for repeated keys before building the document (mixed into a loader,
    before its parser: both loaders below share this safe constructor).

    The check walks the composed node tree, so it knows where each mapping sits (``a.b[0].c``) and
    where each key was written. Keys are compared as the values PyYAML builds, as its dict would:
    ``1`` and ``"1"`` differ, ``on`` and ``true`` are the same. Keys brought in by a ``<<`` merge
    may be overridden, as YAML intends.
    """

    def construct_document(self, node: Node) -> Any:
        self._check_unique_keys(node, "", set())
        return super().construct_document(node)

    def _check_unique_keys(self, node: Node, path: str, seen_nodes: set[int]) -> None:
        if id(node) in seen_nodes:  # an alias: already checked (and no exponential walk)
            return
        seen_nodes.add(id(node))
        if isinstance(node, SequenceNode):
            for index, item in enumerate(node.value):
                self._check_unique_keys(item, f"{path}[{index}]", seen_nodes)
        elif isinstance(node, MappingNode):
            first_seen: dict[Any, int] = {}
            for key_node, value_node in node.value:
                if key_node.tag == _MERGE_TAG:
                    continue
                name = key_node.value if isinstance(key_node, ScalarNode) else "?"
                child = f"{path}.{name}" if path else str(name)
                if isinstance(key_node, ScalarNode):
                    identity = self._key_value(key_node)
                    line = key_node.start_mark.line + 1
                    if identity in first_seen:
                        raise DuplicateKeyError(child, first_seen[identity], line, key_node)
                    first_seen[identity] = line
                self._check_unique_keys(value_node, child, seen_nodes)

    def _key_value(self, key_node: ScalarNode) -> Any:
        try:
            value = self.construct_object(key_node, deep=True)
        except yaml.YAMLError:
            return key_node.value  # the real construction will report it
        try:
            hash(value)
        except TypeError:
            return key_node.value
        return value


class UniqueKeyLoader(_UniqueKeys, yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses a key written twice (see ``_UniqueKeys``)."""


# libyaml's parser where PyYAML has it (its wheels do): the same safe constructor and the same key
# check, about ten times faster; the catalogs are read at every start.
# (``__with_libyaml__`` is PyYAML's own flag: set when ``yaml.cyaml``, hence ``CSafeLoader``, imported.)
_LOADER: type[yaml.SafeLoader] | type[yaml.CSafeLoader]
if yaml.__with_libyaml__:

    class FastUniqueKeyLoader(_UniqueKeys, yaml.CSafeLoader):
        """``yaml.CSafeLoader`` that refuses a key written twice."""

    _LOADER = FastUniqueKeyLoader
else:
    _LOADER = UniqueKeyLoader


def load(text: str) -> Any:
    """``yaml.safe_load`` that raises :class:`DuplicateKeyError` for a key written twice."""
    return yaml.load(text, Loader=_LOADER)  # noqa: S506 - both loaders are safe loaders
