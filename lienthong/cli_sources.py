"""`lienthong sources status`: each source of serve's config, its position, last read, last error."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import Any

from i18n import _
from intake.sources import kind_of
from intake.sources.common import SourceBase
from lienthong import settings
from store import open_store
from store.sources import SourceRow, read_sources


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "sources", help=_("the sources serve reads: followed logs, X-Road, folders")
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    status = actions.add_parser(
        "status", help=_("each source's kind, position, last read and last error")
    )
    status.add_argument(
        "--format", choices=("table", "json"), default="table", help=_("json: for scripts")
    )
    settings.add_store_options(status)
    status.set_defaults(run=run_status)


def _time(us: int | None) -> str | None:
    return None if us is None else datetime.fromtimestamp(us / 1e6, UTC).isoformat()


def describe_position(kind: str, position: dict[str, Any] | None) -> str:
    """A position as a person reads it."""
    if not position:
        return _("not read yet")
    if kind == "wso2-log":
        return _("line {line}, byte {offset}").format(
            line=position.get("line", 0), offset=position.get("offset", 0)
        )
    if kind == "xroad-opmon" and "records_from" in position:
        since = datetime.fromtimestamp(int(position["records_from"]), UTC)
        return _("records from {time}").format(time=since.isoformat())
    if kind == "folder" and "file" in position:
        return _("last file {name}").format(name=position["file"])
    return json.dumps(position, sort_keys=True)


def status_rows(configs: list[SourceBase], stored: dict[str, SourceRow]) -> list[dict[str, Any]]:
    """One row per configured source, with what the store keeps of it."""
    rows = []
    for config in configs:
        row = stored.get(config.name)
        rows.append(
            {
                "source": config.name,
                "kind": kind_of(config),
                "platform": config.platform,
                "position": row.position if row else None,
                "committed": _time(row.committed_us) if row else None,
                "last_read": _time(row.last_read_us) if row else None,
                "last_error": row.last_error if row else None,
                "error_since": _time(row.error_us) if row else None,
            }
        )
    return rows


def run_status(args: argparse.Namespace) -> int:
    config = settings.config(args)
    engine = open_store(settings.database_url(args), create=False)
    try:
        stored = read_sources(engine)
    finally:
        engine.dispose()
    rows = status_rows(config.sources, stored)
    if args.format == "json":
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return 0
    if not rows:
        print(_("no sources in the config: add [[sources]] tables (see docs/ingest.md)"))
        return 0
    headers = (_("source"), _("kind"), _("position"), _("last read (UTC)"), _("last error"))
    table = [
        (
            r["source"],
            r["kind"],
            describe_position(r["kind"], r["position"]),
            (r["last_read"] or _("never"))[:19],
            r["last_error"] or "—",
        )
        for r in rows
    ]
    widths = [max(len(str(x)) for x in column) for column in zip(headers, *table, strict=False)]
    for line in (headers, *table):
        print("  ".join(str(x).ljust(w) for x, w in zip(line, widths, strict=True)).rstrip())
    return 0
