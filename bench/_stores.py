"""Stores for benchmarks: a SQLite file, and a throwaway PostgreSQL cluster."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text

from bench._postgres import postgres_cluster
from store import create_store_engine, upgrade

# The stores as a goal names them: PostgreSQL with the server's default durability.
LABELS = {"sqlite": "SQLite", "postgresql": "PostgreSQL (fsync on)"}


@contextmanager
def postgres_store() -> Iterator[str]:
    """The URL of an empty, migrated database on a PostgreSQL cluster started for the bench."""
    base = Path(tempfile.mkdtemp(prefix="lienthong-bench-pg-"))
    try:
        with postgres_cluster(base) as url:
            admin = create_engine(url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text("CREATE DATABASE bench"))
            admin.dispose()
            bench_url = url.rsplit("/", 1)[0] + "/bench"
            engine = create_store_engine(bench_url)
            upgrade(engine)
            engine.dispose()
            yield bench_url
    finally:
        shutil.rmtree(base, ignore_errors=True)


@contextmanager
def stores(folder: Path) -> Iterator[list[tuple[str, str]]]:
    """(name, URL) of a fresh SQLite store and a fresh PostgreSQL store."""
    with postgres_store() as pg:
        yield [("sqlite", f"sqlite:///{folder / 'bench.db'}"), ("postgresql", pg)]
