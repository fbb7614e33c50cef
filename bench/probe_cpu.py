"""CPU-seconds per 1,000 successful HTTP probes: lienthong's engine and blackbox_exporter, side by side.

Both probe the same simulator endpoint on loopback (the simulator runs in its
own process, and its CPU is counted for neither). lienthong's figure is this
process's CPU for the probe runs (keep-alive connections, body check); a
second figure adds validating and writing each run to SQLite through the
recorder. blackbox_exporter's figure is its process's CPU while it serves
`/probe` requests for the same URL with an equivalent module.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import aiohttp

from bench._support import free_port, process_cpu, simulator_process, synthetic_registry, wait_ready
from probes.auth import NO_CREDENTIALS
from probes.engine import ProbeSettings, client_session
from probes.http import ProbeTarget, run_probe
from probes.recorder import TransactionRecorder
from store import open_store

CONCURRENCY = 4  # the default per-system limit
BLACKBOX_CONFIG = """modules:
  lgsp:
    prober: http
    timeout: 10s
    http:
      valid_status_codes: [200]
      fail_if_body_not_matches_regexp: ['"error_code": 0']
"""


async def _lienthong(url: str, probes: int, record: bool) -> tuple[float, int]:
    registry = synthetic_registry(1, systems=1, base=url)
    obligation = registry.obligations[0]
    assert obligation.probe is not None
    target = ProbeTarget(
        obligation.department,
        obligation.system,
        obligation.probe,
        str(obligation.probe.url),
        NO_CREDENTIALS,
    )
    folder = tempfile.mkdtemp(prefix="lienthong-bench-")
    store = open_store(f"sqlite:///{folder}/bench.db")
    recorder = TransactionRecorder(store, registry)
    writer = asyncio.create_task(recorder.run()) if record else None
    successes = 0
    async with client_session(ProbeSettings()) as session:
        await run_probe(session, target)  # warm: connection and imports
        queue = list(range(probes))
        started = time.process_time()

        async def worker() -> None:
            nonlocal successes
            while queue:
                queue.pop()
                begun = time.time()
                outcome = await run_probe(session, target)
                successes += outcome.success
                if record:
                    from datetime import UTC, datetime

                    recorder.record(
                        target.department,
                        target.system,
                        datetime.fromtimestamp(begun, UTC),
                        outcome.success,
                        outcome.seconds * 1000,
                        outcome.detail,
                    )

        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        if writer is not None:
            await recorder.close()
            writer.cancel()
        cpu = time.process_time() - started
    store.dispose()
    shutil.rmtree(folder, ignore_errors=True)
    return cpu, successes


async def _blackbox(url: str, probes: int) -> tuple[float, int] | None:
    binary = shutil.which("prometheus-blackbox-exporter") or shutil.which("blackbox_exporter")
    if binary is None:
        print(
            "  blackbox_exporter: not installed (make bench installs prometheus-blackbox-exporter)"
        )
        return None
    folder = Path(tempfile.mkdtemp(prefix="lienthong-blackbox-"))
    (folder / "blackbox.yml").write_text(BLACKBOX_CONFIG)
    port = free_port()
    process = subprocess.Popen(
        [
            binary,
            f"--config.file={folder / 'blackbox.yml'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    successes = 0
    try:
        base = f"http://127.0.0.1:{port}"
        await asyncio.to_thread(wait_ready, base + "/metrics", process)
        target = f"{url}/api/he-thong-0/traCuu?id=0"
        params = {"module": "lgsp", "target": target}
        async with aiohttp.ClientSession() as client:
            async with client.get(base + "/probe", params=params) as answer:
                await answer.read()
            queue = list(range(probes))
            started = process_cpu(process.pid)

            async def worker() -> None:
                nonlocal successes
                while queue:
                    queue.pop()
                    async with client.get(base + "/probe", params=params) as answer:
                        successes += "probe_success 1" in await answer.text()

            await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
            cpu = process_cpu(process.pid) - started
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)
    return cpu, successes


async def main(args: argparse.Namespace) -> None:
    probes = args.probes
    with simulator_process(systems=1, cpu=None) as url:
        for label, record in (("lienthong probes", False), ("lienthong probes + store", True)):
            cpu, ok = await _lienthong(url, probes, record)
            print(
                f"  {label:28} {cpu / probes * 1000:6.2f} CPU-s per 1,000 probes ({ok}/{probes} successes)"
            )
        found = await _blackbox(url, probes)
        if found is not None:
            cpu, ok = found
            print(
                f"  {'blackbox_exporter':28} {cpu / probes * 1000:6.2f} CPU-s per 1,000 probes ({ok}/{probes} successes)"
            )
    print(f"  ({os.cpu_count()} CPUs; {CONCURRENCY} probes in flight; simulator CPU not counted)")


def run(args: argparse.Namespace) -> None:
    asyncio.run(main(args))
