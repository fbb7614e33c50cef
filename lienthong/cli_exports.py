"""`lienthong exports run-due`: write (and mail) the scheduled exports that are due, once."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

from i18n import _
from lienthong import cli_args, settings
from lienthong.errors import UsageError
from registry import Registry, load_registry
from reports.due import due_exports, next_due_at
from reports.manifest import read_manifest
from reports.scheduled import ExportsSettings, run_due, utc_now
from store import open_store, sync_registry


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("exports", help=_("the scheduled exports folder"))
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    due = actions.add_parser(
        "run-due",
        help=_(
            "write the monthly and quarterly exports that are due and not yet written (for cron)"
        ),
        description=_(
            "Writes every export due now and not yet in the folder's manifest (JSON,"
            " CSV, XLSX, PDF), then mails what awaits mailing, as `lienthong serve` does on its"
            " own: a month's on the 1st of the next month, a quarter's on its deadline day (the"
            " 24th of its last month), at the configured hour, local time."
        ),
    )
    due.add_argument(
        "--exports-dir", metavar="DIR", type=Path, help=_("default: exports.dir, or ./exports")
    )
    due.add_argument(
        "--hour", type=int, choices=range(24), metavar="H", help=_("default: exports.hour, or 7")
    )
    due.add_argument(
        "--now",
        metavar="RFC3339",
        type=cli_args.rfc3339,
        help=_(
            "the time to act as of, with its offset, e.g. 2026-11-01T07:00:00+07:00;"
            " not later than the clock (default: the clock)"
        ),
    )
    due.add_argument(
        "--dry-run",
        action="store_true",
        help=_(
            "say which exports are due as of --now, and write, record and mail nothing"
            " (any --now is accepted)"
        ),
    )
    settings.add_store_options(due)
    settings.add_registry_options(due)
    due.set_defaults(run=run_due_command)


def _now(given: datetime | None, dry_run: bool) -> datetime:
    """The clock, or an earlier time to catch up as of: a later one would file periods not over."""
    clock = utc_now()
    if given is None:
        return clock
    if given > clock and not dry_run:
        raise UsageError(
            _(
                "--now {now} is later than the clock ({clock}): exports of periods not over"
                " would be filed; use --dry-run to preview"
            ).format(now=given.isoformat(), clock=clock.isoformat(timespec="seconds"))
        )
    return given


def run_due_command(args: argparse.Namespace) -> int:
    now = _now(args.now, args.dry_run)
    # The service's own config file, read by the same loader: its [exports] table, and
    # its database and registry unless given here.
    config = settings.config(args).exports
    overrides = {
        k: v
        for k, v in (
            ("dir", args.exports_dir),
            ("hour", args.hour),
            ("lang", getattr(args, "lang", None)),
        )
        if v is not None
    }
    config = config.model_copy(update=overrides)
    spec = settings.registry_spec(args)
    registry = load_registry(spec)
    if args.dry_run:
        return _dry_run(config, registry, now)
    url = settings.database_url(args)
    engine = open_store(url, create=False)  # a mistyped --db must not file an empty period
    try:
        sync_registry(engine, registry)
        result = run_due(
            engine,
            registry,
            config,
            now=now,
            registry_spec=spec,
            database_url=url,
            document=settings.config(args).report,
        )
    finally:
        engine.dispose()
    if result.busy:
        print(
            _("{dir}: another export run is writing; nothing done").format(dir=config.dir),
            file=sys.stderr,
        )
        return 1
    for w in result.written:
        kinds = ", ".join(f.suffix.lstrip(".") for f in w.files)
        print(
            _("{dir}: wrote {period} as of {as_of} ({kinds})").format(
                dir=config.dir / w.period, period=w.period, as_of=w.as_of, kinds=kinds
            )
        )
    for period, to in result.mailed:
        print(_("{dir}: mailed to {to}").format(dir=config.dir / period, to=", ".join(to)))
    for error in result.mail_errors:
        print(f"lienthong: {error}", file=sys.stderr)
    if not result.written and not result.mailed:
        upcoming = next_due_at(now, registry.tz, config.hour)
        print(
            _("{dir}: nothing due; next at {at}").format(
                dir=config.dir, at=upcoming.isoformat(timespec="minutes")
            )
        )
    return 1 if result.mail_errors else 0


def _dry_run(config: ExportsSettings, registry: Registry, now: datetime) -> int:
    """What a run as of `now` would write: the manifest is read, nothing is written."""
    written = read_manifest(config.dir)
    due = due_exports(now, registry.tz, written, config.hour, config.catch_up)
    for d in due:
        print(
            _("{dir}: would write {period} as of {as_of} (dry run)").format(
                dir=config.dir / d.key, period=d.key, as_of=d.as_of
            )
        )
    if not due:
        upcoming = next_due_at(now, registry.tz, config.hour)
        print(
            _("{dir}: nothing due; next at {at}").format(
                dir=config.dir, at=upcoming.isoformat(timespec="minutes")
            )
        )
    return 0
