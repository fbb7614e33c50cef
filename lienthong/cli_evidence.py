"""`lienthong evidence`: one obligation's day, its state and why, the records behind it."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from compliance.day_evidence import SHOWN_RECORDS, DayEvidence, EvidenceError, day_evidence
from compliance.periods import parse_day
from lienthong import settings
from lienthong.errors import UsageError
from store import open_store


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "evidence", help="one day of one obligation: its state and why, its records, excusals"
    )
    parser.add_argument("--department", metavar="CODE", required=True)
    parser.add_argument("--system", metavar="CODE", required=True)
    parser.add_argument("--day", metavar="YYYY-MM-DD", required=True)
    parser.add_argument(
        "--format", choices=("table", "json"), default="table", help="json: for scripts"
    )
    settings.add_store_options(parser)
    settings.add_registry_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    registry = settings.registry(args)
    day = parse_day(args.day)
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
    probe_only = " (only by probes)" if e.state == "probe_only" else ""
    print(f"{e.department} → {e.system}, {e.day}: {e.state_word}{probe_only}")
    print(f"  why: {e.why}")
    print(f"  sources that count: {', '.join(e.evidence)}")
    shown = min(e.record_count, SHOWN_RECORDS)
    print(f"  records: {e.record_count}" + (f" (first {shown} shown)" if shown else ""))
    for r in e.records:
        outcome = "success" if r.success else "failure"
        ignored = "" if r.source in e.evidence else "  [source not counted]"
        print(
            f"    {r.ts.astimezone(tz):%H:%M:%S} {r.source:<8} {outcome:<8}"
            f" {r.record_id or '-':<20} {r.detail or ''}{ignored}"
        )
    if not e.excusals:
        print("  excusals: none")
    for x in e.excusals:
        print(
            f"  excusal #{x.id} {x.state} ({x.first_day} to {x.last_day},"
            f" {x.department or 'every department'}): {x.reason}"
            f" — proposed by {x.proposed_by}"
            + (f", {x.state} by {x.decided_by}" if x.decided_by else "")
        )
