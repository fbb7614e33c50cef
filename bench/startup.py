"""`lienthong serve` start-up with a 100,000-obligation YAML registry, from process start.

What a user runs: `lienthong serve --registry FILE` (SQLite store) in its own
process, pinned to CPU 0, its probes aimed at nginx on CPU 1. Timed from the
process's start until it answers `/healthz`, until its first `/metrics` is
answered in full (as Prometheus asks: OpenMetrics, gzip), and until that page
shows probes started. The registry file is written as an operator would keep
it (23 MB of YAML at 100,000 obligations); its load alone is timed in this
process too.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from bench._goals import judge
from bench._nginx import nginx
from bench._support import (
    PROMETHEUS_ACCEPT,
    free_port,
    process_cpu,
    synthetic_document,
    wait_ready,
)
from registry import load_files

OBLIGATIONS = 100_000
GOAL = 10.0  # seconds
RUNS = 2
STARTED = re.compile(rb"^lienthong_probe_schedule_lag_seconds_count(?:\{[^}]*\})? (\S+)", re.M)


def run(args: argparse.Namespace) -> None:
    n = args.obligations or (2_000 if args.quick else OBLIGATIONS)
    pinned = hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1
    folder = Path(tempfile.mkdtemp(prefix="lienthong-bench-"))
    try:
        with nginx(cpu=1 if pinned else None) as url:
            registry = folder / "registry.yml"
            document = synthetic_document(n, base=url)
            registry.write_text(
                yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8"
            )
            size = registry.stat().st_size / 1e6
            begun = time.perf_counter()
            load_files([registry])
            loaded = time.perf_counter() - begun
            print(f"  {n:,} obligations, {size:.1f} MB of YAML: registry loaded in {loaded:.1f} s")
            print(f"  load before: {os.getloadavg()[0]:.2f} (1 min average, {os.cpu_count()} CPUs)")
            results = [measure(registry, folder / f"run{i}.db", pinned) for i in range(RUNS)]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    for healthy, metrics, probing, cpu in results:
        print(
            f"  serve{' on CPU 0' if pinned else ''}: /healthz after {healthy:.1f} s,"
            f" first /metrics answered after {metrics:.1f} s ({cpu:.1f} s of CPU),"
            f" probing seen after {probing:.1f} s"
        )
    worst = max(max(r[1:3]) for r in results)
    best = min(max(r[1:3]) for r in results)
    verdict = judge(
        "startup",
        f"`serve` answers `/metrics` and probes ≤ {GOAL:g} s after start, {n:,} obligations",
        f"worst {worst:.1f} s, best {best:.1f} s of {len(results)}"
        f" (`/healthz` after {min(r[0] for r in results):.1f} s)",
        worst <= GOAL,
    )
    print(
        f"  started (answering /metrics and probing): best {best:.1f} s, worst {worst:.1f} s"
        f"  (goal ≤ {GOAL:g} s: {verdict})"
    )
    print(f"  load after: {os.getloadavg()[0]:.2f}")


def measure(registry: Path, database: Path, pinned: bool) -> tuple[float, float, float, float]:
    """Seconds from the process's start until /healthz answers, /metrics answers, probes run;
    and the CPU seconds the process used until /metrics answered (the machine is shared)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [
        sys.executable,
        "-m",
        "lienthong",
        "serve",
        "--registry",
        str(registry),
        "--db",
        f"sqlite:///{database}",
        "--listen",
        f"127.0.0.1:{port}",
    ]
    if pinned:
        command = ["taskset", "-c", "0", *command]
    log = database.with_suffix(".log")
    begun = time.perf_counter()
    with log.open("wb") as stderr:
        # In the run's own folder: the exports it writes when it starts land there.
        process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=stderr, cwd=database.parent
        )
    try:
        _until_answered(f"{base}/healthz", process, log)
        healthy = time.perf_counter() - begun
        metrics = probing = cpu = 0.0
        while not probing:
            body = _until_answered(f"{base}/metrics", process, log)
            if not metrics:
                metrics, cpu = time.perf_counter() - begun, process_cpu(process.pid)
            found = STARTED.search(body)
            if found and float(found.group(1)) > 0:
                probing = time.perf_counter() - begun
            else:
                time.sleep(0.1)
        return healthy, metrics, probing, cpu
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _until_answered(url: str, process: subprocess.Popen[bytes], log: Path) -> bytes:
    """The body of the first answer to GET url as Prometheus asks, un-gzipped; serve's own
    last words if it exits first."""
    headers = {"Accept": PROMETHEUS_ACCEPT, "Accept-Encoding": "gzip"}
    try:
        return wait_ready(url, process, timeout=600, headers=headers)
    except RuntimeError as e:
        error = log.read_text(encoding="utf-8", errors="replace")[-2000:]
        raise RuntimeError(f"{e}: {error}") from None
