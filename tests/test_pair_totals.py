"""The per-pair totals the metrics read: kept by the write path, always equal to the rollup."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import Engine

from store import create_store_engine, write_transactions
from store.counts import pair_totals_all, successes_on, totals
from store.database import _alembic, upgrade
from store.writer import to_us
from tests.stores import tx

HANOI = "Asia/Ho_Chi_Minh"


def test_totals_follow_every_write_and_ignore_duplicates(engine: Engine) -> None:
    batch = [
        tx("so-khdt", "csdl-dkdn", "2026-10-05T09:00:00+07:00", record_id="a", source="probe"),
        tx("so-khdt", "csdl-dkdn", "2026-10-06T09:00:00+07:00", record_id="b", source="probe"),
        tx("so-khdt", "csdl-dkdn", "2026-10-06T10:00:00+07:00", False, "c", source="probe"),
        tx("so-khdt", "csdl-dkdn", "2026-10-04T10:00:00+07:00", source="import"),
    ]
    write_transactions(engine, HANOI, batch)
    write_transactions(engine, HANOI, batch[:3])  # all duplicates: nothing changes
    with engine.connect() as conn:
        found = pair_totals_all(conn)
        rollup = totals(conn)
        today = successes_on(conn, batch[1].ts.date())
    probe = found[("so-khdt", "csdl-dkdn", "probe")]
    assert (probe.successes, probe.failures) == (2, 1)
    assert probe.last_success_us == to_us(batch[1].ts)
    assert found[("so-khdt", "csdl-dkdn", "import")].successes == 1
    for (d, s, src), t in found.items():
        assert (rollup[(d, s, src, True)], rollup[(d, s, src, False)]) == (t.successes, t.failures)
    assert today == {("so-khdt", "csdl-dkdn"): 1}


def test_migration_fills_totals_from_existing_records(tmp_path: Path) -> None:
    engine = create_store_engine(f"sqlite:///{tmp_path / 'old.db'}")
    with engine.begin() as conn:
        command.upgrade(_alembic(conn), "0001")
        # What a 0001 store's write path left behind: the rollup only.
        conn.exec_driver_sql(
            "INSERT INTO daily_counts VALUES ('so-tuphap', 'ho-tich', '2026-10-05', 'import',"
            " 1, 0, 5, 5), ('so-tuphap', 'ho-tich', '2026-10-07', 'import', 0, 1, NULL, NULL)"
        )
    upgrade(engine)
    with engine.connect() as conn:
        found = pair_totals_all(conn)
    engine.dispose()
    t = found[("so-tuphap", "ho-tich", "import")]
    assert (t.successes, t.failures, t.last_success_us) == (1, 1, 5)
