"""`lienthong serve` start-up with a 100,000-obligation YAML registry, from process start.

What a user runs: `lienthong serve --registry FILE` (SQLite store) in its own
process, pinned to CPU 0, its probes aimed at nginx on CPU 1. Timed from the
process's start until it answers `/healthz`, until its first `/metrics` is
answered in full (as Prometheus asks: OpenMetrics, gzip), and until that page
shows probes started. The registry file is written as an operator would keep
it (23 MB of YAML at 100,000 obligations); its load alone is timed in this
process too. The baseline, alternated with it over `ROUNDS` rounds: a new interpreter
reading the same file with PyYAML's C loader (libyaml) and nothing else.
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

from bench._goals import ROUNDS, Ratios, alternate, judge_ratio
from bench._nginx import nginx
from bench._profile import top_of_file
from bench._support import (
    PROMETHEUS_ACCEPT,
    free_port,
    process_cpu,
    synthetic_document,
    wait_ready,
)
from registry import load_files

OBLIGATIONS = 100_000
GOAL = 3.0  # serve started over the C YAML parser alone on the same file, at most
STARTED = re.compile(rb"^lienthong_probe_schedule_lag_seconds_count(?:\{[^}]*\})? (\S+)", re.M)


def run(args: argparse.Namespace) -> None:
    n = args.obligations or (2_000 if args.quick else OBLIGATIONS)
    rounds = 1 if args.quick else ROUNDS
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
            runs = iter(range(rounds))

            def serve() -> float:
                healthy, metrics, probing, cpu = measure(
                    registry, folder / f"run{next(runs)}.db", pinned
                )
                print(
                    f"    serve{' on CPU 0' if pinned else ''}: /healthz after {healthy:.1f} s,"
                    f" first /metrics answered after {metrics:.1f} s ({cpu:.1f} s of CPU),"
                    f" probing seen after {probing:.1f} s"
                )
                return max(metrics, probing)

            def parse() -> float:
                seconds = parse_alone(registry, pinned)
                print(f"    the C YAML parser alone, from process start: {seconds:.1f} s")
                return seconds

            pairs = alternate(rounds, serve, parse)
            ratios = Ratios.of([(ours, base) for ours, base in pairs])
            ours = sorted(p[0] for p in pairs)[len(pairs) // 2]
            base = sorted(p[1] for p in pairs)[len(pairs) // 2]
            verdict = judge_ratio(
                "startup",
                f"`serve` answers `/metrics` and probes in ≤ {GOAL:g}× the time the C YAML"
                f" parser alone takes to read the same registry file, {n:,} obligations",
                ratios,
                GOAL,
                info=f"median {ours:.1f} s against {base:.1f} s for the parser alone",
                cause=lambda: _cause(registry, folder / "profile.db", pinned),
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"  started over parsed: {ratios.text()} (goal ≤ {GOAL:g}×: {verdict})")
    print(f"  load after: {os.getloadavg()[0]:.2f}")


def parse_alone(registry: Path, pinned: bool) -> float:
    """Seconds from a new interpreter's start until PyYAML's C loader has read the file:
    the least any Python service reading that registry must spend."""
    command = [
        sys.executable,
        "-c",
        "import sys, yaml\n"
        "with open(sys.argv[1], 'rb') as f: yaml.load(f, Loader=yaml.CSafeLoader)",
        str(registry),
    ]
    if pinned:
        command = ["taskset", "-c", "0", *command]
    begun = time.perf_counter()
    subprocess.run(command, check=True)
    return time.perf_counter() - begun


def _cause(registry: Path, database: Path, pinned: bool) -> str:
    """One more start of `serve` under cProfile: where its start-up went."""
    profile = database.with_suffix(".prof")
    measure(registry, database, pinned, profile)
    return top_of_file(profile)


def measure(
    registry: Path, database: Path, pinned: bool, profile: Path | None = None
) -> tuple[float, float, float, float]:
    """Seconds from the process's start until /healthz answers, /metrics answers, probes run;
    and the CPU seconds the process used until /metrics answered (the machine is shared)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    profiling = ["-m", "cProfile", "-o", str(profile)] if profile else []
    command = [
        sys.executable,
        *profiling,
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
