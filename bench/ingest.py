"""`lienthong ingest` throughput (records/s, one core) and memory on a large file.

Targets (issue 2): ≥ 100,000 records/s into SQLite and ≥ 50,000 records/s into
PostgreSQL from a JSONL file; constant memory whatever the file's size.
"""

from __future__ import annotations

import argparse
import gc
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench._data import registry_file, transactions_file
from bench._goals import judge
from bench._stores import LABELS, stores
from bench._support import peak_rss_mb
from intake import ingest_file
from store import open_store

GOALS = {"sqlite": 100_000, "postgresql": 50_000}  # records/s, at least
FLAT = 1.25  # the larger file's peak RSS over the smaller's, at most: memory does not grow


def run(args: argparse.Namespace) -> None:
    records = 100_000 if args.quick else 1_000_000
    with tempfile.TemporaryDirectory(prefix="lienthong-bench-") as tmp:
        folder = Path(tmp)
        # A province's size (the bundled registry has 18 obligations), and 1,000
        # obligations interleaved: the idempotency index is then written all over.
        for obligations in (18, 1000):
            case = folder / f"o{obligations}"
            case.mkdir()
            registry = registry_file(case, obligations)
            data = transactions_file(
                case / "tx.jsonl", records, obligations, datetime(2026, 10, 1, tzinfo=UTC)
            )
            size = data.stat().st_size / 1e6
            print(f"file: {records:,} records, {size:.0f} MB, {obligations:,} obligations")
            with stores(case) as urls:
                for name, url in urls:
                    if args.store not in (None, name):
                        continue
                    engine = open_store(url)
                    gc.collect()
                    gc.freeze()
                    # The store before (the SQLite file just written) goes to disk now, not
                    # while this one is timed.
                    os.sync()
                    started = time.perf_counter()
                    result = ingest_file(engine, registry, data, "jsonl")
                    seconds = time.perf_counter() - started
                    engine.dispose()
                    assert result.ok and result.written.accepted == records, result
                    rate, goal = records / seconds, GOALS[name]
                    verdict = judge(
                        f"ingest.{name}.{obligations}",
                        f"`ingest` ≥ {goal:,} records/s into {LABELS[name]},"
                        f" {obligations:,} obligations interleaved",
                        f"{rate:,.0f} records/s ({records / 1e6:g} M records in {seconds:.1f} s)",
                        rate >= goal,
                    )
                    print(
                        f"  ingest into {name}: {rate:,.0f} records/s ({seconds:.1f} s)"
                        f"  (goal ≥ {goal:,}: {verdict})"
                    )
        _memory(folder / "o1000", args.quick)


def _peak_rss_mb(child: subprocess.Popen[bytes]) -> float:
    """The child's peak RSS (VmHWM) until it exits, read every 50 ms. Not wait4's
    ru_maxrss: it keeps the high-water mark of the process forked from this one before
    its exec, the benchmark's own memory (1.5 GB after `bench report`)."""
    peak = 0.0
    while child.poll() is None:
        try:
            peak = max(peak, peak_rss_mb(child.pid))
        except OSError:  # it has just exited
            break
        time.sleep(0.05)
    child.wait()
    return peak


def _memory(folder: Path, quick: bool) -> None:
    """Peak RSS of the real command on two files, the second eight times larger: flat memory
    means the same peak (up to ~1.2 GB; quick: ~15 and ~120 MB)."""
    (folder / "registry").mkdir()
    (folder / "registry.yml").rename(folder / "registry" / "registry.yml")
    peaks: list[tuple[int, float]] = []
    for records in (50_000, 400_000) if quick else (1_000_000, 8_000_000):
        data = transactions_file(
            folder / f"big-{records}.jsonl", records, 1000, datetime(2026, 9, 1, tzinfo=UTC)
        )
        started = time.perf_counter()
        child = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "lienthong",
                "ingest",
                str(data),
                "--db",
                f"sqlite:///{folder / f'mem-{records}.db'}",
                "--registry",
                str(folder / "registry"),
            ],
            stdout=subprocess.DEVNULL,
        )
        peak = _peak_rss_mb(child)
        seconds = time.perf_counter() - started
        assert child.returncode == 0
        print(
            f"  `lienthong ingest` of a {data.stat().st_size / 1e9:.2f} GB file ({records:,} records):"
            f" peak RSS {peak:.0f} MB, {records / seconds:,.0f} records/s"
        )
        data.unlink()
        peaks.append((records, peak))
    (small, low), (large, high) = peaks
    verdict = judge(
        "ingest.memory",
        "`lienthong ingest`'s memory does not grow with the file",
        f"peak RSS {high:.0f} MB for {large / 1e6:g} M records, {low:.0f} MB for {small / 1e6:g} M",
        high <= FLAT * low,
    )
    print(
        f"  peak RSS {high / low:.2f}× for a file {large // small}× larger (goal ≤ {FLAT}×: {verdict})"
    )
