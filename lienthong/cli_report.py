"""`lienthong report`: the compliance export of a month or a quarter, in four formats."""

from __future__ import annotations

import argparse
import gc
import io
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from compliance.packs import department_pack, pack_department
from compliance.periods import Month, Quarter
from compliance.quarterly import build_period_report
from i18n import _
from i18n.glossary import STATUSES
from lienthong import cli_args, settings
from lienthong.errors import BadUsage, UsageError
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
        help=_("the compliance export of a month or a quarter"),
        description=_("The compliance export: JSON and CSV for scripts, XLSX and PDF for people."),
    )
    period = parser.add_mutually_exclusive_group(required=True)
    period.add_argument(
        "--month", metavar="YYYY-MM", type=cli_args.month, help=_("a month (e.g. 2026-10)")
    )
    period.add_argument(
        "--quarter",
        metavar="YYYYQn",
        type=cli_args.quarter,
        help=_("each month of the quarter and the quarter as a whole (e.g. 2026Q3)"),
    )
    parser.add_argument(
        "--format",
        choices=tuple(FORMATS),
        help=_(
            "json and csv for scripts, the others for people (default: --out's extension,"
            " else json)"
        ),
    )
    parser.add_argument(
        "--out", metavar="PATH", default="-", help=_("file to write (default: stdout)")
    )
    parser.add_argument(
        "--excel",
        action="store_true",
        help=_(
            "CSV for Excel in the --lang locale: UTF-8 with a BOM; vi: ';' between cells"
            " and a decimal comma, en: ',' and a decimal point"
        ),
    )
    parser.add_argument(
        "--department",
        metavar="CODE",
        help=_("one department's pack: the same report for that department alone"),
    )
    parser.add_argument(
        "--as-of",
        metavar="YYYY-MM-DD",
        type=cli_args.day,
        help=_(
            "the period as it stood at the end of this day (default: today, or the"
            " period's end; a current quarter stops at its reporting deadline, the 24th of its"
            " last month)"
        ),
    )
    settings.add_store_options(parser)
    settings.add_registry_options(parser)
    parser.set_defaults(run=run)


def _document_settings(args: argparse.Namespace) -> ReportSettings:
    """The config's `[report]` table (`--config`, else LIENTHONG_CONFIG): the filed document's
    code, signer and recipients; without a config, blanks for the office to fill in."""
    return settings.config(args).report if settings.config_path(args) else NO_SETTINGS


def format_of(given: str | None, out: str) -> str:
    """`--format`, else `--out`'s extension, else JSON; a format contradicting the extension
    is bad usage (contract 1.2: `--out bc.pdf` must never hold JSON)."""
    suffix = Path(out).suffix.lower().lstrip(".") if out != "-" else ""
    implied = suffix if suffix in FORMATS else None
    if given is not None and implied is not None and given != implied:
        raise BadUsage(
            _("--format {given} contradicts --out {out} (a .{suffix} file)").format(
                given=given, out=out, suffix=suffix
            )
        )
    return given or implied or "json"


def run(args: argparse.Namespace) -> int:
    args.format = format_of(args.format, args.out)
    lang = settings.lang(args)
    if args.excel and args.format != "csv":
        raise BadUsage(_("--excel is for --format csv (XLSX opens in Excel as it is)"))
    document = _document_settings(args)  # a bad config fails before any work
    period: Month | Quarter = args.quarter or args.month
    as_of: date | None = args.as_of
    registry = settings.registry(args)
    if args.department:
        pack_department(registry, args.department)  # an unknown code fails before any work
    out = Path(args.out)
    to_stdout = args.out == "-"
    if not to_stdout and not out.parent.is_dir():
        raise UsageError(
            _("cannot write {out}: folder {folder} does not exist").format(
                out=out, folder=out.parent
            )
        )
    if to_stdout and FORMATS[args.format].binary and sys.stdout.isatty():
        raise UsageError(
            _("{format} is a binary format: give --out PATH").format(format=args.format)
        )
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
        lang,
        document,
    )
    if args.excel:
        text = io.StringIO(newline="")
        write_csv(report, text, excel=lang)
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
    summary = ", ".join(
        f"{n} {_(STATUSES[status].name).lower() if status in STATUSES else status}"
        for status, n in sorted(counts.items())
    )
    line = (
        _("{out}: {period} {department} as of {as_of}: {n} obligations ({summary})")
        if args.department
        else _("{out}: {period} as of {as_of}: {n} obligations ({summary})")
    )
    print(
        line.format(
            out=out,
            period=period,
            department=args.department,
            as_of=report.as_of,
            n=len(report.rows),
            summary=summary,
        )
    )
    return 0
