"""The running service, wired: the exporter's app with the probe engine and its recorder.

The composition root: exporter/ serves what the engine reports (probes.health) and
knows nothing of how an engine is built; this module builds it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable

from aiohttp import web
from sqlalchemy import Engine

from exporter.app import SERVICE, ServiceOptions, create_app
from probes.auth import CredentialStore
from probes.engine import ProbeEngine, ProbeSettings, client_session, probe_targets
from probes.recorder import TransactionRecorder
from registry import Registry


def create_service(
    registry: Registry,
    store: Engine,
    probe_settings: ProbeSettings | None = None,
    options: ServiceOptions | None = None,
    clock: Callable[[], float] = time.time,
) -> web.Application:
    """The app of `lienthong serve` and the demo: HTTP service, probes, push API."""
    return create_app(registry, store, probe_settings, options, clock, probes=probes_context)


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
    service.probes, service.recorder = engine, recorder
    writer = asyncio.create_task(recorder.run(), name="recorder")
    engine.start()
    if service.ready is not None:
        service.ready.set()
    yield
    await engine.stop()
    writer.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await writer
    await recorder.close()
    await session.close()
