"""The evidence for one obligation's day: its state and why, the records behind it, and the
excusals that cover it. What `lienthong evidence` shows, so every figure can be reproduced."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Engine

from compliance.rules import DayState, as_seen_on, counting, covers, day_state
from i18n import _
from registry import Obligation, Registry, is_working_day
from store.counts import DayCount, daily_source_counts_between
from store.excusals import Excusal, ExcusalState, excusals_between
from store.reading import StoredRecord, count_between, records_between

SHOWN_RECORDS = 100

# The contract's four words for a day; a day met only by probes is "met" (and flagged).
STATE_WORDS = {
    DayState.MET: "met",
    DayState.PROBE_ONLY: "met",
    DayState.EXCUSED: "excused",
    DayState.MISSED: "missed",
    DayState.NOT_REQUIRED: "not_required",
    # Contract 1.2: a day not yet ended is not missed.
    DayState.OPEN: "open",
    DayState.AFTER_AS_OF: "not_yet_due",
}


class EvidenceError(ValueError):
    """An evidence request that names no obligation."""


@dataclass(frozen=True)
class DayEvidence:
    department: str
    system: str
    day: date
    state: DayState
    why: str
    evidence: tuple[str, ...]  # the sources that count
    min_daily_successes: int
    by_source: dict[str, DayCount]
    records: tuple[StoredRecord, ...]  # the first SHOWN_RECORDS, oldest first
    record_count: int
    excusals: tuple[Excusal, ...]  # every excusal of the day's system and department, any state

    @property
    def state_word(self) -> str:
        return STATE_WORDS[self.state]


def obligation_on(registry: Registry, department: str, system: str, day: date) -> Obligation:
    """The pair's obligation in force on `day` (else its latest); an unknown pair is an error."""
    if not registry.has_department(department):
        raise EvidenceError(_("unknown department {code!r}").format(code=department))
    if not registry.has_system(system):
        raise EvidenceError(_("unknown system {code!r}").format(code=system))
    found = registry.obligations_for(department, system)
    if not found:
        raise EvidenceError(
            _("department {department!r} has no obligation towards {system!r}").format(
                department=department, system=system
            )
        )
    in_force = [o for o in found if registry.in_force_on(o, day)]
    return in_force[0] if in_force else found[-1]


def explain(
    registry: Registry,
    obligation: Obligation,
    day: date,
    state: DayState,
    by_source: dict[str, DayCount],
    excusals: tuple[Excusal, ...],
) -> str:
    """Why the day is in its state, in one sentence, in the current language."""
    evidence = registry.evidence_for(obligation)
    need = obligation.min_daily_successes
    counted = counting(by_source, evidence).successes
    ignored = sum(c.successes for s, c in by_source.items() if s not in evidence)
    sources = ", ".join(f"{s} {c.successes}" for s, c in sorted(by_source.items()) if c.successes)
    tail = (
        _(" ({n} successes of sources that do not count ignored)").format(n=ignored)
        if ignored
        else ""
    )
    if state == DayState.NOT_REQUIRED:
        if not registry.in_force_on(obligation, day):
            since, until = registry.window(obligation)
            return _(
                "not required: outside the obligation's dates (since {since}, until {until})"
            ).format(since=since, until=until)
        if day.weekday() >= 5 and not is_working_day(day, registry.calendar):
            return _("not required: a weekend day")
        return _("not required: a public holiday or a day off in the registry's calendar")
    if state == DayState.OPEN:
        return (
            _("open: today has not ended; {counted} of {need} successes so far").format(
                counted=counted, need=need
            )
            + tail
        )
    if state == DayState.AFTER_AS_OF:
        return _("not yet due: the day has not come") + tail
    if state in (DayState.MET, DayState.PROBE_ONLY):
        text = _("met: {counted} successes from sources that count ({sources}), {need} needed")
        text = text.format(counted=counted, sources=sources, need=need)
        if state == DayState.PROBE_ONLY:
            text += _("; without the probe records it would not be met")
        return text + tail
    if state == DayState.EXCUSED:
        ids = ", ".join(f"#{e.id}" for e in excusals if covers(e, obligation, day))
        return (
            _("excused: {counted} of {need} successes, covered by approved excusal {ids}").format(
                counted=counted, need=need, ids=ids
            )
            + tail
        )
    return (
        _("missed: {counted} of {need} successes from sources that count").format(
            counted=counted, need=need
        )
        + tail
    )


def day_evidence(
    engine: Engine,
    registry: Registry,
    department: str,
    system: str,
    day: date,
    now: datetime | None = None,
) -> DayEvidence:
    obligation = obligation_on(registry, department, system, day)
    tz = registry.tz
    start = datetime.combine(day, time(0), tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tz)
    with engine.connect() as conn:
        counts = daily_source_counts_between(conn, day, day).get(obligation.key, {})
        by_source = dict(counts.get(day, {}))
        records = records_between(
            conn, start, end, department=department, system=system, limit=SHOWN_RECORDS
        )
        total = count_between(conn, start, end, department=department, system=system)
        excusals = tuple(
            e
            for e in excusals_between(conn, day, day)
            if e.system == system and e.department in (None, department)
        )
    evidence = registry.evidence_for(obligation)
    approved = tuple(e for e in excusals if e.state == ExcusalState.APPROVED)
    today = (now or datetime.now(UTC)).astimezone(tz).date()
    state = day_state(registry, obligation, day, by_source, evidence, approved)
    state = as_seen_on(state, day, today)
    return DayEvidence(
        department=department,
        system=system,
        day=day,
        state=state,
        why=explain(registry, obligation, day, state, by_source, excusals),
        evidence=tuple(s for s in ("probe", "push", "gateway", "import") if s in evidence),
        min_daily_successes=obligation.min_daily_successes,
        by_source=by_source,
        records=tuple(records),
        record_count=total,
        excusals=excusals,
    )
