"""The per-pair totals the metrics read: kept by the write path, always equal to the rollup."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine, event

from store import create_store_engine, write_transactions, writer
from store.counts import first_success_days_by_source, pair_totals_all, successes_on, totals
from store.database import _alembic, upgrade
from store.writer import ensure_rollup_timezone, to_us, writing
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


def test_an_import_adds_to_each_pairs_totals_once_however_often_its_rollup_is_flushed(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL keeps every version of a row until the commit: a large import once
    updated each pair's totals at every flush of its rollup (30,000 rows in 509 MB)."""
    monkeypatch.setattr(writer, "ROLLUP_KEYS", 2)  # the rollup flushed after each write
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    with writing(engine, HANOI) as w:
        for day in range(1, 8):
            w.write(
                [
                    tx(
                        "so-khdt",
                        "csdl-dkdn",
                        f"2026-10-0{day}T09:00:00+07:00",
                        record_id=f"a{day}",
                    ),
                    tx("so-tuphap", "ho-tich", f"2026-10-0{day}T09:00:00+07:00", False, f"b{day}"),
                ]
            )
    event.remove(engine, "before_cursor_execute", seen)
    assert sum("INTO pair_totals" in s for s in statements) == 1
    with engine.connect() as conn:
        found = pair_totals_all(conn)
        rollup = totals(conn)
        first_days = first_success_days_by_source(conn, date(2026, 10, 31))
    ok, failed = (
        found[("so-khdt", "csdl-dkdn", "import")],
        found[("so-tuphap", "ho-tich", "import")],
    )
    assert (ok.successes, ok.failures, failed.successes, failed.failures) == (7, 0, 0, 7)
    assert ok.last_success_us == to_us(datetime.fromisoformat("2026-10-07T09:00:00+07:00"))
    assert first_days == {("so-khdt", "csdl-dkdn"): {"import": date(2026, 10, 1)}}
    for (d, s, src), t in found.items():
        assert (rollup[(d, s, src, True)], rollup[(d, s, src, False)]) == (t.successes, t.failures)


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


def test_first_success_day_is_the_earliest_ever_written(engine: Engine) -> None:
    pair = ("so-khdt", "csdl-dkdn")
    write_transactions(engine, HANOI, [tx(*pair, "2026-10-06T09:00:00+07:00", record_id="a")])
    # A later day, a failure on an earlier day, another source: none moves it.
    write_transactions(
        engine,
        HANOI,
        [
            tx(*pair, "2026-10-20T09:00:00+07:00", record_id="b"),
            tx(*pair, "2026-10-02T09:00:00+07:00", False, "c"),
            tx(*pair, "2026-10-01T09:00:00+07:00", record_id="d", source="probe"),
        ],
    )
    with engine.connect() as conn:
        assert first_success_days_by_source(conn, date(2026, 10, 31)) == {
            pair: {"import": date(2026, 10, 6), "probe": date(2026, 10, 1)}
        }
    # Old records imported late: the earlier success day wins, written in another batch.
    write_transactions(engine, HANOI, [tx(*pair, "2026-09-30T23:30:00+07:00", record_id="e")])
    with engine.connect() as conn:
        found = first_success_days_by_source(conn, date(2026, 10, 31))
        # Up to a day: a first success after it is none at all.
        before = first_success_days_by_source(conn, date(2026, 9, 29))
        on_the_day = first_success_days_by_source(conn, date(2026, 9, 30))
    assert found[pair] == {"import": date(2026, 9, 30), "probe": date(2026, 10, 1)}
    assert before == {}
    assert on_the_day == {pair: {"import": date(2026, 9, 30)}}


def test_first_success_day_moves_with_the_rollup_timezone(engine: Engine) -> None:
    # 20:00 UTC on the 4th is the 5th in Hà Nội.
    write_transactions(engine, HANOI, [tx("so-khdt", "csdl-dkdn", "2026-10-04T20:00:00Z")])
    with engine.connect() as conn:
        hanoi = first_success_days_by_source(conn, date(2026, 10, 31))
    with engine.begin() as conn:
        assert ensure_rollup_timezone(conn, "UTC") is True
    with engine.connect() as conn:
        utc = first_success_days_by_source(conn, date(2026, 10, 31))
    assert hanoi == {("so-khdt", "csdl-dkdn"): {"import": date(2026, 10, 5)}}
    assert utc == {("so-khdt", "csdl-dkdn"): {"import": date(2026, 10, 4)}}


def test_migration_fills_first_success_days_from_the_rollup(tmp_path: Path) -> None:
    engine = create_store_engine(f"sqlite:///{tmp_path / 'old.db'}")
    with engine.begin() as conn:
        command.upgrade(_alembic(conn), "0008_token_scope")
        # What a 0008 store's write path left behind: rollup and totals without the day.
        conn.exec_driver_sql(
            "INSERT INTO daily_counts VALUES ('so-tuphap', 'ho-tich', '2026-10-03', 'import',"
            " 0, 2, NULL, NULL), ('so-tuphap', 'ho-tich', '2026-10-05', 'import', 1, 0, 5, 5),"
            " ('so-tuphap', 'ho-tich', '2026-10-07', 'import', 3, 0, 7, 9),"
            " ('so-tuphap', 'ho-tich', '2026-10-04', 'probe', 0, 1, NULL, NULL)"
        )
        conn.exec_driver_sql(
            "INSERT INTO pair_totals VALUES ('so-tuphap', 'ho-tich', 'import', 4, 2, 9),"
            " ('so-tuphap', 'ho-tich', 'probe', 0, 1, NULL)"
        )
    upgrade(engine)
    with engine.connect() as conn:
        found = first_success_days_by_source(conn, date(2026, 10, 31))
    engine.dispose()
    assert found == {("so-tuphap", "ho-tich"): {"import": date(2026, 10, 5)}}
