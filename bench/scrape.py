"""`/metrics` for 20,000 obligations: time per scrape over HTTP, cold and with a quarter changed.

A SQLite store seeded with transactions for every pair; the service runs
without probes; between scrapes a quarter of the obligations get a probe
duration (what a 60 s probe interval does between 15 s scrapes).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta

import aiohttp

from bench._support import synthetic_registry
from exporter.app import SERVICE, ServiceOptions, create_app
from lienthong.server import bound_socket, start_site, url_of
from store import open_store, write_transactions
from store.records import Transaction

SCRAPES = 10


async def main(args: argparse.Namespace) -> None:
    n = args.obligations or 20_000
    registry = synthetic_registry(n)
    folder = tempfile.mkdtemp(prefix="lienthong-bench-")
    store = open_store(f"sqlite:///{folder}/bench.db")
    now = datetime.now(UTC) - timedelta(minutes=5)
    write_transactions(
        store,
        registry.timezone,
        [
            Transaction(o.department, o.system, now, success, "probe")
            for o in registry.obligations
            for success in (True, False)
        ],
    )
    app = create_app(
        registry, store, options=ServiceOptions(probes_enabled=False, totals_refresh=3600)
    )
    sock = bound_socket("127.0.0.1", 0)
    runner = await start_site(app, sock)
    state = app[SERVICE].state
    rng = random.Random(1)
    times: list[float] = []
    external: list[float] = []
    size = 0
    try:
        async with aiohttp.ClientSession() as client:
            for i in range(SCRAPES + 1):
                if i:
                    for o in rng.sample(registry.obligations, n // 4):
                        state.on_probe(o.key, rng.random())
                begun = time.perf_counter()
                async with client.get(url_of(sock) + "/metrics") as answer:
                    body = await answer.read()
                times.append(time.perf_counter() - begun)
                size = len(body)
        # As Prometheus sees it: the client in another process (curl).
        for _ in range(SCRAPES):
            for o in rng.sample(registry.obligations, n // 4):
                state.on_probe(o.key, rng.random())
            curl = await asyncio.create_subprocess_exec(
                "curl",
                "-s",
                "-o",
                "/dev/null",
                "-w",
                "%{time_total}",
                url_of(sock) + "/metrics",
                stdout=asyncio.subprocess.PIPE,
            )
            out, _ = await curl.communicate()
            external.append(float(out))
    finally:
        await runner.cleanup()
        store.dispose()
        shutil.rmtree(folder, ignore_errors=True)
    lines = body.count(b"\n")
    warm = times[1:]
    print(f"  {n:,} obligations: {lines:,} lines, {size / 1e6:.1f} MB per scrape")
    print(
        f"  first scrape {times[0] * 1000:.0f} ms; then, with a quarter changed each time:"
        f" median {statistics.median(warm) * 1000:.0f} ms, max {max(warm) * 1000:.0f} ms"
        " (client in the same process)"
    )
    print(
        f"  scraped by curl from another process, a quarter changed each time:"
        f" median {statistics.median(external) * 1000:.0f} ms, max {max(external) * 1000:.0f} ms"
    )


def run(args: argparse.Namespace) -> None:
    asyncio.run(main(args))
