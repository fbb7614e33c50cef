"""The HTTP service of `lienthong serve`: /metrics, /healthz, the status page, the probes,
and the push API.

Built by an app factory; each long-lived part starts and stops in its own
cleanup context, so shutdown runs in reverse: probes stop (runs in flight get
a grace period, then are cancelled), the recorder writes what it holds, then
the metrics refresher stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Annotated, TypeVar

from aiohttp import web
from pydantic import AfterValidator, ConfigDict, Field, with_config
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from api.app import Api, add_api
from api.push import PushApi, PushOptions
from compliance.outages import OfficeHours, detect_outages, propose_for_outages
from exporter.metrics import Exposition, GzipCache, LienthongCollector
from exporter.proxies import forwarded, parse_networks
from exporter.state import MetricsState, read_calendar, read_excusals, read_totals
from exporter.web import Web, WebOptions, add_pages, status_api
from i18n import N_
from intake.sources.common import SourceStatus
from probes.engine import ProbeSettings
from probes.health import ProbeHealth
from probes.recorder import TransactionRecorder
from registry import Registry
from store.counts import Pair
from store.database import first_line
from store.excusals import MAX_DAYS
from store.health import StoreWatch

log = logging.getLogger("lienthong.serve")


Seconds = Annotated[float, Field(gt=0)]


@with_config(ConfigDict(extra="forbid"))
@dataclass(frozen=True)
class MetricsOptions:
    """How often the metrics are refreshed, declared once: also the `[metrics]` config table."""

    totals_refresh: Seconds = 5.0  # seconds between reads of the store's totals
    # Seconds between looks for late records of earlier days (and changed excusals): the
    # month's figures of the pairs they touch are computed again; all of them each new day.
    calendar_refresh: Seconds = 300.0
    status_refresh: Annotated[int, Field(ge=1)] = 10  # the status page reloads every so often
    # Seconds between renders of what changed, ahead of the scrapes: a third of Prometheus's
    # usual 15 s (a pair that changes all the time is rendered three times per scrape at most).
    render_ahead: Seconds = 5.0
    # The probe-duration histogram per national system: per obligation it is 11 series
    # each, half of /metrics at 100,000 obligations. True gives the contract's first form.
    durations_per_obligation: bool = False


@with_config(ConfigDict(extra="forbid"))
@dataclass(frozen=True)
class RecorderOptions:
    """How probe results are buffered, declared once: also the `[recorder]` config table."""

    flush_interval: Seconds = 0.5
    flush_batch: Annotated[int, Field(ge=1, le=10_000)] = 500


def _office_hours(text: str) -> str:
    OfficeHours.parse(text)  # its ValueError names the problem
    return text


@with_config(ConfigDict(extra="forbid"))
@dataclass(frozen=True)
class ExcusalOptions:
    """Daily excusal proposals for national systems down all office hours, declared once:
    also the `[excusals]` config table."""

    detect: bool = True
    office_hours: Annotated[str, AfterValidator(_office_hours)] = str(OfficeHours())
    # `excuse approve` refuses a longer excusal without --long (its flag and env win).
    max_days: Annotated[int, Field(ge=1)] = MAX_DAYS

    @property
    def hours(self) -> OfficeHours:
        return OfficeHours.parse(self.office_hours)


@dataclass(frozen=True)
class ServiceOptions:
    """How the background work runs: the `[metrics]`, `[recorder]` and `[push]` tables."""

    metrics: MetricsOptions = field(default_factory=MetricsOptions)
    recorder: RecorderOptions = field(default_factory=RecorderOptions)
    push: PushOptions = field(default_factory=PushOptions)
    probes_enabled: bool = True
    excusals: ExcusalOptions = field(default_factory=ExcusalOptions)
    web: WebOptions = field(default_factory=WebOptions)


@dataclass
class Service:
    """Everything the running service holds; handlers and the demo read it."""

    registry: Registry
    store: Engine
    probe_settings: ProbeSettings
    options: ServiceOptions
    clock: Callable[[], float]
    state: MetricsState
    exposition: Exposition
    collector: LienthongCollector
    gzip: GzipCache = field(default_factory=GzipCache)  # /metrics' compressed blocks
    probes: ProbeHealth | None = None  # set by the probes' cleanup context, when it runs
    recorder: TransactionRecorder | None = None
    api: Api | None = None  # the JSON API under /api/v1
    push: PushApi | None = None
    ready: asyncio.Event | None = None
    watch: StoreWatch | None = None
    outages_checked: date | None = None  # the last day whose office hours were checked
    outage_checks: asyncio.Condition = field(default_factory=asyncio.Condition)
    # The leadership roles this instance competes for (`probes 0/1`, `exports`) and
    # whether it holds each now: set by their contexts, shown by /healthz.
    roles: dict[str, bool] = field(default_factory=dict)
    # The sources running inside `serve` (set by the composition root when configured).
    sources: Sequence[SourceStatus] = ()


SERVICE = web.AppKey("service", Service)
# Starts the probes and sets `Service.probes` and `Service.recorder`; given by the
# composition root (lienthong.service), which knows how to build an engine.
ProbesContext = Callable[[web.Application], AsyncIterator[None]]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def create_app(
    registry: Registry,
    store: Engine,
    probe_settings: ProbeSettings | None = None,
    options: ServiceOptions | None = None,
    clock: Callable[[], float] = time.time,
    probes: ProbesContext | None = None,
) -> web.Application:
    """The service's aiohttp app over an open store; `probes` runs the probe engine."""
    options = options or ServiceOptions()
    state = MetricsState(registry, clock, options.metrics.durations_per_obligation)
    service = Service(
        registry=registry,
        store=store,
        probe_settings=probe_settings or ProbeSettings(),
        options=options,
        clock=clock,
        state=state,
        exposition=Exposition(
            state,
            lambda: service.probes,
            options.metrics.durations_per_obligation,
            lambda: service.sources,
        ),
        collector=LienthongCollector(
            Exposition(
                state,
                lambda: service.probes,
                options.metrics.durations_per_obligation,
                lambda: service.sources,
            )
        ),
        ready=asyncio.Event(),
        watch=StoreWatch(store),
    )
    proxies = parse_networks(options.web.trusted_proxies)
    app = web.Application(middlewares=[forwarded(proxies), security_headers])
    app[SERVICE] = service
    app.cleanup_ctx.append(metrics_context)
    if service.options.probes_enabled and probes is not None:
        app.cleanup_ctx.append(probes)
    if service.options.excusals.detect:
        app.cleanup_ctx.append(outages_context)
    pages = Web(
        registry=registry,
        store=store,
        clock=clock,
        health=lambda: service.probes,
        last_success=lambda: state.last_success,
        writes=lambda: state.writes,
        refresh=service.options.metrics.status_refresh,
        options=service.options.web,
        sources=lambda: service.sources,
    )
    add_pages(app, pages)
    app.router.add_get("/metrics", metrics_handler)
    app.router.add_get("/healthz", healthz_handler)
    api = add_api(
        app,
        registry,
        store,
        service.options.push,
        clock,
        status_api(pages),
        state.on_written,
        state.commit_order,
    )
    service.api, service.push = api, api.push
    pages.tokens = api.gate.tokens  # a revoked token's sessions end at its next refresh
    return app


async def metrics_context(app: web.Application) -> AsyncIterator[None]:
    """Seed the counters from the store, then keep them and the calendar figures fresh."""
    service = app[SERVICE]
    await check_store(service)
    await refresh_totals(service)
    await refresh_calendar(service)
    task = asyncio.create_task(_refresh_loop(service), name="metrics-refresh")
    ahead = asyncio.create_task(_render_ahead(service), name="metrics-render")
    yield
    ahead.cancel()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await ahead
    with contextlib.suppress(asyncio.CancelledError):
        await task


# Obligations re-rendered for /metrics between two turns of the event loop (~20 ms).
RENDER_TURN = 1_000
# Pairs absorbed between two turns of the event loop: at 100,000 obligations one
# refresh absorbed whole held the loop (and every probe start) for ~150 ms.
ABSORB_CHUNK = 5_000
# A refresh of the totals may take at most this share of the time: with a large
# registry (a read of 100,000 pairs costs 0.3–0.7 s of CPU) the interval stretches.
REFRESH_SHARE = 0.05


async def _render_ahead(service: Service) -> None:
    """Re-render the changed obligations every `render_ahead` seconds, a share at a time, so
    that a scrape finds little left to do: at 100,000 obligations, rendering the 25,000
    changed since the last scrape, between probe runs, had taken seconds of its duration."""
    while True:
        await asyncio.sleep(service.options.metrics.render_ahead)
        await render_metrics(service)


async def refresh_totals(service: Service) -> float:
    """Read the store's totals and absorb them; returns the seconds it took."""
    started = time.monotonic()
    state = service.state
    day = state.local_day()
    (totals, today, before), through = await asyncio.to_thread(
        read_totals, service.store, day, state.commit_order
    )
    # Before absorbing: a write told of from now on that the read holds is not added again.
    state.absorbed_through = max(state.absorbed_through, through)
    state.before = before
    for part in _chunks(totals):
        state.absorb_totals(part)
        await asyncio.sleep(0)
    state.absorb_today(day, {})  # a new day starts before its counts come in
    for counts in _chunks(today):
        state.absorb_today(day, counts)
        await asyncio.sleep(0)
    return time.monotonic() - started


def refresh_interval(configured: float, took: float) -> float:
    """Seconds until the next read of the totals: as configured, or longer when a read is
    slow, so that reading takes at most REFRESH_SHARE of the time."""
    return max(configured, took / REFRESH_SHARE)


K = TypeVar("K")
V = TypeVar("V")


def _chunks(mapping: Mapping[K, V]) -> Iterator[dict[K, V]]:
    items = iter(mapping.items())
    while chunk := dict(itertools.islice(items, ABSORB_CHUNK)):
        yield chunk


async def refresh_calendar(service: Service, day: date | None = None, since: bool = False) -> None:
    """Compute the month-to-date figures of `day` (today): of every obligation, or with
    `since`, only of the pairs whose days before it changed since they were computed
    (every one when the approved excusals changed). The days before today change
    rarely (a late import), so at 100,000 obligations the figures are not all computed
    again every few minutes: that took seconds of CPU in the middle of the probes."""
    state = service.state
    day = day or state.local_day()
    before = state.before  # replaced whole by each read of the totals: a snapshot
    excusals = await asyncio.to_thread(read_excusals, service.store, day)
    pairs: set[Pair] | None = None
    if since and excusals == state.calendar_excusals:
        pairs = state.stale_calendar()
        if not pairs:
            return
    obligations = state.current(day)
    figures = await asyncio.to_thread(
        read_calendar, service.store, service.registry, obligations, day, pairs, excusals
    )
    state.absorb_calendar(figures, before, pairs)
    state.calendar_excusals = excusals


async def _refresh_loop(service: Service) -> None:
    options = service.options
    last_calendar = time.monotonic()
    calendar_day = service.state.local_day()
    took = 0.0
    while True:
        await asyncio.sleep(refresh_interval(options.metrics.totals_refresh, took))
        try:
            await check_store(service)
            took = await refresh_totals(service)
            day = service.state.local_day()
            if day != calendar_day:
                await refresh_calendar(service, day)
            elif time.monotonic() - last_calendar >= options.metrics.calendar_refresh:
                await refresh_calendar(service, day, since=True)
            else:
                continue
            last_calendar, calendar_day = time.monotonic(), day
        except SQLAlchemyError as e:
            log.error(N_("metrics refresh failed: %s"), first_line(e))


async def check_store(service: Service) -> str | None:
    """Whether the store takes writes now; kept for `lienthong_store_up` too."""
    assert service.watch is not None
    problem = await service.watch.check()
    service.state.store_up = problem is None
    return problem


OUTAGE_LOOKBACK_DAYS = 7  # on start-up, the days checked (proposals are never made twice)


async def outages_context(app: web.Application) -> AsyncIterator[None]:
    """Once a day's office hours are over, propose an excusal for each national system that
    was down for every department all that time. It only proposes; a person approves."""
    service = app[SERVICE]
    task = asyncio.create_task(_outage_loop(service), name="outage-detection")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def last_closed_day(now: datetime, hours: OfficeHours) -> date:
    """The latest local day whose office hours are over at `now` (local)."""
    today = now.date()
    return today if now.time() >= hours.end else today - timedelta(days=1)


async def check_outages(service: Service) -> None:
    registry, hours = service.registry, service.options.excusals.hours
    now = datetime.fromtimestamp(service.clock(), registry.tz)
    last = last_closed_day(now, hours)
    if service.outages_checked is not None and service.outages_checked >= last:
        return
    first = (
        service.outages_checked + timedelta(days=1)
        if service.outages_checked is not None
        else last - timedelta(days=OUTAGE_LOOKBACK_DAYS - 1)
    )

    def detect() -> list[int]:
        outages = detect_outages(service.store, registry, first, last, hours)
        return propose_for_outages(service.store, registry, outages)

    created = await asyncio.to_thread(detect)
    if created:
        log.warning(
            N_(
                "proposed %d excusals for national systems down all office hours (%s to %s):"
                " see `lienthong excuse list --state proposed`"
            ),
            len(created),
            first,
            last,
        )
    async with service.outage_checks:
        service.outages_checked = last
        service.outage_checks.notify_all()


async def _outage_loop(service: Service) -> None:
    while True:
        try:
            await check_outages(service)
        except SQLAlchemyError as e:
            log.error(N_("outage detection failed: %s"), first_line(e))
        await asyncio.sleep(service.options.metrics.calendar_refresh)


TEXT_FORMAT = "text/plain; version=0.0.4; charset=utf-8"
OPENMETRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8"
WRITE_CHUNK = 1 << 18  # bytes of compressed exposition written at a time


async def render_metrics(service: Service) -> None:
    """Render the obligations changed since the last scrape, a share at a time."""
    while not service.exposition.catch_up(RENDER_TURN):
        await asyncio.sleep(0)


async def metrics_handler(request: web.Request) -> web.StreamResponse:
    """The exposition, streamed: OpenMetrics when Accept asks for it, gzip when allowed."""
    service = request.app[SERVICE]
    openmetrics = "application/openmetrics-text" in request.headers.get("Accept", "")
    gzip = "gzip" in request.headers.get("Accept-Encoding", "")
    response = web.StreamResponse(
        headers={
            "Content-Type": OPENMETRICS if openmetrics else TEXT_FORMAT,
            "Vary": "Accept, Accept-Encoding",
        }
    )
    if gzip:
        response.headers["Content-Encoding"] = "gzip"
    started = time.monotonic()
    try:
        await response.prepare(request)
        await _send_exposition(response, service, openmetrics, gzip)
    except ConnectionResetError:
        # The scraper gave up (its scrape_timeout) or went away: a line, not a traceback.
        log.warning(
            N_(
                "/metrics: the scraper closed the connection %.1f s into the scrape,"
                " before the end (its scrape_timeout?)"
            ),
            time.monotonic() - started,
        )
    return response


async def _send_exposition(
    response: web.StreamResponse, service: Service, openmetrics: bool, gzip: bool
) -> None:
    await render_metrics(service)
    if not gzip:
        for part in service.exposition.render_parts(openmetrics):
            await response.write(part)
        await response.write_eof()
        return
    # Joined and compressed beside the event loop, reusing the unchanged blocks'
    # compressed form.
    parts = service.exposition.keyed_parts(openmetrics)
    pieces = await asyncio.to_thread(service.gzip.compress, parts)
    chunk: list[bytes] = []
    size = 0
    for piece in pieces:
        chunk.append(piece)
        size += len(piece)
        if size >= WRITE_CHUNK:
            await response.write(b"".join(chunk))
            chunk, size = [], 0
    await response.write(b"".join(chunk))
    await response.write_eof()


async def healthz_handler(request: web.Request) -> web.Response:
    """The truth about storing: 200 when the store takes writes now, 503 when it does not."""
    service = request.app[SERVICE]
    probes, recorder, push = service.probes, service.recorder, service.push
    problem = await check_store(service)
    writers = ([push.commits] if push else []) + ([recorder.writer] if recorder else [])
    last_error = next((w.store_error for w in writers if not w.store_ok), None)
    if not service.options.probes_enabled:
        engine_state = "disabled"
    else:
        engine_state = "running" if probes is not None and probes.running else "stopped"
    probe_roles = [leads for role, leads in service.roles.items() if role.startswith("probes ")]
    # "none": takes no part in probing (probes disabled).
    role = ("leader" if any(probe_roles) else "standby") if probe_roles else "none"
    return web.json_response(
        {
            "status": "ok" if problem is None else "failing",
            # Codes, not sentences: "leader" of its shard's probes, "standby", or "none".
            "role": role,
            "roles": {r: "leader" if leads else "standby" for r, leads in service.roles.items()},
            "store": "ok" if problem is None else problem,
            "store_last_write_error": last_error,
            "probe_engine": engine_state,
            "probes": probes.probes if probes else 0,
            "in_flight": sum(s.in_flight for s in probes.systems().values()) if probes else 0,
            "pending_records": recorder.pending if recorder else 0,
            "failed_writes": recorder.failed_writes if recorder else 0,
            "push_pending_records": push.commits.pending if push else 0,
            "push_failed_commits": push.commits.failed_groups if push else 0,
            "push_commit_timeouts": push.commits.timeouts if push else 0,
        },
        status=200 if problem is None else 503,
    )


# The pages are the only HTML: no script, no frame, nothing from elsewhere; their
# forms (sign-in, explanations) post to this origin only.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none';"
    " form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response
