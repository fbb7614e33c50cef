"""Importing a transaction file: streamed, validated, atomic, idempotent.

The whole file is one database transaction. Records are written in batches as
they are read, so memory stays flat however large the file; if any record is
invalid, the reading goes on (to list every bad record) and, at the end,
everything is rolled back.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine

from intake.files import FORMATS, FileFormatError, Malformed, RecordStream, Unmapped, open_records
from intake.wso2 import open_wso2
from intake.xroad import open_xroad
from registry import Registry
from store.records import FieldError, RecordParser, Transaction
from store.writer import BATCH, WriteResult, writing

MAX_LISTED = 100  # invalid records listed one by one; the rest are counted
PROGRESS_EVERY = 4096


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
GATEWAY_FORMATS: dict[str, Callable[[Path, Registry], RecordStream]] = {
    "wso2": open_wso2,
    "xroad-opmon": open_xroad,
}
ALL_FORMATS = (*FORMATS, *GATEWAY_FORMATS)


def open_stream(path: Path, fmt: str, registry: Registry) -> RecordStream:
    """A file of any known format as a stream of raw contract records."""
    if fmt in GATEWAY_FORMATS:
        return GATEWAY_FORMATS[fmt](path, registry)
    if fmt in FORMATS:
        return open_records(path, fmt)
    raise FileFormatError(f"unknown format {fmt!r} (known: {', '.join(ALL_FORMATS)})")


class _Rejected(Exception):
    """Raised inside the database transaction to roll the whole file back."""


def ingest_file(
    engine: Engine,
    registry: Registry,
    path: Path,
    fmt: str,
    progress: Progress | None = None,
    now: datetime | None = None,
    default_source: str = "import",
) -> FileResult:
    """Import one file; on any invalid record nothing of it is stored."""
    started = time.perf_counter()
    result = FileResult(path)
    parser = RecordParser(registry, default_source, now, text_cells=fmt == "csv")
    stream = open_stream(path, fmt, registry)
    try:
        with writing(engine, registry.timezone) as writer:
            batch: list[Transaction] = []
            for line, raw in stream.records:
                result.records += 1
                if result.records % PROGRESS_EVERY == 0:
                    _report(progress, stream, result)
                if isinstance(raw, Unmapped):
                    result.unmapped[raw.key] += 1
                    continue
                parsed = (
                    [FieldError(raw.field, raw.message)]
                    if isinstance(raw, Malformed)
                    else parser.parse(raw)
                )
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
                if len(batch) >= BATCH:
                    result.written.merge(writer.write(batch))
                    batch.clear()
            if result.invalid:
                raise _Rejected
            if batch:
                result.written.merge(writer.write(batch))
    except _Rejected:
        result.written = WriteResult()
    if stream.shared_ids:
        result.written.conflicts = 0
    result.notes = stream.notes()
    result.unit = stream.unit
    _report(progress, stream, result)
    result.seconds = time.perf_counter() - started
    return result


def _report(progress: Progress | None, stream: RecordStream, result: FileResult) -> None:
    if progress is not None:
        progress(stream.position(), result.records)
