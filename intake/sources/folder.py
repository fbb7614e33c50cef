"""`folder`: each file dropped into a folder imported once, then moved to `done/` or `failed/`.

A file is imported as `lienthong ingest` imports it (one database transaction,
nothing stored if any record is invalid), in the format the config gives or
its name says. It is moved to `done/` once stored; to `failed/` with
`NAME.err` beside it (why, record by record) when nothing of it could be
stored.

A file still being written is left alone: a name ending in `.part` (write
`x.jsonl.part`, then rename it to `x.jsonl`), and any file whose size or
modification time changed since the folder's previous look (`interval`
seconds before) waits for the next look. Names starting with `.` are ignored.

Exactly once: the file's name and SHA-256 are the source's position,
committed with its records; a file found again after a crash between that
commit and its move (same name, same content) is moved without a second
import.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from sqlalchemy import Connection, Engine

from i18n import _
from i18n.os_errors import describe_os_error
from intake.files import FileFormatError, detect_format
from intake.formats import FORMATS
from intake.ingest import FileResult, ingest_file
from intake.sources.common import SourceBase, SourceDown, SourceStatus, log, now_us
from registry import Registry
from store.sources import load_position, save_position

KIND = "folder"
DONE, FAILED = "done", "failed"
WRITING = ".part"  # the suffix of a file still being written


class FolderConfig(SourceBase):
    kind: Literal["folder"]
    path: str
    format: str | None = None  # a key of intake.formats.FORMATS; None: from each file's name
    interval: Annotated[float, Field(gt=0, le=3600)] = 10.0

    @field_validator("format")
    @classmethod
    def _known(cls, value: str | None) -> str | None:
        if value is not None and value not in FORMATS:
            raise ValueError(
                _("unknown format {format!r} (known: {known})").format(
                    format=value, known=", ".join(FORMATS)
                )
            )
        return value


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _free_name(folder: Path, name: str) -> Path:
    """`folder/name`, or `name.1`, `name.2`… when taken (the same name dropped again)."""
    target = folder / name
    n = 0
    while target.exists() or target.with_name(target.name + ".err").exists():
        n += 1
        target = folder / f"{name}.{n}"
    return target


class Folder:
    """One drop folder; `read` runs in a worker thread."""

    def __init__(
        self, config: FolderConfig, registry: Registry, store: Engine, status: SourceStatus
    ) -> None:
        self.config = config
        self.registry = registry
        self.store = store
        self.status = status
        self.path = Path(config.path)
        self.seen: dict[str, tuple[int, int]] = {}  # name → (size, mtime) at the last look

    def read(self) -> None:
        """Import every file that stopped changing since the last look."""
        try:
            entries = sorted(os.scandir(self.path), key=lambda e: e.name)
        except OSError as e:
            raise SourceDown(f"{self.path}: {describe_os_error(e)}") from None
        looked: dict[str, tuple[int, int]] = {}
        for entry in entries:
            name = entry.name
            if name.startswith(".") or name.endswith(WRITING):
                continue
            try:
                if not entry.is_file(follow_symlinks=False):
                    continue
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue  # gone meanwhile
            looked[name] = (st.st_size, st.st_mtime_ns)
            if self.seen.get(name) != looked[name]:
                continue  # new or still growing: imported once it stays as it is
            self._import(Path(entry.path))
            looked.pop(name)
        self.seen = looked

    def _import(self, path: Path) -> None:
        name = path.name
        digest = _sha256(path)
        with self.store.connect() as conn:
            last = load_position(conn, self.config.name)
        if last is not None and last.get("file") == name and last.get("sha256") == digest:
            self._move(path, DONE)  # imported before a crash that left it here
            return
        position = {"file": name, "sha256": digest}

        def keep_position(conn: Connection) -> None:
            save_position(conn, self.config.name, KIND, position, now_us())

        try:
            fmt = self.config.format or detect_format(path)
            result = ingest_file(
                self.store,
                self.registry,
                path,
                fmt,
                platform=self.config.platform,
                also=keep_position,
            )
        except FileFormatError as e:
            self._fail(path, [str(e)])
            self.status.count(invalid=1)
            return
        self.status.count(
            stored=result.written.accepted,
            duplicate=result.written.duplicates,
            no_obligation=sum(result.unmapped.values()),
            invalid=result.invalid,
        )
        if result.ok:
            self._move(path, DONE)
            self.status.position = position
            log.info(
                _("%s: %s imported: %d stored, %d already stored"),
                self.config.name,
                name,
                result.written.accepted,
                result.written.duplicates,
            )
        else:
            self._fail(path, _errors(result))

    def _move(self, path: Path, to: str) -> Path:
        folder = self.path / to
        try:
            folder.mkdir(exist_ok=True)
            target = _free_name(folder, path.name)
            path.rename(target)
        except OSError as e:
            raise SourceDown(f"{path}: {describe_os_error(e)}") from None
        return target

    def _fail(self, path: Path, errors: list[str]) -> None:
        target = self._move(path, FAILED)
        text = "\n".join(errors) + "\n"
        target.with_name(target.name + ".err").write_text(text, encoding="utf-8")
        log.warning(
            _("%s: %s not imported, moved to %s: %s"),
            self.config.name,
            path.name,
            target,
            errors[0],
        )


def _errors(result: FileResult) -> list[str]:
    """What is wrong with a refused file, a line per problem (at most the first hundred)."""
    found = [f"{result.path.name}:{line}: {error}" for line, error in result.errors]
    more = result.invalid - len({line for line, _e in result.errors})
    if more > 0:
        found.append(_("… {n} more invalid records").format(n=more))
    found.append(
        _("{invalid} invalid records of {records}: nothing stored").format(
            invalid=result.invalid, records=result.records
        )
    )
    return found
