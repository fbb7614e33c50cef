"""One line per source running inside `serve`, for the Sở's status page: the data, and a
small piece of HTML the page puts under its table."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
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


def sources_html(lines: Sequence[SourceLine]) -> str:
    """The lines as a list under a heading; nothing when no source is configured."""
    if not lines:
        return ""
    items = []
    for line in lines:
        when = line.last_read.strftime("%H:%M:%S %d/%m/%Y") if line.last_read else _("never")
        if line.up is None:
            state = _("not read yet")
        elif line.up:
            state = _("read at {time}, {n} records stored since the start").format(
                time=when, n=line.stored
            )
        else:
            state = _("NOT READ: {error} (last read {time})").format(
                error=line.error or "?", time=when
            )
        css = "ok" if line.up else "down"
        items.append(
            f'<li class="source {css}"><b>{escape(line.name)}</b> ({escape(line.kind)}):'
            f" {escape(state)}</li>"
        )
    return f'<h2>{escape(_("Data sources"))}</h2>\n<ul class="sources">{"".join(items)}</ul>\n'
