"""The store, on SQLite and on a real PostgreSQL: idempotency, the rollup, migrations."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, func, select, text

from compliance.periods import Month
from compliance.report import build_report
from registry import Registry
from store import StoreError, daily_counts_between, open_store, write_transactions
from store.counts import (
    READERS,
    SourceDays,
    _source_days,
    daily_source_counts_between,
    period_counts,
    read_source_days,
    source_days_between,
)
from store.database import _alembic, create_store_engine, current_revision, head_revision, upgrade
from store.schema import daily_counts, transactions
from store.sync import sync_registry
from store.writer import ensure_rollup_timezone, writing
from tests.stores import new_postgres_database, tx

# Their messages checked word for word are the English ones (Vietnamese: test_languages.py).
pytestmark = pytest.mark.usefixtures("english")

HANOI = "Asia/Ho_Chi_Minh"


def count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(transactions)).scalar_one())


def test_same_id_is_stored_once(engine: Engine) -> None:
    first = write_transactions(
        engine,
        HANOI,
        [
            tx("so-khdt", "csdl-dkdn", "2026-10-05T09:00:00+07:00", record_id="a"),
            tx(
                "so-khdt", "csdl-dkdn", "2026-10-05T10:00:00+07:00", record_id="a"
            ),  # repeat in batch
            tx("so-khdt", "csdl-dkdn", "2026-10-05T11:00:00+07:00"),  # no id: always new
        ],
    )
    assert (first.accepted, first.duplicates) == (2, 1)
    again = write_transactions(
        engine,
        HANOI,
        [
            tx("so-khdt", "csdl-dkdn", "2026-10-05T09:00:00+07:00", record_id="a"),
            # The same id from another department is another record.
            tx("so-taichinh", "csdl-gia", "2026-10-05T09:00:00+07:00", record_id="a"),
        ],
    )
    assert (again.accepted, again.duplicates) == (1, 1)
    assert count(engine) == 3
    with engine.connect() as conn:
        counts = daily_counts_between(conn, date(2026, 10, 1), date(2026, 10, 31))
    assert counts[("so-khdt", "csdl-dkdn")][date(2026, 10, 5)].successes == 2


def test_rollup_uses_local_days(engine: Engine) -> None:
    write_transactions(
        engine,
        HANOI,
        [
            # 00:30 on 5 October in Hanoi, written in UTC.
            tx("so-khdt", "csdl-dkdn", "2026-10-04T17:30:00Z"),
            # 23:59 on 4 October in Hanoi.
            tx("so-khdt", "csdl-dkdn", "2026-10-04T16:59:00Z", success=False),
        ],
    )
    with engine.connect() as conn:
        counts = daily_counts_between(conn, date(2026, 10, 1), date(2026, 10, 31))
    days = counts[("so-khdt", "csdl-dkdn")]
    assert days[date(2026, 10, 5)].successes == 1
    assert days[date(2026, 10, 4)].failures == 1
    first = days[date(2026, 10, 5)].first_success
    assert first is not None and first.isoformat() == "2026-10-04T17:30:00+00:00"


def test_month_boundary_in_another_offset(engine: Engine) -> None:
    # 23:30 on 31 October at UTC-5 is 11:30 on 1 November in Hanoi: November's.
    write_transactions(engine, HANOI, [tx("so-khdt", "csdl-dkdn", "2026-10-31T23:30:00-05:00")])
    with engine.connect() as conn:
        october = daily_counts_between(conn, date(2026, 10, 1), date(2026, 10, 31))
        november = daily_counts_between(conn, date(2026, 11, 1), date(2026, 11, 30))
    assert october == {}
    assert november[("so-khdt", "csdl-dkdn")][date(2026, 11, 1)].successes == 1


def test_rollup_days_change_at_local_midnight_to_the_microsecond(engine: Engine) -> None:
    # Kathmandu is UTC+05:45: its midnight falls at 18:15 UTC. The writer looks local days
    # up per UTC minute; the minute before midnight and the one from it differ.
    pair = ("so-khdt", "csdl-dkdn")
    batch = [
        tx(*pair, "2026-10-04T18:14:59.999999Z", record_id="a"),
        tx(*pair, "2026-10-04T18:14:00Z", record_id="b"),
        tx(*pair, "2026-10-04T18:15:00Z", record_id="c"),
        tx(*pair, "2026-10-04T18:15:59Z", record_id="d"),
    ]
    write_transactions(engine, "Asia/Kathmandu", batch)
    with engine.connect() as conn:
        counts = daily_counts_between(conn, date(2026, 10, 1), date(2026, 10, 31))[pair]
    assert {d: c.successes for d, c in counts.items()} == {
        date(2026, 10, 4): 2,
        date(2026, 10, 5): 2,
    }


def test_source_days_are_the_rollup_rows_grouped(engine: Engine) -> None:
    """What reports read (grouped by the database) is what the rollup holds, row by row."""
    pair, other = ("so-khdt", "csdl-dkdn"), ("so-tuphap", "ho-tich")
    write_transactions(
        engine,
        HANOI,
        [
            tx(*pair, "2026-06-30T23:00:00+07:00", record_id="before"),  # outside the period
            tx(*pair, "2026-10-01T08:00:00+07:00", record_id="a"),
            tx(*pair, "2026-10-01T09:00:00+07:00", record_id="b", source="probe"),
            tx(*pair, "2026-10-01T10:00:00+07:00", False, "c"),
            tx(*pair, "2026-10-03T11:00:00+07:00", record_id="d"),
            tx(*pair, "2026-10-03T12:00:00+07:00", record_id="e"),
            tx(*other, "2026-10-02T07:00:00+07:00", False, "f", source="push"),
            tx(*other, "2026-11-01T07:00:00+07:00", record_id="g"),  # outside too
            tx("so-yte", "csdl-bhxh", "2026-11-02T07:00:00+07:00", record_id="h"),  # only outside
        ],
    )
    # Days are counted from the period's first day: 1 October is day 92 from 1 July.
    first, last = date(2026, 7, 1), date(2026, 10, 31)
    with engine.connect() as conn:
        grouped = source_days_between(conn, first, last)
        rows = period_counts(daily_source_counts_between(conn, first, last), first)

    def days(counts: Mapping[str, SourceDays]) -> dict[str, list[tuple[int | None, ...]]]:
        return {
            source: sorted(
                zip(
                    s.days,
                    s.successes,
                    s.failures,
                    s.first_success_us,
                    s.last_success_us,
                    strict=True,
                )
            )
            for source, s in counts.items()
        }

    assert set(grouped) == set(rows) == {pair, other}
    for p in grouped:
        assert days(grouped[p]) == days(rows[p])
    assert [n for n, *_ in days(grouped[pair])["import"]] == [92, 94]
    assert days(grouped[other])["push"] == [(93, 0, 1, None, None)]

    # Without each day's times (a report of a whole month), the same days and the extremes;
    # one department's, only its pairs.
    with engine.connect() as conn:
        lean = source_days_between(conn, first, last, times=False)
        one = source_days_between(conn, first, last, departments=["so-tuphap"])
    for p, sources in grouped.items():
        for source, s in sources.items():
            x = lean[p][source]
            assert (x.days, x.successes, x.failures) == (s.days, s.successes, s.failures)
            assert (x.first_success_us, x.last_success_us, x.has_times) == ((), (), False)
            assert x.earliest_us == min(filter(None, s.first_success_us), default=None)
            assert x.latest_us == max(filter(None, s.last_success_us), default=None)
    assert grouped[pair]["import"].earliest_us is not None
    assert one == {other: grouped[other]}


def test_a_period_read_in_parts_at_once_is_the_whole_read(engine: Engine) -> None:
    """Reports read a period on connections of their own, PostgreSQL's pairs in parts at
    once: together exactly the pairs of the one read, none twice."""
    pairs = [(f"so-{d}", f"he-thong-{s}") for d in range(6) for s in range(4)]
    write_transactions(
        engine,
        HANOI,
        [
            tx(*p, f"2026-10-0{day}T08:00:00+07:00", day % 2 == 0, f"{p}{day}", source)
            for p in pairs
            for day in (1, 2, 5)
            for source in ("import", "probe")
        ],
    )
    first, last = date(2026, 10, 1), date(2026, 10, 31)
    with engine.connect() as conn:
        whole = source_days_between(conn, first, last, times=False)
        with_times = source_days_between(conn, first, last)
        parts = (
            [_source_days(conn, first, last, False, (), k) for k in range(READERS)]
            if engine.dialect.name == "postgresql"
            else []
        )
    assert set(whole) == set(pairs)
    assert read_source_days(engine, first, last, times=False) == whole
    assert read_source_days(engine, first, last) == with_times
    if parts:
        assert all(parts)  # each part reads some of the 24 pairs…
        assert sum(len(p) for p in parts) == len(whole)  # …and no pair is read twice


def test_rollup_is_rebuilt_when_the_timezone_changes(engine: Engine) -> None:
    write_transactions(engine, HANOI, [tx("so-khdt", "csdl-dkdn", "2026-10-04T20:00:00Z")])
    with engine.begin() as conn:
        assert ensure_rollup_timezone(conn, "UTC") is True
    with engine.connect() as conn:
        counts = daily_counts_between(conn, date(2026, 10, 1), date(2026, 10, 31))
    assert list(counts[("so-khdt", "csdl-dkdn")]) == [date(2026, 10, 4)]


def test_a_failed_batch_stores_nothing(engine: Engine) -> None:
    with pytest.raises(RuntimeError), writing(engine, HANOI) as writer:
        writer.write([tx("so-khdt", "csdl-dkdn", "2026-10-05T09:00:00+07:00", record_id="x")])
        raise RuntimeError("crash half-way")
    assert count(engine) == 0
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(daily_counts)).scalar_one() == 0


def test_report_from_the_store(engine: Engine, bac_ninh: Registry) -> None:
    sync_registry(engine, bac_ninh)
    write_transactions(
        engine,
        HANOI,
        [
            tx("so-taichinh", "csdl-dkdn", "2026-10-05T09:00:00+07:00", record_id="1"),
            tx(
                "so-taichinh",
                "csdl-dkdn",
                "2026-10-05T10:00:00+07:00",
                record_id="2",
                source="probe",
            ),
            tx(
                "so-taichinh",
                "csdl-dkdn",
                "2026-10-06T10:00:00+07:00",
                success=False,
                source="push",
            ),
            # Connected by Sở Giao thông vận tải before it merged into Sở Xây dựng.
            tx("so-gtvt", "csdl-dang-kiem", "2025-01-10T10:00:00+07:00"),
        ],
    )
    report = build_report(engine, bac_ninh, Month(2026, 10), as_of=date(2026, 10, 31))
    rows = {(r.department, r.system): r for r in report.rows}
    assert len(rows) == 18
    khdt = rows[("so-taichinh", "csdl-dkdn")]
    assert (khdt.required_days, khdt.met_days, khdt.successes, khdt.failures) == (22, 1, 2, 1)
    assert khdt.status == "partial"
    # The connection passes to the successor with the duty.
    assert rows[("so-xaydung", "csdl-dang-kiem")].status == "connected"
    assert rows[("so-nnmt", "csdl-dat-dai")].status == "not_connected"


def test_registry_is_copied_into_sql(engine: Engine, bac_ninh: Registry) -> None:
    sync_registry(engine, bac_ninh)
    sync_registry(engine, bac_ninh)  # twice: replaced, not doubled
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM obligations")).scalar_one() == 26
        name = conn.execute(
            text("SELECT name FROM departments WHERE code = 'so-khdt'")
        ).scalar_one()
    assert name == "Sở Kế hoạch và Đầu tư"


def test_registry_copy_follows_every_change(engine: Engine, bac_ninh: Registry) -> None:
    """A sync with the same registry leaves the copy as it is; any change replaces it."""

    def stored() -> tuple[list[str], str, int]:
        with engine.connect() as conn:
            bases = list(conn.execute(text("SELECT basis FROM obligations ORDER BY id")).scalars())
            name = conn.execute(
                text("SELECT name FROM departments WHERE code = 'so-khdt'")
            ).scalar_one()
            systems = conn.execute(text("SELECT count(*) FROM systems")).scalar_one()
        return bases, name, systems

    sync_registry(engine, bac_ninh)
    first = bac_ninh.obligations[0].model_copy(update={"basis": "Điều 99 (sửa đổi)"})
    departments = tuple(
        d.model_copy(update={"name": "Sở Tài chính (mới)"}) if d.code == "so-khdt" else d
        for d in bac_ninh.departments
    )
    changed = bac_ninh.model_copy(
        update={
            "obligations": (first, *bac_ninh.obligations[1:]),
            "departments": departments,
            "systems": bac_ninh.systems[:-1],
        }
    )
    sync_registry(engine, changed)
    bases, name, systems = stored()
    assert bases == ["Điều 99 (sửa đổi)", *(o.basis for o in bac_ninh.obligations[1:])]
    assert (name, systems) == ("Sở Tài chính (mới)", len(bac_ninh.systems) - 1)
    sync_registry(engine, bac_ninh)
    assert stored() == (
        [o.basis for o in bac_ninh.obligations],
        "Sở Kế hoạch và Đầu tư",
        len(bac_ninh.systems),
    )


def test_empty_sqlite_file_is_migrated_on_first_use(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    engine = open_store(url)
    assert current_revision(engine) == head_revision()
    engine.dispose()


@pytest.mark.postgres
def test_postgres_without_schema_asks_for_upgrade(postgres_url: str) -> None:
    from sqlalchemy import create_engine

    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("CREATE DATABASE empty_store"))
    admin.dispose()
    url = postgres_url.rsplit("/", 1)[0] + "/empty_store"
    with pytest.raises(StoreError, match="run `lienthong db upgrade"):
        open_store(url)


def test_unreachable_database_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="cannot open database"):
        open_store("postgresql://nobody:secret@127.0.0.1:1/none")
    with pytest.raises(StoreError, match="cannot use database URL"):
        create_store_engine("notadb://x")


def test_error_messages_never_show_the_password() -> None:
    with pytest.raises(StoreError) as caught:
        open_store("postgresql://nobody:hunter2@127.0.0.1:1/none")
    assert "hunter2" not in str(caught.value)


@pytest.mark.postgres
def test_concurrent_postgres_writers_count_each_id_once(postgres_url: str) -> None:
    """Two writers in open transactions store the same id: one wins, counted once."""
    import threading

    url = new_postgres_database(postgres_url)
    engine = open_store(url)
    write_transactions(engine, HANOI, [])  # the store's first write sets it up
    barrier = threading.Barrier(2, timeout=30)
    results = []

    def write() -> None:
        with writing(engine, HANOI) as writer:
            barrier.wait()
            results.append(
                writer.write(
                    [tx("so-khdt", "csdl-dkdn", "2026-10-05T09:00:00+07:00", record_id="same")]
                )
            )

    threads = [threading.Thread(target=write) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.accepted for r in results) == [0, 1]
    with engine.connect() as conn:
        counts = daily_counts_between(conn, date(2026, 10, 1), date(2026, 10, 31))
    assert counts[("so-khdt", "csdl-dkdn")][date(2026, 10, 5)].successes == 1
    engine.dispose()


def test_a_batch_of_only_duplicates(engine: Engine) -> None:
    batch = [tx("so-khdt", "csdl-dkdn", "2026-10-05T09:00:00+07:00", record_id="d")]
    write_transactions(engine, HANOI, batch)
    again = write_transactions(engine, HANOI, batch * 3)
    assert (again.accepted, again.duplicates) == (0, 3)
    assert count(engine) == 1


def test_details_and_outcomes_are_stored_as_given(engine: Engine) -> None:
    """A batch without any detail is inserted by another statement (NULL written in it):
    an empty detail stays empty, not NULL, and each outcome reads back as it was."""
    plain = [
        tx("so-khdt", "csdl-dkdn", "2026-10-05T09:00:00+07:00", True, "n1"),
        tx("so-khdt", "csdl-dkdn", "2026-10-05T09:01:00+07:00", False, "n2"),
    ]
    empty = [plain[0]._replace(record_id="e1", detail=""), plain[1]._replace(record_id="e2")]
    said = [plain[1]._replace(record_id="d1", detail="hết thời gian chờ")]
    for batch in (plain, empty, said):
        assert write_transactions(engine, HANOI, batch).accepted == len(batch)
    c = transactions.c
    with engine.connect() as conn:
        rows = conn.execute(select(c.record_id, c.success, c.detail).order_by(c.id)).all()
    assert [tuple(r) for r in rows] == [
        ("n1", True, None),
        ("n2", False, None),
        ("e1", True, ""),
        ("e2", False, None),
        ("d1", False, "hết thời gian chờ"),
    ]


def test_migrations_build_exactly_the_models_schema(engine: Engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from store.schema import metadata

    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), metadata)
    assert differences == []


def test_sqlite_rollup_is_stored_in_its_key_order_after_upgrade(tmp_path: Path) -> None:
    def table_sql() -> str:
        with engine.connect() as conn:
            return str(
                conn.exec_driver_sql(
                    "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'daily_counts'"
                ).scalar_one()
            )

    engine = create_store_engine(f"sqlite:///{tmp_path / 'old.db'}")
    with engine.begin() as conn:
        command.upgrade(_alembic(conn), "0009_first_success_day")
    # A 0009 store's rollup, its rows in the order they were written (a day apart).
    with writing(engine, HANOI) as writer:
        for day in (5, 6, 7):
            writer.write([tx("so-tuphap", "ho-tich", f"2026-10-0{day}T09:00:00+07:00")])
            writer.write([tx("so-khdt", "csdl-dkdn", f"2026-10-0{day}T09:00:00+07:00", False)])
    with engine.connect() as conn:
        before = daily_source_counts_between(conn, date(2026, 10, 1), date(2026, 10, 31))
    assert "WITHOUT ROWID" not in table_sql()

    upgrade(engine)
    assert "WITHOUT ROWID" in table_sql()
    # The same rows, the day index kept, and the write path adds to them as before.
    write_transactions(engine, HANOI, [tx("so-tuphap", "ho-tich", "2026-10-07T10:00:00+07:00")])
    with engine.connect() as conn:
        after = daily_source_counts_between(conn, date(2026, 10, 1), date(2026, 10, 31))
        indexes = conn.exec_driver_sql("PRAGMA index_list(daily_counts)").all()
    assert after.keys() == before.keys()
    assert after[("so-khdt", "csdl-dkdn")] == before[("so-khdt", "csdl-dkdn")]
    seventh = date(2026, 10, 7)
    assert after[("so-tuphap", "ho-tich")][seventh]["import"].successes == 2
    assert "ix_daily_counts_day" in {row[1] for row in indexes}

    with engine.begin() as conn:
        command.downgrade(_alembic(conn), "0009_first_success_day")
    assert "WITHOUT ROWID" not in table_sql()
    with engine.connect() as conn:
        assert daily_source_counts_between(conn, date(2026, 10, 1), date(2026, 10, 31)) == after
    engine.dispose()
