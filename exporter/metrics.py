"""The metric families: their names, and their samples from the current `MetricsState`.

`LienthongCollector` is a prometheus_client custom Collector yielding these
families (one family object per metric, never one object per series).
`/metrics` serves the same samples through `render`, which formats each
obligation's lines once and reuses them until that obligation's figures
change: prometheus_client's generic formatter takes seconds for 20,000
obligations, this stays well under the 250 ms budget.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from compliance.month_to_date import MonthToDate
from exporter.state import DURATION_BUCKETS, MetricsState, current_obligations
from probes.engine import LAG_BUCKETS, ProbeEngine
from registry import Obligation

OBLIGATION_LABELS = ("province", "department", "system")
ExtraLabels = tuple[tuple[str, str], ...]
Sample = tuple[str, ExtraLabels, float]  # metric name (with suffix), extra labels, value


@dataclass(frozen=True)
class Family:
    name: str
    type: str
    help: str


# Per-obligation families, in exposition order. Every series carries
# province, department, system (ASCII codes).
OBLIGATION_FAMILIES = (
    Family(
        "lienthong_obligation_info",
        "gauge",
        "An obligation of a department towards a national system (always 1).",
    ),
    Family(
        "lienthong_transactions",
        "counter",
        "Transactions recorded for the obligation, by outcome and source.",
    ),
    Family(
        "lienthong_last_success_timestamp_seconds",
        "gauge",
        "Time of the latest successful transaction (Unix seconds).",
    ),
    Family("lienthong_probe_duration_seconds", "histogram", "Duration of probe runs."),
    Family(
        "lienthong_compliance_ratio",
        "gauge",
        "Met required days / required days, month to date (registry timezone).",
    ),
    Family(
        "lienthong_required_day",
        "gauge",
        "1 if today is a required day for the obligation (working day inside its window).",
    ),
    Family(
        "lienthong_successes_today",
        "gauge",
        "Successful transactions since local midnight, from the sources that count"
        " (the registry's evidence; by default all).",
    ),
    Family(
        "lienthong_missed_required_workdays",
        "gauge",
        "Consecutive completed required days with no met day, counting back from yesterday.",
    ),
    Family("lienthong_target_ratio", "gauge", "The obligation's target compliance ratio."),
    Family(
        "lienthong_month_required_workdays",
        "gauge",
        "Required days in the whole current month.",
    ),
    Family("lienthong_month_met_workdays", "gauge", "Met required days so far this month."),
    Family(
        "lienthong_month_remaining_required_workdays",
        "gauge",
        "Required days of this month still to come, today included while not yet met.",
    ),
    Family(
        "lienthong_month_missable_required_workdays",
        "gauge",
        "Required days still to come this month that may be missed with the month still"
        " reaching its target (-1: out of reach already). Obligations to maintain only.",
    ),
)
LOCAL_HOUR = Family(
    "lienthong_local_hour", "gauge", "Current local hour in the registry's timezone (10.5 = 10:30)."
)
SCHEDULE_LAG = Family(
    "lienthong_probe_schedule_lag_seconds",
    "histogram",
    "How late probes start after their due time.",
)
IN_FLIGHT = Family(
    "lienthong_probes_in_flight", "gauge", "Probe runs in progress, per national system."
)
CIRCUIT = Family(
    "lienthong_circuit_state",
    "gauge",
    "Circuit breaker per national system: 0 closed, 1 open (probes paused), 2 half-open.",
)
SOURCES = ("probe", "push", "gateway", "import")
# Families whose samples change only with the registry or the calendar figures,
# both of which make the renderer start over: a changed obligation keeps their text.
STATIC_FAMILIES = frozenset(
    i
    for i, f in enumerate(OBLIGATION_FAMILIES)
    if f.name
    in (
        "lienthong_obligation_info",
        "lienthong_required_day",
        "lienthong_missed_required_workdays",
        "lienthong_target_ratio",
        "lienthong_month_required_workdays",
    )
)


def obligation_samples(state: MetricsState, o: Obligation) -> list[list[Sample]]:
    """The samples of each per-obligation family (in `OBLIGATION_FAMILIES` order)."""
    registry = state.registry
    pair = o.key
    department = registry.department(o.department)
    system = registry.system(o.system)
    info: list[Sample] = [
        (
            "lienthong_obligation_info",
            (
                ("kind", o.kind),
                ("department_name", department.name),
                ("system_name", system.name),
                ("owner", system.owner),
                # The clause, for alert annotations (dashboards/rules.py reads it here).
                ("basis", o.basis),
            ),
            1,
        )
    ]
    probed = pair in state.probed
    transactions: list[Sample] = []
    for source in SOURCES:
        ok = state.counters.get((o.department, o.system, source, True))
        failed = state.counters.get((o.department, o.system, source, False))
        if ok is None and failed is None and not (probed and source == "probe"):
            continue
        for outcome, n in (("success", ok), ("failure", failed)):
            transactions.append(
                ("lienthong_transactions_total", (("outcome", outcome), ("source", source)), n or 0)
            )
    last = state.last_success.get(pair)
    last_success: list[Sample] = (
        [] if last is None else [("lienthong_last_success_timestamp_seconds", (), last)]
    )
    durations: list[Sample] = []
    if probed:
        histogram = state.durations.get(pair)
        counts = histogram.buckets if histogram else [0] * len(DURATION_BUCKETS)
        for le, n in zip(_DURATION_LE, counts, strict=True):
            durations.append(("lienthong_probe_duration_seconds_bucket", le, n))
        durations.append(
            ("lienthong_probe_duration_seconds_sum", (), histogram.total if histogram else 0.0)
        )
        durations.append(
            ("lienthong_probe_duration_seconds_count", (), histogram.count if histogram else 0)
        )
    today = state.successes_today.get(pair, 0)
    figures = state.calendar.get(pair)
    if figures is None or figures.today != state.today:
        calendar: list[list[Sample]] = [[], [], [], []]
        month: list[list[Sample]] = [[], [], [], []]
        ratio_samples: list[Sample] = []
    else:
        ratio_samples, calendar, month = _calendar_samples(figures, o, today)
    return [
        info,
        transactions,
        last_success,
        durations,
        ratio_samples,
        calendar[0],
        [("lienthong_successes_today", (), today)],
        calendar[1],
        [("lienthong_target_ratio", (), o.target_ratio)],
        *month,
    ]


def _calendar_samples(
    f: MonthToDate, o: Obligation, today: int
) -> tuple[list[Sample], list[list[Sample]], list[list[Sample]]]:
    m = o.min_daily_successes
    ratio = f.ratio(today, m)
    ratio_samples: list[Sample] = (
        [] if ratio is None else [("lienthong_compliance_ratio", (), ratio)]
    )
    calendar: list[list[Sample]] = [
        [("lienthong_required_day", (), int(f.required_today))],
        [("lienthong_missed_required_workdays", (), f.missed_streak)],
    ]
    month: list[list[Sample]] = [
        [("lienthong_month_required_workdays", (), f.month_required)],
        [("lienthong_month_met_workdays", (), f.met(today, m))],
        [("lienthong_month_remaining_required_workdays", (), f.remaining(today, m))],
        (
            [
                (
                    "lienthong_month_missable_required_workdays",
                    (),
                    f.missable(today, m, o.target_ratio),
                )
            ]
            if o.kind == "maintain"
            else []
        ),
    ]
    return ratio_samples, calendar, month


def engine_samples(
    state: MetricsState, engine: ProbeEngine | None
) -> list[tuple[Family, list[tuple[str, tuple[tuple[str, str], ...], float]]]]:
    """The engine-health families and the local hour (labels given in full)."""
    province = state.registry.province.code
    local = datetime.fromtimestamp(state.clock(), state.registry.tz)
    hour = local.hour + local.minute / 60 + local.second / 3600
    found: list[tuple[Family, list[tuple[str, tuple[tuple[str, str], ...], float]]]] = [
        (LOCAL_HOUR, [("lienthong_local_hour", (("province", province),), round(hour, 4))])
    ]
    if engine is None:
        return found
    lag: list[tuple[str, tuple[tuple[str, str], ...], float]] = [
        ("lienthong_probe_schedule_lag_seconds_bucket", (("le", _le(b)),), n)
        for b, n in zip(LAG_BUCKETS, engine.lag.counts, strict=True)
    ]
    lag.append(("lienthong_probe_schedule_lag_seconds_sum", (), engine.lag.total))
    lag.append(("lienthong_probe_schedule_lag_seconds_count", (), engine.lag.observed))
    found.append((SCHEDULE_LAG, lag))
    found.append(
        (
            IN_FLIGHT,
            [
                ("lienthong_probes_in_flight", (("system", s),), n)
                for s, n in sorted(engine.in_flight.items())
            ],
        )
    )
    found.append(
        (
            CIRCUIT,
            [
                ("lienthong_circuit_state", (("province", province), ("system", s)), int(b.state))
                for s, b in sorted(engine.breakers.items())
            ],
        )
    )
    return found


def _le(bound: float) -> str:
    return "+Inf" if math.isinf(bound) else repr(float(bound))


_DURATION_LE: tuple[ExtraLabels, ...] = tuple((("le", _le(b)),) for b in DURATION_BUCKETS)


# -- the text exposition ----------------------------------------------------------


def escape(value: str) -> str:
    return value.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")


def number(value: float) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(value)


_extra_text: dict[ExtraLabels, str] = {}


def _extra(extra: ExtraLabels) -> str:
    text = _extra_text.get(extra)
    if text is None:
        text = "".join(f',{k}="{escape(v)}"' for k, v in extra)
        if len(_extra_text) < 100_000:
            _extra_text[extra] = text
    return text


def _lines(samples: Sequence[Sample], base: str) -> str:
    # Most values are ints (counts): str() them without number()'s checks.
    return "".join(
        f"{name}{{{base}{_extra(extra)}}} {value if type(value) is int else number(value)}\n"
        for name, extra, value in samples
    )


def _header(f: Family) -> str:
    name = f.name + "_total" if f.type == "counter" else f.name
    return f"# HELP {name} {f.help}\n# TYPE {name} {f.type}\n"


CHUNK = 500  # obligations per cached block of text


class Exposition:
    """Renders the text format, re-rendering only the obligations whose figures changed.

    Each family's text is kept in blocks of `CHUNK` obligations, as UTF-8
    bytes; a scrape re-renders the obligations the state marks as changed,
    re-joins only their blocks, and joins the blocks.
    """

    def __init__(self, state: MetricsState, engine: Callable[[], ProbeEngine | None]) -> None:
        self.state = state
        self.engine = engine
        self._day: object = None
        self._calendar_version = -1
        self._obligations: list[Obligation] = []
        self._index: dict[tuple[str, str], int] = {}
        self._texts: list[list[bytes]] = []
        self._blocks: list[list[bytes]] = []

    def obligations(self) -> list[Obligation]:
        today = self.state.today
        if today != self._day:
            self._obligations = current_obligations(self.state.registry, today)
            self._day = today
        return self._obligations

    def _rebuild(self) -> None:
        obligations = self.obligations()
        self._index = {o.key: i for i, o in enumerate(obligations)}
        self._texts = [self._render_one(o, None) for o in obligations]
        chunks = range(0, len(obligations), CHUNK)
        self._blocks = [
            [self._join(f, start) for start in chunks] for f in range(len(OBLIGATION_FAMILIES))
        ]
        self._calendar_version = self.state.calendar_version

    def _render_one(self, o: Obligation, old: list[bytes] | None) -> list[bytes]:
        """Every family's text for `o`; given its `old` text, static families are kept."""
        province = escape(self.state.registry.province.code)
        base = (
            f'province="{province}",department="{escape(o.department)}",system="{escape(o.system)}"'
        )
        return [
            old[f] if old is not None and f in STATIC_FAMILIES else _lines(samples, base).encode()
            for f, samples in enumerate(obligation_samples(self.state, o))
        ]

    def _join(self, family: int, start: int) -> bytes:
        return b"".join(t[family] for t in self._texts[start : start + CHUNK])

    def render_bytes(self) -> bytes:
        state = self.state
        dirty = state.take_dirty()
        if self._day != state.today or self._calendar_version != state.calendar_version:
            self.obligations()
            self._rebuild()
        else:
            # Only the blocks whose text changed are joined again: most scrapes
            # move counters and durations, not the info or month lines.
            stale: set[tuple[int, int]] = set()
            for pair in dirty:
                i = self._index.get(pair)
                if i is None:
                    continue
                old = self._texts[i]
                new = self._render_one(self._obligations[i], old)
                self._texts[i] = new
                stale.update((f, i - i % CHUNK) for f in range(len(new)) if new[f] != old[f])
            for f, start in stale:
                self._blocks[f][start // CHUNK] = self._join(f, start)
        out: list[bytes] = []
        for family, blocks in zip(OBLIGATION_FAMILIES, self._blocks, strict=True):
            out.append(_header(family).encode())
            out.extend(blocks)
        tail: list[str] = []
        for family, samples in engine_samples(state, self.engine()):
            tail.append(_header(family))
            for name, labels, value in samples:
                text = ",".join(f'{k}="{escape(v)}"' for k, v in labels)
                tail.append(
                    f"{name}{{{text}}} {number(value)}\n" if text else f"{name} {number(value)}\n"
                )
        out.append("".join(tail).encode())
        return b"".join(out)

    def render(self) -> str:
        return self.render_bytes().decode()


class LienthongCollector(Collector):
    """The same families for prometheus_client (a `CollectorRegistry`, `generate_latest`)."""

    def __init__(self, exposition: Exposition) -> None:
        self.exposition = exposition

    def collect(self) -> Iterator[Metric]:
        state = self.exposition.state
        province = state.registry.province.code
        families = [Metric(f.name, f.help, f.type) for f in OBLIGATION_FAMILIES]
        for o in self.exposition.obligations():
            base = {"province": province, "department": o.department, "system": o.system}
            for family, samples in zip(families, obligation_samples(state, o), strict=True):
                for name, extra, value in samples:
                    family.add_sample(name, {**base, **dict(extra)}, value)
        yield from families
        for f, samples in engine_samples(state, self.exposition.engine()):
            metric = Metric(f.name, f.help, f.type)
            for name, labels, value in samples:
                metric.add_sample(name, dict(labels), value)
            yield metric
