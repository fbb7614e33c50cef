"""Quarterly reports and department packs: each month, the quarter as a whole, one department."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import Engine

from compliance.packs import UnknownDepartment, department_pack
from compliance.periods import Month, PeriodError, Quarter
from compliance.quarterly import build_quarter_report, default_quarter_as_of
from compliance.report import build_report, first_success
from compliance.rules import DayState, compliance_row
from registry import Registry
from reports import write_csv, write_json
from reports.provenance import database_text, provenance
from reports.tabular import FIELDS, quarter_as_dict, report_as_dict
from store.counts import daily_source_counts_between, first_success_days_by_source

Q3 = Quarter(2026, 3)
NOW = datetime(2026, 11, 2, 1, 30, tzinfo=UTC)
FIGURES = ("required_days", "met_days", "successes", "failures", "excused_days", "probe_only_days")


def test_quarter_bounds_months_and_deadline() -> None:
    assert Quarter.parse("2026Q3") == Q3 == Quarter.parse("2026-q3")
    assert (Q3.first, Q3.last) == (date(2026, 7, 1), date(2026, 9, 30))
    assert Q3.months == (Month(2026, 7), Month(2026, 8), Month(2026, 9))
    # Seed 004, Art. 10: "trước ngày 25 của tháng cuối Quý" — the 24th is the last day.
    assert Q3.deadline == date(2026, 9, 24)
    assert Quarter(2026, 1).previous() == Quarter(2025, 4)
    assert Quarter(2026, 4).next() == Quarter(2027, 1)
    assert str(Quarter(2027, 1)) == "2027Q1"
    for bad in ("2026Q5", "2026-07", "Q3", "2026Q0"):
        with pytest.raises(PeriodError):
            Quarter.parse(bad)


@pytest.mark.parametrize(
    ("today", "as_of"),
    [
        (date(2026, 10, 5), date(2026, 9, 30)),  # a past quarter: its last day
        (date(2026, 8, 10), date(2026, 8, 10)),  # the current one, before its deadline: today
        (date(2026, 9, 24), date(2026, 9, 24)),  # the deadline day itself
        (date(2026, 9, 28), date(2026, 9, 24)),  # after the deadline: what members filed
        (date(2026, 6, 30), date(2026, 6, 30)),  # a future quarter: nothing required yet
    ],
)
def test_default_quarter_as_of(today: date, as_of: date) -> None:
    assert default_quarter_as_of(Q3, today) == as_of


def test_quarter_is_its_months_added_up(varied: Engine, bac_ninh: Registry) -> None:
    report = build_quarter_report(varied, bac_ninh, Q3, now=NOW)
    assert report.as_of == date(2026, 9, 30)
    monthly = [build_report(varied, bac_ninh, m, now=NOW) for m in Q3.months]
    # Each month inside the quarter is exactly the month's own report.
    assert [report_as_dict(m) for m in report.months] == [report_as_dict(m) for m in monthly]
    for row, months in zip(report.rows, report.row_months, strict=True):
        for field in FIGURES:
            assert getattr(row, field) == sum(getattr(m, field) for m in months)
        firsts = [m.first_success for m in months if m.first_success is not None]
        assert row.first_success == (min(firsts) if firsts else None)
        assert len(row.days) == 92
    statuses = {r.status for r in report.rows}
    assert statuses >= {"compliant", "partial", "non_compliant", "connected", "not_connected"}


def test_quarter_equals_the_arithmetic_run_over_its_days(
    varied: Engine, bac_ninh: Registry
) -> None:
    """Summing the months gives what the contract's rules give on the quarter in one go."""
    as_of = date(2026, 9, 15)
    report = build_quarter_report(varied, bac_ninh, Q3, as_of, now=NOW)
    with varied.connect() as conn:
        counts = daily_source_counts_between(conn, Q3.first, as_of)
        first = first_success_days_by_source(conn, as_of)
    in_force = bac_ninh.obligations_between(Q3.first, Q3.last)
    for o, row in zip(in_force, report.rows, strict=True):
        inherited = first_success(bac_ninh, o, first)
        whole = compliance_row(bac_ninh, o, Q3, as_of, counts.get(o.key, {}), inherited)  # type: ignore[arg-type]
        assert whole == row


def test_current_quarter_stops_at_the_as_of_day(varied: Engine, bac_ninh: Registry) -> None:
    now = datetime(2026, 8, 10, 9, 0, tzinfo=UTC)
    report = build_quarter_report(varied, bac_ninh, Q3, now=now)
    assert report.as_of == date(2026, 8, 10)
    september = report.months[2]
    assert all(r.required_days == 0 for r in september.rows)
    assert {r.status for r in september.rows if r.kind == "maintain"} == {"not_applicable"}
    for row in report.rows:
        states = dict(row.days)
        assert states[date(2026, 8, 11)] == DayState.AFTER_AS_OF
        assert states[date(2026, 8, 10)] != DayState.AFTER_AS_OF


def test_quarter_json_and_csv_shape(varied: Engine, bac_ninh: Registry) -> None:
    report = build_quarter_report(varied, bac_ninh, Q3, now=NOW)
    out = io.StringIO()
    write_json(report, out)
    document = json.loads(out.getvalue())
    assert list(document) == [
        "province",
        "quarter",
        "first",
        "last",
        "deadline",
        "as_of",
        "generated_at",
        "calendar",  # contract 1.2: official or provisional
        "rows",
        "months",
    ]
    assert document["calendar"] == {"official": True, "years": [2026], "provisional_years": []}
    assert (document["quarter"], document["deadline"]) == ("2026Q3", "2026-09-24")
    assert [m["month"] for m in document["months"]] == ["2026-07", "2026-08", "2026-09"]
    assert all(list(r) == list(FIELDS) for r in document["rows"])

    out = io.StringIO()
    write_csv(report, out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert list(rows[0]) == ["period", *FIELDS]
    by_period: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_period.setdefault(r.pop("period"), []).append(r)
    assert list(by_period) == ["2026-07", "2026-08", "2026-09", "2026Q3"]
    assert by_period["2026Q3"] == [_as_csv(r) for r in document["rows"]]
    assert by_period["2026-08"] == [_as_csv(r) for r in document["months"][1]["rows"]]


def _as_csv(row: dict[str, Any]) -> dict[str, str]:
    return {k: "" if v is None else str(v) for k, v in row.items()}


@pytest.mark.usefixtures("english")  # its words checked are English ones
def test_department_pack_keeps_its_figures(varied: Engine, bac_ninh: Registry) -> None:
    full = build_quarter_report(varied, bac_ninh, Q3, now=NOW)
    pack = department_pack(full, bac_ninh, "so-tuphap")
    document = quarter_as_dict(pack)
    assert document["department"] == {"code": "so-tuphap", "name": "Sở Tư pháp"}
    everything = quarter_as_dict(full)
    assert document["rows"] == [r for r in everything["rows"] if r["department"] == "so-tuphap"]
    for mine, all_of_month in zip(document["months"], everything["months"], strict=True):
        assert mine["department"]["code"] == "so-tuphap"
        assert mine["rows"] == [r for r in all_of_month["rows"] if r["department"] == "so-tuphap"]
    assert len(pack.row_months) == len(pack.rows) == 4

    month = department_pack(
        build_report(varied, bac_ninh, Month(2026, 9), now=NOW), bac_ninh, "so-yte"
    )
    assert [r.system for r in month.rows] == ["tro-giup-xa-hoi", "so-suc-khoe-dien-tu"]
    with pytest.raises(UnknownDepartment, match="unknown department 'so-nope'"):
        department_pack(full, bac_ninh, "so-nope")


def test_provenance_names_the_registry_files_and_hides_the_password() -> None:
    source = provenance(None, "postgresql+psycopg://lienthong:s3cret@db.example/lienthong")
    assert source.registry == "bac-ninh" and source.bundled
    assert source.files == ("national/systems.yml", "bac-ninh/province.yml")
    assert len(source.digest) == 12 and int(source.digest, 16) >= 0
    assert "s3cret" not in source.database and "db.example/lienthong" in source.database
    assert source.software.startswith("lienthong ")
    # As the filed document says it: no URL, no password.
    shown = "PostgreSQL “lienthong” trên máy chủ db.example"
    assert database_text(source.database, "vi") == shown
