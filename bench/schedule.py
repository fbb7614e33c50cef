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
        f"  (goal p99 ≤ {GOAL_P99:g} s: {'met' if p99 <= GOAL_P99 else 'MISSED'})"
    )
    print(
        f"  runs in progress, most seen: first half {backlog_first}, second half {backlog_last}"
        # Growth, not noise: the second half's peak more than a tenth over the first's.
        f"  (goal: no growth: {'met' if backlog_last <= max(1.1 * backlog_first, 256) else 'MISSED'})"
    )
    print(
        f"  RSS of the whole service: peak {rss:.0f} MB, {growth:+.2f} MB/s over the second half"
        f"  (goal ≤ {GOAL_RSS:.0f} MB: {'met' if rss <= GOAL_RSS else 'MISSED'})"
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
