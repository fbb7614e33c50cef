"""Fixtures shared by the tests: the registry, and a store on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import itertools
import shutil
import tempfile
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from registry import Registry, load_registry
from store import Transaction, create_store_engine, open_store, upgrade, write_transactions
from tests.servers import postgres_cluster

TEMPLATE_DB = "lienthong_template"
_databases = itertools.count()


@pytest.fixture(scope="session")
def bac_ninh() -> Registry:
    return load_registry("bac-ninh")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL cluster for the whole run, with a migrated template database."""
    # Not under pytest's tmp folder: that one is private to root, and the
    # server runs as the unprivileged postgres user.
    base = Path(tempfile.mkdtemp(prefix="lienthong-pg-"))
    try:
        with postgres_cluster(base) as url:
            admin = create_engine(url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f"CREATE DATABASE {TEMPLATE_DB}"))
            admin.dispose()
            template = create_store_engine(_database(url, TEMPLATE_DB))
            upgrade(template)
            template.dispose()
            yield url
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def new_postgres_database(postgres_url: str) -> str:
    """A fresh database with the current schema, cloned from the template."""
    name = f"test_{next(_databases)}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE_DB}"))
    admin.dispose()
    return _database(postgres_url, name)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Every store test runs twice: on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    return new_postgres_database(request.getfixturevalue("postgres_url"))


@pytest.fixture
def engine(store_url: str) -> Iterator[Engine]:
    e = open_store(store_url)
    yield e
    e.dispose()


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


VARIED_FIRST, VARIED_LAST = date(2026, 7, 1), date(2026, 10, 31)


@pytest.fixture
def varied(engine: Engine, bac_ninh: Registry) -> Engine:
    """A store holding varied histories for every Bắc Ninh obligation, July–October 2026."""
    from tests.samples import varied_transactions

    write_transactions(
        engine, bac_ninh.timezone, varied_transactions(bac_ninh, VARIED_FIRST, VARIED_LAST)
    )
    return engine


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where tests leave files for a person to look at (gitignored)."""
    folder = Path(__file__).resolve().parent.parent / "artifacts"
    folder.mkdir(exist_ok=True)
    return folder
