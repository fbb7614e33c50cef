"""`lienthong ingest FILE...`."""

from __future__ import annotations

import argparse
import gc
import sys
from pathlib import Path

from intake import FORMATS, FileFormatError, FileResult, detect_format, ingest_file
from lienthong import settings
from registry.model import PLATFORMS
from store import open_store, sync_registry


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "ingest",
        help="import transaction records (.jsonl or .csv), WSO2 analytics events or X-Road"
        " operational records; a file with any invalid record stores nothing",
    )
    parser.add_argument("files", nargs="+", metavar="FILE", type=Path)
    parser.add_argument(
        "--format",
        choices=("auto", *FORMATS),
        default="auto",
        help="default: jsonl or csv from the file name; wso2 (API Manager analytics: log, JSON"
        " lines or CSV) and xroad-opmon (X-Road operational monitoring records) must be named",
    )
    parser.add_argument(
        "--platform",
        choices=PLATFORMS,
        default=None,
        help="the data-sharing platform that carried these records, stamped on those that do"
        " not name their own (a gateway's export: lgsp for the province's, vdxp, ndop, ...)",
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
            raise FileNotFoundError(2, "no such file", str(f))
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
        TextColumn("{task.fields[records]:,} records"),
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
            print(f"{r.path}: … and {r.invalid - listed:,} more invalid records", file=sys.stderr)
        print(
            f"{r.path}: {r.records:,} {r.unit}, {r.invalid:,} invalid: nothing stored",
            file=sys.stderr,
        )
        return
    unmapped = sum(r.unmapped.values())
    skipped = f", {unmapped:,} of no obligation (not stored)" if unmapped else ""
    conflicts = r.written.conflicts
    reused = f" ({conflicts:,} of them with different content)" if conflicts else ""
    print(
        f"{r.path}: {r.records:,} {r.unit}: {r.written.accepted:,} stored,"
        f" {r.written.duplicates:,} duplicates{reused}{skipped}, in {r.seconds:.1f} s"
        f" ({rate:,.0f} {r.unit}/s)"
    )
    for key, n in r.unmapped.most_common(MAX_UNMAPPED):
        print(f"{r.path}:   no obligation for {key}: {n:,}")
    if len(r.unmapped) > MAX_UNMAPPED:
        print(f"{r.path}:   … and {len(r.unmapped) - MAX_UNMAPPED:,} more")
    for note in r.notes:
        print(f"{r.path}: {note}")
    if r.written.replaced:
        print(
            f"{r.path}: {r.written.replaced:,} {r.unit} stored from the producer's record"
            " now as the client saw them"
        )
    if r.written.conflicts:
        print(
            f"{r.path}: warning: {_records(r.written.conflicts)} reuse an id with different"
            " content (another system, time or outcome): the stored record was kept",
            file=sys.stderr,
        )
    if unmapped and not r.written.accepted and not r.written.duplicates:
        first = next(iter(r.unmapped))
        print(
            f"{r.path}: warning: no {r.unit[:-1] if r.unit.endswith('s') else r.unit} maps to"
            f" an obligation; the first was {first}: see the gateway: keys of the registry",
            file=sys.stderr,
        )
    if r.without_id:
        print(
            f"{r.path}: note: {_records(r.without_id)} without an id: importing the file again"
            " would count them again",
            file=sys.stderr,
        )


MAX_UNMAPPED = 20  # (application, API) or (client, service) pairs listed one by one


def _records(n: int) -> str:
    return f"{n:,} record" if n == 1 else f"{n:,} records"
