"""Cross-reference checks on a registry that is already well typed.

Each finding names the path of the offending node, so the loader can report
it at that node's line. Pydantic checks each object alone; this module checks
how the objects fit together.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date

from registry.model import Dated, Department, Registry, System
from registry.yamlpos import PathKey


@dataclass(frozen=True)
class Finding:
    path: PathKey
    message: str
    first: PathKey | None = None  # the earlier node this one clashes with


def check_registry(registry: Registry) -> list[Finding]:
    """Every problem in how the registry's objects refer to one another."""
    return [
        *_duplicate_codes("systems", "system", registry.systems),
        *_duplicate_codes("departments", "department", registry.departments),
        *_history("systems", "system", registry.systems, registry.has_system),
        *_history("departments", "department", registry.departments, registry.has_department),
        *_periods(("province",), registry.provinces),
        *(
            finding
            for i, s in enumerate(registry.systems)
            for finding in _periods(("systems", i, "owner"), s.owners)
        ),
        *_periods(("standing_department",), registry.standings),
        *_standing_department(registry),
        *_calendar(registry),
        *_obligations(registry),
        *_platform_requirements(registry),
        *_gateway_names(
            "departments", "wso2_applications", "WSO2 application", registry.departments
        ),
        *_gateway_names("departments", "xroad_clients", "X-Road client", registry.departments),
        *_gateway_names("systems", "wso2_apis", "WSO2 API", registry.systems),
        *_gateway_names("systems", "wso2_api_ids", "WSO2 API id", registry.systems),
        *_gateway_names("systems", "xroad_services", "X-Road service", registry.systems),
    ]


def _duplicate_codes(
    key: str, what: str, items: Sequence[System | Department]
) -> Iterator[Finding]:
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        if item.code in seen:
            yield Finding(
                (key, i, "code"),
                f"duplicate {what} code {item.code!r}",
                first=(key, seen[item.code], "code"),
            )
        else:
            seen[item.code] = i


def _window_error(since: date | None, until: date | None) -> str | None:
    if since is not None and until is not None and since >= until:
        return f"since {since} must be before until {until}"
    return None


def _history(
    key: str,
    what: str,
    items: Sequence[System | Department],
    exists: Callable[[str], bool],
) -> Iterator[Finding]:
    for i, item in enumerate(items):
        if (message := _window_error(item.since, item.until)) is not None:
            yield Finding((key, i, "since"), message)
        if item.merged_into is None:
            continue
        if item.merged_into == item.code:
            yield Finding((key, i, "merged_into"), f"{what} {item.code!r} cannot merge into itself")
        elif not exists(item.merged_into):
            yield Finding((key, i, "merged_into"), f"unknown {what} code {item.merged_into!r}")
        if item.until is None:
            yield Finding(
                (key, i, "merged_into"),
                "merged_into needs until: (the first day it no longer exists)",
            )


def _periods(path: PathKey, periods: Sequence[Dated]) -> Iterator[Finding]:
    """A dated list: each period well formed, each starting where the one before ends."""
    for i, p in enumerate(periods):
        if (message := _window_error(p.since, p.until)) is not None:
            yield Finding((*path, i, "since"), message)
        elif i > 0 and (p.since is None or p.since != periods[i - 1].until):
            before = periods[i - 1].until
            yield Finding(
                (*path, i, "since"),
                f"since {p.since} must be the until of the period before ({before}):"
                " a dated list runs in order, without gaps or overlaps",
            )


def _standing_department(registry: Registry) -> Iterator[Finding]:
    for i, p in enumerate(registry.standings):
        where: PathKey = ("standing_department", i, "department")
        if not registry.has_department(p.department):
            yield Finding(where, f"unknown department code {p.department!r}")
            continue
        d = registry.department(p.department)
        starts_late = d.since is not None and (p.since is None or p.since < d.since)
        ends_early = d.until is not None and (p.until is None or p.until > d.until)
        if starts_late or ends_early:
            yield Finding(
                where,
                f"{p.department} is standing department from {p.since or 'the start'} to"
                f" {p.until or 'now'} but exists only from {d.since or 'the start'} to"
                f" {d.until or 'now'}",
            )


def _calendar(registry: Registry) -> Iterator[Finding]:
    holidays = set(registry.calendar.extra_holidays)
    for i, day in enumerate(registry.calendar.extra_working_days):
        if day in holidays:
            yield Finding(
                ("calendar", "extra_working_days", i),
                f"{day} is listed both as an extra holiday and as an extra working day",
            )


def _obligations(registry: Registry) -> Iterator[Finding]:
    seen: dict[tuple[str, str], list[int]] = {}
    for i, o in enumerate(registry.obligations):
        known = True
        if not registry.has_department(o.department):
            yield Finding(
                ("obligations", i, "department"), f"unknown department code {o.department!r}"
            )
            known = False
        if not registry.has_system(o.system):
            yield Finding(("obligations", i, "system"), f"unknown system code {o.system!r}")
            known = False
        if (message := _window_error(o.since, o.until)) is not None:
            yield Finding(("obligations", i, "since"), message)
            continue
        if not known:
            continue
        for j in seen.get(o.key, []):
            if _overlap(
                registry.obligations[j].since, registry.obligations[j].until, o.since, o.until
            ):
                yield Finding(
                    ("obligations", i),
                    f"a second obligation of {o.department} towards {o.system} in force at the"
                    " same time: give them since/until that do not overlap",
                    first=("obligations", j),
                )
                break
        seen.setdefault(o.key, []).append(i)


def _platform_requirements(registry: Registry) -> Iterator[Finding]:
    for i, r in enumerate(registry.platform_requirements):
        where: PathKey = ("platform_requirements", i)
        if (message := _window_error(r.since, r.until)) is not None:
            yield Finding((*where, "since"), message)
        if r.deadline < r.since:
            yield Finding(
                (*where, "deadline"), f"deadline {r.deadline} must not be before since {r.since}"
            )
        for j, code in enumerate(r.systems or ()):
            if not registry.has_system(code):
                yield Finding((*where, "systems", j), f"unknown system code {code!r}")
        for j, code in enumerate(r.departments or ()):
            if not registry.has_department(code):
                yield Finding((*where, "departments", j), f"unknown department code {code!r}")


def _overlap(a0: date | None, a1: date | None, b0: date | None, b1: date | None) -> bool:
    return (a1 is None or b0 is None or b0 < a1) and (b1 is None or a0 is None or a0 < b1)


def _gateway_names(
    key: str, field: str, what: str, items: Sequence[System | Department]
) -> Iterator[Finding]:
    """A gateway name mapped twice (to two departments or systems, or twice to one)."""
    seen: dict[str, tuple[int, int]] = {}
    for i, item in enumerate(items):
        for j, name in enumerate(getattr(item.gateway, field)):
            where = (key, i, "gateway", field, j)
            if name in seen:
                first = seen[name]
                owner = items[first[0]].code
                yield Finding(
                    where,
                    f"{what} {name!r} is already mapped to {owner}",
                    first=(key, first[0], "gateway", field, first[1]),
                )
            else:
                seen[name] = (i, j)
