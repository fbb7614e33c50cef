"""`lienthong evidence`: one obligation's day, its state and why, the records behind it."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from typing import Any

from compliance.day_evidence import SHOWN_RECORDS, DayEvidence, EvidenceError, day_evidence
from i18n import _
from i18n.glossary import DAY_STATES
from lienthong import cli_args, settings
from lienthong.errors import UsageError
from lienthong.terminal import shown
from store import open_store
from store.excusals import STATE_NAMES


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "evidence", help=_("one day of one obligation: its state and why, its records, excusals")
    )
    parser.add_argument("--department", metavar="CODE", required=True)
    parser.add_argument("--system", metavar="CODE", required=True)
    parser.add_argument("--day", metavar="YYYY-MM-DD", type=cli_args.day, required=True)
    parser.add_argument(
        "--format", choices=("table", "json"), default="table", help=_("json: for scripts")
    )
    settings.add_store_options(parser)
    settings.add_registry_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    registry = settings.registry(args)
    day: date = args.day
    engine = open_store(settings.database_url(args), create=False)
    try:
        found = day_evidence(engine, registry, args.department, args.system, day)
    except EvidenceError as e:
        raise UsageError(str(e)) from None
    finally:
        engine.dispose()
    if args.format == "json":
        json.dump(as_json(found, registry.tz), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        print_table(found, registry.tz)
    return 0


def as_json(e: DayEvidence, tz: Any) -> dict[str, Any]:
    return {
        "department": e.department,
        "system": e.system,
        "day": e.day.isoformat(),
        "state": e.state_word,
        "probe_only": e.state == "probe_only",
        "why": e.why,
        "evidence": list(e.evidence),
        "min_daily_successes": e.min_daily_successes,
        "by_source": {
            s: {"successes": c.successes, "failures": c.failures}
            for s, c in sorted(e.by_source.items())
        },
        "record_count": e.record_count,
        "records": [
            {
                "ts": r.ts.astimezone(tz).isoformat(),
                "source": r.source,
                "id": r.record_id,
                "outcome": "success" if r.success else "failure",
                "detail": r.detail,
                "counts": r.source in e.evidence,
            }
            for r in e.records
        ],
        "excusals": [x.as_json() for x in e.excusals],
    }


def print_table(e: DayEvidence, tz: Any) -> None:
    state = _(DAY_STATES[e.state].name) if e.state in DAY_STATES else e.state_word
    print(f"{e.department} → {e.system}, {e.day}: {state}")
    print("  " + _("why: {why}").format(why=e.why))
    print("  " + _("sources that count: {sources}").format(sources=", ".join(e.evidence)))
    listed = min(e.record_count, SHOWN_RECORDS)
    print(
        "  "
        + _("records: {n}").format(n=e.record_count)
        + (_(" (first {shown} shown)").format(shown=listed) if listed else "")
    )
    for r in e.records:
        outcome = _("success") if r.success else _("failure")
        ignored = "" if r.source in e.evidence else "  " + _("[source not counted]")
        print(
            f"    {r.ts.astimezone(tz):%H:%M:%S} {r.source:<8} {outcome:<8}"
            f" {shown(r.record_id or '-'):<20} {shown(r.detail)}{ignored}"
        )
    if not e.excusals:
        print("  " + _("excusals: none"))
    for x in e.excusals:
        state_name = _(STATE_NAMES.get(x.state, x.state))
        line = _(
            "excusal #{id} {state} ({first} to {last}, {scope}): {reason} — proposed by {by}"
        ).format(
            id=x.id,
            state=state_name,
            first=x.first_day,
            last=x.last_day,
            scope=x.department or _("every department"),
            reason=shown(x.reason),
            by=shown(x.proposed_by),
        )
        if x.decided_by:
            line += _(", {state} by {by}").format(state=state_name, by=shown(x.decided_by))
        print("  " + line)
