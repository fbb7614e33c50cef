"""Reading transaction files as a stream of raw records, each with its line number.

A reader yields `(line, raw)`: `raw` is a JSON text (`.jsonl`) or a mapping of
column to text (`.csv`). Validation is not done here but in `store.records`,
the same for every source. Files may be gzip-compressed (`.jsonl.gz`).
"""

from __future__ import annotations

import csv
import gzip
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol, cast

from sqlalchemy import Connection

from i18n import N_, _, current_lang
from i18n.json_errors import decode_reason
from i18n.numbers import number
from store.records import RECORD_FIELDS, REQUIRED_FIELDS

CONTRACT_FORMATS = ("jsonl", "csv")
# The longest line read: a contract record fits in a few kB, and a longer line is
# refused before it is parsed (a 300 MB line would otherwise be held whole, twice).
MAX_LINE = 1 << 20


@dataclass(frozen=True)
class Malformed:
    """A record the file's own syntax already rules out (a CSV row of the wrong width)."""

    field: str
    message: str


@dataclass(frozen=True)
class Unmapped:
    """A gateway event that maps to no obligation: counted and reported, never stored."""

    key: str  # what it was, e.g. "application 'x' → API '/y'"
    # A fault whose API context a response event later in the file may still show.
    waits: bool = False


@dataclass(slots=True)  # not frozen: one is made per exchange, and frozen ones cost more
class Viewed:
    """A gateway record whose id's repeats the write path may let replace it, or replace.

    `view` is `store.records.PROVISIONAL` (an X-Road exchange seen only from the
    producer's side) or `DEFINITIVE` (the client's view, which replaces it).
    """

    record: dict[str, Any]
    view: str


Raw = bytes | dict[str, Any] | Malformed | Unmapped | Viewed


class FileFormatError(Exception):
    """A file that cannot be read as the format it claims (bad header, unknown extension)."""


@dataclass
class RecordStream:
    records: Iterator[tuple[int, Raw]]
    position: Callable[[], int]  # bytes of the file consumed so far, for progress
    size: int
    # Lines for the summary that only the format knows (pairing figures, skipped lines).
    notes: Callable[[], list[str]] = lambda: []
    unit: str = "records"  # what one item of the stream is, for the summary
    # Called in the import's database transaction: before the first record is read,
    # and after the last (what a gateway format learns and keeps across files).
    start: Callable[[Connection], None] = lambda conn: None
    finish: Callable[[Connection], None] = lambda conn: None
    # The format gives one id to records that differ by design (X-Road: the client's and
    # the producer's record of one exchange): a duplicate with other content is no reuse.
    shared_ids: bool = False


def detect_format(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    last = suffixes[-1] if suffixes else ""
    if last in (".jsonl", ".ndjson"):
        return "jsonl"
    if last == ".csv":
        return "csv"
    raise FileFormatError(
        _("{path}: cannot tell the format from the name: use .jsonl or .csv, or --format").format(
            path=path
        )
    )


def open_binary(path: Path) -> tuple[IO[bytes], IO[bytes]]:
    """The file as read from disk (for progress), and its content (gunzipped if .gz)."""
    raw = path.open("rb")
    binary: IO[bytes] = (
        cast(IO[bytes], gzip.GzipFile(fileobj=raw, mode="rb")) if path.suffix == ".gz" else raw
    )
    return raw, binary


def open_records(path: Path, fmt: str) -> RecordStream:
    """Open a transaction file (`jsonl` or `csv`) as a stream of raw records."""
    raw, binary = open_binary(path)
    size = path.stat().st_size
    if fmt == "jsonl":
        records = _jsonl(binary, raw)
    elif fmt == "csv":
        notes: list[str] = []
        records = _csv(binary, raw, str(path), notes)
        return RecordStream(
            records, lambda: size if raw.closed else raw.tell(), size, lambda: notes
        )
    else:
        raw.close()
        raise FileFormatError(
            _("unknown format {format!r} (known: {known})").format(
                format=fmt, known=", ".join(CONTRACT_FORMATS)
            )
        )
    return RecordStream(records, lambda: size if raw.closed else raw.tell(), size)


def bounded_lines(binary: IO[bytes]) -> Iterator[bytes | None]:
    """The file's lines; None for one over MAX_LINE bytes, which is skipped unparsed."""
    while line := binary.readline(MAX_LINE + 1):
        if len(line) <= MAX_LINE or line.endswith(b"\n"):
            yield line
            continue
        while (rest := binary.readline(MAX_LINE)) and not rest.endswith(b"\n"):
            pass
        yield None


def _jsonl(binary: IO[bytes], raw: IO[bytes]) -> Iterator[tuple[int, Raw]]:
    with raw, binary:
        for n, line in enumerate(bounded_lines(binary), start=1):
            if line is None:
                yield n, Malformed("", too_long(_("the line is longer than {n} bytes: not read")))
                continue
            if n == 1 and line.startswith(b"\xef\xbb\xbf"):
                line = line[3:]
            if line.strip():
                yield n, line


def utf8_lines(binary: IO[bytes], name: str) -> Iterator[str]:
    """The file's lines as text (a leading BOM dropped); a line that is not UTF-8 stops
    the file at its own number, with what to do about it."""
    n = 0
    while line := binary.readline(MAX_LINE + 1):
        n += 1
        if len(line) > MAX_LINE and not line.endswith(b"\n"):
            raise FileFormatError(
                f"{name}:{n}: " + too_long(_("the line is longer than {n} bytes"))
            )
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as e:
            raise FileFormatError(
                f"{name}:{n}: "
                + _(
                    "not UTF-8 text (byte {byte} at column {column}): save the file as UTF-8"
                    " — in Excel, 'CSV UTF-8'"
                ).format(byte=f"{line[e.start]:#04x}", column=e.start + 1)
            ) from None
        yield text.removeprefix("\ufeff") if n == 1 else text


def _csv(
    binary: IO[bytes], raw: IO[bytes], name: str, notes: list[str]
) -> Iterator[tuple[int, Raw]]:
    fields = set(RECORD_FIELDS)
    required = REQUIRED_FIELDS
    with raw, binary:
        lines = utf8_lines(binary, name)
        first = next(lines, None)
        if first is None:
            return
        # Excel in a Vietnamese (or European) locale saves CSV with `;` between cells.
        separator = ";" if ";" in first and "," not in first else ","
        if separator == ";":
            notes.append(_("read as ';'-separated CSV (as Excel saves it in some locales)"))
        reader = csv.reader(itertools.chain([first], lines), delimiter=separator)
        header = next(reader)
        columns = [h.strip() for h in header]
        unknown = [c for c in columns if c not in fields]
        missing = sorted(required - set(columns))
        repeated = sorted({c for c in columns if columns.count(c) > 1})
        if unknown or missing or repeated:
            problems = []
            if unknown:
                problems.append(_("unknown columns {names}").format(names=_names(unknown)))
            if missing:
                problems.append(_("missing columns {names}").format(names=_names(missing)))
            if repeated:
                problems.append(_("repeated columns {names}").format(names=_names(repeated)))
            raise FileFormatError(
                f"{name}:1: "
                + _("{problems} (columns: {columns})").format(
                    problems="; ".join(problems), columns=", ".join(RECORD_FIELDS)
                )
            )
        yield from csv_rows(reader, columns, name)


def _names(columns: list[str]) -> str:
    return ", ".join(repr(c) for c in columns)


def too_long(template: str, limit: int = MAX_LINE) -> str:
    """A message saying a line is over `limit` bytes (a number as the language writes it)."""
    return template.format(n=number(limit))


class CsvReader(Protocol):
    """What `csv.reader` returns (its class is private)."""

    @property
    def line_num(self) -> int: ...

    def __iter__(self) -> Iterator[list[str]]: ...


def csv_rows(
    reader: CsvReader, columns: list[str], name: str
) -> Iterator[tuple[int, dict[str, str] | Malformed]]:
    """The rows after the header as {column: cell}, with the line each starts on.

    Blank rows are skipped, a row of the wrong width is Malformed, an empty cell is an
    absent field (as the contract's optional fields are); a file that is not UTF-8 or
    not CSV stops with FileFormatError at its line.
    """
    line = reader.line_num
    try:
        for row in reader:
            start, line = line + 1, reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(columns):
                cells = _("has {cells} cells, the header {columns}")
                yield start, Malformed("", cells.format(cells=len(row), columns=len(columns)))
                continue
            yield start, {c: v for c, v in zip(columns, row, strict=True) if v != ""}
    except UnicodeDecodeError as e:
        raise FileFormatError(f"{name}:{line + 1}: " + not_utf8(e)) from None
    except csv.Error as e:
        raise FileFormatError(f"{name}:{reader.line_num}: {csv_reason(e)}") from None


# The UTF-8 decoder's reasons (Python's English), in the catalogs.
UTF8_REASONS = {
    "invalid start byte": N_("invalid start byte"),
    "invalid continuation byte": N_("invalid continuation byte"),
    "unexpected end of data": N_("unexpected end of data"),
}


def not_utf8(e: UnicodeDecodeError) -> str:
    """Why a text is not UTF-8, in the user's language."""
    reason = UTF8_REASONS.get(e.reason)
    return _("not UTF-8 text ({reason})").format(reason=e.reason if reason is None else _(reason))


def not_json(e: ValueError) -> str:
    """Why a text is not JSON (Python's json module's reason), in the user's language."""
    return _("not valid JSON ({reason})").format(reason=decode_reason(e))


def csv_reason(e: csv.Error) -> str:
    """The csv module's reason a row cannot be read (its English text as it is in English)."""
    text = str(e)
    if current_lang() != "en" and text.startswith("field larger than field limit"):
        return _("a cell is longer than {n} characters").format(n=number(csv.field_size_limit()))
    return text
