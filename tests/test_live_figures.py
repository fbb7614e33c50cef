"""The month gauges follow contract 1.1: the evidence policy, approved excusals, the
missable-days budget, and a missed streak that starts at the first stored record."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine

from compliance.month_to_date import month_to_date
from exporter.app import SERVICE, ServiceOptions, create_app, refresh_calendar, refresh_totals
from exporter.metrics import Exposition
from exporter.state import MetricsState, current_obligations, read_calendar, read_totals
from registry import Registry
from store import Transaction, write_transactions
from store.counts import Pair, daily_source_counts_between, first_record_days
from store.excusals import approve_excusal, approved_between, propose_excusal
from store.writer import WriteResult

# Wednesday 2026-10-14, 10:00 in Hà Nội.
NOW = datetime(2026, 10, 14, 3, 0, tzinfo=UTC)
HANOI = "Asia/Ho_Chi_Minh"


def gauge(text: str, name: str, department: str, system: str) -> float | None:
    pattern = rf'^{name}{{province="24",department="{department}",system="{system}"}} (\S+)$'
    found = re.search(pattern, text, re.MULTILINE)
    return None if found is None else float(found.group(1))


def at(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 10, day, hour, tzinfo=UTC)


def test_gauges_follow_the_evidence_policy_and_excusals(engine: Engine, bac_ninh: Registry) -> None:
    # Probes do not count for so-taichinh's obligation in this registry.
    obligations = tuple(
        o.model_copy(update={"evidence": ("push", "gateway", "import")})
        if o.key == ("so-taichinh", "csdl-dkdn")
        else o
        for o in bac_ninh.obligations
    )
    registry = bac_ninh.model_copy(update={"obligations": obligations})
    khdt, tuphap = ("so-taichinh", "csdl-dkdn"), ("so-tuphap", "ho-tich")
    # 12 and 13 October: probes only (do not count for so-taichinh); 9 October: a push.
    records = [Transaction(*khdt, at(d), True, "probe") for d in (12, 13)]
    records.append(Transaction(*khdt, at(9), True, "push"))
    # so-tuphap: first stored record on 12 October, nothing since.
    records.append(Transaction(*tuphap, at(12), False, "push"))
    write_transactions(engine, HANOI, records)
    n = propose_excusal(
        engine, registry, system="ho-tich", department=None,
        first=date(2026, 10, 13), last=date(2026, 10, 13), reason="Bảo trì", by="A",
    )  # fmt: skip
    approve_excusal(engine, n, "B")

    state = MetricsState(registry, clock=NOW.timestamp)
    today = state.today
    (totals, by_source, _), _ = read_totals(engine, today)
    state.absorb_totals(totals)
    state.absorb_today(today, by_source)
    state.absorb_calendar(read_calendar(engine, registry, list(registry.obligations), today))
    text = Exposition(state, lambda: None).render_bytes().decode()

    # so-taichinh: of 1, 2, 5–9, 12, 13 October (9 required days before today) only the 9th
    # is met: the probe-only 12th and 13th are missed under its policy.
    assert gauge(text, "lienthong_month_met_workdays", *khdt) == 1
    assert gauge(text, "lienthong_missed_required_workdays", *khdt) == 2
    # 22 required days; 90 % needs 20: with 8 missed already the target is out of reach.
    assert gauge(text, "lienthong_month_missable_required_workdays", *khdt) == -1
    # so-tuphap: 13 October excused, 12 October missed; nothing before its first record.
    assert gauge(text, "lienthong_missed_required_workdays", *tuphap) == 1
    # Its month counts from that first record (contract 1.2: days before lienthong held
    # any record are not held against it): 12 October, today and the 12 days after.
    assert gauge(text, "lienthong_month_required_workdays", *tuphap) == 14

    # A probe success today does not meet so-taichinh's day; a push does.
    probe = Transaction(*khdt, NOW, True, "probe")
    state.on_written([probe], WriteResult(1, 0, added={(*khdt, "probe", True): 1}))
    assert state.successes_today.get(khdt, 0) == 0
    push = Transaction(*khdt, NOW, True, "push")
    state.on_written([push], WriteResult(1, 0, added={(*khdt, "push", True): 1}))
    assert state.successes_today[khdt] == 1


def test_missable_days_gauge_for_a_fresh_month(engine: Engine, bac_ninh: Registry) -> None:
    state = MetricsState(bac_ninh, clock=datetime(2026, 10, 1, 3, 0, tzinfo=UTC).timestamp)
    state.absorb_calendar(read_calendar(engine, bac_ninh, list(bac_ninh.obligations), state.today))
    text = Exposition(state, lambda: None).render_bytes().decode()
    # 22 required days in October, target 90 %: 20 must be met, 2 may be missed.
    assert (
        gauge(text, "lienthong_month_missable_required_workdays", "so-taichinh", "csdl-dkdn") == 2
    )
    # A new installation: no stored record, no streak of missed days to page anyone for
    # (the streak's gauge is absent while there is none).
    assert gauge(text, "lienthong_missed_required_workdays", "so-taichinh", "csdl-dkdn") is None
    assert gauge(text, "lienthong_month_met_workdays", "so-taichinh", "csdl-dkdn") == 0
    # `connect` obligations have no monthly target: no budget gauge.
    assert (
        gauge(text, "lienthong_month_missable_required_workdays", "so-tnmt", "csdl-dat-dai") is None
    )


def test_calendar_figures_are_shared_only_where_they_cannot_differ(
    engine: Engine, bac_ninh: Registry
) -> None:
    # Pairs with nothing stored and nothing excused share one computation per window
    # (what `serve` starts with on a new store); every pair still gets month_to_date's own.
    today = date(2026, 10, 14)
    late = ("so-noivu", "csdl-cbccvc")  # in force from 8 October: a window of its own
    obligations = tuple(
        o.model_copy(update={"since": date(2026, 10, 8)}) if o.key == late else o
        for o in bac_ninh.obligations
    )
    registry = bac_ninh.model_copy(update={"obligations": obligations})
    recorded, excused = ("so-taichinh", "csdl-dkdn"), ("so-tuphap", "csdl-vbqppl")
    write_transactions(engine, HANOI, [Transaction(*recorded, at(9), True, "push")])
    n = propose_excusal(
        engine, registry, system="csdl-vbqppl", department="so-tuphap",
        first=date(2026, 10, 12), last=date(2026, 10, 13), reason="Bảo trì", by="A",
    )  # fmt: skip
    approve_excusal(engine, n, "B")
    current = current_obligations(registry, today)

    figures = read_calendar(engine, registry, current, today)

    first = date(2026, 8, 1)
    with engine.connect() as conn:
        counts = daily_source_counts_between(conn, first, date(2026, 10, 13))
        excusals = approved_between(conn, first, date(2026, 10, 31))
        first_records = first_record_days(conn)
    for o in current:
        alone = month_to_date(
            registry, o, today, counts.get(o.key, {}), excusals, first_records.get(o.key)
        )
        assert figures[o.key] == alone, o.key
    # The excused and the recorded pair differ from their unrecorded neighbours; so does
    # the later window; two unrecorded pairs of one window share one object.
    plain = figures[("so-taichinh", "ma-so-ngan-sach")]
    # Nothing before a pair's first record is held against it: a pair with none has no
    # required day before today, excused or not.
    assert plain.required_before == figures[excused].required_before == 0
    assert figures[recorded].met_before == 1 and plain.met_before == 0
    assert figures[recorded].required_before == 3  # 9, 12 and 13 October
    assert figures[late] is not plain
    assert figures[("so-taichinh", "csdl-gia")] is plain


async def test_late_records_recompute_only_their_pairs(engine: Engine, bac_ninh: Registry) -> None:
    """A record for an earlier day (a late import) brings its pair's month figures up to date
    on the next look; today's records and untouched pairs are not computed again."""
    tuphap, taichinh = ("so-tuphap", "ho-tich"), ("so-taichinh", "csdl-dkdn")
    write_transactions(
        engine,
        HANOI,
        [Transaction(*p, at(12), False, "push", None, f"{p[0]}-12") for p in (tuphap, taichinh)],
    )
    app = create_app(
        bac_ninh, engine, options=ServiceOptions(probes_enabled=False), clock=NOW.timestamp
    )
    service = app[SERVICE]
    state = service.state
    await refresh_totals(service)
    await refresh_calendar(service)
    assert state.calendar[tuphap].missed_streak == 2  # the 12th (a failure) and the 13th
    assert state.stale_calendar() == set()
    computed: list[set[Pair] | None] = []
    original = state.absorb_calendar

    def absorb(figures: Any, before: Any = None, pairs: Any = None) -> None:
        computed.append(None if pairs is None else set(pairs))
        original(figures, before, pairs)

    state.absorb_calendar = absorb  # type: ignore[method-assign]

    # Today's records change no earlier day: nothing is computed again.
    write_transactions(engine, HANOI, [Transaction(*tuphap, NOW, True, "push", None, "today")])
    await refresh_totals(service)
    await refresh_calendar(service, since=True)
    assert computed == []

    # The 13th's success imported late: so-tuphap's streak is over, so-taichinh untouched.
    write_transactions(engine, HANOI, [Transaction(*tuphap, at(13), True, "import", None, "late")])
    await refresh_totals(service)
    assert state.stale_calendar() == {tuphap}
    await refresh_calendar(service, since=True)
    assert computed == [{tuphap}]
    assert state.calendar[tuphap].missed_streak == 0
    assert state.stale_calendar() == set()

    # An excusal approved: every pair's figures are computed again.
    n = propose_excusal(
        engine, bac_ninh, system="csdl-dkdn", department=None,
        first=date(2026, 10, 12), last=date(2026, 10, 13), reason="Bảo trì", by="A",
    )  # fmt: skip
    approve_excusal(engine, n, "B")
    await refresh_calendar(service, since=True)
    assert computed == [{tuphap}, None]
    assert state.calendar[taichinh].missed_streak == 0
