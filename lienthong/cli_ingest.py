"""`lienthong ingest FILE...`."""

from __future__ import annotations

import argparse
import gc
import sys
from pathlib import Path

from i18n import N_, _, ngettext
from i18n.numbers import number
from intake import FORMATS, FileFormatError, FileResult, detect_format, ingest_file
from lienthong import settings
from registry.model import PLATFORMS
from store import open_store, sync_registry


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "ingest",
        help=_(
            "import transaction records (.jsonl or .csv), WSO2 analytics events or X-Road"
            " operational records; a file with any invalid record stores nothing"
        ),
    )
    parser.add_argument("files", nargs="+", metavar="FILE", type=Path)
    parser.add_argument(
        "--format",
        choices=("auto", *FORMATS),
        default="auto",
        help=_(
            "default: jsonl or csv from the file name; wso2 (API Manager analytics: log, JSON"
            " lines or CSV) and xroad-opmon (X-Road operational monitoring records) must be named"
        ),
    )
    parser.add_argument(
        "--platform",
        choices=PLATFORMS,
        default=None,
        help=_(
            "the data-sharing platform that carried these records, stamped on those that do"
            " not name their own (a gateway's export: lgsp for the province's, vdxp, ndop, ...)"
        ),
    )
    settings.add_store_options(parser)
    settings.add_registry_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    registry = settings.registry(args)
    files: list[Path] = args.files
    formats = [detect_format(f) if args.format == "auto" else args.format for f in files]
    for f in files:
        if not f.is_file():
            raise FileNotFoundError(2, _("no such file"), str(f))
    engine = open_store(settings.database_url(args))
    sync_registry(engine, registry)
    # Everything loaded so far lives until exit: keep the garbage collector from
    # walking it again on every collection during the import.
    gc.freeze()
    failed = False
    try:
        for path, fmt in zip(files, formats, strict=True):
            try:
                result = _ingest_one(engine, registry, path, fmt, args.platform)
            except FileFormatError as e:
                # This file stores nothing; the next ones are imported all the same.
                print(f"lienthong: {e}", file=sys.stderr)
                failed = True
                continue
            _print_result(result)
            failed = failed or not result.ok
    finally:
        engine.dispose()
    return 1 if failed else 0


def _ingest_one(engine, registry, path: Path, fmt: str, platform: str | None) -> FileResult:  # type: ignore[no-untyped-def]
    if not sys.stderr.isatty():
        return ingest_file(engine, registry, path, fmt, platform=platform)
    # Imported here: every command loads this module (`lienthong serve` too).
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        DownloadColumn(),
        TextColumn("{task.fields[records]:,} " + _("records")),
        TimeRemainingColumn(),
    )
    with Progress(*columns, transient=True) as bar:
        task = bar.add_task(path.name, total=path.stat().st_size, records=0)
        return ingest_file(
            engine,
            registry,
            path,
            fmt,
            progress=lambda done, records: bar.update(task, completed=done, records=records),
            platform=platform,
        )


def _print_result(r: FileResult) -> None:
    rate = r.records / r.seconds if r.seconds > 0 else 0.0
    if not r.ok:
        for note in r.notes:
            print(f"{r.path}: {note}", file=sys.stderr)
        for line, error in r.errors:
            print(f"{r.path}:{line}: {error}", file=sys.stderr)
        listed = len({line for line, _ in r.errors})
        if r.invalid > listed:
            print(
                _("{path}: … and {n} more invalid records").format(
                    path=r.path, n=number(r.invalid - listed)
                ),
                file=sys.stderr,
            )
        print(
            _("{path}: {records} {unit}, {invalid} invalid: nothing stored").format(
                path=r.path, records=number(r.records), unit=_(r.unit), invalid=number(r.invalid)
            ),
            file=sys.stderr,
        )
        return
    unmapped = sum(r.unmapped.values())
    skipped = (
        _(", {n} of no obligation (not stored)").format(n=number(unmapped)) if unmapped else ""
    )
    conflicts = r.written.conflicts
    reused = (
        _(" ({n} of them with different content)").format(n=number(conflicts)) if conflicts else ""
    )
    print(
        _(
            "{path}: {records} {unit}: {stored} stored, {duplicates} duplicates{reused}{skipped},"
            " in {seconds} s ({rate} {unit}/s)"
        ).format(
            path=r.path,
            records=number(r.records),
            unit=_(r.unit),
            stored=number(r.written.accepted),
            duplicates=number(r.written.duplicates),
            reused=reused,
            skipped=skipped,
            seconds=number(r.seconds, 1),
            rate=number(rate),
        )
    )
    for key, n in r.unmapped.most_common(MAX_UNMAPPED):
        print(f"{r.path}:   " + _("no obligation for {key}: {n}").format(key=key, n=number(n)))
    if len(r.unmapped) > MAX_UNMAPPED:
        print(
            f"{r.path}:   " + _("… and {n} more").format(n=number(len(r.unmapped) - MAX_UNMAPPED))
        )
    for note in r.notes:
        print(f"{r.path}: {note}")
    if r.written.replaced:
        print(
            _(
                "{path}: {n} {unit} stored from the producer's record now as the client saw them"
            ).format(path=r.path, n=number(r.written.replaced), unit=_(r.unit))
        )
    if r.written.conflicts:
        print(
            _(
                "{path}: warning: {records} reuse an id with different content (another"
                " system, time or outcome): the stored record was kept"
            ).format(path=r.path, records=_records(r.written.conflicts)),
            file=sys.stderr,
        )
    if unmapped and not r.written.accepted and not r.written.duplicates:
        first = next(iter(r.unmapped))
        print(
            _(
                "{path}: warning: no {unit} maps to an obligation; the first was {first}:"
                " see the gateway: keys of the registry"
            ).format(path=r.path, unit=_(SINGULAR.get(r.unit, r.unit)), first=first),
            file=sys.stderr,
        )
    if r.without_id:
        print(
            _(
                "{path}: note: {records} without an id: importing the file again would count"
                " them again"
            ).format(path=r.path, records=_records(r.without_id)),
            file=sys.stderr,
        )


# What a file's items are called in the summaries (intake's `unit`): marked for the catalogs.
UNITS = (N_("records"), N_("events"), N_("exchanges"))
SINGULAR = {"records": N_("record"), "events": N_("event"), "exchanges": N_("exchange")}
MAX_UNMAPPED = 20  # (application, API) or (client, service) pairs listed one by one


def _records(n: int) -> str:
    return ngettext("{n} record", "{n} records", n).format(n=number(n))
