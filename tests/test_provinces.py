"""Several provinces on one PostgreSQL: each in its own schema, none ever sees another's data."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from datetime import date
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, text

from lienthong.cli import main
from registry import Registry, load_registry
from store import StoreError, open_store, sync_registry
from store.database import create_store_engine
from tests.servers import free_port, lienthong_serve
from tests.stores import new_postgres_database

pytestmark = pytest.mark.postgres


def _records(registry: Registry, n: int, path: Path) -> tuple[str, str]:
    """`n` successes on 2026-10-05 for the registry's first obligation in force that day, as a
    JSON-lines file."""
    o = next(o for o in registry.obligations if registry.in_force_on(o, date(2026, 10, 5)))
    lines = [
        json.dumps(
            {
                "department": o.department,
                "system": o.system,
                "ts": f"2026-10-05T09:{i:02d}:00+07:00",
                "outcome": "success",
                "id": f"r{i}",
            }
        )
        for i in range(n)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return o.department, o.system


def _report(url: str, registry: str, out: Path) -> dict[str, object]:
    assert main(["report", "--db", url, "--registry", registry, "--month", "2026-10",
                 "--format", "json", "--out", str(out)]) == 0  # fmt: skip
    found: dict[str, object] = json.loads(out.read_text(encoding="utf-8"))
    return found


@pytest.mark.usefixtures("english")  # its words checked are English ones
def test_two_provinces_share_one_database_and_never_mix(
    postgres_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    database = new_postgres_database(postgres_url)
    bac_ninh_url, hue_url = f"{database}?schema=bac_ninh", f"{database}?schema=hue"
    bac_ninh, hue = load_registry("bac-ninh"), load_registry("hue")
    # `db upgrade` creates each province's schema and claims it.
    assert main(["db", "upgrade", "--db", bac_ninh_url, "--registry", "bac-ninh"]) == 0
    assert main(["db", "upgrade", "--db", hue_url, "--registry", "hue"]) == 0
    bn_pair = _records(bac_ninh, 7, tmp_path / "bn.jsonl")
    hue_pair = _records(hue, 3, tmp_path / "hue.jsonl")
    assert main(["ingest", "--db", bac_ninh_url, "--registry", "bac-ninh",
                 str(tmp_path / "bn.jsonl")]) == 0  # fmt: skip
    assert main(["ingest", "--db", hue_url, "--registry", "hue", str(tmp_path / "hue.jsonl")]) == 0
    capsys.readouterr()

    # The same record ids in both provinces: each stored in its own schema.
    admin = create_engine(database.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM bac_ninh.transactions")).scalar() == 7
        assert conn.execute(text("SELECT count(*) FROM hue.transactions")).scalar() == 3
    admin.dispose()

    # Reports: each province's rows, names and totals only.
    bn_report = _report(bac_ninh_url, "bac-ninh", tmp_path / "bn.json")
    hue_report = _report(hue_url, "hue", tmp_path / "hue.json")
    assert bn_report["province"] == {"code": bac_ninh.province.code, "name": "Bắc Ninh"}
    assert hue_report["province"] == {"code": hue.province.code, "name": hue.province.name}
    for report, registry, pair, n in (
        (bn_report, bac_ninh, bn_pair, 7),
        (hue_report, hue, hue_pair, 3),
    ):
        rows = report["rows"]
        assert isinstance(rows, list)
        assert {(r["department"], r["system"]) for r in rows} <= {
            o.key for o in registry.obligations
        }
        assert sum(r["successes"] for r in rows) == n
        assert sum(r["successes"] for r in rows if (r["department"], r["system"]) == pair) == n

    # Metrics: a Huế instance on Huế's schema shows Huế's province and counts only.
    monkeypatch.setenv("LIENTHONG_REGISTRY", "hue")
    with lienthong_serve(tmp_path, hue_url) as (_process, base):
        answer = urllib.request.urlopen(f"{base}/metrics", timeout=10)
        exposition = answer.read().decode()
        answer.close()
    provinces = set()
    transactions = 0.0
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            if "province" in sample.labels:
                provinces.add(sample.labels["province"])
            if sample.name == "lienthong_transactions_total":
                transactions += sample.value
    assert provinces == {hue.province.code}
    assert transactions == 3

    # Scheduled exports: each province's folder holds its own figures, and the
    # period written by one province is still due for the other (marks are per store).
    now = "2026-11-01T07:00:00+07:00"
    for name, url, registry, n in (
        ("bac-ninh", bac_ninh_url, bac_ninh, 7),
        ("hue", hue_url, hue, 3),
    ):
        folder = tmp_path / f"exports-{name}"
        assert main(["exports", "run-due", "--db", url, "--registry", name,
                     "--exports-dir", str(folder), "--now", now]) == 0  # fmt: skip
        filed = json.loads((folder / "2026-10" / "lienthong-2026-10.json").read_text("utf-8"))
        assert filed["province"]["code"] == registry.province.code
        assert sum(r["successes"] for r in filed["rows"]) == n
    capsys.readouterr()

    # `serve` with Huế's registry on Bắc Ninh's store: refused in one line, exit 1.
    argv = ["serve", "--db", bac_ninh_url, "--registry", "hue"]
    started = subprocess.run(
        [sys.executable, "-m", "lienthong", *argv, "--listen", f"127.0.0.1:{free_port()}"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert started.returncode == 1
    assert started.stderr.count("\n") == 1 and "holds province" in started.stderr

    # Huế's registry on Bắc Ninh's store: refused in one line, nothing written.
    code = main(["report", "--db", bac_ninh_url, "--registry", "hue", "--month", "2026-10",
                 "--format", "json", "--out", str(tmp_path / "wrong.json")])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1
    assert f"holds province {bac_ninh.province.code} (Bắc Ninh)" in err
    assert f"province {hue.province.code}" in err
    assert not (tmp_path / "wrong.json").exists()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_an_existing_store_is_claimed_by_its_province_and_refuses_another(
    backend: str, postgres_url: str, tmp_path: Path
) -> None:
    """A store from before provinces (no claim): the first registry claims it."""
    url = (
        f"sqlite:///{tmp_path / 'old.db'}"
        if backend == "sqlite"
        else new_postgres_database(postgres_url)
    )
    engine = open_store(url)
    try:
        sync_registry(engine, load_registry("bac-ninh"))
        sync_registry(engine, load_registry("bac-ninh"))  # its own province again: fine
        with pytest.raises(
            StoreError, match=r"đang chứa số liệu của tỉnh, thành phố \d\d \(Bắc Ninh\)"
        ):
            sync_registry(engine, load_registry("hue"))
    finally:
        engine.dispose()


@pytest.mark.usefixtures("english")  # its words checked are English ones
def test_a_schema_name_is_checked() -> None:
    with pytest.raises(StoreError, match="schema must be"):
        create_store_engine("postgresql://localhost/x?schema=Bad-Name")
    with pytest.raises(StoreError, match="PostgreSQL only"):
        create_store_engine("sqlite:///x.db?schema=hue")


# docs/operations-national.md gives this to move a store of before provinces (its tables
# in `public`) into its province's schema, so that other provinces can share the database.
MOVE_TO_SCHEMA = """
DO $$
DECLARE t text;
BEGIN
  CREATE SCHEMA IF NOT EXISTS bac_ninh;
  FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' LOOP
    EXECUTE format('ALTER TABLE public.%I SET SCHEMA bac_ninh', t);
  END LOOP;
END $$;
"""


def test_an_existing_store_moves_into_its_provinces_schema(
    postgres_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = new_postgres_database(postgres_url)  # tables in public, as before provinces
    bac_ninh = load_registry("bac-ninh")
    _records(bac_ninh, 5, tmp_path / "bn.jsonl")
    assert main(["ingest", "--db", database, "--registry", "bac-ninh",
                 str(tmp_path / "bn.jsonl")]) == 0  # fmt: skip
    admin = create_engine(database, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(MOVE_TO_SCHEMA))
    admin.dispose()
    moved = f"{database}?schema=bac_ninh"
    assert main(["db", "upgrade", "--db", moved]) == 0
    report = _report(moved, "bac-ninh", tmp_path / "moved.json")
    rows = report["rows"]
    assert isinstance(rows, list)
    assert sum(r["successes"] for r in rows) == 5
    # New records still get ids from the moved sequence, and the province stays claimed.
    _records(bac_ninh, 8, tmp_path / "more.jsonl")
    assert main(["ingest", "--db", moved, "--registry", "bac-ninh",
                 str(tmp_path / "more.jsonl")]) == 0  # fmt: skip
    assert main(["ingest", "--db", moved, "--registry", "hue",
                 str(tmp_path / "more.jsonl")]) == 1  # fmt: skip
    assert "đang chứa số liệu của tỉnh, thành phố" in capsys.readouterr().err
