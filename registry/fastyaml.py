"""The happy path of registry loading: YAML to plain data fast, without positions.

rapidyaml (a C++ parser) builds the tree; we turn it into the very data
PyYAML's safe loader would (YAML 1.1: plain `60` is an int, `2026-01-05` a
date, `yes` a bool, quoted text always text) with PyYAML's own resolver and
constructors. Anything this path does not vouch for is declined, and the
caller parses with positions (registry.yamlpos) instead: invalid YAML,
anchors and aliases, tags, merge keys, directives, tabs, characters PyYAML
refuses, duplicate or non-text keys, values PyYAML cannot construct. So an
error is always reported by the positional parser, at FILE:LINE, as before.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable
from functools import partial
from typing import Any

import ryml
import yaml
from ryml import _ryml

from registry.yamlpos import ALIAS_BUDGET

# PyYAML's implicit resolvers, by first character, and the constructors of the
# tags they give: the same table and functions `yaml.safe_load` uses.
_RESOLVERS: dict[str | None, list[tuple[str, re.Pattern[str]]]] = (
    yaml.SafeLoader.yaml_implicit_resolvers
)
_CONSTRUCT = yaml.SafeLoader("")
_CONSTRUCTORS: dict[str, Callable[[yaml.ScalarNode], Any]] = {
    "tag:yaml.org,2002:null": _CONSTRUCT.construct_yaml_null,
    "tag:yaml.org,2002:bool": _CONSTRUCT.construct_yaml_bool,
    "tag:yaml.org,2002:int": _CONSTRUCT.construct_yaml_int,
    "tag:yaml.org,2002:float": _CONSTRUCT.construct_yaml_float,
    "tag:yaml.org,2002:timestamp": _CONSTRUCT.construct_yaml_timestamp,
}
# What PyYAML's reader refuses (yaml.reader.Reader.NON_PRINTABLE), and what the two
# parsers may not read alike: tabs, a byte-order mark, NEL and the Unicode line and
# paragraph separators (line breaks to PyYAML only). One character class: a search
# of 23 MB in a few tens of milliseconds.
_DECLINED_CHARACTER = re.compile(
    "[^\x0a\x0d\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)
_REFUSED = ryml.KEYREF | ryml.KEYANCH | ryml.KEYTAG | ryml.VALTAG
_ANCHOR, _ALIAS = ryml.VALANCH, ryml.VALREF
# Nodes that aliases may add: half of what the positional parser allows, so that
# whatever is near its limit is left to it (it refuses an alias bomb at FILE:LINE).
_ALIAS_BUDGET = ALIAS_BUDGET // 2
_NONE = ryml.NONE
_MAP, _SEQ, _KEYQUO, _VALQUO = ryml.MAP, ryml.SEQ, ryml.KEYQUO, ryml.VALQUO
# Plain scalars may not start with these (YAML reserves @ and `); rapidyaml lets them.
_INDICATORS = frozenset("@`%")
_SPECIAL = _INDICATORS | _RESOLVERS.keys()
# rapidyaml writes its parse errors to the process's stderr itself (its error
# callback is not reachable from Python); the positional parser says them instead.
_STDERR_LOCK = threading.Lock()


class Declined(Exception):
    """This text is for the positional parser (an error to report, or YAML we do not vouch for)."""


def parse(text: str) -> Any:
    """The data `yaml.safe_load(text)` gives, or Declined."""
    if _DECLINED_CHARACTER.search(text):
        raise Declined("characters left to PyYAML")
    if text.startswith("%") or "\n%" in text or "\r%" in text:
        raise Declined("directives left to PyYAML")
    tree = _parse_quietly(text.encode("utf-8"))
    root = tree.root_id()
    kind = tree.type(root)
    if kind & ryml.STREAM == ryml.STREAM:  # `---`: one document only
        root = tree.first_child(root)
        if root == _NONE or tree.next_sibling(root) != _NONE:
            raise Declined("not exactly one document")
        kind = tree.type(root)
    if not kind & (ryml.MAP | ryml.SEQ | ryml.VAL):
        raise Declined("empty document")
    return _build(tree, root)


def _parse_quietly(source: bytes) -> Any:
    with _STDERR_LOCK:
        saved = os.dup(2)
        try:
            with open(os.devnull, "wb") as devnull:
                os.dup2(devnull.fileno(), 2)
            try:
                return ryml.parse_in_arena(source)
            except Exception:  # rapidyaml's ExceptionParse and kin
                raise Declined("rapidyaml cannot parse it") from None
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def _build(tree: Any, root: int) -> Any:
    """Plain Python data from a rapidyaml tree, as PyYAML's safe loader builds it."""
    # The extension's functions bound to the tree: the proxy methods cost a third more,
    # and this walk makes millions of calls at 100,000 obligations.
    kind_of = partial(_ryml.Tree_type, tree)
    first_child = partial(_ryml.Tree_first_child, tree)
    next_sibling = partial(_ryml.Tree_next_sibling, tree)
    key_of = partial(_ryml.Tree_key, tree)
    value_of = partial(_ryml.Tree_val, tree)
    plain: dict[str, Any] = {}  # plain scalars PyYAML may resolve, resolved once
    anchors: dict[str, tuple[Any, int]] = {}  # name → value, nodes it holds (aliases expanded)
    count = [0, 0]  # nodes built, nodes that aliases stand for

    def scalar(text: memoryview | None, quoted: int) -> Any:
        value = "" if text is None else str(text, "utf-8")  # None: nothing written (`key:`)
        if quoted or value[:1] not in _SPECIAL:
            return value
        if value[:1] in _INDICATORS:
            raise Declined(f"{value!r}: a plain scalar PyYAML refuses")
        if value not in plain:
            plain[value] = _resolve(value)
        return plain[value]

    def node(n: int, kind: int) -> Any:
        if kind & _REFUSED:
            raise Declined("a tag, or an anchor or alias as a key")
        if kind & _ALIAS:
            # As PyYAML: the anchored value itself, not a copy.
            name = str(tree.val_ref(n), "utf-8")
            if name not in anchors:  # undefined, or an alias inside its own anchor
                raise Declined(f"alias *{name} left to PyYAML")
            value, size = anchors[name]
            count[1] += size
            if count[1] > _ALIAS_BUDGET:
                raise Declined("aliases expand to many nodes")
            return value
        if kind & _ANCHOR:
            name = str(tree.val_anchor(n), "utf-8")
            if name in anchors:
                raise Declined(f"anchor &{name} defined twice")
            before = sum(count)
            value = content(n, kind)
            anchors[name] = (value, sum(count) - before)
            return value
        return content(n, kind)

    def content(n: int, kind: int) -> Any:
        count[0] += 1
        if kind & _MAP:
            mapping: dict[str, Any] = {}
            child = first_child(n)
            while child != _NONE:
                child_kind = kind_of(child)
                key = scalar(key_of(child), child_kind & _KEYQUO)
                if not isinstance(key, str) or key in mapping:
                    raise Declined("a non-text, merge or duplicate key")
                mapping[key] = node(child, child_kind)
                child = next_sibling(child)
            return mapping
        if kind & _SEQ:
            sequence = []
            child = first_child(n)
            while child != _NONE:
                sequence.append(node(child, kind_of(child)))
                child = next_sibling(child)
            return sequence
        return scalar(value_of(n), kind & _VALQUO)

    return node(root, kind_of(root))


def _resolve(value: str) -> Any:
    """A plain scalar's value as PyYAML resolves and constructs it."""
    for tag, pattern in _RESOLVERS[value[:1]]:
        if pattern.match(value):
            construct = _CONSTRUCTORS.get(tag)
            if construct is None:  # `<<` (merge) and `=` (value)
                raise Declined(f"{tag} left to PyYAML")
            try:
                return construct(yaml.ScalarNode(tag, value))
            except (yaml.YAMLError, ValueError, TypeError):
                raise Declined(f"{value!r} cannot be read") from None
    return value
