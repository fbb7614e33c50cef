"""`lienthong db upgrade`."""

from __future__ import annotations

import argparse
import sys

from i18n import _
from lienthong import settings
from store import create_store_engine, upgrade
from store.database import shown


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("db", help=_("the database schema"))
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    up = actions.add_parser("upgrade", help=_("apply schema migrations (creates the database)"))
    settings.add_store_options(up)
    # Optional: an existing store without a province is claimed for this registry's.
    settings.add_registry_options(up)
    up.set_defaults(run=run_upgrade)


def run_upgrade(args: argparse.Namespace) -> int:
    url = settings.database_url(args)
    spec = settings.registry_spec(args)
    province = None
    if spec is not None:
        p = settings.registry(args).province
        province = (p.code, p.name)

    def starting(before: str | None, after: str) -> None:
        # Some migrations copy a table (0010: the daily rollup, ~90 s per 10 M rows).
        print(
            _(
                "{url}: upgrading the schema from {before} to {after} (minutes on a large"
                " store: CHANGELOG.md says which migrations copy a table)"
            ).format(url=shown(url), before=before or _("empty"), after=after),
            file=sys.stderr,
            flush=True,
        )

    engine = create_store_engine(url)
    try:
        before, after = upgrade(engine, province, starting)
    finally:
        engine.dispose()
    if before == after:
        print(_("{url}: schema already at {after}").format(url=shown(url), after=after))
    else:
        print(
            _("{url}: schema upgraded from {before} to {after}").format(
                url=shown(url), before=before or _("empty"), after=after
            )
        )
    return 0
