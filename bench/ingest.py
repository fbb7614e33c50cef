"""`lienthong ingest` throughput (records/s, one core) and memory on a large file.

Targets (issue 2): ≥ 100,000 records/s into SQLite and ≥ 50,000 records/s into
PostgreSQL from a JSONL file; constant memory whatever the file's size.
"""

from __future__ import annotations

import argparse
import gc
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench._data import registry_file, transactions_file
from bench._stores import stores
from intake import ingest_file
from store import open_store


def run(args: argparse.Namespace) -> None:
    records = 100_000 if args.quick else 1_000_000
    with tempfile.TemporaryDirectory(prefix="lienthong-bench-") as tmp:
        folder = Path(tmp)
        registry = registry_file(folder, 1000)
        data = transactions_file(
            folder / "tx.jsonl", records, 1000, datetime(2026, 10, 1, tzinfo=UTC)
        )
        size = data.stat().st_size / 1e6
        print(f"file: {records:,} records, {size:.0f} MB, 1,000 obligations")
        with stores(folder) as urls:
            for name, url in urls:
                engine = open_store(url)
                gc.collect()
                gc.freeze()
                started = time.perf_counter()
                result = ingest_file(engine, registry, data, "jsonl")
                seconds = time.perf_counter() - started
                engine.dispose()
                assert result.ok and result.written.accepted == records, result
                print(f"ingest into {name}: {records / seconds:,.0f} records/s ({seconds:.1f} s)")
        _memory(folder, args.quick)


def _memory(folder: Path, quick: bool) -> None:
    """Peak RSS of the real command on a file of ~1 GB (quick: ~50 MB)."""
    records = 400_000 if quick else 8_000_000
    data = transactions_file(folder / "big.jsonl", records, 1000, datetime(2026, 9, 1, tzinfo=UTC))
    (folder / "registry").mkdir()
    (folder / "registry.yml").rename(folder / "registry" / "registry.yml")
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "lienthong",
            "ingest",
            str(data),
            "--db",
            f"sqlite:///{folder / 'mem.db'}",
            "--registry",
            str(folder / "registry"),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(
        f"`lienthong ingest` of a {data.stat().st_size / 1e9:.2f} GB file ({records:,} records):"
        f" peak RSS {max(peak, before) / 1024:.0f} MB, {records / seconds:,.0f} records/s"
    )
