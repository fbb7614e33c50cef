"""`lienthong calendar show`: the year's working-day calendar, each difference with its source."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from i18n import N_, _
from lienthong import settings
from lienthong.errors import UsageError
from registry.calendar import CalendarDataError, Day, is_official, year_days
from registry.model import Calendar

# How a day differs from "Monday–Friday less the fixed-date holidays", for people.
KIND_NAMES = {
    "fixed": N_("holiday (Labour Code, fixed date)"),
    "tet": N_("Tết holiday"),
    "holiday": N_("holiday"),
    "compensatory": N_("compensatory day off"),
    "adjacent": N_("National Day, adjacent day"),
    "swapped_off": N_("swapped day off"),
    "make_up": N_("make-up working Saturday"),
    "override": N_("registry override (local decision)"),
}
WEEKDAYS = (
    N_("Monday"),
    N_("Tuesday"),
    N_("Wednesday"),
    N_("Thursday"),
    N_("Friday"),
    N_("Saturday"),
    N_("Sunday"),
)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("calendar", help=_("the official calendar of working days"))
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    show = actions.add_parser(
        "show", help=_("a year's days that differ from Monday–Friday, with their sources")
    )
    show.add_argument("--year", type=int, required=True, metavar="YYYY")
    show.add_argument(
        "--format", choices=("table", "json"), default="table", help=_("json: for scripts")
    )
    settings.add_registry_options(show)
    show.set_defaults(run=run_show)


def run_show(args: argparse.Namespace) -> int:
    spec = settings.registry_spec(args)
    overrides = settings.registry(args).calendar if spec is not None else Calendar()
    try:
        found = year_days(args.year, overrides)
    except CalendarDataError:
        raise UsageError(
            _("no calendar for {year}: lienthong knows the lunar dates of 2015–2050 only").format(
                year=args.year
            )
        ) from None
    official = is_official(args.year)
    if args.format == "json":
        body = {
            "year": args.year,
            "official": official,
            "registry": spec,
            "days": [as_json(d) for d in found],
        }
        json.dump(body, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return 0
    print_table(args.year, official, found, spec)
    return 0


def as_json(d: Day) -> dict[str, Any]:
    s = d.source
    return {
        "date": d.day.isoformat(),
        "working": d.working,
        "kind": d.kind,
        "name": d.name,
        "override": d.kind == "override",
        "provisional": d.provisional,
        "source": None
        if s is None
        else {
            "number": s.number,
            "date": s.date.isoformat() if s.date else None,
            "issuer": s.issuer,
            "title": s.title,
            "note": s.note,
        },
    }


def print_table(year: int, official: bool, found: list[Day], spec: str | None) -> None:
    if official:
        print(_("Working-day calendar {year}: official").format(year=year))
    else:
        print(
            _(
                "Working-day calendar {year}: PROVISIONAL (no notice yet: computed from the"
                " Labour Code)"
            ).format(year=year)
        )
    if spec is not None:
        print(_("Registry overrides from: {registry}").format(registry=spec))
    for d in found:
        working = _("working day") if d.working else _("day off")
        source = d.source.cite() if d.source else _("registry override")
        print(
            f"{d.day:%d/%m/%Y}  {_(WEEKDAYS[d.day.weekday()]):<9}  {working:<13}"
            f"  {_(KIND_NAMES[d.kind])}: {d.name}  [{source}]"
        )
        if d.source is not None and d.source.note:
            print(" " * 12 + _("note") + ": " + " ".join(d.source.note.split()))
