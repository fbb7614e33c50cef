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

import ctypes
import os
import re
import struct
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
_SPECIAL_NODE = _REFUSED | _ANCHOR | _ALIAS | ryml.MAP | ryml.SEQ
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


# rapidyaml's tree as it lies in memory (rapidyaml 0.15, 64-bit ids): its header (`Tree`:
# the node array, capacity, size, two free-list ends, the arena's text, length and used
# length) and each node (`NodeData`: type; key and value, each as tag, scalar and anchor,
# a pointer and a length each; parent, first and last child, next and previous sibling).
# Read only when the tree's own accessors confirm it (`_NodeArray.read`); another layout
# is read node by node through them, as before.
_WORD = 8
_HEADER_WORDS = 8
_NODE_WORDS = 18
_TYPE, _KEY, _KEY_LEN, _VAL, _VAL_LEN, _FIRST_CHILD, _NEXT_SIBLING = 0, 3, 4, 9, 10, 14, 16
_CHECKS = 64  # nodes compared with the accessors' answers, spread over the tree


class _NodeArray:
    """A parsed tree's nodes, read from memory in bulk: the accessors, one call each per
    node and field, were most of the parse (2.5 of 3 s at 100,000 obligations)."""

    def __init__(self, words: memoryview, arena: bytes, arena_start: int) -> None:
        self.words = words
        self.arena = arena
        self.arena_start = arena_start
        # One field of every node, indexed by node id (views, nothing copied).
        self.kind = words[_TYPE::_NODE_WORDS].__getitem__
        self.first_child = words[_FIRST_CHILD::_NODE_WORDS].__getitem__
        self.next_sibling = words[_NEXT_SIBLING::_NODE_WORDS].__getitem__
        self._key = words[_KEY::_NODE_WORDS].__getitem__
        self._key_len = words[_KEY_LEN::_NODE_WORDS].__getitem__
        self._value = words[_VAL::_NODE_WORDS].__getitem__
        self._value_len = words[_VAL_LEN::_NODE_WORDS].__getitem__

    @classmethod
    def read(cls, tree: Any) -> _NodeArray | None:
        """The tree's nodes, or None unless its memory is laid out as expected."""
        if struct.calcsize("P") != _WORD:
            return None
        header = struct.unpack(
            f"{_HEADER_WORDS}Q", ctypes.string_at(int(tree.this), _HEADER_WORDS * _WORD)
        )
        buffer, capacity, size, _, _, arena_start, arena_capacity, arena_size = header
        if (
            not buffer
            or (capacity, size) != (tree.capacity(), tree.size())
            or (arena_capacity, arena_size) != (tree.arena_capacity(), tree.arena_size())
        ):
            return None
        # A view of the nodes where they lie (160 MB at 100,000 obligations), used while
        # `tree` is: within `_build`.
        words = (
            memoryview((ctypes.c_uint64 * (size * _NODE_WORDS)).from_address(buffer))
            .cast("B")
            .cast("Q")
        )
        nodes = cls(words, ctypes.string_at(arena_start, arena_size), arena_start)
        step = max(1, size // _CHECKS)
        for n in (*range(min(size, _CHECKS)), *range(0, size, step), size - 1):
            if not nodes.agrees(tree, n):
                return None
        return nodes

    def agrees(self, tree: Any, n: int) -> bool:
        """Whether node n reads as the tree's accessors say it is."""
        words, i = self.words, n * _NODE_WORDS
        texts = ((self.key(n), _ryml.Tree_key(tree, n)), (self.value(n), _ryml.Tree_val(tree, n)))
        return (
            words[i + _TYPE] == _ryml.Tree_type(tree, n)
            and words[i + _FIRST_CHILD] == _ryml.Tree_first_child(tree, n)
            and words[i + _NEXT_SIBLING] == _ryml.Tree_next_sibling(tree, n)
            and all(
                (mine is None) == (theirs is None) and (mine is None or mine == bytes(theirs))
                for mine, theirs in texts
            )
        )

    def key(self, n: int) -> bytes | None:
        return self._text(self._key(n), self._key_len(n))

    def value(self, n: int) -> bytes | None:
        return self._text(self._value(n), self._value_len(n))

    def _text(self, pointer: int, length: int) -> bytes | None:
        """A scalar's bytes (None: nothing written); every scalar lies in the arena."""
        if not pointer:
            return None
        start = pointer - self.arena_start
        if not 0 <= start <= start + length <= len(self.arena):
            raise Declined("a scalar outside the tree's arena")
        return self.arena[start : start + length]

    def reader(self, pointers: int, lengths: int) -> Callable[[int], bytes | None]:
        """`key` (or `value`) as one function: the walk calls it for every scalar (1.8
        million at 100,000 obligations), and a call less each was a tenth of the walk."""
        pointer_of = self.words[pointers::_NODE_WORDS].__getitem__
        length_of = self.words[lengths::_NODE_WORDS].__getitem__
        arena, arena_start, arena_size = self.arena, self.arena_start, len(self.arena)

        def read(n: int) -> bytes | None:
            pointer = pointer_of(n)
            if not pointer:
                return None
            start = pointer - arena_start
            end = start + length_of(n)
            if not 0 <= start <= end <= arena_size:
                raise Declined("a scalar outside the tree's arena")
            return arena[start:end]

        return read


def _build(tree: Any, root: int) -> Any:
    """Plain Python data from a rapidyaml tree, as PyYAML's safe loader builds it."""
    nodes = _NodeArray.read(tree)
    if nodes is not None:
        key_of, value_of = nodes.reader(_KEY, _KEY_LEN), nodes.reader(_VAL, _VAL_LEN)
        return _walk(
            tree, root, nodes.kind, nodes.first_child, nodes.next_sibling, key_of, value_of
        )
    # The extension's functions bound to the tree: the proxy methods cost a third more.
    return _walk(
        tree,
        root,
        partial(_ryml.Tree_type, tree),
        partial(_ryml.Tree_first_child, tree),
        partial(_ryml.Tree_next_sibling, tree),
        _as_bytes(partial(_ryml.Tree_key, tree)),
        _as_bytes(partial(_ryml.Tree_val, tree)),
    )


def _as_bytes(read: Callable[[int], memoryview | None]) -> Callable[[int], bytes | None]:
    """A scalar reader giving bytes: the walk keeps scalars by their text (as dict keys)."""

    def read_bytes(n: int) -> bytes | None:
        text = read(n)
        return None if text is None else bytes(text)

    return read_bytes


def _walk(
    tree: Any,
    root: int,
    kind_of: Callable[[int], int],
    first_child: Callable[[int], int],
    next_sibling: Callable[[int], int],
    key_of: Callable[[int], bytes | None],
    value_of: Callable[[int], bytes | None],
) -> Any:
    """The walk of `_build`, given how to read a node's type, links and scalars."""
    plain: dict[str, Any] = {}  # plain scalars PyYAML may resolve, resolved once
    anchors: dict[str, tuple[Any, int]] = {}  # name → value, nodes it holds (aliases expanded)
    count = [0, 0]  # nodes built, nodes that aliases stand for
    # Each scalar's value by its bytes, quoted or not: keys and most values repeat (a
    # dict lookup costs less than decoding and checking them again). Scalars only:
    # their values are immutable, so one object may stand for every copy.
    quoted: dict[bytes | None, Any] = {}
    unquoted: dict[bytes | None, Any] = {}

    def scalar(text: memoryview | bytes | None, quoted: int) -> Any:
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
                text = key_of(child)
                known = quoted if child_kind & _KEYQUO else unquoted
                key = known.get(text, known)
                if key is known:
                    key = known[text] = scalar(text, child_kind & _KEYQUO)
                if not isinstance(key, str) or key in mapping:
                    raise Declined("a non-text, merge or duplicate key")
                if child_kind & _SPECIAL_NODE:
                    mapping[key] = node(child, child_kind)
                else:  # a plain value: `node` and `content` in short (most of the nodes)
                    count[0] += 1
                    text = value_of(child)
                    known = quoted if child_kind & _VALQUO else unquoted
                    value = known.get(text, known)
                    if value is known:
                        value = known[text] = scalar(text, child_kind & _VALQUO)
                    mapping[key] = value
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
