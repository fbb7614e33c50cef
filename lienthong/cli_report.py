"""`lienthong report`: the monthly compliance export."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from exporter.exports import write_csv, write_json
from exporter.exports.tabular import write_text_file
from exporter.periods import Month, parse_day
from exporter.report import build_report
from lienthong import settings
from lienthong.errors import UsageError
from store import open_store, sync_registry

WRITERS = {"json": write_json, "csv": write_csv}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("report", help="the monthly compliance export")
    parser.add_argument("--month", required=True, metavar="YYYY-MM")
    parser.add_argument("--format", choices=tuple(WRITERS), default="json")
    parser.add_argument(
        "--out", metavar="PATH", default="-", help="file to write (default: stdout)"
    )
    parser.add_argument("--lang", choices=("vi", "en"), default="vi", help="for people's formats")
    parser.add_argument(
        "--as-of",
        metavar="YYYY-MM-DD",
        help="the month as it stood at the end of this day (default: today, or the month's end)",
    )
    settings.add_store_options(parser)
    settings.add_registry_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    month = Month.parse(args.month)
    as_of = parse_day(args.as_of) if args.as_of else None
    registry = settings.registry(args)
    out = Path(args.out)
    if args.out != "-" and not out.parent.is_dir():
        raise UsageError(f"cannot write {out}: folder {out.parent} does not exist")
    engine = open_store(settings.database_url(args))
    try:
        sync_registry(engine, registry)
        report = build_report(engine, registry, month, as_of)
    finally:
        engine.dispose()
    write = WRITERS[args.format]
    if args.out == "-":
        write(report, sys.stdout)
        return 0
    write_text_file(out, write, report)
    counts: dict[str, int] = {}
    for row in report.rows:
        counts[row.status] = counts.get(row.status, 0) + 1
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    print(f"{out}: {month} as of {report.as_of}: {len(report.rows)} obligations ({summary})")
    return 0
