"""100,000 obligations on a 60 s interval on one core: start lateness, backlog and memory.

What a user runs (`bench._engine`: the whole service with its recorder
writing every run to SQLite, metrics and push API), pinned to CPU 0, its
/metrics scraped every 15 s as Prometheus does (OpenMetrics, gzip; the scraper
on CPU 1); the target is nginx on 127.0.0.1, pinned to CPU 1. Lateness is how long after its
due time each probe started (after a warm-up); the backlog (runs admitted and
not finished) and the resident memory are sampled every 5 s.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

from bench._goals import judge
from bench._nginx import nginx

OBLIGATIONS = 100_000
GOAL_P99 = 1.0  # seconds
GOAL_RSS = 1024.0  # MB
SCRAPE = 15.0  # seconds between scrapes of /metrics (Prometheus's usual interval)


def run(args: argparse.Namespace) -> None:
    n = args.obligations or (2_000 if args.quick else OBLIGATIONS)
    duration = args.duration
    pinned = hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1
    print(f"  load before: {os.getloadavg()[0]:.2f} (1 min average, {os.cpu_count()} CPUs)")
    with nginx(cpu=1 if pinned else None) as url:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "bench._engine",
                str(n),
                url,
                str(duration),
                "--cpu",
                "0",
                "--scrape",
                str(SCRAPE),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
    if done.returncode != 0:
        raise RuntimeError(f"bench._engine failed: {done.stderr[-2000:]}")
    found = json.loads(done.stdout.splitlines()[-1])
    samples: list[list[float]] = found["samples"]
    half = [s for s in samples if s[0] >= duration / 2]
    rss = max(s[1] for s in samples)
    growth = (half[-1][1] - half[0][1]) / max(1.0, half[-1][0] - half[0][0]) if half else 0.0
    backlog_first = max(int(s[2]) for s in samples if s[0] < duration / 2)
    backlog_last = max(int(s[2]) for s in half) if half else 0
    p50, p99, worst = found["lateness"] or (float("nan"),) * 3
    every = f"{n:,} obligations every 60 s on one core, {duration / 60:g} minutes"
    attempted = found["started"] + found["shed"]
    late = judge(
        "schedule.p99",
        f"{every}: p99 start lateness ≤ {GOAL_P99:g} s",
        f"p99 {p99 * 1000:.0f} ms (p50 {p50 * 1000:.0f} ms),"
        f" {found['shed'] / max(attempted, 1):.0%} of starts shed",
        p99 <= GOAL_P99,
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
        f"  {n:,} obligations, interval 60 s, {duration:.0f} s measured"
        f"{' on CPU 0' if pinned else ''} (started in {found['start_seconds']:.1f} s)"
    )
    print(
        f"  probe runs: {found['started']:,} started, {found['runs']:,} finished"
        f" ({found['successes']:,} ok), {found['shed']:,} starts shed for overload;"
        f" CPU {found['cpu'] / found['wall']:.0%} of one core"
    )
    print(
        f"  start lateness: p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, max {worst * 1000:.0f} ms"
        f"  (goal p99 ≤ {GOAL_P99:g} s: {late})"
    )
    print(
        f"  runs in progress, most seen: first half {backlog_first}, second half {backlog_last}"
        f"  (goal: no growth: {steady})"
    )
    print(
        f"  RSS of the whole service: peak {rss:.0f} MB, {growth:+.2f} MB/s over the second half"
        f"  (goal ≤ {GOAL_RSS:.0f} MB: {small})"
    )
    scrapes = found["scrapes"]
    if scrapes and scrapes["durations"]:
        took = scrapes["durations"]
        print(
            f"  /metrics scraped every {SCRAPE:g} s: {scrapes['scrapes']} scrapes,"
            f" median {took[len(took) // 2]:.2f} s, max {took[-1]:.2f} s,"
            f" {max(scrapes['bytes']) / 1e6:.1f} MB gzipped"
        )
    print(f"  load after: {os.getloadavg()[0]:.2f}")
