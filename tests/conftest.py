"""Fixtures shared by the tests: the registry, and a store on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from i18n import use_lang
from registry import Registry, load_registry
from store import create_store_engine, open_store, upgrade, write_transactions
from tests.servers import postgres_cluster
from tests.stores import TEMPLATE_DB, database_url, new_postgres_database


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
        with postgres_cluster(base, durable=False) as url:
            admin = create_engine(url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f"CREATE DATABASE {TEMPLATE_DB}"))
            admin.dispose()
            template = create_store_engine(database_url(url, TEMPLATE_DB))
            upgrade(template)
            template.dispose()
            yield url
    finally:
        shutil.rmtree(base, ignore_errors=True)


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


@pytest.fixture
def english(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Messages in English — the command line's (LIENTHONG_LANG=en, inherited by subprocesses)
    and the code's called in the test — for tests that check them word for word; Vietnamese is
    the default (test_languages.py)."""
    monkeypatch.setenv("LIENTHONG_LANG", "en")
    with use_lang("en"):
        yield
