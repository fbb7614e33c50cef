"""Contract 1.2, "Records say which platform carried them": the field, validated and stored;
the reports' `platforms`; the registry's platform requirements (Nghị định 278/2025/NĐ-CP)
shown per duty without changing a figure."""

from __future__ import annotations

import csv
import json
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from compliance.platforms import RequiredPlatform, Through, standing_text, through
from exporter.app import create_app
from lienthong.cli import main
from registry import load_registry
from registry.loader import RegistryError, load_files
from reports.tabular import FIELDS
from store import open_store
from store.records import Transaction
from store.tokens import issue_token
from store.writer import write_transactions
from tests.harness import serving
from tests.readback import pdf_text
from tests.test_status_pages import NOW, chromium, options, push
from tests.test_status_pages import record as status_record
from tests.test_xroad_pairing_order import assert_platforms_exact

REGISTRY = """\
version: 1
province: {code: "24", name: "Bắc Ninh"}
evidence: [push, gateway, import]
systems:
  - {code: csdl-dkdn, name: Cơ sở dữ liệu quốc gia về Đăng ký doanh nghiệp, owner: Bộ Tài chính}
  - {code: ho-tich, name: Cơ sở dữ liệu hộ tịch điện tử, owner: Bộ Tư pháp}
departments:
  - {code: so-taichinh, name: Sở Tài chính}
  - {code: so-tuphap, name: Sở Tư pháp}
obligations:
  - {department: so-taichinh, system: csdl-dkdn, kind: maintain, basis: "Điều 6 khoản 5 điểm c",
     since: 2026-10-05}
  - {department: so-tuphap, system: ho-tich, kind: maintain, basis: "Điều 6 khoản 12 điểm c"}
platform_requirements:
  - platform: ndop
    since: 2025-10-22
    deadline: 2026-12-31
    basis: Nghị định 278/2025/NĐ-CP
    systems: [csdl-dkdn]
"""


def record(n: int, ts: str, platform: str | None, **fields: Any) -> dict[str, Any]:
    found: dict[str, Any] = {
        "department": "so-taichinh",
        "system": "csdl-dkdn",
        "ts": ts,
        "outcome": "success",
        "id": f"r{n}",
        **fields,
    }
    if platform is not None:
        found["platform"] = platform
    return found


# What October 2026 holds for so-taichinh → csdl-dkdn, and what of it counts.
RECORDS = [
    record(1, "2026-10-05T09:00:00+07:00", "lgsp"),  # counts
    record(2, "2026-10-06T09:00:00+07:00", "ndop"),  # counts
    record(3, "2026-10-06T10:00:00+07:00", None),  # counts, says no platform
    record(4, "2026-10-07T09:00:00+07:00", "vdxp", source="probe"),  # probes do not count here
    record(5, "2026-10-07T10:00:00+07:00", "ndxp", outcome="failure"),  # not a success
    record(6, "2026-10-02T09:00:00+07:00", "other"),  # before the duty's since
    record(7, "2026-11-02T09:00:00+07:00", "other"),  # another month
    record(8, "2026-10-20T09:00:00+07:00", "other"),  # after the as-of day below
]


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.fixture
def registry(tmp_path: Path) -> Path:
    path = tmp_path / "registry.yml"
    path.write_text(REGISTRY, encoding="utf-8")
    return path


def run(*args: str) -> int:
    return main(list(args))


@pytest.mark.usefixtures("english")  # its messages read word for word
def test_files_carry_the_platform_and_an_unknown_one_stores_nothing(
    store_url: str, registry: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = ("--db", store_url, "--registry", str(registry))
    bad = write_jsonl(
        tmp_path / "bad.jsonl",
        [
            record(1, "2026-10-05T09:00:00+07:00", "ndop"),
            record(2, "2026-10-05T09:00:00+07:00", "NDOP"),
        ],
    )
    assert run("ingest", *db, str(bad)) == 1
    err = capsys.readouterr().err.splitlines()
    assert f"{bad}:2: platform: Input should be 'lgsp', 'ndxp', 'ndop', 'vdxp' or 'other'" in err
    assert err[-1] == f"{bad}: 2 records, 1 invalid: nothing stored"
    # CSV: a `platform` column, an empty cell is a record that does not say.
    table = tmp_path / "records.csv"
    with table.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["department", "system", "ts", "outcome", "id", "platform"])
        writer.writerow(
            ["so-taichinh", "csdl-dkdn", "2026-10-05T09:00:00+07:00", "success", "c1", "lgsp"]
        )
        writer.writerow(
            ["so-taichinh", "csdl-dkdn", "2026-10-05T09:30:00+07:00", "success", "c2", ""]
        )
        writer.writerow(
            ["so-taichinh", "csdl-dkdn", "2026-10-05T10:00:00+07:00", "success", "c3", "x"]
        )
    assert run("ingest", *db, str(table)) == 1
    assert f"{table}:4: platform: Input should be 'lgsp', 'ndxp', 'ndop', 'vdxp' or 'other'" in (
        capsys.readouterr().err.splitlines()
    )
    # --platform stamps the records that do not say; a record's own platform wins.
    good = write_jsonl(tmp_path / "good.jsonl", RECORDS[:3])
    assert run("ingest", "--platform", "vdxp", *db, str(good)) == 0
    capsys.readouterr()
    assert run("report", "--month", "2026-10", "--as-of", "2026-10-31", *db) == 0
    row = json.loads(capsys.readouterr().out)["rows"][0]
    assert row["platforms"] == "lgsp;ndop;vdxp"


def test_the_report_names_the_platforms_of_the_counted_successes_only(
    store_url: str, registry: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = ("--db", store_url, "--registry", str(registry))
    assert run("ingest", *db, str(write_jsonl(tmp_path / "r.jsonl", RECORDS))) == 0
    month = ("--month", "2026-10", "--as-of", "2026-10-19")
    out = tmp_path / "r.json"
    assert run("report", *month, *db, "--format", "json", "--out", str(out)) == 0
    rows = {r["department"]: r for r in json.loads(out.read_text(encoding="utf-8"))["rows"]}
    taichinh = rows["so-taichinh"]
    # Not the probe's (evidence), the failure's, those before `since`, after the as-of day or
    # in another month; the success that said nothing counts but names nothing.
    assert (taichinh["successes"], taichinh["platforms"]) == (3, "lgsp;ndop")
    assert rows["so-tuphap"]["platforms"] == ""
    assert list(taichinh)[-3:] == ["excused_days", "probe_only_days", "platforms"]
    # CSV: the same column, after the 1.1 fields.
    table = tmp_path / "r.csv"
    assert run("report", *month, *db, "--format", "csv", "--out", str(table)) == 0
    with table.open(encoding="utf-8", newline="") as f:
        read = list(csv.DictReader(f))
    assert list(read[0]) == list(FIELDS)
    assert [r["platforms"] for r in read] == ["lgsp;ndop", ""]
    # The people's formats: the platforms and the requirement, per duty (as of 19/10/2026,
    # 73 days remain to 31/12/2026); the figures are unchanged.
    book = tmp_path / "r.xlsx"
    assert run("report", *month, *db, "--format", "xlsx", "--out", str(book)) == 0
    ws = load_workbook(book)["Tổng hợp"]
    headers = [c.value for c in ws[4]]
    cells = {h: ws.cell(5, i + 1).value for i, h in enumerate(headers)}
    assert cells["Nền tảng đã chuyển giao dịch thành công"] == "LGSP, NDOP"
    assert cells["Nền tảng bắt buộc theo quy định"] == (
        "1/3 giao dịch thành công qua NDOP; còn 73 ngày đến hạn 31/12/2026"
    )
    assert cells["Giao dịch thành công"] == 3
    # Ho-tich has no requirement in this registry: its cell is empty.
    assert ws.cell(6, headers.index("Nền tảng bắt buộc theo quy định") + 1).value is None
    # The filed PDF: a line under the duty's strip, and the basis in the method section.
    pdf = tmp_path / "r.pdf"
    assert run("report", *month, *db, "--format", "pdf", "--out", str(pdf)) == 0
    shown = pdf_text(pdf)
    assert (
        "Nền tảng: LGSP, NDOP · bắt buộc qua NDOP: 1/3 giao dịch thành công qua NDOP;"
        " còn 73 ngày đến hạn 31/12/2026"
    ) in shown
    # The requirement and its basis, in the annex on the method (a page may break inside it).
    annex = shown[shown.index("PHƯƠNG PHÁP") :]
    assert "NDOP từ ngày 22/10/2025, hoàn thành chậm" in annex
    assert "ngày 31/12/2026: Nghị định 278/2025/NĐ-CP" in annex


def test_where_the_successes_stand_with_the_required_platform() -> None:
    required = RequiredPlatform("ndop", date(2026, 12, 31), "Nghị định 278/2025/NĐ-CP", 23)
    assert through("ndop", 0, ()) == Through.NO_SUCCESSES
    assert through("ndop", 4, ()) == Through.UNSAID
    assert through("ndop", 4, (("lgsp", 4),)) == Through.OTHERS
    assert through("ndop", 4, (("lgsp", 1), ("ndop", 3))) == Through.PARTLY
    assert through("ndop", 4, (("ndop", 4),)) == Through.ALL
    assert standing_text(required, 4, (("ndop", 4),), "vi") == (
        "toàn bộ giao dịch thành công qua NDOP; còn 23 ngày đến hạn 31/12/2026"
    )
    assert standing_text(required, 4, (("lgsp", 4),), "en") == (
        "no success through NDOP yet; 23 days left to 31/12/2026"
    )
    passed = RequiredPlatform("ndop", date(2026, 12, 31), "…", 0)
    assert standing_text(passed, 0, (), "vi") == (
        "chưa có giao dịch thành công; đã đến hạn 31/12/2026"
    )


def test_the_bundled_registries_carry_nghi_dinh_278_as_history() -> None:
    for name in ("bac-ninh", "hue"):
        registry = load_registry(name)
        [requirement] = registry.platform_requirements
        assert (requirement.platform, requirement.since, requirement.deadline) == (
            "ndop",
            date(2025, 10, 22),
            date(2026, 12, 31),
        )
        assert requirement.basis.startswith("Nghị định 278/2025/NĐ-CP")
        # Every duty of the bundled registries is bound, from the decree's day, not before.
        for o in registry.obligations:
            assert registry.platform_requirement(o, date(2025, 10, 22)) is requirement
            assert registry.platform_requirement(o, date(2025, 10, 21)) is None


def problems_of(text: str, folder: Path) -> tuple[Path, list[str]]:
    path = folder / "registry.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RegistryError) as e:
        load_files([path])
    return path, [str(p) for p in e.value.problems]


def line_of(text: str, part: str, n: int = 0) -> int:
    return [i for i, line in enumerate(text.splitlines(), 1) if part in line][n]


@pytest.mark.usefixtures("english")  # its words checked are English ones
def test_a_wrong_platform_requirement_is_reported_at_its_line(tmp_path: Path) -> None:
    # Wrong types and keys first (as for every registry object), each at its line.
    text = REGISTRY + (
        "  - {platform: ngsp, since: 2025-01-01, deadline: 2026-12-31, basis: x}\n"
        "  - {platform: ndop, since: 2025-01-01, deadline: 2026-12-31, basis: x, by: y}\n"
    )
    path, problems = problems_of(text, tmp_path)
    assert problems == [
        f"{path}:{line_of(text, 'ngsp')}: platform: Input should be 'lgsp', 'ndxp', 'ndop',"
        " 'vdxp' or 'other', got 'ngsp'",
        f"{path}:{line_of(text, 'by: y')}: unknown key 'by'",
    ]
    # Then how it fits the rest: unknown codes, a deadline before its since.
    text = REGISTRY.replace("    systems: [csdl-dkdn]\n", "    systems: [csdl-dkdn, csdl-xyz]\n")
    text += "  - {platform: ndop, since: 2027-01-01, deadline: 2026-12-31, basis: x,"
    text += " departments: [so-abc]}\n"
    path, problems = problems_of(text, tmp_path)
    late = line_of(text, "2027-01-01")
    assert problems == [
        f"{path}:{line_of(text, 'csdl-xyz')}: unknown system code 'csdl-xyz'",
        f"{path}:{late}: deadline 2026-12-31 must not be before since 2027-01-01",
        f"{path}:{late}: unknown department code 'so-abc'",
    ]


async def test_the_overview_shows_each_dutys_platforms_and_days_left() -> None:
    """Seen in Chromium, as the Sở sees it (Huế's bundled registry, 2 December 2026)."""
    hue = load_registry("hue")
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(f"sqlite:///{Path(folder) / 'store.db'}")
        token = issue_token(store, "so-taichinh", "phần mềm một cửa")
        app = create_app(hue, store, options=options(), clock=lambda: NOW)
        async with serving(app) as url, chromium() as browser:
            await push(
                url,
                token,
                [
                    {**status_record(1, "success"), "platform": "ndop"},
                    {**status_record(2, "success"), "platform": "lgsp"},
                    {**status_record(3, "failure"), "platform": "vdxp"},  # not a success
                ],
            )
            page = await browser.new_page()
            await page.goto(url + "/")
            # The overview, a row a duty on a laptop: a few words in the system's cell, the
            # whole line on hover, and the deadline once above the table.
            row = page.locator("tr", has_text="so-taichinh").filter(has_text="csdl-dkdn")
            assert "LGSP, NDOP · NDOP 1/2" in await row.inner_text()
            full = await row.locator("small.platforms").get_attribute("title")
            assert full == (
                "Nền tảng: LGSP, NDOP · bắt buộc qua NDOP: 1/2 giao dịch thành công qua NDOP;"
                " còn 29 ngày đến hạn 31/12/2026"
            )
            other = page.locator("tr", has_text="so-noivu").filter(has_text="csdl-cbccvc")
            assert "— · NDOP 0/0" in await other.inner_text()
            assert (
                "phải thực hiện qua NDOP chậm nhất ngày 31/12/2026: còn 29 ngày"
                in await page.inner_text("body")
            )
            # The department's page says the whole line under each duty.
            await page.goto(url + "/don-vi/so-noivu")
            assert (
                "Nền tảng: — · bắt buộc qua NDOP: chưa có giao dịch thành công;"
                " còn 29 ngày đến hạn 31/12/2026"
            ) in await page.inner_text("body")
        store.dispose()


def test_the_platforms_rollup_follows_a_change_of_timezone(store_url: str) -> None:
    """Rebuilt with the daily rollup when the registry's timezone changes: days move, the
    successes per platform stay exactly what the records add up to."""
    at = datetime(2026, 10, 5, 23, 30, tzinfo=UTC)  # 6 October in Hà Nội, 5th in UTC
    records = [
        Transaction("so-khdt", "csdl-dkdn", at, True, "push", record_id="a", platform="ndop"),
        Transaction("so-khdt", "csdl-dkdn", at, True, "push", record_id="b", platform="lgsp"),
        Transaction("so-khdt", "csdl-dkdn", at, False, "push", record_id="c", platform="ndop"),
        Transaction("so-khdt", "csdl-dkdn", at, True, "push", record_id="d"),
    ]
    engine = open_store(store_url)
    write_transactions(engine, "Asia/Ho_Chi_Minh", records)
    assert_platforms_exact(store_url, "Asia/Ho_Chi_Minh")
    write_transactions(engine, "UTC", [])  # the first write in the new timezone rebuilds
    assert_platforms_exact(store_url, "UTC")
    with engine.connect() as conn:
        days = conn.execute(text("SELECT DISTINCT day FROM daily_platforms")).scalars().all()
    engine.dispose()
    assert [str(d) for d in days] == ["2026-10-05"]


def test_registry_show_lists_the_requirements_in_force(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("registry", "show", "--format", "json") == 0
    [ndop] = json.loads(capsys.readouterr().out)["platform_requirements"]
    assert (ndop["platform"], ndop["since"], ndop["deadline"]) == (
        "ndop",
        "2025-10-22",
        "2026-12-31",
    )
    assert run("registry", "show", "--format", "json", "--on", "2025-10-21") == 0
    assert json.loads(capsys.readouterr().out)["platform_requirements"] == []
