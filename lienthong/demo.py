"""The demo's wiring: the simulator on a free loopback port, and the service probing it.

Used by `lienthong demo` and by its test. The bundled Bắc Ninh probes call
https://lgsp.bacninh.example; here that prefix is rewritten to the
simulator, whose client credentials are made up for the run and handed to
the probes through the environment variables the registry names.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass

from exporter.app import SERVICE, MetricsOptions, Service, ServiceOptions
from lienthong.server import bound_socket, start_site, url_of
from lienthong.service import create_service
from probes.engine import ProbeSettings, UrlRewrite
from registry import Registry
from simulator.app import GATEWAY, Gateway, simulator_app
from simulator.faults import Fault
from store import open_store, sync_registry

BAC_NINH_GATEWAY = "https://lgsp.bacninh.example"
CLIENT_ID_ENV = "BACNINH_LGSP_CLIENT_ID"
CLIENT_SECRET_ENV = "BACNINH_LGSP_CLIENT_SECRET"
DEMO_DB = "sqlite:///lienthong-demo.db"
DEMO_INTERVAL = 5.0  # seconds between a probe's runs: every obligation shows within 30 s


@dataclass(frozen=True)
class Demo:
    service_url: str
    simulator_url: str
    service: Service
    gateway: Gateway


@asynccontextmanager
async def running_demo(
    registry: Registry,
    listen: tuple[str, int],
    database: str = DEMO_DB,
    interval: float = DEMO_INTERVAL,
    faults: Mapping[str, Fault] | None = None,
) -> AsyncIterator[Demo]:
    """The simulator and the service, running until the block ends (then stopped cleanly)."""
    service_socket = bound_socket(*listen)
    simulator_socket = bound_socket("127.0.0.1", 0)
    client_id, client_secret = "lienthong-demo", secrets.token_urlsafe(24)
    os.environ[CLIENT_ID_ENV] = client_id
    os.environ[CLIENT_SECRET_ENV] = client_secret
    simulator = simulator_app(
        [s.code for s in registry.systems],
        faults,
        client_id=client_id,
        client_secret=client_secret,
    )
    simulator_runner = await start_site(simulator, simulator_socket)
    simulator_url = url_of(simulator_socket)
    store = await asyncio.to_thread(open_store, database)
    try:
        await asyncio.to_thread(sync_registry, store, registry)
        app = create_service(
            registry,
            store,
            ProbeSettings(
                interval=interval,
                rewrites=(UrlRewrite(BAC_NINH_GATEWAY, simulator_url),),
                breaker_cooldown=4 * interval,
                breaker_max_cooldown=12 * interval,
                grace=2.0,
            ),
            ServiceOptions(
                metrics=MetricsOptions(totals_refresh=1.0, calendar_refresh=30.0, status_refresh=5)
            ),
        )
        runner = await start_site(app, service_socket)
        try:
            yield Demo(url_of(service_socket), simulator_url, app[SERVICE], simulator[GATEWAY])
        finally:
            await runner.cleanup()
    finally:
        await simulator_runner.cleanup()
        store.dispose()
