"""`lienthong ingest` throughput (records/s, one core) and memory on a large file.

The goal is a ratio measured in the same run: `ingest` of a JSONL file into SQLite
against the `sqlite3` shell's `.import` of the same records, as CSV, into a table with the
store's own `transactions` DDL and indexes (no validation, no rollups, no idempotency
check: the floor of any import into that table), alternated over `ROUNDS` rounds.
PostgreSQL's figure is information. Memory: constant whatever the file's size.
"""

from __future__ import annotations

import argparse
import csv
import gc
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench._data import registry_file, transactions_file
from bench._goals import ROUNDS, Ratios, alternate, judge, judge_ratio
from bench._profile import profiled
from bench._stores import LABELS, stores
from bench._support import peak_rss_mb
from intake import ingest_file
from registry import Registry
from store import open_store

GOAL = 0.5  # lienthong's records/s over sqlite3's .import of the same records, at least
FLAT = 1.25  # the larger file's peak RSS over the smaller's, at most: memory does not grow


def _fresh(name: str, url: str, folder: Path, i: int) -> str:
    """An empty, migrated store of the same kind for round `i`."""
    if name == "sqlite":
        return f"sqlite:///{folder / f'round{i}.db'}"
    engine = open_store(url)
    with engine.begin() as conn:  # PostgreSQL: the same database, emptied
        conn.exec_driver_sql("TRUNCATE transactions, daily_counts, pair_totals")
    engine.dispose()
    return url


def as_csv(folder: Path, data: Path) -> Path:
    """The records of `data` as rows of the store's own `transactions` table (CSV)."""
    columns = [str(c[1]) for c in _schema(folder)[1]]
    path = folder / "tx.csv"
    received = int(time.time() * 1e6)
    with data.open(encoding="utf-8") as lines, path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        for n, line in enumerate(lines, 1):
            r = json.loads(line)
            ts = datetime.fromisoformat(r["ts"])
            row = {
                "id": n,
                "department": r["department"],
                "system": r["system"],
                "ts_us": int(ts.timestamp() * 1_000_000),
                "success": int(r["outcome"] == "success"),
                "latency_ms": r.get("latency_ms", ""),
                "record_id": r.get("id", ""),
                "source": "import",
                "received_us": received,
            }
            writer.writerow([row.get(c, "") for c in columns])
    return path


def _schema(folder: Path) -> tuple[list[str], list[tuple[object, ...]]]:
    """The DDL of a migrated store's `transactions` table and indexes, and its columns."""
    path = folder / "schema.db"
    if not path.exists():
        open_store(f"sqlite:///{path}").dispose()
    with sqlite3.connect(path) as conn:
        ddl = [
            sql
            for (sql,) in conn.execute(
                "SELECT sql FROM sqlite_master WHERE tbl_name = 'transactions' AND sql IS NOT NULL"
                " ORDER BY type DESC"  # the table, then its indexes
            )
        ]
        columns = list(conn.execute("PRAGMA table_info(transactions)"))
    return ddl, columns


def sqlite_import(folder: Path, csv_file: Path) -> float:
    """Seconds for the `sqlite3` shell to create the table and `.import` the CSV into it."""
    ddl, _ = _schema(folder)
    database = folder / "peer.db"
    database.unlink(missing_ok=True)
    script = ";\n".join(ddl) + f";\n.import --csv {csv_file} transactions\n"
    os.sync()
    started = time.perf_counter()
    subprocess.run(["sqlite3", str(database)], input=script, text=True, check=True)
    return time.perf_counter() - started


def _cause(folder: Path, registry: Registry, data: Path) -> str:
    """One more ingest into a new SQLite store, profiled."""
    engine = open_store(f"sqlite:///{folder / 'profile.db'}")
    try:
        return profiled(lambda: ingest_file(engine, registry, data, "jsonl"))[1]
    finally:
        engine.dispose()


def run(args: argparse.Namespace) -> None:
    records = 100_000 if args.quick else 1_000_000
    rounds = 1 if args.quick else ROUNDS
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
                    if args.store in (None, name):
                        _store(name, url, case, registry, data, records, obligations, rounds)
        _memory(folder / "o1000", args.quick)


def _store(
    name: str,
    url: str,
    case: Path,
    registry: Registry,
    data: Path,
    records: int,
    obligations: int,
    rounds: int,
) -> None:
    """`ingest` into one store, beside its peer where it has one."""
    runs = iter(range(rounds))

    def lienthong() -> float:
        # A new, empty store each round: the first round's records would
        # make every later one a run of duplicates.
        i = next(runs)
        target = url if i == 0 else _fresh(name, url, case, i)
        engine = open_store(target)
        gc.collect()
        gc.freeze()
        os.sync()  # the store before goes to disk now, not while timed
        started = time.perf_counter()
        result = ingest_file(engine, registry, data, "jsonl")
        seconds = time.perf_counter() - started
        engine.dispose()
        assert result.ok and result.written.accepted == records, result
        print(f"    lienthong ingest into {name}: {records / seconds:,.0f} records/s")
        return records / seconds

    if name != "sqlite":  # no peer measured: information only
        rate = lienthong()
        print(f"  ingest into {LABELS[name]}: {rate:,.0f} records/s (information)")
        return

    def peer() -> float:
        rate = records / sqlite_import(case, csv_file)
        print(f"    sqlite3 .import of the same records as CSV: {rate:,.0f} records/s")
        return rate

    csv_file = as_csv(case, data)
    pairs = alternate(rounds, lienthong, peer)
    ratios = Ratios.of(pairs)
    ours = sorted(p[0] for p in pairs)[len(pairs) // 2]
    theirs = sorted(p[1] for p in pairs)[len(pairs) // 2]
    verdict = judge_ratio(
        f"ingest.{name}.{obligations}",
        f"`ingest` into {LABELS[name]} ≥ {GOAL}× the records/s of `sqlite3`'s"
        " `.import` of the same records as CSV into a table with the same"
        f" indexes, {obligations:,} obligations interleaved",
        ratios,
        GOAL,
        at_least=True,
        info=f"median {ours:,.0f} against {theirs:,.0f} records/s",
        cause=lambda: _cause(case, registry, data),
    )
    print(f"  ingest over sqlite3 .import: {ratios.text()} (goal ≥ {GOAL}×: {verdict})")


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
