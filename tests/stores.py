"""Test helpers for stores: a fresh PostgreSQL database per test, and a record in one line."""

from __future__ import annotations

import itertools
from datetime import datetime

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from store import Transaction

TEMPLATE_DB = "lienthong_template"
_databases = itertools.count()


def database_url(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def new_postgres_database(postgres_url: str) -> str:
    """A fresh database with the current schema, cloned from the template."""
    name = f"test_{next(_databases)}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE_DB}"))
    admin.dispose()
    return database_url(postgres_url, name)


def tx(
    department: str,
    system: str,
    ts: str,
    success: bool = True,
    record_id: str | None = None,
    source: str = "import",
) -> Transaction:
    """A transaction for tests, its time in RFC 3339."""
    return Transaction(
        department=department,
        system=system,
        ts=datetime.fromisoformat(ts),
        success=success,
        source=source,
        record_id=record_id,
    )
