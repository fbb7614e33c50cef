"""YAML documents with the source position of every node.

PyYAML's composer keeps a mark on each node; we build plain Python data from
the nodes ourselves and remember, for every path into the data, where it came
from. That is all this module does: no defaults, no checks beyond YAML itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from i18n import N_, _
from i18n.numbers import number

PathKey = tuple[str | int, ...]
MERGE_TAG = "tag:yaml.org,2002:merge"
# Nodes that aliases may add beyond those written: a few nested aliases ("billion
# laughs") would otherwise expand a 10-line file into gigabytes.
ALIAS_BUDGET = 100_000
# What libyaml (and PyYAML, and Python's date) say most often about a file, translated;
# anything else is said in their own words.
PROBLEMS = frozenset(
    (
        N_("mapping values are not allowed in this context"),
        N_("mapping values are not allowed here"),
        N_("did not find expected key"),
        N_("could not find expected ':'"),
        N_("did not find expected '-' indicator"),
        N_("did not find expected ',' or ']'"),
        N_("did not find expected ',' or '}'"),
        N_("did not find expected <document start>"),
        N_("found unexpected end of stream"),
        N_("found character that cannot start any token"),
        N_("found undefined alias"),
        N_("found unknown escape character"),
        N_("second occurrence"),
        N_("but found another document"),
        N_("control characters are not allowed"),
        N_("special characters are not allowed"),
        N_("day is out of range for month"),
        N_("month must be in 1..12"),
        N_("not a date"),
    )
)


def _said(problem: str) -> str:
    """A parser's problem in the user's language when it is a common one."""
    return _(problem) if problem in PROBLEMS else problem


class _Budget:
    """How many more nodes may be built: the file's own plus ALIAS_BUDGET."""

    def __init__(self, root: yaml.Node) -> None:
        seen: set[int] = set()
        stack = [root]
        while stack:
            node = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            if isinstance(node, yaml.MappingNode):
                stack.extend(n for pair in node.value for n in pair)
            elif isinstance(node, yaml.SequenceNode):
                stack.extend(node.value)
        self.left = len(seen) + ALIAS_BUDGET


@dataclass(frozen=True)
class Position:
    file: str
    line: int  # 1-based

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


class YamlError(Exception):
    """A file that is not YAML, or YAML we refuse (duplicate keys, non-string keys)."""

    def __init__(self, position: Position, message: str) -> None:
        super().__init__(f"{position}: {message}")
        self.position = position
        self.message = message


@dataclass
class Document:
    data: Any
    positions: dict[PathKey, Position]
    # Values that cannot be read (an impossible date): kept as their text, so that
    # every other problem of the file is still found.
    unreadable: list[YamlError] = field(default_factory=list)


# libyaml's parser when the platform has it: a registry of 20,000 obligations
# composes in a fraction of the pure-Python parser's time.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_document(path: Path, display: str | None = None) -> Document:
    """Parse one YAML file into data plus a position for every path."""
    name = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise YamlError(
            Position(name, 1), _("not UTF-8 text ({reason})").format(reason=e.reason)
        ) from None
    return parse_document(text, name)


def parse_document(text: str, name: str) -> Document:
    """Parse YAML text (shown as `name` in errors) into data plus a position for every path."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else 1
        problem = _said(e.problem) if e.problem else str(e)
        raise YamlError(
            Position(name, line), _("invalid YAML: {problem}").format(problem=problem)
        ) from None
    except yaml.reader.ReaderError as e:  # a character YAML refuses (a control character)
        line = text.count("\n", 0, e.position) + 1
        what = _("unacceptable character #x{code}: {reason}").format(
            code=f"{e.character:04x}", reason=_said(e.reason)
        )
        raise YamlError(
            Position(name, line), _("invalid YAML: {problem}").format(problem=what)
        ) from None
    finally:
        loader.dispose()
    positions: dict[PathKey, Position] = {}
    unreadable: list[YamlError] = []
    if node is None:  # an empty file: its problems are still said at its name
        return Document(None, {(): Position(name, 1)})
    data = _build(node, (), name, loader, positions, _Budget(node), unreadable)
    return Document(data, positions, unreadable)


def _build(
    node: yaml.Node,
    path: PathKey,
    name: str,
    loader: Any,
    positions: dict[PathKey, Position],
    budget: _Budget,
    unreadable: list[YamlError],
) -> Any:
    positions.setdefault(path, Position(name, node.start_mark.line + 1))
    if len(path) > 64:
        raise YamlError(positions[path], _("nested too deeply (a recursive alias?)"))
    budget.left -= 1
    if budget.left < 0:
        raise YamlError(
            Position(name, node.start_mark.line + 1),
            _("aliases expand to more than {n} extra nodes (an alias bomb?)").format(
                n=number(ALIAS_BUDGET)
            ),
        )
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        explicit = [(k, v) for k, v in node.value if k.tag != MERGE_TAG]
        # `<<: *anchor` merges the anchored mapping(s); keys written here win.
        for key_node, value_node in node.value:
            if key_node.tag == MERGE_TAG:
                for key, (key_pos, value) in _merged(
                    value_node, path, name, loader, positions, budget, unreadable
                ):
                    result.setdefault(key, value)
                    positions.setdefault((*path, key), key_pos)
        seen: set[str] = set()
        for key_node, value_node in explicit:
            key = _scalar(key_node, name, loader, unreadable)
            where = Position(name, key_node.start_mark.line + 1)
            if not isinstance(key, str):
                raise YamlError(where, _("keys must be text, not {key!r}").format(key=key))
            if key in seen:
                raise YamlError(where, _("duplicate key {key!r}").format(key=key))
            seen.add(key)
            positions[(*path, key)] = where
            result[key] = _build(
                value_node, (*path, key), name, loader, positions, budget, unreadable
            )
        return result
    if isinstance(node, yaml.SequenceNode):
        return [
            _build(item, (*path, i), name, loader, positions, budget, unreadable)
            for i, item in enumerate(node.value)
        ]
    return _scalar(node, name, loader, unreadable)


def _merged(
    node: yaml.Node,
    path: PathKey,
    name: str,
    loader: Any,
    positions: dict[PathKey, Position],
    budget: _Budget,
    unreadable: list[YamlError],
) -> list[tuple[str, tuple[Position, Any]]]:
    """The entries a merge key brings in, earlier mappings winning as YAML says."""
    sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
    entries: list[tuple[str, tuple[Position, Any]]] = []
    for source in sources:
        if not isinstance(source, yaml.MappingNode):
            raise YamlError(
                Position(name, source.start_mark.line + 1), _("<< must merge a mapping")
            )
        scratch: dict[PathKey, Position] = {}
        built = _build(source, path, name, loader, scratch, budget, unreadable)
        for key, value in built.items():
            entries.append((key, (scratch[(*path, key)], value)))
            for sub, pos in scratch.items():
                if sub[: len(path) + 1] == (*path, key):
                    positions.setdefault(sub, pos)
    return entries


def _scalar(node: yaml.Node, name: str, loader: Any, unreadable: list[YamlError]) -> Any:
    try:
        return loader.construct_object(node, deep=True)
    except (yaml.YAMLError, ValueError, TypeError, AttributeError) as e:
        # An impossible date (2026-13-45) fails in PyYAML's own constructor; a value tagged
        # `!!timestamp` that is no date, with an AttributeError.
        where = Position(name, node.start_mark.line + 1)
        # A marked error's own text ends with where it is (said already): its problem only.
        problem = e.problem if isinstance(e, yaml.MarkedYAMLError) and e.problem else str(e)
        if isinstance(e, AttributeError):
            problem = "not a date"
        message = _("cannot read {value!r}: {problem}").format(
            value=node.value, problem=_said(problem)
        )
        unreadable.append(YamlError(where, message))
        return node.value
