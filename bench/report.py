"""`lienthong report` for 30,000 obligations over 10 million records, on either store, beside
the store's own client (`sqlite3`, `psql`) running the equivalent GROUP BY over the same
database: alternated over `ROUNDS` rounds, the median ratio ≤ 2×.

PostgreSQL runs with its default durability (fsync on), and is vacuumed after the
records are stored, as autovacuum would have done.
"""

from __future__ import annotations

import argparse
import gc
import io
import subprocess
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path

from sqlalchemy import Engine

from bench._data import registry_file
from bench._goals import ROUNDS, Ratios, alternate, judge_ratio
from bench._profile import profiled
from bench._stores import LABELS, stores
from compliance.periods import Month
from compliance.report import build_report
from lienthong.cli_report import collector_paused
from reports import write_json
from store import Transaction, open_store, writing

OBLIGATIONS = 30_000
GOAL = 2.0  # the report over the client's GROUP BY, at most


def _fill(url: str, timezone: str, records: int) -> None:
    """`records` transactions over the obligations, spread over a year up to October 2026."""
    start = datetime(2025, 11, 1, tzinfo=UTC)
    step = timedelta(days=365) / records
    engine = open_store(url)
    batch: list[Transaction] = []
    with writing(engine, timezone) as writer:
        for n in range(records):
            i = n % OBLIGATIONS
            batch.append(
                Transaction(
                    f"dept-{i}",
                    f"sys-{i % 50}",
                    start + step * n,
                    n % 7 != 0,
                    "import",
                    None,
                    f"r{n}",
                )
            )
            if len(batch) == 20_000:
                writer.write(batch)
                batch.clear()
        writer.write(batch)
    if engine.dialect.name == "postgresql":
        # As autovacuum leaves a store long before its month's report: rows just loaded
        # get their hint bits written by their first read (three builds right after the
        # load took 2.86-4.47 s; vacuumed first, 2.38-2.71 s).
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    engine.dispose()


# What the report computes from the daily rollups, per obligation, written as one query:
# met days, successes, failures, first and last success of October 2026.
GROUP_BY = (
    "SELECT department, system,"
    " count(DISTINCT CASE WHEN successes > 0 THEN day END),"
    " sum(successes), sum(failures), min(first_success_us), max(last_success_us)"
    " FROM daily_counts WHERE day >= '2026-10-01' AND day <= '2026-10-31'"
    " GROUP BY department, system"
)
CLIENTS = {"sqlite": "sqlite3", "postgresql": "psql"}


def client_query(name: str, url: str) -> float:
    """Seconds for the store's own command-line client to run GROUP_BY, from its start."""
    if name == "sqlite":
        command = ["sqlite3", url.removeprefix("sqlite:///"), GROUP_BY]
    else:
        command = [
            "psql",
            "-X",
            "-q",
            "-d",
            url.replace("postgresql+psycopg", "postgresql"),
            "-c",
            GROUP_BY,
        ]
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def _cause(build: Callable[[Engine], float], engine: Engine) -> str:
    """One more build, profiled."""
    return profiled(lambda: build(engine))[1]


def run(args: argparse.Namespace) -> None:
    records = 1_000_000 if args.quick else 10_000_000
    rounds = 1 if args.quick else ROUNDS
    with tempfile.TemporaryDirectory(prefix="lienthong-bench-") as tmp:
        folder = Path(tmp)
        registry = registry_file(folder, OBLIGATIONS)
        with stores(folder) as urls:
            for name, url in urls:
                if args.store not in (None, name):
                    continue
                started = time.perf_counter()
                _fill(url, registry.timezone, records)
                print(
                    f"{name}: {records:,} records stored in {time.perf_counter() - started:.0f} s"
                )
                engine = open_store(url)
                gc.collect()

                def lienthong(engine: Engine = engine) -> float:
                    started = time.perf_counter()
                    with collector_paused():  # as `lienthong report` builds it
                        report = build_report(
                            engine, registry, Month(2026, 10), as_of=date(2026, 10, 31)
                        )
                    write_json(report, io.StringIO())
                    seconds = time.perf_counter() - started
                    assert len(report.rows) == OBLIGATIONS
                    print(f"    lienthong report: {seconds:.2f} s")
                    return seconds

                def client(url: str = url, name: str = name) -> float:
                    seconds = client_query(name, url)
                    print(f"    the {CLIENTS[name]} client's GROUP BY: {seconds:.2f} s")
                    return seconds

                pairs = alternate(rounds, lienthong, client)
                ratios = Ratios.of(pairs)
                ours = sorted(p[0] for p in pairs)[len(pairs) // 2]
                base = sorted(p[1] for p in pairs)[len(pairs) // 2]
                verdict = judge_ratio(
                    f"report.{name}",
                    f"`report` for {OBLIGATIONS:,} obligations over {records / 1e6:g} M records"
                    f" ≤ {GOAL:g}× the `{CLIENTS[name]}` client's equivalent GROUP BY over the"
                    f" same database, {LABELS[name]}",
                    ratios,
                    GOAL,
                    info=f"median {ours:.2f} s against {base:.2f} s",
                    cause=partial(_cause, lienthong, engine),
                )
                engine.dispose()
                print(f"report on {name}: {ratios.text()} the client (goal ≤ {GOAL:g}×: {verdict})")
