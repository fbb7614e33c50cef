"""One line per source running inside `serve`, for the Sở's status page (templates/overview.html
puts them under its table)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from i18n import _
from intake.sources.common import SourceStatus


@dataclass(frozen=True)
class SourceLine:
    name: str
    kind: str
    up: bool | None  # None: not read yet
    last_read: datetime | None  # local time
    error: str | None
    stored: int  # records stored since the service started


def source_lines(statuses: Sequence[SourceStatus], tz: ZoneInfo) -> list[SourceLine]:
    return [
        SourceLine(
            s.name,
            s.kind,
            s.up,
            None if s.last_read is None else datetime.fromtimestamp(s.last_read, tz),
            s.last_error,
            s.records.get("stored", 0),
        )
        for s in sorted(statuses, key=lambda s: s.name)
    ]


def source_state(line: SourceLine) -> str:
    """What the Sở reads of one source: read when, how much stored, or why it is not read."""
    when = line.last_read.strftime("%H:%M:%S %d/%m/%Y") if line.last_read else _("never")
    if line.up is None:
        return _("not read yet")
    if line.up:
        return _("read at {time}, {n} records stored since the start").format(
            time=when, n=line.stored
        )
    return _("NOT READ: {error} (last read {time})").format(error=line.error or "?", time=when)
