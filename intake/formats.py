"""The import formats, one table: adding a format is a reader module and one line here."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from i18n import _
from intake.files import FileFormatError, RecordStream, open_records
from intake.wso2 import open_wso2
from intake.xroad import open_xroad
from registry import Registry

Opener = Callable[[Path, Registry], RecordStream]


def _contract(fmt: str) -> Opener:
    """The contract's own record format, which needs no registry to read."""
    return lambda path, _registry: open_records(path, fmt)


FORMATS: dict[str, Opener] = {
    "jsonl": _contract("jsonl"),
    "csv": _contract("csv"),
    "wso2": open_wso2,
    "xroad-opmon": open_xroad,
}


def open_stream(path: Path, fmt: str, registry: Registry) -> RecordStream:
    """A file of any known format as a stream of raw contract records."""
    opener = FORMATS.get(fmt)
    if opener is None:
        raise FileFormatError(
            _("unknown format {format!r} (known: {known})").format(
                format=fmt, known=", ".join(FORMATS)
            )
        )
    return opener(path, registry)
