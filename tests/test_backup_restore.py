"""docs/operating.md's backup and restore commands, run as written against real stores."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.stores import database_url

# Their messages checked word for word are the English ones (Vietnamese: test_languages.py).
pytestmark = pytest.mark.usefixtures("english")

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "2026-10.jsonl"


def lienthong(*args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "lienthong", *args], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def report(url: str) -> dict[str, object]:
    document = json.loads(lienthong("report", "--month", "2026-10", "--db", url))
    del document["generated_at"]
    return document


def libpq(url: str) -> str:
    """The URL as PostgreSQL's own tools take it (no SQLAlchemy driver name)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.mark.postgres
def test_postgres_backup_and_restore(postgres_url: str, tmp_path: Path) -> None:
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("CREATE DATABASE backed_up"))
        conn.execute(text("CREATE DATABASE restored"))
    admin.dispose()
    source, target = database_url(postgres_url, "backed_up"), database_url(postgres_url, "restored")
    lienthong("db", "upgrade", "--db", source)
    lienthong("ingest", str(SAMPLE), "--db", source)
    lienthong("tokens", "issue", "--department", "so-khdt", "--db", source)
    dump = tmp_path / "lienthong.dump"
    # As docs/operating.md writes them.
    subprocess.run(["pg_dump", "--format=custom", f"--file={dump}", libpq(source)], check=True)
    subprocess.run(
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            f"--dbname={libpq(target)}",
            str(dump),
        ],
        check=True,
    )
    assert report(target) == report(source)
    assert "so-khdt" in lienthong("tokens", "list", "--db", target)
    # Imported again after the restore: nothing counted twice.
    assert "0 stored, 728 duplicates" in lienthong("ingest", str(SAMPLE), "--db", target)


def test_sqlite_backup_and_restore(tmp_path: Path) -> None:
    live, copy = tmp_path / "lienthong.db", tmp_path / "backup.db"
    url = f"sqlite:///{live}"
    lienthong("ingest", str(SAMPLE), "--db", url)
    subprocess.run(["sqlite3", str(live), f".backup '{copy}'"], check=True)
    assert report(f"sqlite:///{copy}") == report(url)
