"""`wso2-log`: follows a WSO2 API-M analytics log (`apim_metrics.log`) across rotation.

The lines are those `lienthong ingest --format wso2` reads (intake.wso2). The
position is the file's identity (device, inode, and a digest of its first
bytes) with the offset and line number after the last complete line read; it
is committed with the records those lines gave. A line still being written
(no newline yet) waits for the next read.

Rotation: when the path no longer names the file of the position (renamed:
another inode; copied and truncated: the same inode, shorter, or another
beginning), the old file is looked for in the same folder — by inode and
beginning (renamed), else by beginning alone (the copy) — and read to its end
first; then the new file from its start. An old file no longer there (already
compressed or deleted) is said once in the log: its unread lines are lost.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Annotated, Any, Literal

from pydantic import Field
from sqlalchemy import Connection, Engine

from i18n import _
from i18n.os_errors import describe_os_error
from intake.files import MAX_LINE, Malformed, Unmapped, not_utf8, too_long
from intake.gateway_map import GatewayMap
from intake.sources.common import SourceBase, SourceDown, SourceStatus, commit, log, stamped
from intake.wso2 import learn, line_event, to_record
from registry import Registry
from store.gateway import ApiKey, load_api_contexts, save_api_contexts
from store.records import FUTURE_TOLERANCE, RecordParser, Transaction
from store.sources import load_position

KIND = "wso2-log"
HEAD = 1024  # bytes of a file's beginning that identify it (a log's first lines)
LINES_PER_COMMIT = 20_000  # lines read between two commits of the records and position


class Wso2LogConfig(SourceBase):
    kind: Literal["wso2-log"]
    path: str
    interval: Annotated[float, Field(gt=0, le=3600)] = 2.0  # seconds between looks at the file


@dataclass(frozen=True)
class FilePosition:
    """A file's identity and how far it has been read."""

    dev: int
    ino: int
    head: str  # sha256 of the file's first `head_len` bytes
    head_len: int
    offset: int = 0
    line: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "dev": self.dev,
            "ino": self.ino,
            "head": self.head,
            "head_len": self.head_len,
            "offset": self.offset,
            "line": self.line,
        }

    @classmethod
    def of(cls, data: dict[str, Any]) -> FilePosition:
        return cls(
            int(data["dev"]),
            int(data["ino"]),
            str(data["head"]),
            int(data["head_len"]),
            int(data["offset"]),
            int(data["line"]),
        )


def _digest(path: Path, length: int) -> str:
    with path.open("rb") as f:
        return hashlib.sha256(f.read(length)).hexdigest()


def identify(path: Path, st: os.stat_result) -> FilePosition:
    """A file's identity at its start (offset 0)."""
    length = min(st.st_size, HEAD)
    return FilePosition(st.st_dev, st.st_ino, _digest(path, length), length)


def begins_as(path: Path, st: os.stat_result, pos: FilePosition) -> bool:
    """Whether the file starts with the bytes the position's file started with."""
    return st.st_size >= pos.head_len and _digest(path, pos.head_len) == pos.head


def is_same(path: Path, st: os.stat_result, pos: FilePosition) -> bool:
    return (
        (st.st_dev, st.st_ino) == (pos.dev, pos.ino)
        and st.st_size >= pos.offset
        and begins_as(path, st, pos)
    )


def find_rotated(path: Path, pos: FilePosition) -> Path | None:
    """The file the position was in, now under another name in the same folder."""
    if pos.head_len == 0:
        return None  # nothing read of it, nor seen: no beginning to know it by
    renamed: Path | None = None
    copied: Path | None = None
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return None
    for entry in sorted(entries, key=lambda e: e.name):
        candidate = Path(entry.path)
        if candidate == path or not entry.is_file(follow_symlinks=False):
            continue
        try:
            st = entry.stat(follow_symlinks=False)
            if st.st_size < pos.offset or not begins_as(candidate, st, pos):
                continue
        except OSError:
            continue
        if (st.st_dev, st.st_ino) == (pos.dev, pos.ino):
            renamed = candidate
        elif copied is None:
            copied = candidate
    return renamed or copied


class Wso2Log:
    """One followed log; `read` runs in a worker thread (file and database I/O)."""

    def __init__(
        self, config: Wso2LogConfig, registry: Registry, store: Engine, status: SourceStatus
    ) -> None:
        self.config = config
        self.registry = registry
        self.store = store
        self.status = status
        self.path = Path(config.path)
        self.gateway = GatewayMap(registry)
        self.parser = RecordParser(registry, "gateway")
        self.pos: FilePosition | None = None
        self.loaded = False
        self.known: dict[ApiKey, str] = {}

    def _load(self) -> None:
        with self.store.connect() as conn:
            data = load_position(conn, self.config.name)
            self.known = load_api_contexts(conn)
        self.gateway.learned.update(self.known)
        self.pos = FilePosition.of(data) if data else None
        self.loaded = True

    def read(self) -> None:
        """Read what was added since the last read (the rest of a rotated file first)."""
        if not self.loaded:
            self._load()
        self.parser.latest = datetime.now(UTC) + FUTURE_TOLERANCE
        while True:
            try:
                st = self.path.stat()
            except FileNotFoundError:
                st = None
            except OSError as e:
                raise SourceDown(f"{self.path}: {describe_os_error(e)}") from None
            pos = self.pos
            if pos is None:
                if st is None:
                    raise SourceDown(_("{path}: no such file").format(path=self.path))
                self.pos = identify(self.path, st)
                continue
            if st is not None and is_same(self.path, st, pos):
                self._read_file(self.path, pos, final=False)
                return
            if self.status.stopping.is_set():
                return
            # The path names another file now (or none): the old one read to its end first.
            # The new one is identified before: rotated again meanwhile (copied and
            # truncated while the old one was read), it is found by its beginning.
            new = identify(self.path, st) if st is not None else None
            old = find_rotated(self.path, pos)
            if old is not None:
                log.info(
                    _("%s: %s was rotated: reading the rest of it from %s, line %d"),
                    self.config.name,
                    self.path,
                    old,
                    pos.line + 1,
                )
                self._read_file(old, pos, final=True)
                if self.status.stopping.is_set():
                    return  # the rest of the old file first, at the next start
            elif new is None:
                raise SourceDown(_("{path}: no such file").format(path=self.path))
            elif pos.offset > 0:
                log.warning(
                    _("%s: the rotated file is gone; lines after line %d of it were not read"),
                    self.config.name,
                    pos.line,
                )
            if new is None:
                return  # renamed, the new file not created yet
            # The new file from its start, its position committed with its first lines.
            self.pos = new
            log.info(_("%s: following the new %s from its start"), self.config.name, self.path)

    def _read_file(self, path: Path, pos: FilePosition, final: bool) -> None:
        """Read from the position to the end (a `final` file's last line need no newline)."""
        try:
            f = path.open("rb")
        except OSError as e:
            raise SourceDown(f"{path}: {describe_os_error(e)}") from None
        with f:
            f.seek(pos.offset)
            while True:
                pos, more = self._read_some(f, path, pos, final)
                if not more or self.status.stopping.is_set():
                    return

    def _read_some(
        self, f: IO[bytes], path: Path, pos: FilePosition, final: bool
    ) -> tuple[FilePosition, bool]:
        """Up to LINES_PER_COMMIT lines stored with the position after them; whether more wait."""
        offset, line = pos.offset, pos.line
        events: list[tuple[int, dict[str, Any], str | None]] = []
        invalid: list[tuple[int, str]] = []
        lines = 0
        more = False
        # Bound once: this loop runs for every line of a log (tens of thousands a second).
        readline, gateway, add_event = f.readline, self.gateway, events.append
        while True:
            if lines >= LINES_PER_COMMIT:
                more = True
                break
            raw = readline(MAX_LINE + 1)
            if not raw:
                break
            size = len(raw)
            if not raw.endswith(b"\n"):
                if size <= MAX_LINE and not final:
                    break  # still being written: read again once complete
                if size > MAX_LINE:
                    # An event is a few kB: the rest of an over-long line is skipped unread.
                    ended = False
                    while rest := f.readline(MAX_LINE):
                        size += len(rest)
                        if rest.endswith(b"\n"):
                            ended = True
                            break
                    if not ended and not final:
                        f.seek(offset)
                        break
            lines += 1
            line += 1
            offset += size
            if size > MAX_LINE:
                invalid.append((line, too_long(_("the line is longer than {n} bytes"))))
                continue
            try:
                text = raw.decode("utf-8-sig" if line == 1 else "utf-8").strip()
            except UnicodeDecodeError as e:
                invalid.append((line, not_utf8(e)))
                continue
            if not text:
                continue
            event, kind = line_event(text)
            if event is None:
                continue  # a log line that is not an analytics event
            if isinstance(event, Malformed):
                invalid.append((line, str(event.message)))
                continue
            learn(event, gateway)
            add_event((line, event, kind))
        # Mapped after the batch's responses taught their APIs' contexts: a fault read
        # before its API's first response in the batch maps too.
        records: list[Transaction] = []
        unmapped = 0
        platform = self.config.platform
        parse, add_record = self.parser.parse, records.append
        for n, event, kind in events:
            record = to_record(event, kind, gateway)
            if isinstance(record, Unmapped):
                unmapped += 1
                continue
            if isinstance(record, Malformed):
                invalid.append((n, f"{record.field}: {record.message}".lstrip(": ")))
                continue
            assert isinstance(record, dict)
            parsed = parse(record)
            if isinstance(parsed, list):
                invalid.append((n, "; ".join(map(str, parsed))))
                continue
            add_record(parsed if platform is None else stamped(parsed, platform))
        new = replace(pos, offset=offset, line=line)
        if new.head_len < HEAD:
            # The beginning that identifies the file, grown with it up to HEAD bytes.
            length = min(offset, HEAD)
            if length > new.head_len:
                new = replace(new, head=_digest(path, length), head_len=length)
        if new == pos:
            return pos, False
        learned = {k: v for k, v in self.gateway.learned.items() if self.known.get(k) != v}

        def keep_contexts(conn: Connection) -> None:
            save_api_contexts(conn, learned, int(datetime.now(UTC).timestamp() * 1_000_000))

        written = commit(
            self.store,
            self.registry.timezone,
            self.config,
            KIND,
            records,
            new.as_dict(),
            keep_contexts if learned else None,
        )
        self.known.update(learned)
        self.pos = new
        for n, reason in invalid:
            # Each bad line once: the position has moved past it.
            log.warning("%s: %s:%d: %s", self.config.name, path, n, reason)
        self.status.count(
            stored=written.accepted,
            duplicate=written.duplicates,
            no_obligation=unmapped,
            invalid=len(invalid),
        )
        self.status.position = {"file": str(path), **new.as_dict()}
        return new, more
