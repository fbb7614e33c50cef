"""`registry merge`: write a department's (or system's) merger into the registry's YAML.

The old one gets `until` and `merged_into`; each of its obligations in force on the day
ends then and continues under the successor from that day (`derived: true`); its gateway
identifiers pass to the successor; a standing department that merges passes the role on.

Layout is kept: ruamel.yaml (a round-trip parser) reads the files and finds each list
item's lines; items that do not change are kept as they were, byte for byte, and only
the items that change (or are added) are written anew. Comments elsewhere stay put.
"""

from __future__ import annotations

import copy
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from i18n import _
from registry.model import holds

Kind = Literal["department", "system"]
LISTS: dict[Kind, str] = {"department": "departments", "system": "systems"}
# Where an obligation names what merged: its `department` or its `system`.
FIELD: dict[Kind, str] = {"department": "department", "system": "system"}
GATEWAY: dict[Kind, tuple[str, ...]] = {
    "department": ("wso2_applications", "xroad_clients"),
    "system": ("wso2_apis", "xroad_services"),
}


class MergeError(ValueError):
    """A merge that cannot be written as asked (one line, for the user)."""


def _fresh(day: date) -> date:
    """A date object of its own: ruamel writes an object met twice as an anchor and alias."""
    return date(day.year, day.month, day.day)


def _yaml() -> YAML:
    y = YAML()
    y.preserve_quotes = True
    y.width = 100
    y.indent(mapping=2, sequence=4, offset=2)
    return y


@dataclass
class _File:
    """One registry file: its text, its round-trip data, and the edits planned on it."""

    path: Path
    text: str
    data: Any
    changed: set[tuple[str, int]] = field(default_factory=set)  # (list key, item index)
    added: dict[tuple[str, int], list[CommentedMap]] = field(default_factory=dict)
    top: set[str] = field(default_factory=set)  # top-level keys rewritten whole

    def items(self, key: str) -> list[Any]:
        value = self.data.get(key) if isinstance(self.data, dict) else None
        return list(value) if isinstance(value, list) else []


@dataclass(frozen=True)
class Plan:
    """The new text of each file that changes, and what was done, in words."""

    texts: dict[Path, str]
    originals: dict[Path, str]
    messages: list[str]


def plan_merge(
    paths: Sequence[Path], kind: Kind, old: str, new: str, day: date, name: str | None = None
) -> Plan:
    """The files' texts after merging `old` into `new` on `day` (nothing is written)."""
    what = _(kind)  # "department" or "system", in the user's language
    if old == new:
        raise MergeError(_("{kind} {code} cannot merge into itself").format(kind=what, code=old))
    files = [_read(p) for p in paths]
    key = LISTS[kind]
    found_old = _find(files, key, old)
    if found_old is None:
        raise MergeError(
            _("no {kind} {code!r} in {files}").format(
                kind=what, code=old, files=", ".join(str(p) for p in paths)
            )
        )
    f_old, i_old, item_old = found_old
    if item_old.get("until") is not None:
        raise MergeError(
            _("{kind} {code} already ends on {day}").format(
                kind=what, code=old, day=item_old["until"]
            )
        )
    since = item_old.get("since")
    if isinstance(since, date) and since >= day:
        raise MergeError(
            _("{kind} {code} begins on {since}: it cannot merge on {day}").format(
                kind=what, code=old, since=since, day=day
            )
        )
    messages: list[str] = []

    found_new = _find(files, key, new)
    if found_new is None:
        if name is None:
            raise MergeError(
                _("no {kind} {code!r}: add it first, or give --name to create it").format(
                    kind=what, code=new
                )
            )
        item_new = CommentedMap([("code", new), ("name", name), ("since", _fresh(day))])
        if kind == "system":
            item_new.insert(2, "owner", copy.deepcopy(item_old.get("owner")))
        f_old.added.setdefault((key, i_old), []).append(item_new)
        messages.append(
            _("{kind} {code} ({name}) begins on {day}").format(
                kind=what, code=new, name=name, day=day
            )
        )
    else:
        f_new, i_new, item_new = found_new
        if item_new.get("until") is not None and item_new["until"] <= day:
            raise MergeError(
                _("{kind} {code} ends on {day}, before the merger").format(
                    kind=what, code=new, day=item_new["until"]
                )
            )
        f_new.changed.add((key, i_new))

    _set_after(item_old, ("since", "name"), "until", _fresh(day))
    _set_after(item_old, ("until",), "merged_into", new)
    f_old.changed.add((key, i_old))
    messages.append(
        _("{kind} {code} merges into {into} on {day}").format(
            kind=what, code=old, into=new, day=day
        )
    )
    messages += _move_gateway(kind, item_old, item_new)
    for f in files:
        messages += _move_obligations(f, kind, item_old, new, day, files)
    if kind == "department":
        for f in files:
            messages += _pass_standing(f, old, new, day)
    return Plan(
        texts={f.path: _render(f) for f in files if f.changed or f.added or f.top},
        originals={f.path: f.text for f in files},
        messages=messages,
    )


def _read(path: Path) -> _File:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise MergeError(
            _("{path}: not UTF-8 text ({reason})").format(path=path, reason=e.reason)
        ) from None
    try:
        data = _yaml().load(text)
    except Exception as e:  # ruamel's errors have no common base worth naming
        raise MergeError(
            _("{path}: invalid YAML: {problem}").format(path=path, problem=str(e).splitlines()[0])
        ) from None
    return _File(path, text, data)


def _find(files: list[_File], key: str, code: str) -> tuple[_File, int, CommentedMap] | None:
    for f in files:
        for i, item in enumerate(f.items(key)):
            if isinstance(item, CommentedMap) and item.get("code") == code:
                return f, i, item
    return None


def _set_after(item: CommentedMap, anchors: Sequence[str], key: str, value: Any) -> None:
    """Set `key`, placed after the first anchor key present (else at the end)."""
    if key in item:
        item[key] = value
        return
    keys = list(item.keys())
    for anchor in anchors:
        if anchor in item:
            item.insert(keys.index(anchor) + 1, key, value)
            return
    item[key] = value


def _move_gateway(kind: Kind, old: CommentedMap, new: CommentedMap) -> list[str]:
    gateway = old.get("gateway")
    if not isinstance(gateway, dict):
        return []
    target = new.get("gateway")
    if not isinstance(target, dict):
        target = CommentedMap()
        new["gateway"] = target
    moved = []
    for name in GATEWAY[kind]:
        ids = list(gateway.get(name) or [])
        if ids:
            existing = target.get(name)
            if not isinstance(existing, list):
                existing = CommentedSeq()
                target[name] = existing
            existing.extend(i for i in ids if i not in existing)
            moved += ids
    del old["gateway"]
    return [
        _("gateway identifiers {ids} pass to {code}").format(
            ids=", ".join(map(str, moved)), code=new["code"]
        )
    ]


def _move_obligations(
    f: _File, kind: Kind, item_old: CommentedMap, new: str, day: date, files: list[_File]
) -> list[str]:
    messages = []
    old = item_old["code"]
    by = FIELD[kind]
    for i, o in enumerate(f.items("obligations")):
        if not isinstance(o, CommentedMap) or o.get(by) != old:
            continue
        since, until = o.get("since"), o.get("until")
        if isinstance(since, date) and since >= day:
            messages.append(
                _("warning: {duty} begins on {since}, after the merger: left as it is").format(
                    duty=f"{o.get('department')}/{o.get('system')}", since=since
                )
            )
            continue
        if not holds(since, until, day, day):
            continue  # ended before the merger: history, untouched
        successor = copy.deepcopy(o)
        _set_after(o, ("since", "kind"), "until", _fresh(day))
        f.changed.add(("obligations", i))
        successor[by] = new
        _set_after(successor, ("kind",), "since", _fresh(day))
        if until is None:
            successor.pop("until", None)
        _set_after(successor, ("until", "since"), "derived", True)
        if _duplicate(files, successor, day):
            messages.append(
                _(
                    "{code} already owes {system} on {day}: {duty} ends, no second obligation added"
                ).format(
                    code=new,
                    system=successor["system"],
                    day=day,
                    duty=f"{o['department']}/{o['system']}",
                )
            )
            continue
        what = f"{item_old.get('name', old)} ({old})"
        # Registry data, written in Vietnamese whatever the user's language (as the names are).
        _set_after(successor, ("basis",), "note", f"Tiếp nối nhiệm vụ của {what} từ {day}")
        f.added.setdefault(("obligations", i), []).append(successor)
        messages.append(
            _("obligation {duty} ends on {day}; {successor} continues it").format(
                duty=f"{o['department']}/{o['system']}",
                day=day,
                successor=f"{successor['department']}/{successor['system']}",
            )
        )
    return messages


def _duplicate(files: list[_File], o: CommentedMap, day: date) -> bool:
    """Whether the pair already has an obligation in force on `day`."""
    return any(
        isinstance(x, CommentedMap)
        and x.get("department") == o["department"]
        and x.get("system") == o["system"]
        and holds(x.get("since"), x.get("until"), day, day)
        for f in files
        for x in f.items("obligations")
    )


def _pass_standing(f: _File, old: str, new: str, day: date) -> list[str]:
    if not isinstance(f.data, dict) or "standing_department" not in f.data:
        return []
    value = f.data["standing_department"]
    periods: list[Any]
    if value == old:
        periods = CommentedSeq([_flow({"department": old, "until": _fresh(day)})])
    elif isinstance(value, list) and value and isinstance(value[-1], dict):
        last = value[-1]
        if last.get("department") != old or last.get("until") is not None:
            return []
        periods = value
        last["until"] = _fresh(day)
    else:
        return []
    periods.append(_flow({"department": new, "since": _fresh(day)}))
    f.data["standing_department"] = periods
    f.top.add("standing_department")
    return [_("standing department {old} → {new} on {day}").format(old=old, new=new, day=day)]


def _flow(values: dict[str, Any]) -> CommentedMap:
    m = CommentedMap(values)
    m.fa.set_flow_style()
    return m


def _render(f: _File) -> str:
    """The file's text with only the changed items and keys written anew."""
    lines = f.text.splitlines(keepends=True)
    # (first line, end line, replacement) for each span that changes, applied bottom-up.
    spans: list[tuple[int, int, str]] = []
    for key in f.top:
        start = f.data.lc.key(key)[0]
        end = _block_end(lines, start + 1, 0)
        spans.append((start, end, _dump_top(key, f.data[key])))
    for key in {k for k, _i in f.changed | set(f.added)}:
        seq = f.data[key]
        starts = [seq.lc.item(i)[0] for i in range(len(seq))]
        column = seq.lc.item(0)[1] if seq else 4
        for i in range(len(seq)):
            if (key, i) not in f.changed and (key, i) not in f.added:
                continue
            start = starts[i]
            end = starts[i + 1] if i + 1 < len(starts) else _block_end(lines, start + 1, 0)
            end = _trim(lines, start, end)
            original = "".join(lines[start:end])
            text = _dump_item(seq[i], column) if (key, i) in f.changed else original
            for extra in f.added.get((key, i), []):
                text += _dump_item(extra, column)
            spans.append((start, end, text))
    for start, end, text in sorted(spans, reverse=True):
        lines[start:end] = [text]
    return "".join(lines)


def _block_end(lines: list[str], start: int, indent: int) -> int:
    """The first line from `start` that begins at column `indent` or less (not blank)."""
    for n in range(start, len(lines)):
        stripped = lines[n].lstrip(" ")
        if stripped.strip() and len(lines[n]) - len(stripped) <= indent:
            return n
    return len(lines)


def _trim(lines: list[str], start: int, end: int) -> int:
    """Leave blank lines and comments after an item outside it (they belong to what follows)."""
    while end > start + 1 and (not lines[end - 1].strip() or lines[end - 1].lstrip()[0] == "#"):
        end -= 1
    return end


def _block(node: Any) -> None:
    """Block style for the item and its larger mappings; short ones ({error_code: 0}) stay."""
    if isinstance(node, CommentedMap):
        if len(node) > 2:
            node.fa.set_block_style()
        for value in node.values():
            _block(value)


def _dump_item(item: CommentedMap, column: int) -> str:
    """One list item as block YAML at `column` (the column after its dash)."""
    _block(item)
    item.fa.set_block_style()
    out = io.StringIO()
    _yaml().dump(CommentedSeq([item]), out)
    shift = column - 4
    text = out.getvalue()
    if shift > 0:
        return "".join(" " * shift + line for line in text.splitlines(keepends=True))
    if shift < 0:
        return "".join(line[-shift:] for line in text.splitlines(keepends=True))
    return text


def _dump_top(key: str, value: Any) -> str:
    out = io.StringIO()
    _yaml().dump(CommentedMap([(key, value)]), out)
    return out.getvalue()
