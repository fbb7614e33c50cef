"""`python -m bench._engine N URL SECONDS [--new-connections] [--scrape S]`: the service as `serve` runs it.

The whole service (probe engine, recorder writing SQLite, metrics, push API)
over a synthetic registry of N obligations probing URL every 60 s, pinned to
CPU 0. It prints one line `ready` once started, then after a warm-up one JSON
line with what it measured over SECONDS: its CPU (every thread), the probe
runs that finished, their start lateness, the backlog and resident memory
sampled every few seconds, and the starts it shed. With `--scrape S`, a scraper on
the other CPU GETs /metrics every S seconds as Prometheus does (bench._scraper).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from typing import cast

from bench._support import rss_mb, synthetic_registry
from exporter.app import SERVICE, ServiceOptions
from lienthong.cli_serve import settle_heap
from lienthong.server import bound_socket, start_site, url_of
from lienthong.service import create_service
from probes.engine import SKIP_OVERLOAD, ProbeEngine, ProbeSettings
from store import open_store
from store.group_commit import GroupCommit
from store.records import Transaction
from store.writer import WriteResult

WARMUP = 5.0
SAMPLE = 5.0  # seconds between samples of the backlog and the memory


async def measure(
    n: int,
    url: str,
    seconds: float,
    keep_alive: bool,
    scrape: float = 0.0,
    core: int = 0,
    profile: str | None = None,
    no_store: bool = False,
) -> dict[str, object]:
    begun = time.monotonic()
    registry = synthetic_registry(n, systems=50, base=url)
    folder = tempfile.mkdtemp(prefix="lienthong-bench-")
    store = open_store(f"sqlite:///{folder}/bench.db")
    app = create_service(registry, store, ProbeSettings(keep_alive=keep_alive), ServiceOptions())
    if no_store:
        _without_store_writes(app)
    sock = bound_socket("127.0.0.1", 0)
    runner = await start_site(app, sock)
    settle_heap()  # as `serve` does after start-up
    engine = cast(ProbeEngine, app[SERVICE].probes)
    started_in = time.monotonic() - begun
    print("ready", flush=True)
    scraper = None
    if scrape:
        # Prometheus's part, on the other core: its CPU is not the service's. Its first
        # scrape renders every obligation once: before the warm-up, not in the window.
        other = [] if os.cpu_count() == 1 else ["taskset", "-c", str(1 - core)]
        scraper = subprocess.Popen(
            [*other, sys.executable, "-m", "bench._scraper", url_of(sock), str(scrape)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert scraper.stdout is not None
        await asyncio.to_thread(scraper.stdout.readline)
    await asyncio.sleep(WARMUP)
    lateness: list[float] = []
    finished = [0, 0]  # runs, successes
    original = engine.lag.observe

    def observe(late: float) -> None:
        original(late)
        lateness.append(late)

    def count(_target: object, _ts: object, outcome: object) -> None:
        finished[0] += 1
        finished[1] += bool(getattr(outcome, "success", False))

    engine.lag.observe = observe  # type: ignore[method-assign,assignment]
    engine.observers.append(count)
    shed0 = engine.skipped[SKIP_OVERLOAD]
    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    cpu0, wall0 = time.process_time(), time.monotonic()
    samples: list[tuple[float, float, int]] = []  # (seconds in, RSS MB, runs waiting or running)
    while (elapsed := time.monotonic() - wall0) < seconds:
        samples.append((elapsed, rss_mb(), len(engine._running)))
        await asyncio.sleep(min(SAMPLE, seconds - elapsed))
    cpu, wall = time.process_time() - cpu0, time.monotonic() - wall0
    if profiler and profile:
        profiler.disable()
        profiler.dump_stats(profile)
    samples.append((wall, rss_mb(), len(engine._running)))
    shed = engine.skipped[SKIP_OVERLOAD] - shed0
    scrapes = None
    if scraper is not None:
        scraper.terminate()
        out, _ = await asyncio.to_thread(scraper.communicate)
        scrapes = json.loads(out.splitlines()[-1])
    await runner.cleanup()
    store.dispose()
    shutil.rmtree(folder, ignore_errors=True)
    lateness.sort()
    return {
        "cpu": cpu,
        "wall": wall,
        "runs": finished[0],
        "successes": finished[1],
        "started": len(lateness),
        "lateness": [lateness[int(q * (len(lateness) - 1))] for q in (0.5, 0.99, 1.0)]
        if lateness
        else None,
        "samples": samples,
        "shed": shed,
        "start_seconds": started_in,
        "scrapes": scrapes,
    }


def _without_store_writes(_app: object) -> None:
    """The schedule's baseline: every batch the recorder submits is answered as stored,
    with what it would have added, and nothing is written (what the store costs)."""

    async def submit(self: GroupCommit, batch: Sequence[Transaction]) -> WriteResult:
        added: dict[tuple[str, str, str, bool], int] = {}
        for t in batch:
            key = (t.department, t.system, t.source, t.success)
            added[key] = added.get(key, 0) + 1
        return WriteResult(accepted=len(batch), added=added)

    GroupCommit.submit = submit  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("obligations", type=int)
    parser.add_argument("url")
    parser.add_argument("seconds", type=float)
    parser.add_argument("--new-connections", action="store_true")
    parser.add_argument("--cpu", type=int, default=0)
    parser.add_argument(
        "--scrape", type=float, default=0.0, help="GET /metrics every so many seconds"
    )
    parser.add_argument("--profile", metavar="FILE", help="cProfile the window into FILE")
    parser.add_argument(
        "--no-store", action="store_true", help="store writes answered, never made (a baseline)"
    )
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.cpu})
    result = asyncio.run(
        measure(
            args.obligations,
            args.url,
            args.seconds,
            not args.new_connections,
            args.scrape,
            args.cpu,
            args.profile,
            args.no_store,
        )
    )
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
