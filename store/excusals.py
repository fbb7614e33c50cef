"""Excusals in the store: proposed, then approved or rejected by a person; an approved one
may be withdrawn later. Each step is recorded with its author, time and reason."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from i18n import N_, _
from registry import Registry
from store.schema import excusals
from store.text import control_problem

MAX_REASON = 2000
MAX_NAME = 200
# Days an excusal may span before its approval needs the approver's explicit `--long`:
# one approval must not excuse a season by a slip of the keyboard.
MAX_DAYS = 31


class ExcusalState(StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"  # was approved, then taken back: changes no figure any more


# Each state as a person reads it (the code stays in JSON and the database).
STATE_NAMES = {
    "proposed": N_("proposed"),
    "approved": N_("approved"),
    "rejected": N_("rejected"),
    "withdrawn": N_("withdrawn"),
}


class ExcusalError(Exception):
    """An excusal that cannot be created or changed as asked (one line for the user)."""


@dataclass(frozen=True, slots=True)
class Excusal:
    """Days `first_day`..`last_day` (local, inclusive) not a department's fault towards a system."""

    id: int
    system: str
    department: str | None  # None: every department's obligation towards the system
    first_day: date
    last_day: date
    reason: str
    state: ExcusalState
    proposed_by: str
    proposed_at: datetime  # UTC
    origin: str = "cli"  # cli, api (a department's own explanation), detect
    decided_by: str | None = None  # who approved or rejected it
    decided_at: datetime | None = None
    decision_reason: str | None = None
    withdrawn_by: str | None = None
    withdrawn_at: datetime | None = None
    withdrawn_reason: str | None = None
    evidence: dict[str, Any] | None = None

    @property
    def approved_by(self) -> str | None:
        """Who approved it (also when it was withdrawn later), else None."""
        approved = self.state in (ExcusalState.APPROVED, ExcusalState.WITHDRAWN)
        return self.decided_by if approved else None

    def as_json(self) -> dict[str, Any]:
        """Every field, for scripts (`excuse list`, `evidence`, the status API's subset)."""

        def at(t: datetime | None) -> str | None:
            return None if t is None else t.isoformat(timespec="seconds")

        return {
            "id": self.id,
            "system": self.system,
            "department": self.department,
            "first_day": self.first_day.isoformat(),
            "last_day": self.last_day.isoformat(),
            "reason": self.reason,
            "state": self.state.value,
            "origin": self.origin,
            "proposed_by": self.proposed_by,
            "proposed_at": at(self.proposed_at),
            "decided_by": self.decided_by,
            "decided_at": at(self.decided_at),
            "decision_reason": self.decision_reason,
            "withdrawn_by": self.withdrawn_by,
            "withdrawn_at": at(self.withdrawn_at),
            "withdrawn_reason": self.withdrawn_reason,
            "evidence": self.evidence,
        }

    def days(self, first: date, last: date) -> int:
        """How many of its days fall in [first, last]."""
        return max(0, (min(self.last_day, last) - max(self.first_day, first)).days + 1)


def _now_us() -> int:
    return int(time.time() * 1_000_000)


def _at(us: int | None) -> datetime | None:
    return None if us is None else datetime.fromtimestamp(us / 1_000_000, UTC)


def _excusal(row: Any) -> Excusal:
    r = row._mapping
    proposed = _at(r["proposed_us"])
    assert proposed is not None
    return Excusal(
        id=int(r["id"]),
        system=r["system"],
        department=r["department"],
        first_day=r["first_day"],
        last_day=r["last_day"],
        reason=r["reason"],
        state=ExcusalState(r["state"]),
        proposed_by=r["proposed_by"],
        proposed_at=proposed,
        origin=r["origin"],
        decided_by=r["decided_by"],
        decided_at=_at(r["decided_us"]),
        decision_reason=r["decision_reason"],
        withdrawn_by=r["withdrawn_by"],
        withdrawn_at=_at(r["withdrawn_us"]),
        withdrawn_reason=r["withdrawn_reason"],
        evidence=json.loads(r["evidence"]) if r["evidence"] else None,
    )


def check_excusal(
    registry: Registry,
    system: str,
    department: str | None,
    first: date,
    last: date,
    reason: str,
    today: date | None = None,
) -> tuple[str, str] | None:
    """What is wrong with a proposed excusal: (the field, one line in the current language);
    None when it can be stored.

    Its first day may not be after `today` (nothing is excused in advance) nor before the
    history of the duties it concerns (the earliest start of their windows in the registry).
    """
    if not registry.has_system(system):
        return "system", _("unknown system {system!r}").format(system=system)
    if department is not None:
        if not registry.has_department(department):
            return "department", _("unknown department {department!r}").format(
                department=department
            )
        if not registry.obligations_for(department, system):
            return "department", _(
                "department {department!r} has no obligation towards system {system!r}"
            ).format(department=department, system=system)
    if last < first:
        return "last_day", _("last day {last} is before first day {first}").format(
            last=last, first=first
        )
    if today is not None and first > today:
        return "first_day", _("first day {first} is after today ({today})").format(
            first=first, today=today
        )
    begins = history_begins(registry, system, department)
    if begins is not None and first < begins:
        return "first_day", _(
            "first day {first} is before the duty's history begins ({begins})"
        ).format(first=first, begins=begins)
    if not reason.strip():
        return "reason", _("the reason is empty")
    if len(reason) > MAX_REASON:
        return "reason", _("the reason is longer than {n} characters").format(n=MAX_REASON)
    problem = control_problem(reason)
    if problem is not None:
        return "reason", _("the reason {problem}").format(problem=problem)
    return None


def history_begins(registry: Registry, system: str, department: str | None) -> date | None:
    """The first day of the duties an excusal concerns (None: one of them has no start)."""
    if department is not None:
        concerned = registry.obligations_for(department, system)
    else:
        concerned = tuple(o for o in registry.obligations if o.system == system)
    starts = [registry.window(o)[0] for o in concerned]
    if not starts or any(s is None for s in starts):
        return None
    return min(s for s in starts if s is not None)


def propose_excusal(
    engine: Engine,
    registry: Registry,
    *,
    system: str,
    department: str | None,
    first: date,
    last: date,
    reason: str,
    by: str,
    origin: str = "cli",
    evidence: dict[str, Any] | None = None,
    today: date | None = None,
) -> int:
    """Store a new proposed excusal; returns its id. Raises ExcusalError if it is not valid.
    `today`: the registry's local day (default: now, by this machine's clock)."""
    today = today or datetime.now(registry.tz).date()
    problem = check_excusal(registry, system, department, first, last, reason, today)
    if problem is not None:
        raise ExcusalError(problem[1])
    with engine.begin() as conn:
        result = conn.execute(
            insert(excusals).values(
                system=system,
                department=department,
                first_day=first,
                last_day=last,
                reason=reason.strip(),
                state=ExcusalState.PROPOSED.value,
                origin=origin,
                evidence=None if evidence is None else json.dumps(evidence, ensure_ascii=False),
                proposed_by=_name(by),
                proposed_us=_now_us(),
            )
        )
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])


def _name(by: str) -> str:
    name = by.strip()
    if not name:
        raise ExcusalError(_("--by needs a name"))
    return name[:MAX_NAME]


def _step(
    engine: Engine, excusal_id: int, expected: ExcusalState, values: dict[str, Any], verb: str
) -> Excusal:
    """Move one excusal on from `expected` (atomically: a concurrent step makes this one fail)."""
    c = excusals.c
    with engine.begin() as conn:
        done = conn.execute(
            update(excusals).where(c.id == excusal_id, c.state == expected.value).values(**values)
        )
        if done.rowcount == 1:
            return _one(conn, excusal_id)
        current = conn.execute(select(c.state).where(c.id == excusal_id)).scalar()
    if current is None:
        raise ExcusalError(_("no excusal {id}: see `lienthong excuse list`").format(id=excusal_id))
    raise ExcusalError(
        _("excusal {id} is {state}: only a {expected} one can be {verb}").format(
            id=excusal_id,
            state=_(STATE_NAMES.get(current, current)),
            expected=_(STATE_NAMES[expected.value]),
            verb=_(STATE_NAMES[verb]),
        )
    )


def _one(conn: Connection, excusal_id: int) -> Excusal:
    return _excusal(conn.execute(select(excusals).where(excusals.c.id == excusal_id)).one())


def approve_excusal(
    engine: Engine, excusal_id: int, by: str, long: bool = False, max_days: int = MAX_DAYS
) -> Excusal:
    """Approve a proposed excusal; one over `max_days` days only when `long` says it is meant."""
    if not long:
        with engine.connect() as conn:
            found = conn.execute(select(excusals).where(excusals.c.id == excusal_id)).first()
        if found is not None:
            span = (found.last_day - found.first_day).days + 1
            if span > max_days:
                raise ExcusalError(
                    _(
                        "excusal {id} spans {days} days, more than {most}: if that is meant,"
                        " approve it with --long"
                    ).format(id=excusal_id, days=span, most=max_days)
                )
    values = {
        "state": ExcusalState.APPROVED.value,
        "decided_by": _name(by),
        "decided_us": _now_us(),
    }
    return _step(engine, excusal_id, ExcusalState.PROPOSED, values, "approved")


def reject_excusal(engine: Engine, excusal_id: int, by: str, reason: str | None = None) -> Excusal:
    values = {
        "state": ExcusalState.REJECTED.value,
        "decided_by": _name(by),
        "decided_us": _now_us(),
        "decision_reason": reason.strip()[:MAX_REASON] if reason and reason.strip() else None,
    }
    return _step(engine, excusal_id, ExcusalState.PROPOSED, values, "rejected")


def withdraw_excusal(
    engine: Engine, excusal_id: int, by: str, reason: str | None = None
) -> Excusal:
    values = {
        "state": ExcusalState.WITHDRAWN.value,
        "withdrawn_by": _name(by),
        "withdrawn_us": _now_us(),
        "withdrawn_reason": reason.strip()[:MAX_REASON] if reason and reason.strip() else None,
    }
    return _step(engine, excusal_id, ExcusalState.APPROVED, values, "withdrawn")


def excusals_between(
    conn: Connection,
    first: date | None = None,
    last: date | None = None,
    states: Sequence[ExcusalState] | None = None,
) -> list[Excusal]:
    """Excusals with a day in [first, last] (either end open), in a state among `states`, by id."""
    c = excusals.c
    query = select(excusals).order_by(c.id)
    if first is not None:
        query = query.where(c.last_day >= first)
    if last is not None:
        query = query.where(c.first_day <= last)
    if states is not None:
        query = query.where(c.state.in_([s.value for s in states]))
    return [_excusal(r) for r in conn.execute(query)]


def approved_between(conn: Connection, first: date, last: date) -> list[Excusal]:
    """The approved excusals with a day in [first, last]: the only ones a figure uses."""
    return excusals_between(conn, first, last, (ExcusalState.APPROVED,))
