"""Cross-reference checks on a registry that is already well typed.

Each finding names the path of the offending node, so the loader can report
it at that node's line. Pydantic checks each object alone; this module checks
how the objects fit together.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date

from i18n import N_, _
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
        *_duplicate_codes("systems", N_("system"), registry.systems),
        *_duplicate_codes("departments", N_("department"), registry.departments),
        *_history("systems", N_("system"), registry.systems, registry.has_system),
        *_history("departments", N_("department"), registry.departments, registry.has_department),
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
            "departments", "wso2_applications", N_("WSO2 application"), registry.departments
        ),
        *_gateway_names("departments", "xroad_clients", N_("X-Road client"), registry.departments),
        *_gateway_names("systems", "wso2_apis", N_("WSO2 API"), registry.systems),
        *_gateway_names("systems", "wso2_api_ids", N_("WSO2 API id"), registry.systems),
        *_gateway_names("systems", "xroad_services", N_("X-Road service"), registry.systems),
    ]


def _unknown(what: str, code: str) -> str:
    """`what` is "department" or "system" (a msgid)."""
    return _("unknown {what} code {code!r}").format(what=_(what), code=code)


def _duplicate_codes(
    key: str, what: str, items: Sequence[System | Department]
) -> Iterator[Finding]:
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        if item.code in seen:
            yield Finding(
                (key, i, "code"),
                _("duplicate {what} code {code!r}").format(what=_(what), code=item.code),
                first=(key, seen[item.code], "code"),
            )
        else:
            seen[item.code] = i


def _window_error(since: date | None, until: date | None) -> str | None:
    if since is not None and until is not None and since >= until:
        return _("since {since} must be before until {until}").format(since=since, until=until)
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
            yield Finding(
                (key, i, "merged_into"),
                _("{what} {code!r} cannot merge into itself").format(what=_(what), code=item.code),
            )
        elif not exists(item.merged_into):
            yield Finding((key, i, "merged_into"), _unknown(what, item.merged_into))
        if item.until is None:
            yield Finding(
                (key, i, "merged_into"),
                _("merged_into needs until: (the first day it no longer exists)"),
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
                _(
                    "since {since} must be the until of the period before ({before}):"
                    " a dated list runs in order, without gaps or overlaps"
                ).format(since=p.since, before=before),
            )


def _standing_department(registry: Registry) -> Iterator[Finding]:
    for i, p in enumerate(registry.standings):
        where: PathKey = ("standing_department", i, "department")
        if not registry.has_department(p.department):
            yield Finding(where, _unknown("department", p.department))
            continue
        d = registry.department(p.department)
        starts_late = d.since is not None and (p.since is None or p.since < d.since)
        ends_early = d.until is not None and (p.until is None or p.until > d.until)
        if starts_late or ends_early:
            start, now = _("the start"), _("now")
            yield Finding(
                where,
                _(
                    "{code} is standing department from {since} to {until}"
                    " but exists only from {exists_since} to {exists_until}"
                ).format(
                    code=p.department,
                    since=p.since or start,
                    until=p.until or now,
                    exists_since=d.since or start,
                    exists_until=d.until or now,
                ),
            )


def _calendar(registry: Registry) -> Iterator[Finding]:
    holidays = set(registry.calendar.extra_holidays)
    for i, day in enumerate(registry.calendar.extra_working_days):
        if day in holidays:
            yield Finding(
                ("calendar", "extra_working_days", i),
                _("{day} is listed both as an extra holiday and as an extra working day").format(
                    day=day
                ),
            )


def _obligations(registry: Registry) -> Iterator[Finding]:
    seen: dict[tuple[str, str], list[int]] = {}
    for i, o in enumerate(registry.obligations):
        known = True
        if not registry.has_department(o.department):
            yield Finding(("obligations", i, "department"), _unknown("department", o.department))
            known = False
        if not registry.has_system(o.system):
            yield Finding(("obligations", i, "system"), _unknown("system", o.system))
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
                    _(
                        "a second obligation of {department} towards {system} in force at the"
                        " same time: give them since/until that do not overlap"
                    ).format(department=o.department, system=o.system),
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
                (*where, "deadline"),
                _("deadline {deadline} must not be before since {since}").format(
                    deadline=r.deadline, since=r.since
                ),
            )
        for j, code in enumerate(r.systems or ()):
            if not registry.has_system(code):
                yield Finding((*where, "systems", j), _unknown("system", code))
        for j, code in enumerate(r.departments or ()):
            if not registry.has_department(code):
                yield Finding((*where, "departments", j), _unknown("department", code))


def _overlap(a0: date | None, a1: date | None, b0: date | None, b1: date | None) -> bool:
    return (a1 is None or b0 is None or b0 < a1) and (b1 is None or a0 is None or a0 < b1)


def _gateway_names(
    key: str, field: str, what: str, items: Sequence[System | Department]
) -> Iterator[Finding]:
    """A gateway name mapped twice (to two departments or systems, or twice to one); `what`
    names the kind of name (a msgid)."""
    seen: dict[str, tuple[int, int]] = {}
    for i, item in enumerate(items):
        for j, name in enumerate(getattr(item.gateway, field)):
            where = (key, i, "gateway", field, j)
            if name in seen:
                first = seen[name]
                owner = items[first[0]].code
                yield Finding(
                    where,
                    _("{what} {name!r} is already mapped to {owner}").format(
                        what=_(what), name=name, owner=owner
                    ),
                    first=(key, first[0], "gateway", field, first[1]),
                )
            else:
                seen[name] = (i, j)
