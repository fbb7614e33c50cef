"""What gateway imports learn and keep between files: WSO2 API contexts by API id and name."""

from __future__ import annotations

from sqlalchemy import Connection, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from store.schema import wso2_api_contexts

ApiKey = tuple[str, str]  # ("id", apiId) or ("name", apiName + "\t" + apiVersion)


def load_api_contexts(conn: Connection) -> dict[ApiKey, str]:
    """Every API id and name → context association learned so far."""
    c = wso2_api_contexts.c
    return {
        (kind, key): context
        for kind, key, context in conn.execute(select(c.kind, c.key, c.context))
    }


def save_api_contexts(conn: Connection, learned: dict[ApiKey, str], now_us: int) -> None:
    """Keep the associations; a context seen later replaces an older one (an API moved)."""
    if not learned:
        return
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    statement = insert(wso2_api_contexts)
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=["kind", "key"],
            set_={"context": statement.excluded.context, "seen_us": statement.excluded.seen_us},
        ),
        [
            {"kind": kind, "key": key, "context": context, "seen_us": now_us}
            for (kind, key), context in sorted(learned.items())
        ],
    )
