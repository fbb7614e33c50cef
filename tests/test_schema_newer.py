"""A database newer than the binary: one line naming both schemas and the release to
install, exit 1, from every command, `db upgrade` included (issue 33, finding 8)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from lienthong.cli import main
from store import open_store
from store.database import NEEDS_KEY, REVISION_VERSIONS, head_revision

COMMANDS = (["db", "upgrade"], ["excuse", "list"], ["tokens", "list"])


def _newer_store(path: Path, needs: str | None) -> str:
    url = f"sqlite:///{path}"
    engine = open_store(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099_future'"))
        conn.execute(text("DELETE FROM store_meta WHERE key = :k"), {"k": NEEDS_KEY})
        if needs is not None:
            conn.execute(
                text("INSERT INTO store_meta (key, value) VALUES (:k, :v)"),
                {"k": NEEDS_KEY, "v": needs},
            )
    engine.dispose()
    return url


@pytest.mark.parametrize("command", COMMANDS)
def test_a_newer_database_names_the_release_to_install(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    url = _newer_store(tmp_path / "newer.db", "0099_future 0.3.0")
    assert main([*command, "--db", url, "--lang", "en"]) == 1
    out, err = capsys.readouterr()
    (line,) = err.splitlines()
    assert "0099_future" in line and head_revision() in line
    assert "install lienthong ≥ 0.3.0" in line
    assert "Traceback" not in out + err and "db upgrade" not in line
    # In Vietnamese, the language a person reads by default.
    assert main([*command, "--db", url]) == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert "mới hơn bản lienthong này" in line and "hãy cài lienthong ≥ 0.3.0" in line


def test_without_the_release_recorded_the_schema_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = _newer_store(tmp_path / "newer.db", None)
    assert main(["db", "upgrade", "--db", url, "--lang", "en"]) == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert "install lienthong ≥ the release with schema 0099_future" in line


def test_an_upgrade_records_the_release_its_schema_needs(tmp_path: Path) -> None:
    engine = open_store(f"sqlite:///{tmp_path / 'new.db'}")
    with engine.connect() as conn:
        needs = conn.execute(
            text("SELECT value FROM store_meta WHERE key = :k"), {"k": NEEDS_KEY}
        ).scalar_one()
    engine.dispose()
    assert needs == f"{head_revision()} {REVISION_VERSIONS[head_revision()]}"
