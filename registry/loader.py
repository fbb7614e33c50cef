"""Registry files in, one validated `Registry` out, or every problem as FILE:LINE: message.

Several files merge into one registry (a national catalogue of systems plus a
province file): their lists are concatenated, and each single-valued key may
be set by one file only.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from i18n import _
from i18n.os_errors import describe_os_error
from i18n.validation import describe
from registry import fastyaml
from registry.checks import check_registry
from registry.model import Registry
from registry.yamlpos import (
    Document,
    PathKey,
    Position,
    YamlError,
    load_document,
    parse_document,
)

LIST_KEYS = ("systems", "departments", "obligations", "platform_requirements")
CALENDAR_KEYS = ("extra_holidays", "extra_working_days")
BUNDLED = Path(__file__).parent / "bundled"
DEFAULT_REGISTRY = "bac-ninh"


@dataclass(frozen=True)
class Problem:
    position: Position
    message: str

    def __str__(self) -> str:
        return f"{self.position}: {self.message}"


class RegistryError(Exception):
    """A registry that cannot be used; `problems` lists each as FILE:LINE: message."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def bundled_names() -> list[str]:
    return sorted(p.name for p in BUNDLED.iterdir() if p.is_dir() and p.name != "national")


def resolve(spec: str | os.PathLike[str] | None) -> list[Path]:
    """The YAML files a `--registry` value names: a file, a folder, or a bundled registry's name."""
    if spec is None or str(spec) == "":
        spec = DEFAULT_REGISTRY
    path = Path(spec)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix in (".yml", ".yaml") and p.is_file())
        if not files:
            raise RegistryError([Problem(Position(str(path), 1), _("folder holds no .yml files"))])
        return files
    if path.is_file():
        return [path]
    if str(spec) == "national":  # the bundled national catalogue alone, to merge with a file
        return sorted((BUNDLED / "national").glob("*.yml"))
    if str(spec) in bundled_names():
        return [
            *sorted((BUNDLED / "national").glob("*.yml")),
            *sorted((BUNDLED / str(spec)).glob("*.yml")),
        ]
    raise RegistryError(
        [
            Problem(
                Position(str(spec), 1),
                _("no such file or folder (bundled registries: {names})").format(
                    names=", ".join(bundled_names())
                ),
            )
        ]
    )


def load_registry(spec: str | os.PathLike[str] | None = None) -> Registry:
    """Load the registry a `--registry` value names (default: bundled Bắc Ninh)."""
    return load_files(resolve(spec))


def load_files(paths: Iterable[Path]) -> Registry:
    """Merge and validate registry files; raise RegistryError listing every problem."""
    paths = list(paths)
    try:
        texts = [(_display(path), path.read_text(encoding="utf-8")) for path in paths]
    except (OSError, UnicodeDecodeError):
        texts = []  # said below, as always
    fast = _fast_registry(texts) if texts else None
    if fast is not None:
        return fast
    documents: list[Document] = []
    problems: list[Problem] = []
    for path in paths:
        try:
            documents.append(load_document(path, _display(path)))
        except YamlError as e:
            problems.append(Problem(e.position, e.message))
        except OSError as e:
            problems.append(Problem(Position(str(path), 1), describe_os_error(e)))
    if problems:
        raise RegistryError(problems)
    return _validate_all(documents)


def load_texts(sources: Iterable[tuple[str, str]]) -> Registry:
    """Merge and validate registry texts given as (name, text), e.g. files not yet written."""
    sources = list(sources)
    fast = _fast_registry(sources) if sources else None
    if fast is not None:
        return fast
    documents: list[Document] = []
    problems: list[Problem] = []
    for name, text in sources:
        try:
            documents.append(parse_document(text, name))
        except YamlError as e:
            problems.append(Problem(e.position, e.message))
    if problems:
        raise RegistryError(problems)
    return _validate_all(documents)


class _Unknown(dict[PathKey, Position]):
    """The positions of a document parsed without them: any asked for is the file's first line.

    Only ever said in a problem that makes the caller parse again with positions.
    """

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name

    def __missing__(self, key: PathKey) -> Position:
        return Position(self.name, 1)


def _fast_registry(texts: Sequence[tuple[str, str]]) -> Registry | None:
    """The registry parsed without positions (fast), or None when anything is wrong with it.

    Building the position of every node costs more than the rest of start-up; it
    is needed only to say where a problem is. So a registry that turns out to
    have one, or that the fast parser declines, is read again with positions by
    the caller, which then reports exactly what it always has.
    """
    with _collector_paused():
        documents = []
        for name, text in texts:
            try:
                documents.append(Document(fastyaml.parse(text), _Unknown(name)))
            except fastyaml.Declined:
                return None
        try:
            return _validate(documents)
        except (RegistryError, KeyError):  # KeyError: a clash's earlier position, not kept here
            return None


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection meanwhile (it resumes after, as it was).

    Building a registry makes millions of containers and no cycles; the collections
    they set off walk the whole growing heap again and again: a third of the load
    time at 100,000 obligations.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _validate_all(documents: Sequence[Document]) -> Registry:
    """Validate, with every unreadable value (2026-02-30) one problem among the others."""
    unreadable = [Problem(e.position, e.message) for d in documents for e in d.unreadable]
    try:
        registry = _validate(documents)
    except RegistryError as e:
        if not unreadable:
            raise
        said = {p.position for p in unreadable}
        others = [p for p in e.problems if p.position not in said]
        raise RegistryError(_in_file_order([*unreadable, *others])) from None
    if unreadable:
        raise RegistryError(unreadable)
    return registry


def _in_file_order(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.position.file, p.position.line))


def _validate(documents: Sequence[Document]) -> Registry:
    merged, positions, problems = _merge(documents)
    if problems:
        raise RegistryError(problems)
    try:
        registry = Registry.model_validate(merged)
    except ValidationError as e:
        raise RegistryError(_pydantic_problems(e, merged, positions)) from None
    findings = check_registry(registry)
    if findings:
        problems = []
        for f in findings:
            message = f.message
            if f.first is not None:
                message += _(" (first at {position})").format(
                    position=_position(f.first, merged, positions)
                )
            problems.append(Problem(_position(f.path, merged, positions), message))
        unknown_systems = any(f.path[-1:] == ("system",) for f in findings)
        if "systems" not in merged and unknown_systems:
            first = documents[0].positions.get((), Position("?", 1))
            problems.insert(  # said first: it explains every line after it
                0,
                Problem(
                    first,
                    _(
                        "no file lists the national systems: validate the province file together"
                        " with the national catalogue, e.g. `lienthong registry validate national"
                        " {file}`"
                    ).format(file=first.file),
                ),
            )
        raise RegistryError(problems)
    return registry


def _display(path: Path) -> str:
    """Bundled files are shown by their place in the package, other files as given."""
    try:
        return str(Path("registry/bundled") / path.resolve().relative_to(BUNDLED.resolve()))
    except ValueError:
        return str(path)


def _merge(
    documents: Sequence[Document],
) -> tuple[dict[str, Any], dict[PathKey, Position], list[Problem]]:
    merged: dict[str, Any] = {}
    positions: dict[PathKey, Position] = {}
    problems: list[Problem] = []
    for doc in documents:
        top = doc.positions.get((), Position("?", 1))
        if not isinstance(doc.data, dict):
            problems.append(Problem(top, _("a registry file must be a mapping with version: 1")))
            continue
        if "version" not in doc.data:
            problems.append(Problem(top, _("missing 'version: 1'")))
        elif doc.data["version"] != 1:
            version = doc.data["version"]
            problems.append(
                Problem(
                    doc.positions[("version",)],
                    _("unsupported registry version {version!r} (this lienthong reads 1)").format(
                        version=version
                    ),
                )
            )
        # Where this file's list items land in the merged lists.
        offsets: dict[PathKey, int] = {}
        for key, value in doc.data.items():
            if key == "version":
                continue
            if key in LIST_KEYS and isinstance(value, list):
                offsets[(key,)] = _extend(merged, key, value)
            elif (
                key == "calendar"
                and isinstance(value, dict)
                and isinstance(merged.get(key, {}), dict)
            ):
                calendar = merged.setdefault("calendar", {})
                for sub, items in value.items():
                    if sub in CALENDAR_KEYS and isinstance(items, list):
                        offsets[("calendar", sub)] = _extend(calendar, sub, items)
                    elif sub in calendar:
                        problems.append(_clash(doc, ("calendar", sub), positions))
                    else:
                        calendar[sub] = items
            elif key in merged:
                problems.append(_clash(doc, (key,), positions))
            else:
                merged[key] = value
        for path, position in doc.positions.items():
            positions.setdefault(_shift(path, offsets), position)
    if not problems and documents and "province" not in merged:
        first = documents[0].positions.get((), Position("?", 1))
        problems.append(Problem(first, _("no file defines province: {code, name}")))
    merged["version"] = 1
    return merged, positions, problems


def _extend(target: dict[str, Any], key: str, items: list[Any]) -> int:
    """Append items to a merged list; returns the index the first one landed at."""
    existing: list[Any] = target.setdefault(key, [])
    offset = len(existing)
    existing.extend(items)
    return offset


def _shift(path: PathKey, offsets: dict[PathKey, int]) -> PathKey:
    """A file's path translated to the merged document's (list indices moved along)."""
    for depth in (1, 2):
        if len(path) > depth and path[:depth] in offsets:
            index = path[depth]
            assert isinstance(index, int)
            return (*path[:depth], index + offsets[path[:depth]], *path[depth + 1 :])
    return path


def _clash(doc: Document, path: PathKey, positions: dict[PathKey, Position]) -> Problem:
    key = ".".join(str(p) for p in path)
    return Problem(
        doc.positions[path],
        _("{key} is already set at {position}").format(key=key, position=positions[path]),
    )


def _position(loc: Sequence[str | int], data: Any, positions: dict[PathKey, Position]) -> Position:
    """The position of the deepest node along `loc` that exists in the data.

    Pydantic's locations may contain union tags that are not in the data; they
    are skipped.
    """
    path: PathKey = ()
    node = data
    for part in loc:
        found, child = _child(node, part)
        if found:
            node = child
            path = (*path, part)
    while path not in positions and path:
        path = path[:-1]
    return positions.get(path, Position("?", 1))


def _child(node: Any, part: str | int) -> tuple[bool, Any]:
    if isinstance(node, dict) and isinstance(part, str) and part in node:
        return True, node[part]
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return True, node[part]
    return False, None


def _pydantic_problems(
    error: ValidationError, data: Any, positions: dict[PathKey, Position]
) -> list[Problem]:
    problems = []
    for e in error.errors(include_url=False):
        loc = e["loc"]
        field = next((str(p) for p in reversed(loc) if isinstance(p, str)), "")
        kind = e["type"]
        if kind == "extra_forbidden":
            message = _("unknown key {field!r}").format(field=field)
            if field.endswith(("secret", "token", "password", "key", "client_id")):
                message += _(
                    " (secrets are given by reference: {field}_env or {field}_file)"
                ).format(field=field)
        elif kind == "missing":
            message = _("missing required key {field!r}").format(field=field)
        else:
            text = describe(e)
            value = e.get("input")
            # Our own value errors already name the value.
            scalar = isinstance(value, str | int | float | bool) and kind != "value_error"
            # A secret pasted where its reference belongs must not be echoed back.
            secret = field.endswith(("_env", "_file"))
            shown = _(", got {value!r}").format(value=value) if scalar and not secret else ""
            message = f"{field}: {text}{shown}" if field else f"{text}{shown}"
        problems.append(Problem(_position(loc, data, positions), message))
    return _in_file_order(problems)
