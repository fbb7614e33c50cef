"""The registry's history read back: a department's or system's lineage, and every change.

Pure functions over a loaded `Registry`. A duty "moves" when one obligation towards a
system ends on the day another department's obligation towards the same system begins
(the registry records history that way; no extra key is needed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from i18n import N_, _
from registry.model import Obligation, Registry, kind_name


@dataclass(frozen=True)
class Change:
    """One dated change of the registry, in words (the language of the moment it was found)."""

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
                    _("province {name} ({code}) becomes {new_name} ({new_code})").format(
                        name=before.name,
                        code=before.code,
                        new_name=after.name,
                        new_code=after.code,
                    ),
                )
            )
    for before_s, after_s in zip(registry.standings, registry.standings[1:], strict=False):
        if after_s.since is not None:
            found.append(
                Change(
                    after_s.since,
                    "standing_department",
                    _("standing department {old} → {new}").format(
                        old=before_s.department, new=after_s.department
                    ),
                )
            )
    for kind, items in (
        (N_("department"), registry.departments),
        (N_("system"), registry.systems),
    ):
        what = _(kind)
        for item in items:
            if item.since is not None:
                text = _("{kind} {code} begins").format(kind=what, code=item.code)
                found.append(Change(item.since, item.code, text))
            if item.until is not None:
                end = (
                    _("{kind} {code} merges into {into}")
                    if item.merged_into
                    else _("{kind} {code} ends")
                )
                text = end.format(kind=what, code=item.code, into=item.merged_into)
                found.append(Change(item.until, item.code, text))
    for s in registry.systems:
        for before_o, after_o in zip(s.owners, s.owners[1:], strict=False):
            if after_o.since is not None:
                found.append(
                    Change(
                        after_o.since,
                        s.code,
                        _("system {code}: owner {old} → {new}").format(
                            code=s.code, old=before_o.name, new=after_o.name
                        ),
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
                    _("duty {system} ({kind}) moves from {old} to {new}").format(
                        system=o.system, kind=kind_name(o.kind), old=o.department, new=x.department
                    ),
                )
            )
    return sorted(found, key=lambda c: c.day)
