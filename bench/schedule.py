"""100,000 obligations on a 60 s interval on one core: start lateness, backlog and memory.

What a user runs (`bench._engine`: the whole service with its recorder
writing every run to SQLite, metrics and push API), pinned to CPU 0, its
/metrics scraped every 15 s as Prometheus does (OpenMetrics, gzip; the scraper
on CPU 1); the target is nginx on 127.0.0.1, pinned to CPU 1. Lateness is how long after its
due time each probe started (after a warm-up); the backlog (runs admitted and
not finished) and the resident memory are sampled every 5 s. The baseline, alternated with
it over `ROUNDS` rounds: the same service with the store's writes answered and never made
(`bench._engine --no-store`), so the ratio is what the store costs the schedule.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench._goals import ROUNDS, Ratios, alternate, judge, judge_ratio
from bench._nginx import nginx
from bench._profile import top_of_file

OBLIGATIONS = 100_000
GOAL_P99 = 1.0  # seconds
GOAL_RATIO = 1.5  # p99 lateness over the same run's with the store writes a no-op, at most
GOAL_RSS = 1024.0  # MB
SCRAPE = 15.0  # seconds between scrapes of /metrics (Prometheus's usual interval)


def engine_run(n: int, url: str, duration: float, no_store: bool) -> dict[str, Any]:
    """`bench._engine` for `duration` s; with `no_store`, store writes answered, not made."""
    command = [sys.executable, "-m", "bench._engine", str(n), url, str(duration)]
    command += ["--cpu", "0", "--scrape", str(SCRAPE)]
    if no_store:
        command.append("--no-store")
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"bench._engine failed: {done.stderr[-2000:]}")
    found: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return found


def run(args: argparse.Namespace) -> None:
    n = args.obligations or (2_000 if args.quick else OBLIGATIONS)
    duration = args.duration
    rounds = 1 if args.quick else ROUNDS
    pinned = hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1
    print(f"  load before: {os.getloadavg()[0]:.2f} (1 min average, {os.cpu_count()} CPUs)")
    runs: list[dict[str, Any]] = []
    with nginx(cpu=1 if pinned else None) as url:

        def stored() -> float:
            found = engine_run(n, url, duration, no_store=False)
            runs.append(found)
            p50, p99, _ = found["lateness"] or (float("nan"),) * 3
            print(
                f"    with the store: p99 {p99 * 1000:.0f} ms (p50 {p50 * 1000:.0f} ms), {found['shed']:,} shed"
            )
            return float(p99)

        def bare() -> float:
            found = engine_run(n, url, duration, no_store=True)
            p50, p99, _ = found["lateness"] or (float("nan"),) * 3
            print(
                f"    store writes a no-op: p99 {p99 * 1000:.0f} ms (p50 {p50 * 1000:.0f} ms), {found['shed']:,} shed"
            )
            return float(p99)

        pairs = alternate(rounds, stored, bare)
    ratios = Ratios.of(pairs)
    p99 = sorted(p[0] for p in pairs)[len(pairs) // 2]
    base = sorted(p[1] for p in pairs)[len(pairs) // 2]
    found = runs[0]
    samples: list[list[float]] = found["samples"]
    half = [s for s in samples if s[0] >= duration / 2]
    rss = max(s[1] for s in samples)
    growth = (half[-1][1] - half[0][1]) / max(1.0, half[-1][0] - half[0][0]) if half else 0.0
    backlog_first = max(int(s[2]) for s in samples if s[0] < duration / 2)
    backlog_last = max(int(s[2]) for s in half) if half else 0
    every = f"{n:,} obligations every 60 s on one core, {duration / 60:g} minutes a run"
    attempted = found["started"] + found["shed"]
    late = judge_ratio(
        "schedule.p99",
        f"{every}: p99 start lateness ≤ {GOAL_P99:g} s and ≤ {GOAL_RATIO}× the same run's"
        " with the store writes a no-op (what the store costs the schedule)",
        ratios,
        GOAL_RATIO,
        info=f"median p99 {p99 * 1000:.0f} ms against {base * 1000:.0f} ms without store writes;"
        f" {found['shed'] / max(attempted, 1):.0%} of starts shed in the first run",
        cause=lambda: _cause(n, duration, pinned),
        bound=p99 <= GOAL_P99,
    )
    # Growth, not noise: the second half's peak more than a tenth over the first's.
    steady = judge(
        "schedule.growth",
        f"{every}: no backlog growth",
        f"runs in progress at most {backlog_first:,} in the first half, {backlog_last:,} in the second",
        backlog_last <= max(1.1 * backlog_first, 256),
    )
    small = judge(
        "schedule.rss",
        f"{every}: RSS of the whole `serve` ≤ {GOAL_RSS / 1024:g} GB",
        f"peak {rss:.0f} MB, {growth:+.2f} MB/s over the second half",
        rss <= GOAL_RSS,
    )
    print(
        f"  {n:,} obligations, interval 60 s, {duration:.0f} s measured a run"
        f"{' on CPU 0' if pinned else ''} (started in {found['start_seconds']:.1f} s)"
    )
    print(
        f"  probe runs (first run): {found['started']:,} started, {found['runs']:,} finished"
        f" ({found['successes']:,} ok), {found['shed']:,} starts shed for overload;"
        f" CPU {found['cpu'] / found['wall']:.0%} of one core"
    )
    print(
        f"  p99 start lateness over the no-op store's: {ratios.text()}, median p99 {p99 * 1000:.0f} ms"
        f"  (goal ≤ {GOAL_P99:g} s and ≤ {GOAL_RATIO}×: {late})"
    )
    print(
        f"  runs in progress, most seen: first half {backlog_first}, second half {backlog_last}"
        f"  (goal: no growth: {steady})"
    )
    print(
        f"  RSS of the whole service: peak {rss:.0f} MB, {growth:+.2f} MB/s over the second half"
        f"  (goal ≤ {GOAL_RSS:.0f} MB: {small})"
    )
    print(f"  load after: {os.getloadavg()[0]:.2f}")


def _cause(n: int, duration: float, pinned: bool) -> str:
    """One more run with the store, its main thread profiled."""
    with tempfile.TemporaryDirectory(prefix="lienthong-profile-") as folder:
        path = Path(folder) / "engine.prof"
        with nginx(cpu=1 if pinned else None) as url:
            command = [sys.executable, "-m", "bench._engine", str(n), url, str(min(duration, 120))]
            command += ["--cpu", "0", "--scrape", str(SCRAPE), "--profile", str(path)]
            subprocess.run(command, capture_output=True, check=True)
        return top_of_file(path)
