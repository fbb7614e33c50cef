"""The metric families: their names, and their samples from the current `MetricsState`.

`LienthongCollector` is a prometheus_client custom Collector yielding these
families (one family object per metric, never one object per series).
`/metrics` serves the same samples through `render`, which formats each
obligation's lines once and reuses them until that obligation's figures
change: prometheus_client's generic formatter takes seconds for 20,000
obligations, this stays well under the 250 ms budget.
"""

from __future__ import annotations

import functools
import itertools
import math
import struct
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime

from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from compliance.month_to_date import MonthToDate
from exporter.families import (
    CIRCUIT_STATE,
    COMPLIANCE_RATIO,
    LAST_SUCCESS,
    LEADER,
    LOCAL_HOUR,
    MISSED_REQUIRED_DAYS,
    MONTH_MET_DAYS,
    MONTH_MISSABLE_DAYS,
    MONTH_REMAINING_DAYS,
    MONTH_REQUIRED_DAYS,
    OBLIGATION_FAMILIES,
    OBLIGATION_INFO,
    PROBE_DURATION,
    PROBE_STARTS_SKIPPED,
    PROBES_IN_FLIGHT,
    PROVINCE_INFO,
    SCHEDULE_LAG,
    SOURCE_INTERVAL,
    SOURCE_LAST_READ,
    SOURCE_RECORDS,
    SOURCE_RETENTION,
    SOURCE_UNREAD_SINCE,
    SOURCE_UP,
    STORE_UP,
    SUCCESSES_TODAY,
    TRANSACTIONS,
    WORKING_DAY,
    Family,
)
from exporter.state import DURATION_BUCKETS, MetricsState
from intake.sources.common import RESULTS, SourceStatus
from probes.health import LAG_BUCKETS, ProbeHealth
from registry import Obligation

ExtraLabels = tuple[tuple[str, str], ...]
Sample = tuple[str, ExtraLabels, float]  # metric name (with suffix), extra labels, value
LabelledSample = tuple[str, ExtraLabels, float]  # the same with every label given in full

SOURCES = ("probe", "push", "gateway", "import")
# Families whose samples change only with the registry or the calendar figures,
# both of which make the renderer start over: a changed obligation keeps their text.
STATIC_FAMILIES = frozenset((OBLIGATION_INFO, MISSED_REQUIRED_DAYS, MONTH_REQUIRED_DAYS))
# The month families move with today's successes only when the day becomes met: most
# probes change none of them.
MONTH_FAMILIES = frozenset(
    (COMPLIANCE_RATIO, MONTH_MET_DAYS, MONTH_REMAINING_DAYS, MONTH_MISSABLE_DAYS)
)


def obligation_samples(
    state: MetricsState, o: Obligation, durations_per_obligation: bool = False
) -> dict[Family, Sequence[Sample]]:
    """The samples of each per-obligation family that has any, keyed by family."""
    samples = live_samples(state, o, durations_per_obligation)
    figures = current_figures(state, o)
    if figures is not None:
        m = o.min_daily_successes
        today = min(state.successes_today.get(o.key, 0), m)
        samples.update(_calendar_samples(figures, today, m, o.target_ratio, o.kind))
    return samples


def current_figures(state: MetricsState, o: Obligation) -> MonthToDate | None:
    """The obligation's month-to-date figures, if there are any for today."""
    figures = state.calendar.get(o.key)
    return figures if figures is not None and figures.today == state.today else None


def live_samples(
    state: MetricsState, o: Obligation, durations_per_obligation: bool = False, info: bool = True
) -> dict[Family, Sequence[Sample]]:
    """The samples of the families that do not come from the calendar figures (the info
    series' only if `info`: a probe's re-render keeps its text)."""
    pair = o.key
    probed = pair in state.probed
    transactions: list[Sample] = []
    for source in SOURCES:
        ok = state.counters.get((o.department, o.system, source, True))
        failed = state.counters.get((o.department, o.system, source, False))
        if ok is None and failed is None and not (probed and source == "probe"):
            continue
        for outcome, n in (("success", ok), ("failure", failed)):
            transactions.append(
                (TRANSACTIONS.series, (("outcome", outcome), ("source", source)), n or 0)
            )
    last = state.last_success.get(pair)
    last_success: list[Sample] = [] if last is None else [(LAST_SUCCESS.name, (), last)]
    durations: list[Sample] = []
    if probed and durations_per_obligation:
        histogram = state.durations.get(pair)
        counts = histogram.buckets if histogram else [0] * len(DURATION_BUCKETS)
        for le, n in zip(_DURATION_LE, counts, strict=True):
            durations.append((f"{PROBE_DURATION.name}_bucket", le, n))
        durations.append((f"{PROBE_DURATION.name}_sum", (), histogram.total if histogram else 0.0))
        durations.append((f"{PROBE_DURATION.name}_count", (), histogram.count if histogram else 0))
    today = state.successes_today.get(pair, 0)
    samples: dict[Family, Sequence[Sample]] = {
        TRANSACTIONS: transactions,
        LAST_SUCCESS: last_success,
        PROBE_DURATION: durations,
        SUCCESSES_TODAY: [(SUCCESSES_TODAY.name, (), today)],
    }
    if info:
        samples[OBLIGATION_INFO] = _info_samples(state, o)
    return samples


def _info_samples(state: MetricsState, o: Obligation) -> list[Sample]:
    system = state.registry.system(o.system)
    labels = (
        ("kind", o.kind),
        ("department_name", state.registry.department(o.department).name),
        ("system_name", system.name),
        ("owner", system.owner_on(state.today)),
        # The clause and the target, for alert annotations and dashboards: labels of
        # the info series rather than a series each (they change with the registry).
        ("basis", o.basis),
        ("target", number(o.target_ratio)),
    )
    return [(OBLIGATION_INFO.name, labels, 1)]


# Pure, and most obligations ask with equal arguments (the same figures, today met or not
# yet: `today` is at most `m`, the same minimum and target): computed once for them (the missable days alone,
# Decimal arithmetic over the rest of the month, were a second at 100,000 obligations).
@functools.lru_cache(maxsize=4096)
def _calendar_samples(
    f: MonthToDate, today: int, m: int, target_ratio: float, kind: str
) -> dict[Family, tuple[Sample, ...]]:
    """The samples of the calendar families, given today's successes so far (only whether
    they reach `m` matters: pass at most `m`, and equal figures share the cache)."""
    ratio = f.ratio(today, m)
    return {
        COMPLIANCE_RATIO: () if ratio is None else ((COMPLIANCE_RATIO.name, (), ratio),),
        # Only while there is a streak: absent means none (most obligations, most days),
        # which keeps a healthy obligation's series at ten.
        MISSED_REQUIRED_DAYS: (
            ((MISSED_REQUIRED_DAYS.name, (), f.missed_streak),) if f.missed_streak else ()
        ),
        MONTH_REQUIRED_DAYS: ((MONTH_REQUIRED_DAYS.name, (), f.month_required),),
        MONTH_MET_DAYS: ((MONTH_MET_DAYS.name, (), f.met(today, m)),),
        MONTH_REMAINING_DAYS: ((MONTH_REMAINING_DAYS.name, (), f.remaining(today, m)),),
        MONTH_MISSABLE_DAYS: (
            ((MONTH_MISSABLE_DAYS.name, (), f.missable(today, m, target_ratio)),)
            if kind == "maintain"
            else ()
        ),
    }


@functools.lru_cache(maxsize=4096)
def _calendar_parts(
    f: MonthToDate, today: int, m: int, target_ratio: float, kind: str
) -> dict[Family, tuple[str, ...]]:
    """The text of the calendar families, as parts to join with an obligation's labels."""
    samples = _calendar_samples(f, today, m, target_ratio, kind)
    return {family: _parts(found) for family, found in samples.items()}


def engine_samples(
    state: MetricsState, health: ProbeHealth | None
) -> list[tuple[Family, list[LabelledSample]]]:
    """The engine-health families and the local hour (labels given in full)."""
    province = state.registry.province.code
    local = datetime.fromtimestamp(state.clock(), state.registry.tz)
    hour = local.hour + local.minute / 60 + local.second / 3600
    name = state.registry.province.name
    found: list[tuple[Family, list[tuple[str, tuple[tuple[str, str], ...], float]]]] = [
        (LOCAL_HOUR, [(LOCAL_HOUR.name, (("province", province),), round(hour, 4))]),
        (
            WORKING_DAY,
            [(WORKING_DAY.name, (("province", province),), int(state.working_day))],
        ),
        # The name, for the national dashboards (series carry only the code).
        (
            PROVINCE_INFO,
            [(PROVINCE_INFO.name, (("province", province), ("province_name", name)), 1)],
        ),
    ]
    if state.store_up is not None:
        found.append((STORE_UP, [(STORE_UP.name, (("province", province),), int(state.store_up))]))
    if state.shard is not None:
        leader = (LEADER.name, (("province", province), ("shard", state.shard)), int(state.leading))
        found.append((LEADER, [leader]))
    if health is None:
        return found
    lag: list[tuple[str, tuple[tuple[str, str], ...], float]] = [
        (f"{SCHEDULE_LAG.name}_bucket", (("province", province), ("le", _le(b))), n)
        for b, n in zip(LAG_BUCKETS, health.lag.counts, strict=True)
    ]
    lag.append((f"{SCHEDULE_LAG.name}_sum", (("province", province),), health.lag.total))
    lag.append((f"{SCHEDULE_LAG.name}_count", (("province", province),), health.lag.observed))
    systems = sorted(health.systems().items())
    found.append((SCHEDULE_LAG, lag))
    found.append(
        (
            PROBES_IN_FLIGHT,
            [
                (PROBES_IN_FLIGHT.name, (("province", province), ("system", s)), h.in_flight)
                for s, h in systems
            ],
        )
    )
    found.append(
        (
            CIRCUIT_STATE,
            [
                (CIRCUIT_STATE.name, (("province", province), ("system", s)), int(h.circuit))
                for s, h in systems
            ],
        )
    )
    found.append(
        (
            PROBE_STARTS_SKIPPED,
            [
                (f"{PROBE_STARTS_SKIPPED.name}_total", (("province", province), ("reason", r)), n)
                for r, n in sorted(health.skipped.items())
            ],
        )
    )
    return found


def source_samples(statuses: Sequence[SourceStatus]) -> list[tuple[Family, list[LabelledSample]]]:
    """The sources' families (none when no source is configured)."""
    if not statuses:
        return []
    up: list[LabelledSample] = []
    records: list[LabelledSample] = []
    last_read: list[LabelledSample] = []
    interval: list[LabelledSample] = []
    unread: list[LabelledSample] = []
    retention: list[LabelledSample] = []
    for s in sorted(statuses, key=lambda s: s.name):
        label = (("source", s.name),)
        if s.up is not None:
            up.append((SOURCE_UP.name, label, int(s.up)))
        records.extend(
            (f"{SOURCE_RECORDS.name}_total", (*label, ("result", r)), s.records.get(r, 0))
            for r in RESULTS
        )
        if s.last_read is not None:
            last_read.append((SOURCE_LAST_READ.name, label, s.last_read))
        interval.append((SOURCE_INTERVAL.name, label, s.interval))
        if s.unread_since is not None:
            unread.append((SOURCE_UNREAD_SINCE.name, label, s.unread_since))
        if s.retention is not None:
            retention.append((SOURCE_RETENTION.name, label, s.retention))
    found = [
        (SOURCE_UP, up),
        (SOURCE_RECORDS, records),
        (SOURCE_LAST_READ, last_read),
        (SOURCE_INTERVAL, interval),
        (SOURCE_UNREAD_SINCE, unread),
        (SOURCE_RETENTION, retention),
    ]
    return [(family, samples) for family, samples in found if samples]


def system_duration_samples(state: MetricsState) -> tuple[Family, list[LabelledSample]]:
    """The probe-duration histogram per national system (the default form)."""
    province = state.registry.province.code
    found: list[LabelledSample] = []
    for system, histogram in sorted(state.system_durations.items()):
        labels = (("province", province), ("system", system))
        for le, n in zip(_DURATION_LE, histogram.buckets, strict=True):
            found.append((f"{PROBE_DURATION.name}_bucket", (*labels, *le), n))
        found.append((f"{PROBE_DURATION.name}_sum", labels, histogram.total))
        found.append((f"{PROBE_DURATION.name}_count", labels, histogram.count))
    return PROBE_DURATION, found


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


# The extra labels that repeat across obligations are short (outcome and source, le):
# those are kept. An obligation's info labels (names, clause) are its own, rendered
# rarely: keeping them cost 44 MB at 100,000 obligations.
_extra_text: dict[ExtraLabels, str] = {}
# Their values do repeat (codes, names, owners, clauses): each is escaped once.
_escaped: dict[str, str] = {}


def _value(value: str) -> str:
    """A label value escaped."""
    text = _escaped.get(value)
    if text is None:
        text = escape(value)
        if len(_escaped) < 100_000:
            _escaped[value] = text
    return text


def _extra(extra: ExtraLabels) -> str:
    text = _extra_text.get(extra)
    if text is None:
        text = "".join([f',{k}="{_value(v)}"' for k, v in extra])
        if len(extra) <= 2 and len(_extra_text) < 10_000:
            _extra_text[extra] = text
    return text


def _lines(samples: Sequence[Sample], base: str) -> str:
    # Most values are ints (counts): str() them without number()'s checks.
    return "".join(
        f"{name}{{{base}{_extra(extra)}}} {value if type(value) is int else number(value)}\n"
        for name, extra, value in samples
    )


def _parts(samples: Sequence[Sample]) -> tuple[str, ...]:
    """`_lines(samples, base)` as `base.join(parts)`: the lines cut where the labels go."""
    parts = [""]
    for name, extra, value in samples:
        parts[-1] += f"{name}{{"
        parts.append(f"{_extra(extra)}}} {value if type(value) is int else number(value)}\n")
    return tuple(parts)


def _header(f: Family) -> str:
    name = f.name + "_total" if f.type == "counter" else f.name
    return f"# HELP {name} {f.help}\n# TYPE {name} {f.type}\n"


def _om_header(f: Family) -> str:
    return f"# HELP {f.name} {f.help}\n# TYPE {f.name} {f.type}\n"


CHUNK = 500  # obligations per cached block of text


class Exposition:
    """Renders the text format, re-rendering only the obligations whose figures changed.

    Each family's text is kept in blocks of `CHUNK` obligations, as UTF-8
    bytes; a scrape re-renders the obligations the state marks as changed,
    re-joins only their blocks, and joins the blocks.
    """

    def __init__(
        self,
        state: MetricsState,
        health: Callable[[], ProbeHealth | None],
        durations_per_obligation: bool = False,
        sources: Callable[[], Sequence[SourceStatus]] = lambda: (),
    ) -> None:
        self.state = state
        self.health = health
        self.sources = sources
        self.durations_per_obligation = durations_per_obligation
        # The per-obligation families this exposition renders, in order.
        self.families = tuple(
            f for f in OBLIGATION_FAMILIES if durations_per_obligation or f is not PROBE_DURATION
        )
        self._day: object = None
        self._obligations: list[Obligation] = []
        self._index: dict[tuple[str, str], int] = {}
        # Each obligation's text, per family; a list replaced whole when it changes, so a
        # copy of this list is a consistent snapshot for a scrape in a worker thread.
        self._texts: list[list[bytes]] = []
        self._first = 0  # obligations from this index on have no text yet
        # Per family and block of CHUNK obligations, a number that changes with its text:
        # the blocks themselves are joined at each scrape, never kept (125 MB at 100,000).
        self._versions: list[list[int]] = []
        self._counter = itertools.count()
        self._pending: set[tuple[str, str]] = set()  # pairs to render again
        self._whole: set[tuple[str, str]] = set()  # … static families included
        self._stale: set[tuple[int, int]] = set()  # (family, first index) of blocks to join
        self._met: set[int] = set()  # obligations whose today was met at their last render

    def obligations(self) -> list[Obligation]:
        """Today's obligations that this instance exports (its shard's, when it leads one)."""
        state = self.state
        scope = (state.today, state.scope_version)
        if scope != self._day:
            current = state.current(state.today)
            self._obligations = [o for o in current if state.shows(o.key)]
            self._day = scope
        return self._obligations

    def _start_over(self) -> None:
        """Every obligation of the (new) day to render from scratch."""
        obligations = self.obligations()
        self._index = {o.key: i for i, o in enumerate(obligations)}
        empty = [b""] * len(self.families)
        self._texts = [empty] * len(obligations)
        version = next(self._counter)
        self._versions = [
            [version] * len(range(0, len(obligations), CHUNK)) for _ in range(len(self.families))
        ]
        self._first = 0
        self._pending = set()
        self._whole = set()
        self._stale = set()
        self._met = set()

    def catch_up(self, budget: int | None = None) -> bool:
        """Re-render the obligations whose figures changed, at most `budget` of them;
        True when none is left. The handler calls it in turns of the event loop, so
        that 100,000 obligations re-rendered at once do not hold every probe start."""
        state = self.state
        if self._day != (state.today, state.scope_version):
            self._start_over()
        dirty = state.take_dirty()
        recalendared = state.take_calendar_changed()
        if self._first < len(self._obligations):
            # Those with no text yet get their first one, of now, in registry order below.
            dirty = {p for p in dirty if self._index.get(p, -1) < self._first}
            recalendared = {p for p in recalendared if self._index.get(p, -1) < self._first}
        self._pending |= dirty
        self._pending |= recalendared
        self._whole |= recalendared
        obligations = self._obligations
        left = len(obligations) - self._first + len(self._pending) if budget is None else budget
        # First texts in registry order (a block's version is new already): in a set's
        # order, 100,000 took a third longer, their objects visited all over memory.
        while self._first < len(obligations) and left > 0:
            o = obligations[self._first]
            self._texts[self._first] = self._render_one(o, None)
            if state.successes_today.get(o.key, 0) >= o.min_daily_successes:
                self._met.add(self._first)
            self._first += 1
            left -= 1
        while self._pending and left > 0:
            left -= 1
            pair = self._pending.pop()
            whole = pair in self._whole
            self._whole.discard(pair)
            i = self._index.get(pair)
            if i is None:
                continue
            old = self._texts[i]
            o = obligations[i]
            met = state.successes_today.get(pair, 0) >= o.min_daily_successes
            # Static families keep their text unless the calendar figures changed, the
            # month's unless today became met as well.
            month = whole or met != (i in self._met)
            if met:
                self._met.add(i)
            else:
                self._met.discard(i)
            new = self._render_one(o, None if whole else old, month)
            self._texts[i] = new
            block = i - i % CHUNK
            self._stale.update([(f, block) for f in range(len(new)) if new[f] != old[f]])
        if self._pending or self._first < len(obligations):
            return False
        # Fresh sets: an emptied one keeps the table it grew to (8 MB each at 100,000).
        self._pending, self._whole = set(), set()
        # Only the blocks whose text changed get a new version (gzip compresses them again).
        for f, start in self._stale:
            self._versions[f][start // CHUNK] = next(self._counter)
        self._stale.clear()
        return True

    def _render_one(
        self, o: Obligation, old: list[bytes] | None, month: bool = True
    ) -> list[bytes]:
        """Every family's text for `o`; given its `old` text, static families are kept (and
        the month's too, unless `month`)."""
        province = _value(self.state.registry.province.code)
        base = (
            f'province="{province}",department="{_value(o.department)}",system="{_value(o.system)}"'
        )
        samples = live_samples(self.state, o, self.durations_per_obligation, info=old is None)
        figures = current_figures(self.state, o) if month or old is None else None
        m = o.min_daily_successes
        calendar = (
            {}
            if figures is None
            else _calendar_parts(
                figures,
                min(self.state.successes_today.get(o.key, 0), m),
                m,
                o.target_ratio,
                o.kind,
            )
        )
        kept = STATIC_FAMILIES if month else STATIC_FAMILIES | MONTH_FAMILIES
        texts = []
        for i, family in enumerate(self.families):
            if old is not None and family in kept:
                texts.append(old[i])
                continue
            parts = calendar.get(family)  # most of the text: joined, not formatted
            text = _lines(samples.get(family, ()), base) if parts is None else base.join(parts)
            texts.append(text.encode())
        return texts

    def render_parts(self, openmetrics: bool = False) -> Iterator[bytes]:
        """The exposition in pieces (blocks joined one at a time, not the whole body)."""
        return (part for _, part in self.keyed_parts(openmetrics))

    def keyed_parts(self, openmetrics: bool = False) -> Iterator[tuple[object, bytes]]:
        """The exposition in pieces, each with a key that changes with its text (None for
        the few that are made afresh each time): the gzip cache's handle on a block.

        The texts are those of this moment, whenever the pieces are read (in a worker
        thread, while the event loop renders the next changes). `openmetrics`: the
        OpenMetrics text format (a counter's TYPE line names the family without
        `_total`, and the body ends with `# EOF`); the samples are the same.
        """
        header = _om_header if openmetrics else _header
        self.catch_up()
        texts = list(self._texts)
        versions = [list(v) for v in self._versions]
        families = self.families
        tail: list[str] = []
        for family, samples in self.service_samples():
            tail.append(header(family))
            for name, labels, value in samples:
                text = ",".join(f'{k}="{escape(v)}"' for k, v in labels)
                tail.append(
                    f"{name}{{{text}}} {number(value)}\n" if text else f"{name} {number(value)}\n"
                )
        if openmetrics:
            tail.append("# EOF\n")
        end = "".join(tail).encode()

        def pieces() -> Iterator[tuple[object, bytes]]:
            for f, family in enumerate(families):
                yield None, header(family).encode()
                for b, start in enumerate(range(0, len(texts), CHUNK)):
                    block = b"".join(t[f] for t in texts[start : start + CHUNK])
                    yield (f, b, versions[f][b]), block
            yield None, end

        return pieces()

    def service_samples(self) -> list[tuple[Family, list[LabelledSample]]]:
        """The families with their labels given in full: per-system durations, the engine's."""
        found = engine_samples(self.state, self.health())
        if not self.durations_per_obligation:
            found.insert(0, system_duration_samples(self.state))
        found.extend(source_samples(self.sources()))
        return found

    def render_bytes(self, openmetrics: bool = False) -> bytes:
        return b"".join(self.render_parts(openmetrics))

    def render(self) -> str:
        return self.render_bytes().decode()


GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # deflate, no name, no time


class GzipCache:
    """The exposition as one gzip stream whose unchanged pieces are not compressed again.

    Each piece is compressed alone as raw deflate ending on a full flush (byte-aligned,
    referring to nothing before it), so pieces compressed at different scrapes
    concatenate into one valid deflate stream; the gzip trailer's CRC-32 and length
    are computed over the whole text each time. Most blocks of text do not change
    between scrapes, and their compressed form is kept (by the piece's key).
    """

    def __init__(self) -> None:
        self._kept: dict[object, bytes] = {}

    def compress(self, pieces: Iterable[tuple[object, bytes]]) -> list[bytes]:
        """The gzip stream of the keyed `pieces`, in pieces (run it in a worker thread:
        zlib drops the GIL)."""
        kept: dict[object, bytes] = {}
        out = [GZIP_HEADER]
        crc, size = 0, 0
        for key, part in pieces:
            crc = zlib.crc32(part, crc)
            size += len(part)
            segment = self._kept.get(key) if key is not None else None
            if segment is None:
                compressor = zlib.compressobj(1, zlib.DEFLATED, -zlib.MAX_WBITS)
                segment = compressor.compress(part) + compressor.flush(zlib.Z_FULL_FLUSH)
            if key is not None:
                kept[key] = segment
            out.append(segment)
        # Only this scrape's pieces are kept: a replaced block is let go.
        self._kept = kept
        out.append(b"\x03\x00" + struct.pack("<II", crc, size & 0xFFFFFFFF))  # final block
        return out


class LienthongCollector(Collector):
    """The same families for prometheus_client (a `CollectorRegistry`, `generate_latest`)."""

    def __init__(self, exposition: Exposition) -> None:
        self.exposition = exposition

    def collect(self) -> Iterator[Metric]:
        state = self.exposition.state
        province = state.registry.province.code
        rendered = self.exposition.families
        families = [Metric(f.name, f.help, f.type) for f in rendered]
        for o in self.exposition.obligations():
            base = {"province": province, "department": o.department, "system": o.system}
            by_family = obligation_samples(state, o, self.exposition.durations_per_obligation)
            for family, metric in zip(rendered, families, strict=True):
                for name, extra, value in by_family.get(family, ()):
                    metric.add_sample(name, {**base, **dict(extra)}, value)
        yield from families
        for f, samples in self.exposition.service_samples():
            service_metric = Metric(f.name, f.help, f.type)
            for name, labels, value in samples:
                service_metric.add_sample(name, dict(labels), value)
            yield service_metric
