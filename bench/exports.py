"""How long the compliance exports take for a province-sized registry and a large one.

1,000 obligations (100 departments × 10 national systems), then 2,000 (20 departments
× 100), with varied daily counts: the report's arithmetic, then each format, for a month
and for a quarter.
Run: `python -m bench.exports` (or `make bench` for all benchmarks).
"""

from __future__ import annotations

import argparse
import io
import random
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from compliance.periods import Month, Quarter
from compliance.quarterly import QuarterReport, compute_quarter_report
from compliance.report import Report, compute_report
from registry import Registry
from registry.calendar import days
from reports import Filing, write_export
from reports.formats import FORMATS
from reports.provenance import Provenance
from store.counts import DayCount, Pair

SOURCE = Provenance(registry="bench (synthetic)", database="none", software="bench")
NOW = datetime(2026, 11, 1, 0, 0, tzinfo=UTC)


def synthetic_registry(departments: int, systems: int) -> Registry:
    return Registry.model_validate(
        {
            "province": {"code": "24", "name": "Bắc Ninh"},
            "standing_department": "d000",
            "systems": [
                {
                    "code": f"s{s:02d}",
                    "name": f"Cơ sở dữ liệu quốc gia về lĩnh vực thử nghiệm số {s}",
                    "owner": "Bộ Khoa học và Công nghệ",
                }
                for s in range(systems)
            ],
            "departments": [
                {"code": f"d{d:03d}", "name": f"Sở Thử nghiệm và Đánh giá số {d}"}
                for d in range(departments)
            ],
            "obligations": [
                {
                    "department": f"d{d:03d}",
                    "system": f"s{s:02d}",
                    "kind": "connect" if s == 0 else "maintain",
                    "basis": f"Điều 6 khoản {s + 1} điểm c",
                }
                for d in range(departments)
                for s in range(systems)
            ],
        }
    )


def synthetic_counts(
    registry: Registry, first: date, last: date
) -> dict[Pair, dict[date, dict[str, DayCount]]]:
    rng = random.Random(6)
    found: dict[Pair, dict[date, dict[str, DayCount]]] = {}
    for o in registry.obligations:
        quality = rng.random()
        per_day = {}
        for day in days(first, last):
            if rng.random() < quality:
                at = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=3)
                per_day[day] = {
                    "import": DayCount(rng.randrange(1, 50), rng.randrange(0, 5), at, at)
                }
        found[o.key] = per_day
    return found


def timed(what: str, work: Callable[[], object]) -> object:
    start = time.perf_counter()
    result = work()
    print(f"  {what:<42} {time.perf_counter() - start:7.2f} s")
    return result


def formats(report: Report | QuarterReport, registry: Registry, label: str) -> None:
    filing = Filing(report, registry, SOURCE)
    for fmt in FORMATS:
        out = io.BytesIO()
        start = time.perf_counter()
        write_export(fmt, filing, out)
        seconds = time.perf_counter() - start
        print(f"  {label + ' ' + fmt:<42} {seconds:7.2f} s  {len(out.getvalue()) / 1e6:6.2f} MB")


def run(args: argparse.Namespace) -> None:
    # A province's shape (departments of 10 obligations), then large departments (100
    # each: one table per 20 obligations in the PDF, whose layout is quadratic per table).
    for departments, systems in ((100, 10),) if args.quick else ((100, 10), (20, 100)):
        _case(departments, systems)


def _case(departments: int, systems: int) -> None:
    registry = synthetic_registry(departments, systems)
    quarter = Quarter(2026, 3)
    print(f"  {len(registry.obligations):,} obligations, {len(registry.departments)} departments")
    counts = synthetic_counts(registry, quarter.first, quarter.last)
    month = Month(2026, 9)
    report = timed(
        "month: compute the report",
        lambda: compute_report(registry, month, month.last, NOW, counts, {}),
    )
    assert isinstance(report, Report)
    formats(report, registry, "month:")
    whole = timed(
        "quarter: compute the report",
        lambda: compute_quarter_report(registry, quarter, quarter.last, NOW, counts, {}),
    )
    assert isinstance(whole, QuarterReport)
    formats(whole, registry, "quarter:")
