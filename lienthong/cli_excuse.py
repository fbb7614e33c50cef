"""`lienthong excuse propose|approve|reject|withdraw|list|detect`: days not a department's fault."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys

from compliance.outages import (
    OfficeHours,
    OfficeHoursError,
    detect_outages,
    propose_for_outages,
)
from compliance.periods import Month, parse_day
from i18n import _
from lienthong import cli_args, settings
from lienthong.errors import UsageError
from lienthong.terminal import shown
from store import open_store
from store.excusals import (
    MAX_DAYS,
    STATE_NAMES,
    ExcusalError,
    ExcusalState,
    approve_excusal,
    excusals_between,
    propose_excusal,
    reject_excusal,
    withdraw_excusal,
)

MAX_DAYS_ENV = "LIENTHONG_EXCUSAL_MAX_DAYS"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "excuse", help=_("excusals: missed days that were not a department's fault")
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    propose = actions.add_parser(
        "propose", help=_("propose an excusal; prints its id alone on the last line")
    )
    propose.add_argument("--system", metavar="CODE", required=True)
    propose.add_argument(
        "--department", metavar="CODE", help=_("one department (default: every department)")
    )
    propose.add_argument("--from", dest="first", metavar="YYYY-MM-DD", required=True)
    propose.add_argument("--to", dest="last", metavar="YYYY-MM-DD", help=_("default: --from"))
    propose.add_argument("--reason", metavar="TEXT", required=True)
    propose.add_argument("--by", metavar="NAME", help=_("who proposes it (default: your login)"))
    settings.add_store_options(propose)
    settings.add_registry_options(propose)
    propose.set_defaults(run=run_propose)

    for name, help_text, run in (
        (
            "approve",
            _("approve a proposed excusal: from now on it changes the figures"),
            run_approve,
        ),
        ("reject", _("reject a proposed excusal"), run_reject),
        ("withdraw", _("withdraw an approved excusal (recorded, never erased)"), run_withdraw),
    ):
        step = actions.add_parser(name, help=help_text)
        step.add_argument("id", metavar="ID", type=int)
        step.add_argument("--by", metavar="NAME", required=True)
        if name != "approve":
            step.add_argument("--reason", metavar="TEXT")
        else:
            step.add_argument(
                "--long",
                action="store_true",
                help=_("approve an excusal longer than --max-days: say that it is meant"),
            )
            step.add_argument(
                "--max-days",
                metavar="N",
                type=int,
                help=_(
                    "days an excusal may span without --long (env {env}; [excusals] max_days"
                    " in the config; default {n})"
                ).format(env=MAX_DAYS_ENV, n=MAX_DAYS),
            )
        settings.add_store_options(step)
        step.set_defaults(run=run)

    listing = actions.add_parser("list", help=_("excusals, with their authors and states"))
    listing.add_argument(
        "--month",
        metavar="YYYY-MM",
        type=cli_args.month,
        help=_("only those with a day in the month"),
    )
    listing.add_argument("--state", choices=[s.value for s in ExcusalState])
    listing.add_argument(
        "--format", choices=("table", "json"), default="table", help=_("json: for scripts")
    )
    settings.add_store_options(listing)
    listing.set_defaults(run=run_list)

    detect = actions.add_parser(
        "detect",
        help=_("propose a system-wide excusal for each working day a national system was down"),
    )
    detect.add_argument("--month", metavar="YYYY-MM", type=cli_args.month, required=True)
    detect.add_argument(
        "--office-hours",
        metavar="HH:MM-HH:MM",
        default=str(OfficeHours()),
        help=_("local hours in which every probe must have failed (default: %(default)s)"),
    )
    settings.add_store_options(detect)
    settings.add_registry_options(detect)
    detect.set_defaults(run=run_detect)


def default_author() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def run_propose(args: argparse.Namespace) -> int:
    registry = settings.registry(args)
    first = parse_day(args.first)
    last = parse_day(args.last) if args.last else first
    engine = open_store(settings.database_url(args), create=False)
    try:
        new_id = propose_excusal(
            engine,
            registry,
            system=args.system,
            department=args.department,
            first=first,
            last=last,
            reason=args.reason,
            by=args.by or default_author(),
        )
    except ExcusalError as e:
        raise UsageError(str(e)) from None
    finally:
        engine.dispose()
    scope = args.department or _("every department")
    print(
        _(
            "proposed excusal for {system} ({scope}), {first} to {last}; approve it with {command}:"
        ).format(
            system=args.system,
            scope=scope,
            first=first,
            last=last,
            command=f"`lienthong excuse approve {new_id} --by NAME`",
        )
    )
    print(new_id)
    return 0


def _step(args: argparse.Namespace, verb: str) -> int:
    engine = open_store(settings.database_url(args), create=False)
    try:
        if verb == "approved":
            done = approve_excusal(engine, args.id, args.by, args.long, _max_days(args))
        elif verb == "rejected":
            done = reject_excusal(engine, args.id, args.by, args.reason)
        else:
            done = withdraw_excusal(engine, args.id, args.by, args.reason)
    except ExcusalError as e:
        raise UsageError(str(e)) from None
    finally:
        engine.dispose()
    print(
        _("excusal {id} ({system}, {scope}, {first} to {last}) {verb} by {by}").format(
            id=done.id,
            system=done.system,
            scope=done.department or _("every department"),
            first=done.first_day,
            last=done.last_day,
            verb=_(STATE_NAMES[verb]),
            by=args.by.strip(),
        )
    )
    return 0


def _max_days(args: argparse.Namespace) -> int:
    if args.max_days is not None:
        return int(args.max_days)
    configured = os.environ.get(MAX_DAYS_ENV)
    if configured is None:
        return settings.config(args).excusals.max_days
    if not configured.strip().isdigit():
        raise UsageError(
            _("{name}={value!r} is not a number of days").format(
                name=MAX_DAYS_ENV, value=configured
            )
        )
    return int(configured)


def run_approve(args: argparse.Namespace) -> int:
    return _step(args, "approved")


def run_reject(args: argparse.Namespace) -> int:
    return _step(args, "rejected")


def run_withdraw(args: argparse.Namespace) -> int:
    return _step(args, "withdrawn")


def run_list(args: argparse.Namespace) -> int:
    month: Month | None = args.month
    states = (ExcusalState(args.state),) if args.state else None
    engine = open_store(settings.database_url(args), create=False)
    try:
        with engine.connect() as conn:
            found = excusals_between(
                conn,
                month.first if month else None,
                month.last if month else None,
                states,
            )
    finally:
        engine.dispose()
    if args.format == "json":
        json.dump([e.as_json() for e in found], sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return 0
    if not found:
        print(_("no excusals"))
        return 0
    heads = (_("id"), _("state"), _("system"), _("department"), _("from"), _("to"),
             _("proposed by"), _("decided by"), _("reason"))  # fmt: skip
    print(
        f"{heads[0]:>5} {heads[1]:<9} {heads[2]:<14} {heads[3]:<14} {heads[4]:<10} {heads[5]:<10}"
        f" {heads[6]:<18} {heads[7]:<18} {heads[8]}"
    )
    for e in found:
        state = _(STATE_NAMES.get(e.state, e.state))
        print(
            f"{e.id:>5} {state:<9} {e.system:<14} {e.department or '*':<14}"
            f" {e.first_day} {e.last_day} {shown(e.proposed_by)[:18]:<18}"
            f" {shown(e.decided_by or '-')[:18]:<18} {shown(e.reason)}"
        )
    return 0


def run_detect(args: argparse.Namespace) -> int:
    registry = settings.registry(args)
    month: Month = args.month
    try:
        hours = OfficeHours.parse(args.office_hours)
    except OfficeHoursError as e:
        raise UsageError(str(e)) from None
    engine = open_store(settings.database_url(args), create=False)
    try:
        outages = detect_outages(engine, registry, month.first, month.last, hours)
        created = propose_for_outages(engine, registry, outages)
    finally:
        engine.dispose()
    for o in outages:
        print(
            _(
                "{day} {system}: {failures} probe failures from {departments} departments,"
                " {first}-{last}, no success"
            ).format(
                day=o.day,
                system=o.system,
                failures=o.failures,
                departments=len(o.departments),
                first=f"{o.first_failure:%H:%M}",
                last=f"{o.last_failure:%H:%M}",
            )
        )
    print(
        _("{month}: {days} outage days found, {new} new proposals").format(
            month=month, days=len(outages), new=len(created)
        )
        + (_(" (ids {ids})").format(ids=", ".join(map(str, created))) if created else "")
    )
    return 0
