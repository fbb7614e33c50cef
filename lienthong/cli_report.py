"""`lienthong report`: the compliance export of a month or a quarter, in four formats."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from compliance.packs import department_pack, pack_department
from compliance.periods import Month, Quarter, parse_day
from compliance.quarterly import build_period_report
from lienthong import settings
from lienthong.errors import UsageError
from reports import (
    FORMATS,
    Filing,
    write_export,
    write_export_file,
)
from reports.provenance import provenance
from reports.words import LANGS
from store import open_store, sync_registry


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "report",
        help="the compliance export of a month or a quarter",
        description="The compliance export: JSON and CSV for scripts, XLSX and PDF for people.",
    )
    period = parser.add_mutually_exclusive_group(required=True)
    period.add_argument("--month", metavar="YYYY-MM")
    period.add_argument(
        "--quarter",
        metavar="YYYYQn",
        help="each month of the quarter and the quarter as a whole (e.g. 2026Q3)",
    )
    parser.add_argument("--format", choices=tuple(FORMATS), default="json")
    parser.add_argument(
        "--out", metavar="PATH", default="-", help="file to write (default: stdout)"
    )
    parser.add_argument(
        "--lang", choices=LANGS, default="vi", help="for people's formats (default: vi)"
    )
    parser.add_argument(
        "--department",
        metavar="CODE",
        help="one department's pack: the same report for that department alone",
    )
    parser.add_argument(
        "--as-of",
        metavar="YYYY-MM-DD",
        help="the period as it stood at the end of this day (default: today, or the"
        " period's end; a current quarter stops at its reporting deadline, the 24th of its"
        " last month)",
    )
    settings.add_store_options(parser)
    settings.add_registry_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    period = Quarter.parse(args.quarter) if args.quarter else Month.parse(args.month)
    as_of = parse_day(args.as_of) if args.as_of else None
    registry = settings.registry(args)
    if args.department:
        pack_department(registry, args.department)  # an unknown code fails before any work
    out = Path(args.out)
    to_stdout = args.out == "-"
    if not to_stdout and not out.parent.is_dir():
        raise UsageError(f"cannot write {out}: folder {out.parent} does not exist")
    if to_stdout and FORMATS[args.format].binary and sys.stdout.isatty():
        raise UsageError(f"{args.format} is a binary format: give --out PATH")
    url = settings.database_url(args)
    engine = open_store(url)
    try:
        sync_registry(engine, registry)
        report = build_period_report(engine, registry, period, as_of)
    finally:
        engine.dispose()
    if args.department:
        report = department_pack(report, registry, args.department)
    filing = Filing(report, registry, provenance(settings.registry_spec(args), url), args.lang)
    if to_stdout:
        sys.stdout.flush()
        write_export(args.format, filing, sys.stdout.buffer)
        sys.stdout.buffer.flush()
        return 0
    write_export_file(args.format, filing, out)
    counts: dict[str, int] = {}
    for row in report.rows:
        counts[row.status] = counts.get(row.status, 0) + 1
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    scope = f" {args.department}" if args.department else ""
    print(
        f"{out}: {period}{scope} as of {report.as_of}: {len(report.rows)} obligations ({summary})"
    )
    return 0
