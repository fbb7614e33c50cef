"""`lienthong exports run-due`: write (and mail) the scheduled exports that are due, once."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

from lienthong import settings
from lienthong.errors import UsageError
from lienthong.serve_config import load_config
from reports.due import next_due_at
from reports.scheduled import run_due, utc_now
from reports.words import LANGS
from store import open_store, sync_registry


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("exports", help="the scheduled exports folder")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    due = actions.add_parser(
        "run-due",
        help="write the monthly and quarterly exports that are due and not yet written (for cron)",
        description="Writes every export due now and not yet in the folder's manifest (JSON,"
        " CSV, XLSX, PDF), then mails what awaits mailing, as `lienthong serve` does on its"
        " own: a month's on the 1st of the next month, a quarter's on its deadline day (the"
        " 24th of its last month), at the configured hour, local time.",
    )
    due.add_argument(
        "--config", metavar="FILE", type=Path, help="TOML file with an [exports] table"
    )
    due.add_argument(
        "--exports-dir", metavar="DIR", type=Path, help="default: exports.dir, or ./exports"
    )
    due.add_argument(
        "--hour", type=int, choices=range(24), metavar="H", help="default: exports.hour, or 7"
    )
    due.add_argument(
        "--lang", choices=LANGS, help="for XLSX and PDF (default: exports.lang, or vi)"
    )
    due.add_argument(
        "--now",
        metavar="RFC3339",
        help="the time to act as of, with its offset (default: the clock): e.g. 2026-11-01T07:00:00+07:00",
    )
    settings.add_store_options(due)
    settings.add_registry_options(due)
    due.set_defaults(run=run_due_command)


def _now(text: str | None) -> datetime:
    if text is None:
        return utc_now()
    try:
        now = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"--now {text!r} is not an RFC 3339 time") from None
    if now.tzinfo is None:
        raise UsageError(f"--now {text!r} needs an offset, e.g. +07:00")
    return now


def run_due_command(args: argparse.Namespace) -> int:
    now = _now(args.now)
    # The [exports] table of the service's own config file, read by the same loader.
    config = load_config(args.config).exports
    overrides = {
        k: v
        for k, v in (("dir", args.exports_dir), ("hour", args.hour), ("lang", args.lang))
        if v is not None
    }
    config = config.model_copy(update=overrides)
    registry = settings.registry(args)
    url = settings.database_url(args)
    engine = open_store(url)
    try:
        sync_registry(engine, registry)
        result = run_due(
            engine,
            registry,
            config,
            now=now,
            registry_spec=settings.registry_spec(args),
            database_url=url,
        )
    finally:
        engine.dispose()
    if result.busy:
        print(f"{config.dir}: another export run is writing; nothing done", file=sys.stderr)
        return 1
    for w in result.written:
        kinds = ", ".join(f.suffix.lstrip(".") for f in w.files)
        print(f"{config.dir / w.period}: wrote {w.period} as of {w.as_of} ({kinds})")
    for period, to in result.mailed:
        print(f"{config.dir / period}: mailed to {', '.join(to)}")
    for error in result.mail_errors:
        print(f"lienthong: {error}", file=sys.stderr)
    if not result.written and not result.mailed:
        upcoming = next_due_at(now, registry.tz, config.hour)
        print(f"{config.dir}: nothing due; next at {upcoming.isoformat(timespec='minutes')}")
    return 1 if result.mail_errors else 0
