"""`lienthong serve`: probes and the HTTP service (metrics, status page, push API) until stopped.

SIGHUP reloads the registry as Prometheus reloads its configuration: the new
one is validated first (and its probe secrets read); on any error the running
service goes on untouched and the log says why. Once it is valid the service
stops as on SIGTERM (requests in flight answered, queued batches committed)
and starts again on the same listening socket with the new registry, so no
connection is refused meanwhile.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import signal
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime

from aiohttp import web
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from i18n import N_, Lang, _
from i18n.logs import TranslatingFormatter
from intake.sources.runner import Sources
from lienthong import settings
from lienthong.errors import UsageError, UsageErrors, describe_os_error
from lienthong.serve_config import ServeConfig, parse_listen
from lienthong.server import bound_socket, start_site, stop_signals, url_of
from lienthong.service import create_service, while_leading
from probes.auth import secret_problems
from probes.shard import Shard
from registry import Registry, RegistryError, load_registry
from reports.scheduled import run_schedule
from store import open_store, sync_registry
from store.database import first_line

log = logging.getLogger("lienthong.serve")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "serve", help=_("run the probes and the HTTP service (metrics, status page, push API)")
    )
    parser.add_argument(
        "--listen",
        metavar="HOST:PORT",
        help=_("address of the HTTP service (default 127.0.0.1:9464)"),
    )
    parser.add_argument(
        "--shard",
        metavar="I/N",
        help=_("probe and export shard I of N of the obligations (overrides [probes] shard)"),
    )
    settings.add_store_options(parser)
    settings.add_registry_options(parser)
    parser.set_defaults(run=run)


def setup_logging(lang: Lang) -> None:
    """Log lines on stderr, in the service's language (each message translated as written)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(TranslatingFormatter(lang, "%(asctime)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)


def check_probe_secrets(registry: Registry) -> None:
    """Refuse to start while any probe that will run lacks its secret: each named once, never
    shown (an obligation that has ended runs no probe, so needs no secret)."""
    users: dict[str, list[str]] = {}  # problem → the probes it stops
    today = datetime.now(registry.tz).date()
    # Only probes with auth need a secret: asked first, as most have none (at 100,000
    # obligations, asking each whether it is in force took most of a second).
    for o in registry.obligations:
        if (
            o.probe is not None
            and o.probe.auth is not None
            and registry.in_force(o, today, date.max)
        ):
            for problem in secret_problems(o.probe.auth):
                users.setdefault(problem, []).append(f"{o.department}/{o.system}")
    if users:
        raise UsageErrors(
            [
                (
                    _("{problem} (probe of {probe} and {n} more)")
                    if len(probes) > 1
                    else _("{problem} (probe of {probe})")
                ).format(problem=problem, probe=probes[0], n=len(probes) - 1)
                for problem, probes in users.items()
            ]
        )


def run(args: argparse.Namespace) -> int:
    config = settings.config(args)
    if args.shard is not None:
        try:
            shard = Shard.parse(args.shard)
        except ValueError as e:
            raise UsageError(f"--shard: {e}") from None
        config = config.model_copy(update={"probes": replace(config.probes, shard=shard)})
    host, port = parse_listen(args.listen or config.listen)
    url = settings.database_url(args)
    spec = settings.registry_spec(args)
    # No cyclic collection while starting: nearly all that start-up builds (registry,
    # probe targets, figures, the metrics' text) lives as long as the service, and the
    # collections its allocations set off walked it again and again (seconds at
    # 100,000 obligations). `settle_heap` freezes it all and turns them back on.
    gc.disable()
    try:
        registry = load_registry(spec)
        gc.freeze()  # out of the collector's sight for good: it holds no garbage
        if config.probes.enabled:
            check_probe_secrets(registry)
        store = open_store(url)
    except BaseException:
        gc.enable()  # a start refused leaves the collector on (for a caller in-process)
        raise

    def build(registry: Registry, started: asyncio.Event) -> web.Application:
        return service_app(config, registry, store, spec, url, started)

    def reload() -> Registry:
        """The registry read again, checked, and synced to the store; raises on any error."""
        fresh = load_registry(spec)
        if config.probes.enabled:
            check_probe_secrets(fresh)
        sync_registry(store, fresh)
        return fresh

    try:
        sync_registry(store, registry)
        sock = bound_socket(host, port)
        setup_logging(settings.lang(args))
        return asyncio.run(_serve(build, registry, reload, sock))
    finally:
        store.dispose()


def service_app(
    config: ServeConfig,
    registry: Registry,
    store: Engine,
    spec: str | None,
    url: str,
    started: asyncio.Event,
    clock: Callable[[], float] = time.time,
) -> web.Application:
    """What `serve` runs: the service, and the scheduled exports while it holds their lock
    (`clock`: the time it lives in, given by the tests that cross a month's end)."""
    sources = Sources(config.sources, registry, store)
    app = create_service(
        registry,
        store,
        config.probe_settings(),
        config.service_options(),
        clock=clock,
        sources=sources,
    )
    if config.exports.enabled:

        async def exports() -> None:
            # Once the service is up: exports missed while it was down are written
            # at start (a report over every obligation), and they took half the
            # core from start-up (at 100,000 obligations, for seconds).
            await started.wait()
            await run_schedule(
                store,
                registry,
                config.exports,
                registry_spec=spec,
                database_url=url,
                document=config.report,
                clock=lambda: datetime.fromtimestamp(clock(), UTC),
            )

        # The monthly and quarterly exports, written by the service on the 1st at 07:00.
        # Written by one instance of those sharing the store: the holder of the lock.
        app.cleanup_ctx.append(
            while_leading(store, registry.province.code, "exports", config.ha.takeover, exports)
        )
    return app


async def _serve(
    build: Callable[[Registry, asyncio.Event], web.Application],
    registry: Registry,
    reload: Callable[[], Registry],
    sock: socket.socket,
) -> int:
    loop = asyncio.get_running_loop()
    hangup = asyncio.Event()
    loop.add_signal_handler(signal.SIGHUP, hangup.set)
    try:
        with stop_signals() as stop:
            # Each app gets its own handle on the socket: stopping one closes only that.
            started = asyncio.Event()
            runner = await start_site(build(registry, started), sock.dup())
            settle_heap(reloaded=False)
            started.set()
            base = url_of(sock)
            print(
                _(
                    "lienthong serve: status page {base}/ · metrics {base}/metrics"
                    " · health {base}/healthz · push API {base}/api/v1/transactions"
                ).format(base=base),
                flush=True,
            )
            try:
                while not stop.is_set():
                    await _first(stop, hangup)
                    if not hangup.is_set() or stop.is_set():
                        continue
                    hangup.clear()
                    fresh = await _reloaded(reload)
                    if fresh is None:
                        continue
                    await runner.cleanup()
                    started = asyncio.Event()
                    runner = await start_site(build(fresh, started), sock.dup())
                    settle_heap()
                    started.set()
                    log.info(
                        N_("registry reloaded: %d obligations, %d departments"),
                        len(fresh.obligations),
                        len(fresh.departments),
                    )
            finally:
                await runner.cleanup()
    finally:
        loop.remove_signal_handler(signal.SIGHUP)
        sock.close()
    print(_("lienthong serve: stopped"), file=sys.stderr)
    return 0


# The collector's young generations, sized for a service that allocates per probe run.
# At CPython's (700, 10) a run's objects, alive for the tens of milliseconds it takes,
# outlived two young collections and were promoted to the old generation, which then set
# off a full collection every second or two: at 100,000 obligations each walked the
# last results and rendered lines (0.3-0.5 s pauses, a third of the CPU, most late starts).
YOUNG_THRESHOLDS = (20_000, 10)


def settle_heap(reloaded: bool = True) -> None:
    """Move the long-lived heap (registry, targets, metrics text) out of the collector's sight.

    At 100,000 obligations the registry alone is hundreds of MB of objects that
    every full collection would walk again (0.5 s pauses, 40 % of the CPU);
    frozen, the collector sees only what the probes and requests allocate.
    """
    if reloaded:
        gc.unfreeze()  # the old registry's cycles become collectable again
        gc.collect()
    # At the first start, frozen as it is: start-up leaves a few thousand objects of
    # garbage (2,400 at 100,000 obligations) and a collection walked all it built (0.4 s).
    gc.freeze()
    gc.set_threshold(*YOUNG_THRESHOLDS, gc.get_threshold()[2])
    gc.enable()  # off while the service started (`run`)


async def _first(*events: asyncio.Event) -> None:
    """Wait until one of the events is set."""
    waiters = [asyncio.create_task(e.wait()) for e in events]
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waiters:
            w.cancel()


async def _reloaded(reload: Callable[[], Registry]) -> Registry | None:
    """The new registry, or None (logged) when it cannot be used: the running one stays."""
    log.info(N_("SIGHUP: reloading the registry"))
    try:
        return await asyncio.to_thread(reload)
    except RegistryError as e:
        reason = (
            _("{n} problems; first: {problem}").format(n=len(e.problems), problem=e.problems[0])
            if e.problems
            else str(e)
        )
    except UsageError as e:
        reason = str(e)
    except OSError as e:
        said = describe_os_error(e)
        reason = f"{e.filename}: {said}" if e.filename is not None else said
    except SQLAlchemyError as e:
        reason = _("database error: {error}").format(error=first_line(e))
    log.error(N_("registry not reloaded, the running one is kept: %s"), reason)
    return None
