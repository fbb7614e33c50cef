"""The registry's history read back: a department's or system's lineage, and every change.

Pure functions over a loaded `Registry`. A duty "moves" when one obligation towards a
system ends on the day another department's obligation towards the same system begins
(the registry records history that way; no extra key is needed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from registry.model import Obligation, Registry


@dataclass(frozen=True)
class Change:
    """One dated change of the registry, in words."""

    day: date
    subject: str  # a department or system code, "province" or "standing_department"
    text: str


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _successors(registry: Registry, o: Obligation) -> list[Obligation]:
    """The obligations towards the same system that begin the day `o` ends."""
    until = registry.window(o)[1]
    if until is None:
        return []
    return [
        x
        for x in registry.obligations
        if x.system == o.system and x.department != o.department and registry.window(x)[0] == until
    ]


def _predecessors(registry: Registry, o: Obligation) -> list[Obligation]:
    """The obligations towards the same system that end the day `o` begins."""
    since = registry.window(o)[0]
    if since is None:
        return []
    return [x for x in registry.ending(o.system, since) if x.department != o.department]


def ancestry(registry: Registry, o: Obligation) -> list[Obligation]:
    """The obligation and every obligation it continues, back to the first (a duty that
    moved twice has two ancestors)."""
    found = [o]
    for x in found:
        found += [p for p in _predecessors(registry, x) if p not in found]
    return found


def lineage(registry: Registry, code: str) -> dict[str, Any]:
    """What a department or system merged from and into, when, and which duties moved.

    Raises KeyError for a code that is neither.
    """
    if registry.has_department(code):
        return _department_lineage(registry, code)
    if registry.has_system(code):
        return _system_lineage(registry, code)
    raise KeyError(code)


def _department_lineage(registry: Registry, code: str) -> dict[str, Any]:
    d = registry.department(code)
    duties = []
    for o in registry.obligations:
        if o.department != code:
            continue
        since, until = registry.window(o)
        duties.append(
            {
                "system": o.system,
                "system_name": registry.system(o.system).name,
                "kind": o.kind,
                "since": _iso(since),
                "until": _iso(until),
                "derived": o.derived,
                "basis": o.basis,
                "from": [x.department for x in _predecessors(registry, o)],
                "to": [x.department for x in _successors(registry, o)],
            }
        )
    return {
        "type": "department",
        "code": d.code,
        "name": d.name,
        "since": _iso(d.since),
        "until": _iso(d.until),
        "merged_into": d.merged_into,
        "merged_from": [
            {"code": x.code, "name": x.name, "until": _iso(x.until)}
            for x in registry.departments
            if x.merged_into == code
        ],
        "note": d.note,
        "standing": [
            {"since": _iso(p.since), "until": _iso(p.until)}
            for p in registry.standings
            if p.department == code
        ],
        "duties": duties,
    }


def _system_lineage(registry: Registry, code: str) -> dict[str, Any]:
    s = registry.system(code)
    duties = []
    for o in registry.obligations:
        if o.system != code:
            continue
        since, until = registry.window(o)
        duties.append(
            {
                "department": o.department,
                "department_name": registry.department(o.department).name,
                "kind": o.kind,
                "since": _iso(since),
                "until": _iso(until),
                "derived": o.derived,
            }
        )
    return {
        "type": "system",
        "code": s.code,
        "name": s.name,
        "since": _iso(s.since),
        "until": _iso(s.until),
        "merged_into": s.merged_into,
        "merged_from": [
            {"code": x.code, "name": x.name, "until": _iso(x.until)}
            for x in registry.systems
            if x.merged_into == code
        ],
        "note": s.note,
        "owners": [
            {"name": p.name, "since": _iso(p.since), "until": _iso(p.until), "note": p.note}
            for p in s.owners
        ],
        "duties": duties,
    }


def changes(registry: Registry) -> list[Change]:
    """Every dated change the registry records, oldest first."""
    found: list[Change] = []
    for before, after in zip(registry.provinces, registry.provinces[1:], strict=False):
        if after.since is not None:
            found.append(
                Change(
                    after.since,
                    "province",
                    f"province {before.name} ({before.code}) becomes {after.name} ({after.code})",
                )
            )
    for before_s, after_s in zip(registry.standings, registry.standings[1:], strict=False):
        if after_s.since is not None:
            found.append(
                Change(
                    after_s.since,
                    "standing_department",
                    f"standing department {before_s.department} → {after_s.department}",
                )
            )
    for kind, items in (("department", registry.departments), ("system", registry.systems)):
        for item in items:
            if item.since is not None:
                found.append(Change(item.since, item.code, f"{kind} {item.code} begins"))
            if item.until is not None:
                end = f"merges into {item.merged_into}" if item.merged_into else "ends"
                found.append(Change(item.until, item.code, f"{kind} {item.code} {end}"))
    for s in registry.systems:
        for before_o, after_o in zip(s.owners, s.owners[1:], strict=False):
            if after_o.since is not None:
                found.append(
                    Change(
                        after_o.since,
                        s.code,
                        f"system {s.code}: owner {before_o.name} → {after_o.name}",
                    )
                )
    for o in registry.obligations:
        until = registry.window(o)[1]
        for x in _successors(registry, o):
            assert until is not None
            found.append(
                Change(
                    until,
                    o.department,
                    f"duty {o.system} ({o.kind}) moves from {o.department} to {x.department}",
                )
            )
    return sorted(found, key=lambda c: c.day)
