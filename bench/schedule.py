"""20,000 obligations on a 60 s interval on one core: start lateness and resident memory.

The engine (with its recorder writing every run to SQLite) is pinned to CPU 0,
the simulator to CPU 1. Lateness is how long after its due time each probe
actually started; the first `warmup` seconds are left out.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import tempfile
import time

from bench._support import peak_rss_mb, simulator_process, synthetic_registry
from probes.auth import CredentialStore
from probes.engine import ProbeEngine, ProbeSettings, client_session, probe_targets
from probes.recorder import TransactionRecorder
from store import open_store

WARMUP = 5.0


async def main(args: argparse.Namespace) -> None:
    n, duration = args.obligations, args.duration
    pinned = hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1
    with simulator_process(systems=50, cpu=1 if pinned else None) as url:
        if pinned:
            os.sched_setaffinity(0, {0})
        registry = synthetic_registry(n, systems=50, base=url)
        folder = tempfile.mkdtemp(prefix="lienthong-bench-")
        store = open_store(f"sqlite:///{folder}/bench.db")
        recorder = TransactionRecorder(store, registry)
        settings = ProbeSettings()
        session = client_session(settings)
        targets = probe_targets(registry, settings, CredentialStore(time.time, settings.rewrite))
        engine = ProbeEngine(registry, targets, recorder, session, settings)
        lateness: list[float] = []
        started = time.time()
        original = engine.lag.observe

        def observe(seconds: float) -> None:
            original(seconds)
            if time.time() - started > WARMUP:
                lateness.append(seconds)

        engine.lag.observe = observe  # type: ignore[method-assign]
        cpu0 = time.process_time()
        writer = asyncio.create_task(recorder.run())
        engine.start()
        await asyncio.sleep(duration)
        await engine.stop()
        await recorder.close()
        writer.cancel()
        await session.close()
        cpu = time.process_time() - cpu0
        store.dispose()
        shutil.rmtree(folder, ignore_errors=True)
    lateness.sort()

    def p(q: float) -> float:
        return (
            lateness[min(len(lateness) - 1, int(q * len(lateness)))] if lateness else float("nan")
        )

    print(
        f"  {n:,} obligations, interval 60 s, {duration:.0f} s run{' on CPU 0' if pinned else ''}"
    )
    print(f"  probe runs: {len(lateness):,} measured, {recorder.written:,} written to SQLite")
    print(
        f"  start lateness: p50 {p(0.5) * 1000:.1f} ms, p99 {p(0.99) * 1000:.1f} ms, max {p(1.0) * 1000:.1f} ms"
    )
    print(f"  peak RSS {peak_rss_mb():.0f} MB; CPU {cpu / duration:.0%} of one core")


def run(args: argparse.Namespace) -> None:
    asyncio.run(main(args))
