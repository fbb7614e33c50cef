"""Whose store this is: one province per store, recorded in `store_meta` and checked on use.

On PostgreSQL each province keeps its tables in its own schema (`?schema=NAME` in
the database URL), so one database hosts every province and no query can mix
two of them; a SQLite store is one file per province. The claim below is the
guard: an instance whose registry names another province refuses to start.
"""

from __future__ import annotations

from sqlalchemy import Connection, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from i18n import _
from registry import Registry
from store.database import StoreError, shown
from store.schema import store_meta

CODE_KEY = "province_code"
NAME_KEY = "province_name"


def stored_province(conn: Connection) -> tuple[str, str] | None:
    """The (code, name) the store was claimed for, or None for an unclaimed store."""
    rows = dict(
        conn.execute(
            select(store_meta.c.key, store_meta.c.value).where(
                store_meta.c.key.in_((CODE_KEY, NAME_KEY))
            )
        ).all()
    )
    code = rows.get(CODE_KEY)
    return None if code is None else (code, rows.get(NAME_KEY, ""))


def claim_province(conn: Connection, code: str, name: str) -> tuple[str, str]:
    """Claim an unclaimed store for a province; returns the province it belongs to."""
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    # Two instances claiming at once: the first insert wins, the other reads it.
    for key, value in ((CODE_KEY, code), (NAME_KEY, name)):
        conn.execute(insert(store_meta).values(key=key, value=value).on_conflict_do_nothing())
    found = stored_province(conn)
    assert found is not None
    return found


def check_province(conn: Connection, registry: Registry) -> None:
    """Claim the store for the registry's province, or refuse another province's store.

    A province whose code changes (a merger) must keep its store: when the registry
    learns a province's former codes, accept those here and rewrite the claim.
    """
    mine = registry.province
    code, name = claim_province(conn, mine.code, mine.name)
    if code != mine.code:
        raise StoreError(
            _(
                "database {url} holds province {code} ({name})'s data; this registry is province"
                " {mine} ({mine_name}): give each province its own schema"
                " (postgresql://…/DB?schema=NAME) or database"
            ).format(
                url=shown(conn.engine), code=code, name=name, mine=mine.code, mine_name=mine.name
            )
        )
