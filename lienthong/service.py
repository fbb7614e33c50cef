"""The running service, wired: the exporter's app with the probe engine and its recorder.

The composition root: exporter/ serves what the engine reports (probes.health) and
knows nothing of how an engine is built; this module builds it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

from aiohttp import web
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from exporter.app import SERVICE, ServiceOptions, create_app, render_metrics
from i18n import _
from intake.sources.runner import Sources
from probes.auth import CredentialStore
from probes.engine import ProbeEngine, ProbeSettings, client_session, probe_targets
from probes.recorder import TransactionRecorder
from probes.takeover import slots_between, unstored
from registry import Registry
from reports.api import add_reports_api
from store.database import first_line
from store.leadership import Leadership

log = logging.getLogger("lienthong.serve")


def create_service(
    registry: Registry,
    store: Engine,
    probe_settings: ProbeSettings | None = None,
    options: ServiceOptions | None = None,
    clock: Callable[[], float] = time.time,
    sources: Sources | None = None,
) -> web.Application:
    """The app of `lienthong serve` and the demo: HTTP service, probes, push API, reports API,
    and the sources that run inside `serve`."""
    app = create_app(registry, store, probe_settings, options, clock, probes=probes_context)
    add_reports_api(app, registry, store)
    if sources is not None and sources.entries:
        service = app[SERVICE]
        service.sources = sources.statuses
        takeover = service.probe_settings.takeover
        # Read by one instance of those sharing the store: two following one log would
        # race for its position.
        app.cleanup_ctx.append(
            while_leading(store, registry.province.code, "sources", takeover, sources.run)
        )
    return app


async def probes_context(app: web.Application) -> AsyncIterator[None]:
    """The probe engine and its recorder, from start-up to a clean shutdown."""
    service = app[SERVICE]
    settings = service.probe_settings
    options = service.options
    recorder = TransactionRecorder(
        service.store,
        service.registry,
        options.recorder.flush_interval,
        options.recorder.flush_batch,
        service.state.commit_order,
    )
    recorder.listeners.append(service.state.on_written)
    session = client_session(settings)
    targets = probe_targets(
        service.registry,
        settings,
        CredentialStore(service.clock, settings.rewrite),
        service.state.today,
    )
    engine = ProbeEngine(service.registry, targets, recorder, session, settings, service.clock)
    engine.observers.append(
        lambda t, _ts, outcome: service.state.on_probe((t.department, t.system), outcome.seconds)
    )
    service.recorder = recorder
    shard = settings.shard
    role = f"probes {shard}"
    starting: asyncio.Task[None] | None = None

    async def take_over(since: float) -> None:
        # Taking over from another instance: first the slots of the last two bounds
        # that the store lacks (those a dead leader left unprobed or unwritten), once
        # each, then on from `since`.
        try:
            inherited = await inherited_slots(service.store, engine, since, settings.takeover)
        except Exception:  # a bug must not leave a leader that never probes
            log.exception(_("could not list the inherited slots: probing from now on"))
            inherited = {}
        log.info(
            _(
                "leading {role} after another instance: {count} slots of the last"
                " {seconds:g} s had no record and run first"
            ).format(
                role=role,
                count=sum(len(d) for d in inherited.values()),
                seconds=2 * settings.takeover,
            )
        )
        engine.start(since=since, inherited=inherited)

    async def on_change(leading: bool) -> None:
        nonlocal starting
        # The leader of a shard probes it and exports its per-obligation series;
        # a standby does neither, so sums over instances count each once.
        service.state.lead(str(shard), leading, shard.owns)
        service.roles[role] = leading
        if leading:
            service.probes = engine
            took_over = leadership.decided.is_set()
            if not took_over:
                # Starting: /metrics rendered in full before the probes start. Left to
                # the first scrape, 100,000 obligations took seconds of the core that
                # the starting probes needed too.
                await render_metrics(service)
                # And compressed as a gzip scrape will want it (the blocks are the same
                # in both formats): left to the first scrape, 100,000 obligations took a
                # second there, against the starting probes and the exports.
                await asyncio.to_thread(service.gzip.compress, service.exposition.keyed_parts())
            if took_over:
                # Apart from the leadership's loop: its checks of the lock go on meanwhile.
                starting = asyncio.create_task(take_over(service.clock()), name="takeover")
            else:  # leading from the start: from now on
                engine.start()
        else:
            service.probes = None
            await _cancelled(starting)
            await engine.stop()

    writer = asyncio.create_task(recorder.run(), name="recorder")
    leadership = Leadership(
        service.store, service.registry.province.code, role, on_change, settings.takeover
    )
    service.state.lead(str(shard), False, shard.owns)
    service.roles[role] = False
    contender = asyncio.create_task(leadership.run(), name="leadership-probes")
    await leadership.decided.wait()
    if service.ready is not None:
        service.ready.set()
    yield
    # Stopping: the probes stop and their records are written while the lock is still
    # held, so that the next leader finds them stored and does not run their slots again.
    if leadership.leading:
        await _cancelled(starting)
        await engine.stop()
        await recorder.flush()
    await _cancelled(contender)
    writer.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await writer
    await recorder.close()
    await session.close()


async def inherited_slots(
    store: Engine, engine: ProbeEngine, since: float, takeover: float
) -> dict[str, list[float]]:
    """The slots of the `2 × takeover` before `since` whose record the store lacks."""
    slots = slots_between(engine.targets, engine.interval, since - 2 * takeover, since)
    try:
        return await asyncio.to_thread(unstored, store, slots, engine.interval)
    except SQLAlchemyError as e:
        # Run them all rather than lose any: a slot stored already is stored once (its id).
        log.warning(
            _("could not read which inherited slots are stored, running them all: {error}").format(
                error=first_line(e)
            )
        )
        missing: dict[str, list[float]] = {}
        for target, due in slots:
            missing.setdefault(target.key, []).append(due)
        return missing


async def _cancelled(task: asyncio.Task[None] | None) -> None:
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def while_leading(
    store: Engine,
    province: str,
    role: str,
    takeover: float,
    work: Callable[[], Coroutine[Any, Any, None]],
) -> Callable[[Any], AsyncIterator[None]]:
    """An aiohttp cleanup context running `work` only while this instance holds `role`."""

    async def context(app: Any) -> AsyncIterator[None]:
        task: asyncio.Task[None] | None = None
        roles = app[SERVICE].roles if SERVICE in app else {}
        roles[role] = False

        async def on_change(leading: bool) -> None:
            nonlocal task
            roles[role] = leading
            if leading:
                task = asyncio.create_task(work(), name=role)
            elif task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
                task = None

        leadership = Leadership(store, province, role, on_change, takeover)
        contender = asyncio.create_task(leadership.run(), name=f"leadership-{role}")
        yield
        contender.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await contender
        await on_change(False)

    return context
