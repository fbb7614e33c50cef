"""The one atomic file writer: a reader never sees half a file, a crash leaves the old one."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import IO

# The temporary file ends so (".NAME.partial"): one is left only by a process that ended
# while writing it.
PARTIAL_SUFFIX = ".partial"


def write_atomically(path: Path, write: Callable[[IO[bytes]], None], mode: int = 0o644) -> None:
    """Write through a temporary file in the same folder, fsync it, rename it into place,
    and fsync the folder, so that the rename itself survives a power cut."""
    tmp = path.with_name(f".{path.name}{PARTIAL_SUFFIX}")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)  # an existing file keeps its old mode through O_CREAT
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def write_text_atomically(path: Path, text: str, mode: int = 0o644) -> None:
    """`write_atomically` for a UTF-8 text."""
    data = text.encode("utf-8")

    def write(f: IO[bytes]) -> None:
        f.write(data)

    write_atomically(path, write, mode)
