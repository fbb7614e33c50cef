"""The exports folder's record of what the schedule wrote: `manifest.json`, beside the files.

The record lives with the files it describes, so copying, restoring or moving the
folder keeps the two consistent, and it works the same on SQLite and PostgreSQL
deployments without a schema change. Removing a period's entry (or the whole folder)
is how an operator asks for that export again. The manifest is replaced atomically
(temporary file, fsync, rename); a lock file keeps two runs (the service and a cron
`lienthong exports run-due`) from writing at once.
"""

from __future__ import annotations

import fcntl
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from i18n import _
from i18n.os_errors import describe_os_error
from reports.files import write_text_atomically

MANIFEST = "manifest.json"
LOCK = ".lock"
VERSION = 1


class ManifestError(Exception):
    """A manifest that cannot be read: said in one line, never silently overwritten."""


@dataclass
class ExportRecord:
    """One period's exports: when they were written and whether they were mailed."""

    period: str
    as_of: str
    written_at: str  # RFC 3339, local time
    files: list[str]  # relative to the exports folder
    mail_pending: bool = False
    mailed_at: str | None = None
    mailed_to: list[str] = field(default_factory=list)
    # Changes to periods filed before ("ID:approved", "ID:withdrawn") this filing showed
    # as corrections (reports/corrections.py): each is shown once.
    corrections: list[str] = field(default_factory=list)


def read_manifest(folder: Path) -> dict[str, ExportRecord]:
    path = folder / MANIFEST
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as e:
        # JSON's own complaint names where the text breaks (line, column): kept as it is.
        reason = describe_os_error(e) if isinstance(e, OSError) else str(e)
        raise ManifestError(
            _("{path}: cannot read the exports manifest: {reason}").format(path=path, reason=reason)
        ) from None
    if not isinstance(document, dict) or document.get("version") != VERSION:
        raise ManifestError(
            _("{path}: not a version {version} exports manifest").format(path=path, version=VERSION)
        )
    try:
        return {k: ExportRecord(**v) for k, v in document["exports"].items()}
    except (KeyError, TypeError, AttributeError) as e:
        raise ManifestError(
            _("{path}: malformed exports manifest: {error}").format(path=path, error=e)
        ) from None


def write_manifest(folder: Path, records: dict[str, ExportRecord]) -> None:
    path = folder / MANIFEST
    document: dict[str, Any] = {
        "version": VERSION,
        "exports": {k: asdict(records[k]) for k in sorted(records)},
    }
    write_text_atomically(path, json.dumps(document, ensure_ascii=False, indent=2) + "\n")


@contextmanager
def folder_lock(folder: Path) -> Iterator[bool]:
    """Hold the folder's lock for a run; yields False (without waiting) if another run has it."""
    with (folder / LOCK).open("a") as f:
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)
