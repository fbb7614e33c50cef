"""The probe engine: every obligation's probe on its interval, under the concurrency limits.

One scheduler task keeps a heap of due times (spread by `probes.schedule`)
and starts a run task for each probe that falls due. A run waits for a slot
under the global limit and its national system's limit, asks the system's
circuit breaker, calls, and hands its one outcome to the recorder and the
observers (the metrics). A probe never overlaps itself: a run still going
when its next start falls due makes that start be skipped.

When overloaded the engine sheds explicitly instead of piling up tasks: a
start is skipped (counted in `skipped["overload"]`, logged once per episode)
when `backlog` runs already wait for a slot, or when the scheduler itself
reaches the start more than `max_lateness` seconds after its due time.

A new leader starts with the slots it inherits (`start(inherited=…)`: those its
predecessor left unprobed, see probes.takeover). They are late by nature, not by
overload: each runs once, in order, before its probe's first regular start (which
waits for them rather than being skipped), and none is shed, counted as skipped or
measured as lateness.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Annotated

import aiohttp
from pydantic import BeforeValidator, ConfigDict, Field, with_config

from i18n import N_, _
from probes.auth import CredentialStore
from probes.breaker import CircuitBreaker, CircuitState
from probes.health import LagHistogram, LastResult, Pair, SystemHealth
from probes.http import ProbeOutcome, ProbeTarget
from probes.kinds import KINDS
from probes.recorder import TransactionRecorder
from probes.schedule import first_due, next_due, slot_start
from probes.shard import Shard
from registry import Registry
from store.leadership import DEFAULT_TAKEOVER

log = logging.getLogger("lienthong.probes")

Observer = Callable[[ProbeTarget, datetime, ProbeOutcome], None]

SKIP_OVERLAP, SKIP_CIRCUIT, SKIP_OVERLOAD = "overlap", "circuit_open", "overload"


Seconds = Annotated[float, Field(gt=0)]


def _shard(value: object) -> object:
    return Shard.parse(value) if isinstance(value, str) else value


def _one_or_many(value: object) -> object:
    """A single `[probes.url_rewrite]` table, or several as `[[probes.url_rewrite]]`."""
    return [value] if isinstance(value, dict) else value


@with_config(ConfigDict(extra="forbid"))
@dataclass(frozen=True)
class UrlRewrite:
    """Replaces a URL prefix (the simulator in the demo, a staging gateway, …)."""

    prefix: Annotated[str, Field(alias="from", min_length=1)]
    replacement: Annotated[str, Field(alias="to", min_length=1)]

    def __call__(self, url: str) -> str:
        if url.startswith(self.prefix):
            return self.replacement + url[len(self.prefix) :]
        return url


@with_config(ConfigDict(extra="forbid"))
@dataclass(frozen=True)
class ProbeSettings:
    """The engine's limits and defaults, declared once: also the `[probes]` table of the config."""

    per_system: Annotated[int, Field(ge=1, le=1000)] = 4
    total: Annotated[int, Field(ge=1, le=100_000)] = 256
    connect_timeout: Seconds = 5.0
    interval: Seconds | None = None  # overrides every probe's interval (the demo's short cadence)
    breaker_failures: Annotated[int, Field(ge=1)] = 5
    breaker_cooldown: Seconds = 60.0
    breaker_max_cooldown: Seconds = 600.0
    rewrites: Annotated[
        tuple[UrlRewrite, ...], Field(alias="url_rewrite"), BeforeValidator(_one_or_many)
    ] = ()
    grace: Annotated[float, Field(ge=0)] = 5.0  # seconds in-flight probes get to finish on shutdown
    # The obligations this instance probes (`[probes] shard = "I/N"`).
    shard: Annotated[Shard, BeforeValidator(_shard)] = field(default_factory=Shard)
    # Seconds a standby takes at most to lead when the leader is gone: set from `[ha]`.
    takeover: Seconds = DEFAULT_TAKEOVER
    # Overload: a start is shed (counted, logged once) rather than queued without bound.
    backlog: Annotated[int, Field(ge=1)] = 1024  # runs waiting for a slot, at most
    max_lateness: Seconds = 30.0  # a start reached later than this after its due time is shed
    keep_alive: bool = True  # false: a new connection per probe (the benchmarks compare both)

    def rewrite(self, url: str) -> str:
        for r in self.rewrites:
            url = r(url)
        return url


def probe_targets(
    registry: Registry,
    settings: ProbeSettings,
    credentials: CredentialStore,
    today: date | None = None,
) -> list[ProbeTarget]:
    """The registry's obligations of this shard that have a probe, ready to run (given `today`,
    only those not ended by then: a merged department's probe passes to its successor's)."""
    targets = []
    for o in registry.obligations:
        if o.probe is None or not settings.shard.owns(o.key):
            continue
        until = registry.window(o)[1]
        if today is not None and until is not None and until <= today:
            continue
        targets.append(
            ProbeTarget(
                department=o.department,
                system=o.system,
                spec=o.probe,
                url=settings.rewrite(str(o.probe.url)),
                credentials=credentials.for_auth(o.probe.auth),
            )
        )
    return targets


class ProbeEngine:
    """Runs the probes until stopped; its counters feed the engine-health metrics."""

    def __init__(
        self,
        registry: Registry,
        targets: Iterable[ProbeTarget],
        recorder: TransactionRecorder,
        session: aiohttp.ClientSession,
        settings: ProbeSettings,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.registry = registry
        self.targets = list(targets)
        self.recorder = recorder
        self.settings = settings
        self._session = session
        self._clock = clock
        self._total = asyncio.Semaphore(settings.total)
        self._per_system: dict[str, asyncio.Semaphore] = {}
        self.breakers: dict[str, CircuitBreaker] = {}
        self.in_flight: dict[str, int] = {}
        for t in self.targets:
            if t.system not in self.breakers:
                self._per_system[t.system] = asyncio.Semaphore(settings.per_system)
                self.in_flight[t.system] = 0
                self.breakers[t.system] = CircuitBreaker(
                    settings.breaker_failures,
                    settings.breaker_cooldown,
                    settings.breaker_max_cooldown,
                )
        self.lag = LagHistogram()
        self._last: dict[Pair, LastResult] = {}
        self.observers: list[Observer] = []
        # Starts skipped, by reason: the run before still going, an open circuit, overload.
        self.skipped: dict[str, int] = {SKIP_OVERLAP: 0, SKIP_CIRCUIT: 0, SKIP_OVERLOAD: 0}
        self._waiting = 0  # runs started but not yet holding a slot
        self._shedding = False  # inside an overload episode (logged once, at its start)
        self._running: dict[str, asyncio.Task[None]] = {}
        # The runs of inherited slots still going, by probe (each also in `_running`).
        self._inheriting: dict[str, asyncio.Task[None]] = {}
        self.inherited_runs = 0  # inherited slots run (each at most once)
        self._in_force_day = date.min
        self._day_bounds = (0.0, 0.0)  # [start, end) of `_in_force_day`, epoch seconds
        self._in_force_pairs: dict[Pair, bool] = {}  # for `_in_force_day`, filled as probes run
        self._scheduler: asyncio.Task[None] | None = None

    # -- the health interface (probes.health.ProbeHealth) --

    @property
    def probes(self) -> int:
        return len(self.targets)

    def systems(self) -> dict[str, SystemHealth]:
        return {
            system: SystemHealth(
                in_flight=self.in_flight[system],
                circuit=breaker.state,
                retry_at=breaker.opened_until if breaker.state is CircuitState.OPEN else None,
            )
            for system, breaker in self.breakers.items()
        }

    def last_result(self, pair: Pair) -> LastResult | None:
        return self._last.get(pair)

    @property
    def skipped_overlap(self) -> int:
        return self.skipped[SKIP_OVERLAP]

    @property
    def skipped_open_circuit(self) -> int:
        return self.skipped[SKIP_CIRCUIT]

    def interval(self, target: ProbeTarget) -> float:
        return self.settings.interval or target.spec.interval

    @property
    def running(self) -> bool:
        """Whether the scheduler is alive (it stops only on `stop`, or by a bug)."""
        return self._scheduler is not None and not self._scheduler.done()

    def start(
        self, since: float | None = None, inherited: Mapping[str, Sequence[float]] | None = None
    ) -> None:
        """Start probing; with `since`, each probe's first regular slot is its first at or
        after it. `inherited`: due times of slots before it to run first, once each, by
        probe key (a new leader's: the slots its predecessor left unprobed)."""
        self._scheduler = asyncio.create_task(
            self._schedule(since, inherited or {}), name="probe-scheduler"
        )

    async def stop(self) -> None:
        """Stop scheduling; give runs in flight `grace` seconds, then cancel the rest."""
        if self._scheduler is not None:
            self._scheduler.cancel()
            await asyncio.gather(self._scheduler, return_exceptions=True)
            self._scheduler = None
        running = list(self._running.values())
        if running:
            _, late = await asyncio.wait(running, timeout=self.settings.grace)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        # A run cancelled before its first step never took itself out of the backlog.
        self._waiting = 0

    async def _schedule(
        self, since: float | None, inherited: Mapping[str, Sequence[float]]
    ) -> None:
        now = self._clock() if since is None else since
        heap = [(first_due(t.key, self.interval(t), now), i) for i, t in enumerate(self.targets)]
        heapq.heapify(heap)
        for target in self.targets:
            if dues := inherited.get(target.key):
                task = asyncio.create_task(self._inherit(target, dues), name=target.key)
                self._running[target.key] = self._inheriting[target.key] = task
                task.add_done_callback(self._finished)
        while heap:
            due, i = heap[0]
            delay = due - self._clock()
            if delay > 0:
                await asyncio.sleep(delay)
                continue
            target = self.targets[i]
            now = self._clock()
            heapq.heapreplace(heap, (next_due(due, self.interval(target), now), i))
            previous = self._running.get(target.key)
            # The first regular start after inherited slots waits for them; any other
            # start while the probe's run goes is skipped (a probe never overlaps itself).
            if previous is not None and self._inheriting.pop(target.key, None) is None:
                self.skipped[SKIP_OVERLAP] += 1
                continue
            if self._waiting >= self.settings.backlog or now - due > self.settings.max_lateness:
                self._shed(now - due)
                continue
            if self._shedding and self._waiting == 0:
                self._shedding = False
                log.warning(
                    _(
                        "probe engine caught up; {skipped} starts skipped for overload so far"
                    ).format(skipped=self.skipped[SKIP_OVERLOAD])
                )
            # Waiting from now: several starts due at once are created before any runs,
            # and each must see the others in the backlog. (One that first waits for its
            # probe's inherited slots joins the backlog once they are done.)
            self._waiting += previous is None
            task = asyncio.create_task(self._run(target, due, after=previous), name=target.key)
            self._running[target.key] = task
            task.add_done_callback(self._finished)

    def _shed(self, late: float) -> None:
        """Skip one start for overload: counted always, logged once per episode."""
        self.skipped[SKIP_OVERLOAD] += 1
        if not self._shedding:
            self._shedding = True
            log.warning(
                _(
                    "probe engine overloaded ({waiting} runs waiting for a slot, a start"
                    " {late:.1f} s late): skipping starts until it catches up"
                    " (lienthong_probe_starts_skipped_total)"
                ).format(waiting=self._waiting, late=late)
            )

    def _finished(self, task: asyncio.Task[None]) -> None:
        key = task.get_name()
        # Only its own entry: a start chained after inherited slots took the key over.
        if self._running.get(key) is task:
            del self._running[key]
        if self._inheriting.get(key) is task:
            del self._inheriting[key]
        if not task.cancelled() and (error := task.exception()) is not None:
            log.error(N_("probe run failed: %r"), error)

    def _in_force(self, target: ProbeTarget, due: float) -> bool:
        """Whether the pair has an obligation in force on the due day (cached for the day)."""
        if not self._day_bounds[0] <= due < self._day_bounds[1]:
            tz = self.registry.tz
            today = datetime.fromtimestamp(due, tz).date()
            tomorrow = today + timedelta(days=1)
            self._day_bounds = (
                datetime(today.year, today.month, today.day, tzinfo=tz).timestamp(),
                datetime(tomorrow.year, tomorrow.month, tomorrow.day, tzinfo=tz).timestamp(),
            )
            self._in_force_day, self._in_force_pairs = today, {}
        today = self._in_force_day
        pair = (target.department, target.system)
        found = self._in_force_pairs.get(pair)
        if found is None:
            found = self._in_force_pairs[pair] = any(
                self.registry.in_force_on(o, today)
                for o in self.registry.obligations_for(target.department, target.system)
            )
        return found

    async def _inherit(self, target: ProbeTarget, dues: Sequence[float]) -> None:
        """Run inherited slots of one probe, oldest first, one after the other."""
        for due in dues:
            await self._run(target, due, inherited=True)
            self.inherited_runs += 1

    async def _run(
        self,
        target: ProbeTarget,
        due: float,
        inherited: bool = False,
        after: asyncio.Task[None] | None = None,
    ) -> None:
        # A regular run counts as waiting from its creation (see `_schedule`) until it
        # holds a slot. Inherited slots wait for one too, but are no sign of overload:
        # they are not in the backlog that sheds regular starts.
        waiting = not inherited and after is None
        try:
            if after is not None:  # the probe's inherited slots: never overlap them
                await asyncio.wait([after])
                self._waiting += 1
                waiting = True
            if not self._in_force(target, due):
                return
            breaker = self.breakers[target.system]
            if not breaker.allow(self._clock()):
                self.skipped[SKIP_CIRCUIT] += 1
                return
            await self._total.acquire()
        finally:
            self._waiting -= waiting
        try:
            async with self._per_system[target.system]:
                started = self._clock()
                if not inherited:  # an inherited slot is late by nature, not by load
                    self.lag.observe(max(0.0, started - due))
                self.in_flight[target.system] += 1
                try:
                    outcome = await KINDS[target.spec.type](self._session, target)
                finally:
                    self.in_flight[target.system] -= 1
        finally:
            self._total.release()
        breaker.record(outcome.success, self._clock())
        ts = datetime.fromtimestamp(started, UTC)
        self.recorder.record(
            target.department,
            target.system,
            ts,
            outcome.success,
            outcome.seconds * 1000,
            outcome.detail,
            slot=datetime.fromtimestamp(slot_start(target.key, self.interval(target), due), UTC),
        )
        self._last[(target.department, target.system)] = LastResult(ts, outcome)
        for observer in self.observers:
            observer(target, ts, outcome)


def client_session(settings: ProbeSettings) -> aiohttp.ClientSession:
    """The HTTP client all probes share (keep-alive connections, the global limit)."""
    connector = aiohttp.TCPConnector(
        limit=settings.total,
        limit_per_host=0,
        ttl_dns_cache=300,
        force_close=not settings.keep_alive,
    )
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=settings.connect_timeout)
    return aiohttp.ClientSession(
        connector=connector,
        timeout=timeout,
        # No cookies: a probe is one stateless call, and a cookie one system set must not
        # ride along to another on the same host (it also spares the jar's work per request).
        cookie_jar=aiohttp.DummyCookieJar(),
        headers={"User-Agent": "lienthong-probe/0.1"},
        raise_for_status=False,
    )
