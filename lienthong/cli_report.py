"""`lienthong report`: the compliance export of a month or a quarter, in four formats."""

from __future__ import annotations

import argparse
import gc
import io
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from compliance.packs import department_pack, pack_department
from compliance.periods import Month, Quarter
from compliance.quarterly import build_period_report
from i18n import _
from lienthong import cli_args, settings
from lienthong.errors import BadUsage, UsageError
from lienthong.serve_config import load_config
from reports import (
    FORMATS,
    Filing,
    write_export,
    write_export_file,
)
from reports.files import write_text_atomically
from reports.filing import NO_SETTINGS
from reports.provenance import provenance
from reports.scheduled import holds_records
from reports.settings import ReportSettings
from reports.tabular import write_csv
from reports.words import LANGS
from store import open_store, sync_registry
from store.database import shown


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a report is built, the registry out of the
    collector's sight for good (it lives until exit).

    The rows and the counts they are built from hold no cycles: each collection would
    only walk them again as they grow, and the registry with them (at 30,000
    obligations, 0.1-0.2 s of a report for the freeze and as much for the pause).
    """
    gc.freeze()
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "report",
        help="the compliance export of a month or a quarter",
        description="The compliance export: JSON and CSV for scripts, XLSX and PDF for people.",
    )
    period = parser.add_mutually_exclusive_group(required=True)
    period.add_argument(
        "--month", metavar="YYYY-MM", type=cli_args.month, help="a month (e.g. 2026-10)"
    )
    period.add_argument(
        "--quarter",
        metavar="YYYYQn",
        type=cli_args.quarter,
        help="each month of the quarter and the quarter as a whole (e.g. 2026Q3)",
    )
    parser.add_argument(
        "--format",
        choices=tuple(FORMATS),
        default="json",
        help="json and csv for scripts, xlsx, pdf and docx (the PDF's document, editable) for people",
    )
    parser.add_argument(
        "--out", metavar="PATH", default="-", help="file to write (default: stdout)"
    )
    parser.add_argument(
        "--lang", choices=LANGS, default="vi", help="for people's formats (default: vi)"
    )
    parser.add_argument(
        "--excel",
        action="store_true",
        help="CSV for Excel in the --lang locale: UTF-8 with a BOM; vi: ';' between cells"
        " and a decimal comma, en: ',' and a decimal point",
    )
    parser.add_argument(
        "--department",
        metavar="CODE",
        help="one department's pack: the same report for that department alone",
    )
    parser.add_argument(
        "--as-of",
        metavar="YYYY-MM-DD",
        type=cli_args.day,
        help="the period as it stood at the end of this day (default: today, or the"
        " period's end; a current quarter stops at its reporting deadline, the 24th of its"
        " last month)",
    )
    settings.add_store_options(parser)
    settings.add_registry_options(parser)
    parser.set_defaults(run=run)


def _document_settings(args: argparse.Namespace) -> ReportSettings:
    """The config's `[report]` table (`--config`, else LIENTHONG_CONFIG): the filed document's
    code, signer and recipients; without a config, blanks for the office to fill in."""
    path = getattr(args, "config", None) or os.environ.get("LIENTHONG_CONFIG")
    return load_config(Path(path)).report if path else NO_SETTINGS


def run(args: argparse.Namespace) -> int:
    if args.excel and args.format != "csv":
        raise BadUsage("--excel is for --format csv (XLSX opens in Excel as it is)")
    document = _document_settings(args)  # a bad config fails before any work
    period: Month | Quarter = args.quarter or args.month
    as_of: date | None = args.as_of
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
    engine = open_store(url, create=False)
    try:
        sync_registry(engine, registry)
        with collector_paused():
            report = build_period_report(engine, registry, period, as_of)
    finally:
        engine.dispose()
    if args.department:
        report = department_pack(report, registry, args.department)
    if not holds_records(report):
        warning = (
            _(
                "lienthong: warning: database {db} holds no transaction for {department} in"
                " {period}: every obligation reads as non-compliant (is --db the right database?)"
            )
            if args.department
            else _(
                "lienthong: warning: database {db} holds no transaction in {period}: every"
                " obligation reads as non-compliant (is --db the right database?)"
            )
        )
        print(
            warning.format(db=shown(url), department=args.department, period=period),
            file=sys.stderr,
        )
    filing = Filing(
        report,
        registry,
        provenance(settings.registry_spec(args), url),
        args.lang,
        document,
    )
    if args.excel:
        text = io.StringIO(newline="")
        write_csv(report, text, excel=args.lang)
        if to_stdout:
            sys.stdout.buffer.write(text.getvalue().encode("utf-8"))
            sys.stdout.buffer.flush()
            return 0
        write_text_atomically(out, text.getvalue())
    elif to_stdout:
        sys.stdout.flush()
        write_export(args.format, filing, sys.stdout.buffer)
        sys.stdout.buffer.flush()
        return 0
    else:
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
