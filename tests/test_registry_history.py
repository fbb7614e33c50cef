"""The 2025 reorganisation in the bundled registries: history, dated values, reports across
a change, `registry history` and `registry merge`."""

from __future__ import annotations

import difflib
import json
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from compliance.periods import Month, Quarter
from compliance.quarterly import compute_quarter_report
from compliance.report import compute_report
from lienthong.cli import main
from registry import RegistryError, load_files, load_registry
from registry.history import changes, lineage
from reports import Filing, write_export_file
from reports.provenance import Provenance
from store.counts import DayCount
from tests.readback import pdf_text

# Their messages checked word for word are the English ones (Vietnamese: test_languages.py).
pytestmark = pytest.mark.usefixtures("english")

OLD_2024 = Path(__file__).parent / "registry_2024" / "province.yml"
NATIONAL = Path(__file__).parent.parent / "registry" / "bundled" / "national" / "systems.yml"
MERGED = {  # Bắc Ninh's departments merged on 2025-03-01, and where each duty went
    ("so-tttt", "dmdc"): "so-khcn",
    ("so-gtvt", "ql-phuong-tien"): "so-xaydung",
    ("so-gtvt", "csdl-dang-kiem"): "so-xaydung",
    ("so-khdt", "csdl-dkdn"): "so-taichinh",
    ("so-ldtbxh", "tro-giup-xa-hoi"): "so-yte",
    ("so-tnmt", "csdl-dat-dai"): "so-nnmt",
    ("so-tnmt", "lien-thong-tnmt-thue"): "so-nnmt",
    ("bhxh-tinh", "csdl-bao-hiem"): "bhxh-khu-vuc",
}
GONE = {"so-tttt", "so-gtvt", "so-khdt", "so-ldtbxh", "so-tnmt", "so-nnptnt", "bhxh-tinh"}
MERGER = date(2025, 3, 1)
SOURCE = Provenance(registry="bundled bac-ninh", database="none", software="test")


def test_bac_ninh_keeps_every_seed_obligation_and_ends_the_merged_ones() -> None:
    old = load_files([NATIONAL, OLD_2024])
    new = load_registry("bac-ninh")
    kept = {o.key: o for o in new.obligations if not o.derived}
    assert set(kept) == {o.key for o in old.obligations}
    for o in old.obligations:
        expected = MERGER if o.key in MERGED else None
        # The seed's fields as they were; only `until` added where the department merged.
        assert kept[o.key] == o.model_copy(update={"until": expected})


def test_each_merged_duty_continues_under_its_successor_derived() -> None:
    r = load_registry("bac-ninh")
    for (department, system), successor in MERGED.items():
        (before,) = r.obligations_for(department, system)
        (after,) = r.obligations_for(successor, system)
        assert after.since == MERGER and after.until is None and after.derived
        assert after.note, (successor, system)  # what the province must confirm
        assert after.basis.startswith(before.basis.split(" (")[0].split(";")[0])
        assert "45/2025/NĐ-CP" in after.basis or "391/QĐ-BTC" in after.basis
        assert after.kind == before.kind and after.probe == before.probe
    for code in GONE:
        d = r.department(code)
        assert d.until == MERGER and d.merged_into and d.note


def test_bac_ninh_province_and_standing_department_as_dated_values() -> None:
    r = load_registry("bac-ninh")
    assert (r.province_on(date(2025, 6, 30)).code, r.province_on(date(2025, 7, 1)).code) == (
        "27",
        "24",
    )
    assert r.province_on(date(2026, 11, 30)).note and "Bắc Giang" in str(r.province.note)
    assert r.standing_department_on(date(2025, 2, 28)) == "so-tttt"
    assert r.standing_department_on(MERGER) == "so-khcn"
    assert r.department("so-khcn").name == "Sở Khoa học và Công nghệ"
    assert r.department("so-nnmt").name == "Sở Nông nghiệp và Môi trường"


def test_owners_change_without_the_system_changing() -> None:
    r = load_registry("bac-ninh")
    dkdn = r.system("csdl-dkdn")
    assert dkdn.owner_on(date(2025, 2, 28)) == "Bộ Kế hoạch và Đầu tư"
    assert dkdn.owner_on(MERGER) == "Bộ Tài chính"
    assert r.system("dmdc").owner_on(date(2026, 11, 1)) == "Bộ Khoa học và Công nghệ"
    # The plain string form still holds for systems whose owner did not change.
    assert r.system("ho-tich").owners[0].since is None
    assert r.system("ho-tich").owner_on(date(2020, 1, 1)) == "Bộ Tư pháp"


def test_hue_becomes_a_city_and_its_departments_merge() -> None:
    r = load_registry("hue")
    assert r.province_on(date(2024, 12, 31)).name == "Thừa Thiên Huế"
    assert r.province_on(date(2025, 1, 1)).name == "Huế"
    assert {p.code for p in r.provinces} == {"46"}
    assert r.standing_department_on(date(2026, 1, 5)) == "so-khcn"
    assert all(o.derived for o in r.obligations)
    now = {o.department for o in r.obligations_between(date(2026, 1, 5), date(2026, 1, 5))}
    assert now.isdisjoint({"so-tttt", "so-gtvt", "so-khdt", "so-tnmt", "so-nnptnt"})
    assert {"so-khcn", "so-xaydung", "so-taichinh", "so-nnmt"} <= now


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "r.yml"
    path.write_text(text, encoding="utf-8")
    return path


DATED = """version: 1
province:
  - {code: "27", name: "Bắc Ninh", until: 2025-07-01}
  - {code: "24", name: "Bắc Ninh", since: 2025-07-01}
standing_department:
  - {department: a, until: 2025-03-01}
  - {department: b, since: 2025-03-01}
systems:
  - code: s
    name: S
    owner:
      - {name: Bộ A, until: 2025-03-01}
      - {name: Bộ B, since: 2025-03-01}
departments:
  - {code: a, name: A, until: 2025-03-01, merged_into: b}
  - {code: b, name: B}
"""


def test_dated_lists_validate(tmp_path: Path) -> None:
    r = load_files([write(tmp_path, DATED)])
    assert r.system("s").owner_on(date(2025, 3, 1)) == "Bộ B"


@pytest.mark.parametrize(
    ("change", "line", "message"),
    [
        # A gap between two periods.
        (("since: 2025-07-01}", "since: 2025-08-01}"), 4, "must be the until of the period"),
        # Periods in the wrong order.
        (("{name: Bộ B, since: 2025-03-01}", "{name: Bộ B, since: 2025-01-01}"), 13, "period"),
        # A standing department that no longer exists when it is said to be standing.
        (("{department: b, since: 2025-03-01}", "{department: a, since: 2025-03-01}"), 7, "a is"),
        (("{department: b, since: 2025-03-01}", "{department: x, since: 2025-03-01}"), 7, "'x'"),
    ],
)
def test_bad_dated_lists_are_reported_at_their_line(
    tmp_path: Path, change: tuple[str, str], line: int, message: str
) -> None:
    text = DATED.replace(*change)
    assert text != DATED
    with pytest.raises(RegistryError) as e:
        load_files([write(tmp_path, text)])
    (problem,) = e.value.problems
    assert problem.position.line == line and message in problem.message, problem


NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def test_november_2026_has_only_departments_that_exist_and_owners_of_now() -> None:
    r = load_registry("bac-ninh")
    report = compute_report(r, Month(2026, 11), date(2026, 11, 30), NOW, {}, {})
    assert len(report.rows) == 18
    assert not {row.department for row in report.rows} & GONE
    assert report.province.code == "24"
    owners = {row.system: row.owner for row in report.rows}
    assert owners["csdl-dkdn"] == "Bộ Tài chính"
    assert owners["dmdc"] == "Bộ Khoa học và Công nghệ"


def test_february_2025_shows_the_departments_and_owners_of_then() -> None:
    r = load_registry("bac-ninh")
    report = compute_report(r, Month(2025, 2), date(2025, 2, 28), NOW, {}, {})
    assert {row.department for row in report.rows} >= GONE - {"so-nnptnt"}
    assert not {row.department for row in report.rows} & {"so-khcn", "so-nnmt", "bhxh-khu-vuc"}
    assert {row.system: row.owner for row in report.rows}["csdl-dkdn"] == "Bộ Kế hoạch và Đầu tư"
    assert report.province.code == "27"


def test_march_2025_shows_each_duty_once_under_its_successor() -> None:
    r = load_registry("bac-ninh")
    report = compute_report(r, Month(2025, 3), date(2025, 3, 31), NOW, {}, {})
    systems = [row.system for row in report.rows]
    assert len(systems) == len(set(systems)) == 18
    by_system = {row.system: row.department for row in report.rows}
    for (_, system), successor in MERGED.items():
        assert by_system[system] == successor


def test_a_quarter_across_the_merger_sums_each_row_over_its_own_days() -> None:
    r = load_registry("bac-ninh")
    # One success every day of the quarter for both the old and the new department.
    counts = {
        pair: {
            date(2025, m, d): {"push": DayCount(1, 0, None, None)}
            for m, last in ((1, 31), (2, 28), (3, 31))
            for d in range(1, last + 1)
        }
        for pair in (("so-khdt", "csdl-dkdn"), ("so-taichinh", "csdl-dkdn"))
    }
    q = compute_quarter_report(r, Quarter(2025, 1), date(2025, 3, 31), NOW, counts, {})
    rows = {(row.department, row.system): row for row in q.rows}
    old, new = rows[("so-khdt", "csdl-dkdn")], rows[("so-taichinh", "csdl-dkdn")]
    months = {m.month.month: m for m in q.months}
    old_days = sum(
        row.required_days
        for m in (1, 2)
        for row in months[m].rows
        if row.department == "so-khdt" and row.system == "csdl-dkdn"
    )
    (new_days,) = (
        row.required_days
        for row in months[3].rows
        if row.department == "so-taichinh" and row.system == "csdl-dkdn"
    )
    assert (old.required_days, old.met_days, old.successes) == (old_days, old_days, 59)
    assert (new.required_days, new.met_days, new.successes) == (new_days, new_days, 31)
    assert (old.owner, new.owner) == ("Bộ Kế hoạch và Đầu tư", "Bộ Tài chính")


@pytest.mark.parametrize(
    ("issued", "heading"),
    [
        (datetime(2026, 12, 1, 2, 0, tzinfo=UTC), "SỞ KHOA HỌC VÀ CÔNG NGHỆ"),
        (datetime(2025, 2, 3, 2, 0, tzinfo=UTC), "SỞ THÔNG TIN VÀ TRUYỀN THÔNG"),
    ],
)
def test_pdf_is_issued_by_the_standing_department_of_its_issue_day(
    tmp_path: Path, issued: datetime, heading: str
) -> None:
    r = load_registry("bac-ninh")
    report = compute_report(r, Month(2024, 12), date(2024, 12, 31), issued, {}, {})
    path = tmp_path / "r.pdf"
    write_export_file("pdf", Filing(report, r, SOURCE), path)
    text = pdf_text(path)
    assert heading in text
    other = {"SỞ KHOA HỌC VÀ CÔNG NGHỆ", "SỞ THÔNG TIN VÀ TRUYỀN THÔNG"} - {heading}
    assert other.pop() not in text


def test_every_change_of_the_reorganisation_is_in_the_history() -> None:
    found = {(c.day, c.text) for c in changes(load_registry("bac-ninh"))}
    for (department, system), successor in MERGED.items():
        assert (
            MERGER,
            f"duty {system} ("
            + (
                "connect"
                if "dang-kiem" in system or system in {"csdl-dat-dai", "lien-thong-tnmt-thue"}
                else "maintain"
            )
            + f") moves from {department} to {successor}",
        ) in found
    assert (MERGER, "standing department so-tttt → so-khcn") in found
    assert (date(2025, 7, 1), "province Bắc Ninh (27) becomes Bắc Ninh (24)") in found
    assert (MERGER, "system csdl-dkdn: owner Bộ Kế hoạch và Đầu tư → Bộ Tài chính") in found
    for code in GONE:
        assert any(
            c.subject == code and "merges into" in c.text
            for c in changes(load_registry("bac-ninh"))
        )


def test_lineage_of_a_department_and_a_system() -> None:
    r = load_registry("bac-ninh")
    noivu = lineage(r, "so-noivu")
    assert [x["code"] for x in noivu["merged_from"]] == ["so-ldtbxh"]
    ldtbxh = lineage(r, "so-ldtbxh")
    assert ldtbxh["merged_into"] == "so-noivu"
    # Its duty went where the social-protection function went, not with the department.
    assert ldtbxh["duties"][0]["to"] == ["so-yte"]
    dkdn = lineage(r, "csdl-dkdn")
    assert [o["name"] for o in dkdn["owners"]] == ["Bộ Kế hoạch và Đầu tư", "Bộ Tài chính"]
    assert [d["department"] for d in dkdn["duties"]] == ["so-khdt", "so-taichinh"]


def test_history_and_show_on_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["registry", "history", "so-tttt"]) == 0
    out = capsys.readouterr().out
    assert "merged into: so-khcn on 2025-03-01" in out
    assert "dmdc (maintain): 2024-10-14 → 2025-03-01; passes to so-khcn" in out
    assert main(["registry", "history", "nope"]) == 1
    assert "no department or system 'nope'" in capsys.readouterr().err
    assert main(["registry", "show", "--on", "2025-02-28", "--format", "json"]) == 0
    then = json.loads(capsys.readouterr().out)
    assert then["province"] == {"code": "27", "name": "Bắc Ninh"}
    assert then["standing_department"] == "so-tttt"
    assert {o["owner"] for o in then["obligations"] if o["system"] == "dmdc"} == {
        "Bộ Thông tin và Truyền thông"
    }
    assert main(["registry", "show", "--on", "2026-11-30", "--format", "json"]) == 0
    now = json.loads(capsys.readouterr().out)
    assert now["standing_department"] == "so-khcn" and len(now["obligations"]) == 18


def test_merge_reproduces_a_change_of_the_reorganisation_from_the_2024_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "bac-ninh"
    folder.mkdir()
    path = folder / "province.yml"
    shutil.copy(OLD_2024, path)
    before = path.read_text(encoding="utf-8")
    args = ["registry", "merge", "--department", "so-khdt", "--into", "so-taichinh"]
    assert main([*args, "--on", "2025-03-01", str(path)]) == 1  # asked, not a terminal
    assert path.read_text(encoding="utf-8") == before
    assert "nothing written" in capsys.readouterr().err
    assert main([*args, "--on", "2025-03-01", "--yes", str(path)]) == 0
    out = capsys.readouterr().out
    assert "+    merged_into: so-taichinh" in out and "written:" in out

    merged = load_files([NATIONAL, path])
    bundled = load_registry("bac-ninh")

    def windows(r: object, system: str) -> list[tuple[str, date | None, date | None]]:
        assert hasattr(r, "obligations")
        return [(o.department, o.since, o.until) for o in r.obligations if o.system == system]

    assert windows(merged, "csdl-dkdn") == windows(bundled, "csdl-dkdn")
    assert merged.department("so-khdt").merged_into == "so-taichinh"
    assert merged.department("so-khdt").until == MERGER
    # Comments and every untouched line are kept as they were: only the old obligation's
    # six lines (one flow mapping) are written anew; every other change is an addition.
    after = path.read_text(encoding="utf-8")
    diff = list(difflib.ndiff(before.splitlines(), after.splitlines()))
    removed = [line[2:] for line in diff if line.startswith("- ")]
    start = before.splitlines().index(removed[0])
    assert removed == before.splitlines()[start : start + 6]
    assert removed[0].startswith("  - {department: so-khdt, system: csdl-dkdn")
    assert after.startswith(before.split("\ndepartments:")[0])


GATEWAYS = """version: 1
province: {code: "24", name: "Bắc Ninh"}
standing_department: a   # copies of critical alerts
systems:
  - {code: s, name: S, owner: Bộ S, gateway: {wso2_apis: [/s/1.0]}}
  - {code: t, name: T, owner: Bộ T}
departments:
  # the old one
  - code: a
    name: A
    gateway: {wso2_applications: [app-a], xroad_clients: [VN/GOV/000/a]}
  - code: b
    name: B
obligations:
  - {department: a, system: s, kind: maintain, basis: "Điều 1", since: 2024-10-14}
  - {department: b, system: s, kind: connect, basis: "Điều 2", until: 2024-12-01}
"""


def test_merge_moves_gateway_identifiers_and_the_standing_role(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, GATEWAYS)
    args = ["registry", "merge", "--department", "a", "--into", "b", "--on", "2025-03-01"]
    assert main([*args, "--yes", str(path)]) == 0
    r = load_files([path])
    assert r.department("b").gateway.wso2_applications == ("app-a",)
    assert r.department("b").gateway.xroad_clients == ("VN/GOV/000/a",)
    assert r.department("a").gateway.wso2_applications == ()
    assert r.standing_department_on(date(2025, 2, 1)) == "a"
    assert r.standing_department_on(MERGER) == "b"
    (succ,) = [o for o in r.obligations if o.department == "b" and o.since == MERGER]
    assert succ.derived and succ.basis == "Điều 1"
    assert "# the old one" in path.read_text(encoding="utf-8")
    # A system merger: the duties towards it move to the successor system.
    capsys.readouterr()
    system = ["registry", "merge", "--system", "s", "--into", "t", "--on", "2026-01-01"]
    assert main([*system, "--yes", str(path)]) == 0
    r = load_files([path])
    assert r.system("s").merged_into == "t"
    assert r.system("t").gateway.wso2_apis == ("/s/1.0",)
    assert [o.key for o in r.obligations_between(date(2026, 1, 1), date(2026, 1, 1))] == [
        ("b", "t")
    ]


def test_merge_refuses_what_it_cannot_write(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, GATEWAYS)
    base = ["registry", "merge", "--on", "2025-03-01", "--yes"]
    assert main([*base, "--department", "x", "--into", "b", str(path)]) == 1
    assert "no department 'x'" in capsys.readouterr().err
    assert main([*base, "--department", "a", "--into", "c", str(path)]) == 1
    assert "give --name" in capsys.readouterr().err
    assert main([*base, "--department", "a", "--into", "c", "--name", "C", str(path)]) == 0
    capsys.readouterr()
    assert main([*base, "--department", "a", "--into", "b", str(path)]) == 1
    assert "already ends on 2025-03-01" in capsys.readouterr().err
    assert load_files([path]).department("c").since == MERGER


def test_plain_forms_stay_valid_and_an_empty_owner_is_an_error(tmp_path: Path) -> None:
    plain = 'version: 1\nprovince: {code: "24", name: X}\nstanding_department: null\n'
    r = load_files([write(tmp_path, plain)])
    assert (r.province.code, r.standing_department) == ("24", None)
    assert r.province_on(date(2000, 1, 1)) == r.province
    with pytest.raises(RegistryError) as e:
        load_files([write(tmp_path, plain + "systems:\n  - {code: s, name: S, owner: []}\n")])
    (problem,) = e.value.problems
    assert problem.position.line == 5 and problem.message.startswith("owner:")
