"""Importing a transaction file: streamed, validated, atomic, idempotent.

The whole file is one database transaction. Records are written in batches as
they are read, so memory stays flat however large the file; if any record is
invalid, the reading goes on (to list every bad record) and, at the end,
everything is rolled back.
"""

from __future__ import annotations

import csv
import gzip
import time
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine

from i18n import _, current_lang
from intake.files import FileFormatError, Malformed, RecordStream, Unmapped, Viewed
from intake.formats import open_stream
from registry import Registry
from store.database import first_line
from store.records import FieldError, RecordParser, Transaction
from store.writer import BATCH, WriteResult, writing

MAX_LISTED = 100  # invalid records listed one by one; the rest are counted
PROGRESS_EVERY = 4096
# Records handed to the writer at once (it inserts them BATCH at a time): each hand-over
# merges a result whose per-pair counts hold up to one key per pair and outcome, so
# with 1,000 obligations interleaved, larger hand-overs merge far fewer keys.
WRITE_EVERY = 10 * BATCH


@dataclass
class FileResult:
    path: Path
    records: int = 0
    invalid: int = 0
    written: WriteResult = field(default_factory=WriteResult)
    without_id: int = 0
    errors: list[tuple[int, FieldError]] = field(default_factory=list)
    seconds: float = 0.0
    unmapped: Counter[str] = field(default_factory=Counter)  # gateway events of no obligation
    notes: list[str] = field(default_factory=list)
    unit: str = "records"  # what `records` counts: records, events, exchanges

    @property
    def ok(self) -> bool:
        return self.invalid == 0


Progress = Callable[[int, int], None]  # (bytes read, records read)


class _Rejected(Exception):
    """Raised inside the database transaction to roll the whole file back."""


# What a damaged or hostile file raises while it is read (a truncated or fake
# .gz, a line nested too deeply, a number no date can hold): the file is refused
# with its name and line, and the command goes on with the next file.
UNREADABLE = (OSError, EOFError, zlib.error, csv.Error, RecursionError, ValueError, OverflowError)


def ingest_file(
    engine: Engine,
    registry: Registry,
    path: Path,
    fmt: str,
    progress: Progress | None = None,
    now: datetime | None = None,
    default_source: str = "import",
    platform: str | None = None,
    also: Callable[[Connection], None] | None = None,
) -> FileResult:
    """Import one file; on any invalid record nothing of it is stored.

    `platform` is stamped on the records that do not name theirs (one of
    `registry.model.PLATFORMS`); `also` runs in the file's database transaction once every
    record is written (a drop folder keeps there which file it imported). A file that cannot
    be read raises FileFormatError (`FILE:LINE: reason`), nothing stored.
    """
    started = time.perf_counter()
    result = FileResult(path)
    parser = RecordParser(
        registry, default_source, now, text_cells=fmt == "csv", default_platform=platform
    )
    parse = parser.parse
    stream = open_stream(path, fmt, registry)
    line = 0
    try:
        with writing(engine, registry.timezone) as writer:
            stream.start(writer.connection)
            batch: list[Transaction] = []
            for line, raw in stream.records:
                result.records += 1
                if result.records % PROGRESS_EVERY == 0:
                    _report(progress, stream, result)
                if isinstance(raw, Unmapped):
                    result.unmapped[raw.key] += 1
                    continue
                if type(raw) is bytes:  # a JSON line, the common case: parsed here directly
                    try:
                        parsed: Transaction | list[FieldError] = parse(raw)
                    except NOT_PARSED as e:
                        parsed = _not_parsed(e)
                elif isinstance(raw, Malformed):
                    parsed = [FieldError(raw.field, raw.message)]
                else:
                    parsed = _parse(parser, raw)
                if isinstance(parsed, list):
                    result.invalid += 1
                    if len(result.errors) < MAX_LISTED:
                        result.errors.extend((line, e) for e in parsed)
                    continue
                if result.invalid:
                    continue  # only validating now: nothing of this file will be kept
                if parsed.record_id is None:
                    result.without_id += 1
                batch.append(parsed)
                if len(batch) >= WRITE_EVERY:
                    result.written.merge(writer.write(batch))
                    batch.clear()
            if result.invalid:
                raise _Rejected
            if batch:
                result.written.merge(writer.write(batch))
            stream.finish(writer.connection)
            if also is not None:
                also(writer.connection)
    except _Rejected:
        result.written = WriteResult()
    except UNREADABLE as e:
        where = (
            f"{path}:" if isinstance(e, OSError | EOFError | zlib.error) else f"{path}:{line + 1}:"
        )
        unreadable = _("cannot be read: {reason}; nothing stored").format(reason=_reason(e))
        raise FileFormatError(f"{where} {unreadable}") from None
    if stream.shared_ids:
        result.written.conflicts = 0
    result.notes = stream.notes()
    result.unit = stream.unit
    _report(progress, stream, result)
    result.seconds = time.perf_counter() - started
    return result


def _parse(
    parser: RecordParser, raw: bytes | dict[str, Any] | Viewed
) -> Transaction | list[FieldError]:
    try:
        if isinstance(raw, Viewed):
            return parser.parse(raw.record, raw.view)
        return parser.parse(raw)
    except NOT_PARSED as e:
        return _not_parsed(e)


# What parsing one record may raise besides its own errors (nesting, numbers too large).
NOT_PARSED = (RecursionError, ValueError, OverflowError)


def _not_parsed(e: BaseException) -> list[FieldError]:
    return [FieldError("", _("cannot be read: {reason}").format(reason=_reason(e)))]


def _reason(e: BaseException) -> str:
    if isinstance(e, RecursionError):
        return _("nested too deeply")
    if isinstance(e, EOFError):
        return _("the compressed file is truncated")
    if isinstance(e, OSError) and e.strerror:
        return e.strerror
    if current_lang() != "en":  # Python's English words for these, kept in English
        if isinstance(e, gzip.BadGzipFile):
            return _("not a gzip file")
        if isinstance(e, zlib.error):
            return _("the compressed data is damaged")
    return first_line(e)


def _report(progress: Progress | None, stream: RecordStream, result: FileResult) -> None:
    if progress is not None:
        progress(stream.position(), result.records)
