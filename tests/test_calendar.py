"""The official calendar (contract 1.2): every 2024–2026 difference as the notices decide it,
whatever `holidays` release is installed; provisional years; `lienthong calendar show`.

The expected days below are written from the notices themselves (not from the data file):
- 2024: Tết 8–14/2 and Quốc khánh 31/8–3/9 (Thủ tướng, reported 05/11/2023); 29/4 off and
  Saturday 4/5 worked (Công văn 2450/VPCP-KGVX, 12/4/2024); Giỗ Tổ 18/4 (10/3 âm lịch).
- 2025: Thông báo 6150/TB-BLĐTBXH: Tết 25/1–2/2, 2/5 off for Saturday 26/4 worked, 1/9 off;
  Giỗ Tổ 7/4.
- 2026: Công văn 12729/VPCP-KGVX (25/12/2025): 2/1 off, Saturday 10/1 worked; Thông báo
  9441/TB-BNV (16/10/2025): Tết 16–20/2, 31/8 off for Saturday 22/8 worked, 1/9 off; Giỗ Tổ
  on Sunday 26/4, made up on Monday 27/4 (Labour Code art. 111(3)); Ngày Văn hóa Việt Nam
  24/11 (Nghị quyết 80-NQ/TW).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from compliance.periods import Month
from compliance.report import compute_report
from compliance.rules import in_force_all_month
from registry import Registry, load_registry
from registry.calendar import (
    DATA,
    CalendarDataError,
    calendar_note,
    is_official,
    official_working_day,
    parse,
    year_days,
)
from reports.tabular import as_dict


def run_cli(args: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The command as a user runs it (its own process: nothing of the test's state)."""
    env = {**os.environ, "LIENTHONG_LANG": "vi"}
    env.pop("LIENTHONG_REGISTRY", None)
    return subprocess.run(
        [sys.executable, "-m", "lienthong", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        check=False,
    )


FIXED = {(1, 1), (4, 30), (5, 1), (9, 2)}
OFF = {
    *(date(2024, 2, d) for d in (8, 9, 12, 13, 14)),
    date(2024, 4, 18),
    date(2024, 4, 29),
    date(2024, 9, 3),
    *(date(2025, 1, d) for d in range(27, 32)),
    date(2025, 4, 7),
    date(2025, 5, 2),
    date(2025, 9, 1),
    date(2026, 1, 2),
    *(date(2026, 2, d) for d in range(16, 21)),
    date(2026, 4, 27),
    date(2026, 8, 31),
    date(2026, 9, 1),
    date(2026, 11, 24),
}
MADE_UP = {date(2024, 5, 4), date(2025, 4, 26), date(2026, 1, 10), date(2026, 8, 22)}


def working_by_the_notices(d: date) -> bool:
    if d in MADE_UP:
        return True
    return d.weekday() < 5 and (d.month, d.day) not in FIXED and d not in OFF


def month_days(m: Month) -> list[date]:
    return [m.first + timedelta(days=n) for n in range((m.last - m.first).days + 1)]


MONTHS = [Month(y, m) for y in (2024, 2025, 2026) for m in range(1, 13)]


def test_every_day_of_2024_to_2026_is_as_the_notices_decide() -> None:
    for m in MONTHS:
        for d in month_days(m):
            assert official_working_day(d) == working_by_the_notices(d), d


@pytest.mark.parametrize("name", ["bac-ninh", "hue"])
def test_required_days_of_every_month_follow_the_notices(name: str) -> None:
    """The monthly report's `required_days`, both bundled registries, 2024-01 to 2026-12."""
    registry = load_registry(name)
    pinned = 0
    for m in MONTHS:
        report = compute_report(registry, m, m.last, datetime(2027, 1, 5, tzinfo=UTC), {}, {})
        expected = sum(working_by_the_notices(d) for d in month_days(m))
        for o, row in zip(registry.obligations_between(m.first, m.last), report.rows, strict=True):
            if o.kind == "maintain" and in_force_all_month(registry, o, m):
                assert row.required_days == expected, (name, str(m), o.key)
                pinned += 1
    assert pinned > 0
    # The months the issue found wrong: January 2026 (2/1 off, 10/1 worked), and in Huế,
    # whose registry has no overrides, April 2025 and August 2026 (the Saturdays worked).
    assert sum(working_by_the_notices(d) for d in month_days(Month(2026, 1))) == 21
    assert sum(working_by_the_notices(d) for d in month_days(Month(2025, 4))) == 21
    assert sum(working_by_the_notices(d) for d in month_days(Month(2026, 8))) == 21


UTC8_IN_OLD_RELEASES = {(2030, "tet"), (2037, "gio_to"), (2038, "gio_to")}


def test_the_lunar_table_agrees_with_the_holidays_package() -> None:
    """The verified table behind provisional years, checked against the installed `holidays`
    package (0.60 and the newest agree: run with either; the figures never import it)."""
    import holidays  # a dev dependency: the product never imports it

    table = yaml.safe_load(DATA.read_text(encoding="utf-8"))["lunar"]
    for year, days in table.items():
        found = holidays.country_holidays("VN", years=year, language="vi", observed=False)
        tet = next(d for d, n in found.items() if n == "Tết Nguyên Đán")  # mùng 1
        gio_to = next(d for d, n in found.items() if "Hùng Vương" in n)
        # A new moon just before midnight in Vietnam (UTC+7) falls after it in China
        # (UTC+8): older releases (0.60) gave China's date, one day late, in 2030 (Tết),
        # 2037 and 2038 (Giỗ Tổ); the newest gives Vietnam's. The table keeps Vietnam's.
        late = timedelta(days=1) if (year, "tet") in UTC8_IN_OLD_RELEASES else timedelta(0)
        assert tet in (days["tet"], days["tet"] + late), year
        late = timedelta(days=1) if (year, "gio_to") in UTC8_IN_OLD_RELEASES else timedelta(0)
        assert gio_to in (days["gio_to"], days["gio_to"] + late), year
    # And with the notices' own Tết: mùng 1 is 10/2/2024, 29/1/2025, 17/2/2026.
    assert [table[y]["tet"] for y in (2024, 2025, 2026)] == [
        date(2024, 2, 10),
        date(2025, 1, 29),
        date(2026, 2, 17),
    ]


def test_the_figures_do_not_import_the_holidays_package() -> None:
    source = (Path(__file__).parent.parent / "registry" / "calendar.py").read_text()
    assert "import holidays" not in source


def document() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    return doc


def test_a_calendar_entry_needs_a_source() -> None:
    doc = document()
    del doc["years"][2026]["days"][0]["source"]
    with pytest.raises(CalendarDataError, match="needs a source"):
        parse(doc)
    doc = document()
    doc["years"][2026]["days"][0]["source"] = "nowhere"
    with pytest.raises(CalendarDataError, match="needs a source"):
        parse(doc)
    doc = document()
    doc["sources"]["vpcp-12729-2025"]["number"] = None  # unknown, and no note saying why
    with pytest.raises(CalendarDataError, match="say why"):
        parse(doc)


def test_every_shipped_entry_cites_its_act() -> None:
    data = parse(document())
    for year, days in data.years.items():
        for d in days:
            assert d.source is not None and d.source.issuer, (year, d.day)
            # A number and a date, or a note saying which could not be found.
            assert (d.source.number and d.source.date) or d.source.note, (year, d.day)


def test_a_year_without_a_notice_is_provisional() -> None:
    assert [is_official(y) for y in (2023, 2024, 2025, 2026, 2027)] == [
        False,
        True,
        True,
        True,
        False,
    ]
    note = calendar_note(date(2026, 12, 1), date(2027, 2, 28))
    assert note.as_dict() == {"official": False, "years": [2026, 2027], "provisional_years": [2027]}
    # 2027 from the law: mùng 1 Tết is Saturday 6/2; 5/2 and mùng 3 (8/2), mùng 4 (9/2) off,
    # and the days of Tết on the weekend made up on the next working days.
    days = {d.day: d for d in year_days(2027)}
    assert all(d.provisional for d in days.values())
    assert not official_working_day(date(2027, 2, 5))
    assert not official_working_day(date(2027, 2, 11))
    assert official_working_day(date(2027, 2, 12))
    assert not official_working_day(date(2027, 11, 24))  # Ngày Văn hóa Việt Nam, yearly


def test_registry_overrides_are_shown_as_such() -> None:
    r = Registry.model_validate(
        {
            "province": {"code": "24", "name": "Bắc Ninh"},
            "calendar": {"extra_holidays": ["2026-09-25"], "extra_working_days": ["2026-10-03"]},
        }
    )
    shown = {d.day: d for d in year_days(2026, r.calendar)}
    assert shown[date(2026, 9, 25)].kind == "override" and not shown[date(2026, 9, 25)].working
    assert shown[date(2026, 10, 3)].kind == "override" and shown[date(2026, 10, 3)].working
    assert shown[date(2026, 9, 25)].source is None


def test_bundled_registries_keep_no_national_swap() -> None:
    for name in ("bac-ninh", "hue"):
        c = load_registry(name).calendar
        national = {d for y in (2024, 2025, 2026) for d in (x.day for x in year_days(y))}
        assert not set(c.extra_holidays) & national
        assert not set(c.extra_working_days) & national


def test_the_json_report_says_which_calendar() -> None:
    registry = load_registry("bac-ninh")
    now = datetime(2027, 3, 5, tzinfo=UTC)
    official = as_dict(compute_report(registry, Month(2026, 12), date(2026, 12, 31), now, {}, {}))
    provisional = as_dict(compute_report(registry, Month(2027, 2), date(2027, 2, 28), now, {}, {}))
    assert official["calendar"]["official"] is True
    assert provisional["calendar"] == {
        "official": False,
        "years": [2027],
        "provisional_years": [2027],
    }


def test_calendar_show_json_lists_2026_with_sources(tmp_path: Path) -> None:
    result = run_cli(["calendar", "show", "--year", "2026", "--format", "json"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["official"] is True
    days = {d["date"]: d for d in body["days"]}
    listed = [
        "2026-01-02",
        "2026-01-10",
        *(f"2026-02-{d}" for d in range(16, 21)),
        "2026-04-27",
        "2026-08-22",
        "2026-08-31",
        "2026-11-24",
    ]
    for day in listed:
        assert days[day]["source"]["issuer"], day
    assert days["2026-01-02"]["source"]["number"] == "12729/VPCP-KGVX"
    assert days["2026-01-10"]["working"] is True and days["2026-08-22"]["working"] is True
    assert days["2026-02-17"]["source"]["number"] == "9441/TB-BNV"
    assert days["2026-11-24"]["source"]["number"] == "80-NQ/TW"
    assert not any(d["override"] for d in body["days"])
    # Nothing was created where it ran.
    assert list(tmp_path.iterdir()) == []


def test_calendar_show_marks_a_registrys_overrides(tmp_path: Path) -> None:
    registry = tmp_path / "province.yml"
    registry.write_text(
        "version: 1\nprovince: {code: '24', name: Bắc Ninh}\n"
        "calendar:\n  extra_holidays: [2026-09-25]  # a provincial festival\n",
        encoding="utf-8",
    )
    table = run_cli(["calendar", "show", "--year", "2026", "--registry", str(registry)])
    assert table.returncode == 0, table.stderr
    line = next(x for x in table.stdout.splitlines() if x.startswith("25/09/2026"))
    assert "điều chỉnh của sổ đăng ký" in line  # in Vietnamese by default
    assert "Lịch ngày làm việc năm 2026: chính thức" in table.stdout
    shown = run_cli(
        ["calendar", "show", "--year", "2026", "--registry", str(registry), "--format", "json"]
    )
    days = {d["date"]: d for d in json.loads(shown.stdout)["days"]}
    assert days["2026-09-25"]["override"] is True and days["2026-09-25"]["source"] is None


def test_calendar_show_outside_the_table_is_one_line() -> None:
    result = run_cli(["calendar", "show", "--year", "2099"])
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "2099" in result.stderr


def test_the_overview_names_the_calendar_and_whether_it_is_official() -> None:
    """Contract 1.2: the overview says which calendar its working days come from."""
    from exporter.status_page import Viewer, overview_page
    from i18n import use_lang

    tz = ZoneInfo("Asia/Ho_Chi_Minh")
    with use_lang("vi"):
        official = overview_page("Huế", [], datetime(2026, 12, 2, 9, tzinfo=tz), 10, Viewer("x"))
        provisional = overview_page("Huế", [], datetime(2027, 3, 2, 9, tzinfo=tz), 10, Viewer("x"))
    assert "Ngày làm việc: theo lịch chính thức năm 2026" in official
    assert "lịch TẠM TÍNH năm 2027" in provisional
