"""`lienthong tokens issue|list|revoke`: the push API's bearer tokens."""

from __future__ import annotations

import argparse
import json
import sys

from i18n import _
from lienthong import settings
from lienthong.errors import UsageError
from lienthong.terminal import shown
from store import open_store
from store.tokens import (
    READ,
    SCOPES,
    PushToken,
    TokenError,
    issue_token,
    list_tokens,
    revoke_token,
)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("tokens", help=_("push-API tokens: issue, list, revoke"))
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    issue = actions.add_parser(
        "issue", help=_("a new token, printed once, alone on the last line of stdout")
    )
    scope = issue.add_mutually_exclusive_group(required=True)
    scope.add_argument(
        "--department", metavar="CODE", help=_("the one department it may submit for")
    )
    scope.add_argument(
        "--all-departments",
        action="store_true",
        help=_("may submit for every department (the provincial gateway operator)"),
    )
    scope.add_argument(
        "--read-reports",
        action="store_true",
        help=_(
            "may only read the monthly reports (GET /api/v1/reports/YYYY-MM: the ministry);"
            " the same as --scope read"
        ),
    )
    issue.add_argument("--label", metavar="TEXT", help=_("a note for `tokens list` (who holds it)"))
    issue.add_argument(
        "--scope",
        choices=SCOPES,
        default="push",
        help=_(
            "push: records and explanations through the push API (default); explain: sign in"
            " to the department's page and file explanations only; read: read the monthly"
            " reports"
        ),
    )
    settings.add_store_options(issue)
    settings.add_registry_options(issue)
    issue.set_defaults(run=run_issue)

    listing = actions.add_parser("list", help=_("every token: prefix, scope, label, dates"))
    listing.add_argument(
        "--format", choices=("table", "json"), default="table", help=_("json: for scripts")
    )
    settings.add_store_options(listing)
    settings.add_registry_options(listing)  # its timezone is the table's
    listing.set_defaults(run=run_list)

    revoke = actions.add_parser("revoke", help=_("take a token back (by its prefix or whole)"))
    revoke.add_argument(
        "token", metavar="TOKEN", help=_("the prefix `tokens list` shows, or the token")
    )
    settings.add_store_options(revoke)
    revoke.set_defaults(run=run_revoke)


def run_issue(args: argparse.Namespace) -> int:
    department: str | None = args.department
    if department is not None:
        registry = settings.registry(args)
        if not registry.has_department(department):
            raise UsageError(
                _("unknown department code {code!r} in the registry").format(code=department)
            )
    scope = READ if args.read_reports else args.scope
    engine = open_store(settings.database_url(args), create=False)
    try:
        token = issue_token(engine, department, args.label, scope)
    except TokenError as e:
        raise UsageError(str(e)) from None
    finally:
        engine.dispose()
    if scope == READ:
        print(
            _("read-only reports token ({prefix}…); it is shown only this once:").format(
                prefix=token[:11]
            )
        )
    else:
        who = department or _("all departments")
        print(
            _("{scope} token for {who} ({prefix}…); it is shown only this once:").format(
                scope=scope, who=who, prefix=token[:11]
            )
        )
    print(token)
    return 0


def run_list(args: argparse.Namespace) -> int:
    engine = open_store(settings.database_url(args), create=False)
    try:
        tokens = list_tokens(engine)
    finally:
        engine.dispose()
    if args.format == "json":
        json.dump([_as_json(t) for t in tokens], sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return 0
    if not tokens:
        print(_("no tokens issued: `lienthong tokens issue --department CODE`"))
        return 0
    tz = settings.registry(args).tz  # people read local time; JSON keeps UTC offsets
    print(_("times in {zone}").format(zone=tz.key))
    heads = (_("prefix"), _("department"), _("scope"), _("issued"), _("revoked"), _("label"))
    print(f"{heads[0]:<12} {heads[1]:<20} {heads[2]:<8} {heads[3]:<16} {heads[4]:<16} {heads[5]}")
    for t in tokens:
        issued = f"{t.created.astimezone(tz):%Y-%m-%d %H:%M}"
        revoked = f"{t.revoked.astimezone(tz):%Y-%m-%d %H:%M}" if t.revoked else "-"
        print(
            f"{t.prefix:<12} {t.who:<20} {t.scope:<8} {issued:<16} {revoked:<16} {shown(t.label)}"
        )
    return 0


def _as_json(t: PushToken) -> dict[str, object]:
    return {
        "prefix": t.prefix,
        "department": t.department,
        "scope": t.scope,
        "label": t.label,
        "issued": t.created.isoformat(),
        "revoked": t.revoked.isoformat() if t.revoked else None,
    }


def run_revoke(args: argparse.Namespace) -> int:
    engine = open_store(settings.database_url(args), create=False)
    try:
        found = revoke_token(engine, args.token)
    except TokenError as e:
        raise UsageError(str(e)) from None
    finally:
        engine.dispose()
    print(
        _("revoked token {prefix}… ({who}); the server refuses it within seconds").format(
            prefix=found.prefix, who=found.who
        )
    )
    return 0
