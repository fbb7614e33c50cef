"""Figures for the national topology (docs/operations-national.md): series per obligation,
PostgreSQL bytes per stored record, and the national ranking's time for 34 provinces."""

from __future__ import annotations

import argparse
import io
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from bench._data import registry_file
from bench._stores import postgres_store
from exporter.metrics import Exposition
from exporter.state import MetricsState, current_obligations, read_calendar, read_totals
from registry import load_registry
from reports.national import national_report
from reports.national_files import NATIONAL_FORMATS
from store import Transaction, open_store, write_transactions, writing

SOURCES = ("probe", "push")


def series_per_obligation(name: str) -> None:
    """Samples per obligation in /metrics: probed ones with two sources, others pushed only."""
    registry = load_registry(name)
    with tempfile.TemporaryDirectory(prefix="lienthong-bench-") as tmp:
        engine = open_store(f"sqlite:///{Path(tmp) / 'bench.db'}")
        now = datetime.now(UTC)
        records = [
            Transaction(o.department, o.system, now, True, source, None, f"{source}-{i}")
            for i, o in enumerate(registry.obligations)
            for source in (SOURCES if o.probe is not None else ("push",))
        ]
        write_transactions(engine, registry.timezone, records)
        state = MetricsState(registry)
        (totals, today, _), _ = read_totals(engine, state.today)
        state.absorb_totals(totals)
        state.absorb_today(state.today, today)
        obligations = current_obligations(registry, state.today)
        state.absorb_calendar(read_calendar(engine, registry, obligations, state.today))
        for o in obligations:
            if o.probe is not None:
                state.on_probe(o.key, 0.2)
        body = Exposition(state, lambda: None).render_bytes()
        engine.dispose()
    lines = [x for x in body.decode().splitlines() if x and not x.startswith("#")]
    probed = [o for o in obligations if o.probe is not None][:1]
    for o in probed + [o for o in obligations if o.probe is None][:1]:
        mine = [x for x in lines if f'department="{o.department}",system="{o.system}"' in x]
        kind = "probed, 2 sources" if o.probe is not None else "not probed, 1 source"
        print(f"series per obligation ({kind}): {len(mine)}")
    print(
        f"{name}: {len(obligations)} obligations, {len(lines)} samples,"
        f" {len(body):,} bytes of /metrics"
    )


def postgres_bytes(records: int) -> None:
    """Bytes per stored record (table + indexes) and the rollup's size, on PostgreSQL."""
    obligations = 100
    with tempfile.TemporaryDirectory(prefix="lienthong-bench-") as tmp:
        registry = registry_file(Path(tmp), obligations)
        with postgres_store() as url:
            engine = open_store(url)
            start = datetime(2026, 10, 1, tzinfo=UTC)
            step = timedelta(days=30) / records
            started = time.perf_counter()
            with writing(engine, registry.timezone) as writer:
                batch: list[Transaction] = []
                for n in range(records):
                    i = n % obligations
                    batch.append(
                        Transaction(
                            f"dept-{i}",
                            f"sys-{i % 50}",
                            start + step * n,
                            n % 9 != 0,
                            "probe",
                            12.5,
                            f"probe:dept-{i}:sys-{i % 50}:{n:012d}",
                        )
                    )
                    if len(batch) == 20_000:
                        writer.write(batch)
                        batch.clear()
                writer.write(batch)
            seconds = time.perf_counter() - started
            with engine.connect() as conn:
                sizes = {
                    t: conn.execute(text(f"SELECT pg_total_relation_size('{t}')")).scalar_one()
                    for t in ("transactions", "daily_counts", "pair_totals")
                }
                days = conn.execute(text("SELECT count(*) FROM daily_counts")).scalar_one()
            engine.dispose()
    print(f"postgresql: {records:,} records written in {seconds:.1f} s")
    print(
        f"postgresql: transactions {sizes['transactions'] / records:.0f} bytes per record"
        f" (table and indexes); daily_counts {sizes['daily_counts'] / max(days, 1):.0f}"
        f" bytes per (pair, day, source) row"
    )


def national_ranking() -> None:
    """`lienthong national report`'s arithmetic and writers over 34 provinces of 60 rows."""
    reports = []
    for p in range(34):
        rows = [
            {
                "department": f"so-{d}",
                "department_name": f"Sở {d}",
                "system": f"he-thong-{s}",
                "system_name": f"Hệ thống {s}",
                "status": ("compliant", "partial", "non_compliant")[(p + d + s) % 3],
                "ratio": 0.5,
            }
            for d in range(12)
            for s in range(5)
        ]
        reports.append(
            (
                f"province-{p}",
                {
                    "province": {"code": f"{p:02d}", "name": f"Tỉnh {p}"},
                    "month": "2026-10",
                    "as_of": "2026-10-31",
                    "rows": rows,
                },
            )
        )
    started = time.perf_counter()
    ranking = national_report("2026-10", reports)
    for fmt, write in NATIONAL_FORMATS.items():
        out = io.BytesIO()
        t = time.perf_counter()
        write(ranking, out)
        print(f"national {fmt}: {len(out.getvalue()):,} bytes in {time.perf_counter() - t:.2f} s")
    print(f"national ranking of 34 provinces: {time.perf_counter() - started:.2f} s in all")


def run(args: argparse.Namespace) -> None:
    series_per_obligation("bac-ninh")
    series_per_obligation("hue")
    postgres_bytes(100_000 if args.quick else 1_000_000)
    national_ranking()
