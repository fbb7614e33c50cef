"""Excusals case by case on both stores: the CLI, the push API, outage proposals, evidence."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import Engine, text

from api.push import PushOptions
from exporter.app import SERVICE, ServiceOptions, create_app
from lienthong.cli import main
from registry import Registry
from store import Transaction, write_transactions
from store.excusals import ExcusalState, excusals_between
from store.tokens import issue_token
from tests.harness import serving
from tests.test_push_api import NOW

# Their messages checked word for word are the English ones (Vietnamese: test_languages.py).
pytestmark = pytest.mark.usefixtures("english")

HANOI = "Asia/Ho_Chi_Minh"
EXCUSALS = "/api/v1/excusals"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def all_excusals(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return excusals_between(conn)


def at(text_: str) -> datetime:
    return datetime.fromisoformat(text_)


def test_propose_approve_withdraw_with_history(
    engine: Engine, store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    db = ("--db", store_url)
    code, out, _ = run(
        capsys,
        "excuse", "propose", "--system", "csdl-dkdn", "--from", "2026-10-07",
        "--reason", "Hệ thống quốc gia bảo trì", "--by", "Nguyễn Văn A", *db,
    )  # fmt: skip
    assert code == 0
    first = int(out.splitlines()[-1])  # the id alone on the last line
    (e,) = all_excusals(engine)
    assert (e.id, e.state, e.department, e.first_day, e.last_day) == (
        first, ExcusalState.PROPOSED, None, date(2026, 10, 7), date(2026, 10, 7)
    )  # fmt: skip
    assert (e.proposed_by, e.reason, e.origin) == (
        "Nguyễn Văn A",
        "Hệ thống quốc gia bảo trì",
        "cli",
    )

    assert run(capsys, "excuse", "approve", str(first), "--by", "Trần Thị B", *db)[0] == 0
    # Approving twice, rejecting an approved one: one line, exit 1, nothing changed.
    code, _, err = run(capsys, "excuse", "approve", str(first), "--by", "C", *db)
    assert code == 1 and err.strip() == (
        f"lienthong: excusal {first} is approved: only a proposed one can be approved"
    )
    assert run(capsys, "excuse", "reject", str(first), "--by", "C", *db)[0] == 1
    assert all_excusals(engine)[0].decided_by == "Trần Thị B"

    assert (
        run(capsys, "excuse", "withdraw", str(first), "--by", "Lê C", "--reason", "nhầm", *db)[0]
        == 0
    )
    (e,) = all_excusals(engine)
    assert e.state == ExcusalState.WITHDRAWN
    # Withdrawn, yet its whole history is kept.
    assert (e.proposed_by, e.decided_by, e.withdrawn_by, e.withdrawn_reason) == (
        "Nguyễn Văn A", "Trần Thị B", "Lê C", "nhầm"
    )  # fmt: skip
    assert e.decided_at is not None and e.withdrawn_at is not None
    assert run(capsys, "excuse", "withdraw", str(first), "--by", "Lê C", *db)[0] == 1


def test_reject_and_list(
    engine: Engine, store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    db = ("--db", store_url)
    ids = []
    for first, last, dept in (
        ("2026-09-28", "2026-10-02", "so-taichinh"),
        ("2026-10-12", None, None),
        ("2026-11-02", None, None),
    ):
        argv = ["excuse", "propose", "--system", "csdl-dkdn", "--from", first, "--reason", "r", *db]
        argv += ["--to", last] if last else []
        argv += ["--department", dept] if dept else []
        code, out, _ = run(capsys, *argv)
        assert code == 0
        ids.append(int(out.splitlines()[-1]))
    assert (
        run(
            capsys, "excuse", "reject", str(ids[1]), "--by", "B", "--reason", "không đủ căn cứ", *db
        )[0]
        == 0
    )
    assert run(capsys, "excuse", "approve", str(ids[0]), "--by", "B", *db)[0] == 0

    code, out, _ = run(capsys, "excuse", "list", "--month", "2026-10", "--format", "json", *db)
    listed = json.loads(out)
    assert [(x["id"], x["state"]) for x in listed] == [(ids[0], "approved"), (ids[1], "rejected")]
    assert listed[1]["decision_reason"] == "không đủ căn cứ"
    assert listed[0]["department"] == "so-taichinh" and listed[1]["department"] is None
    code, out, _ = run(capsys, "excuse", "list", "--state", "proposed", "--format", "json", *db)
    assert [x["id"] for x in json.loads(out)] == [ids[2]]
    code, out, _ = run(capsys, "excuse", "list", *db)
    assert code == 0 and len(out.splitlines()) == 4 and "không đủ căn cứ" not in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--system", "nope", "--from", "2026-10-07"], "unknown system 'nope'"),
        (
            ["--system", "csdl-dkdn", "--department", "so-nope", "--from", "2026-10-07"],
            "unknown department 'so-nope'",
        ),
        (
            ["--system", "csdl-dkdn", "--from", "2026-10-07", "--to", "2026-10-06"],
            "last day 2026-10-06 is before first day 2026-10-07",
        ),
        (["--system", "csdl-dkdn", "--from", "7/10/2026"], "date '7/10/2026' is not YYYY-MM-DD"),
    ],
)
def test_bad_proposals_change_nothing(
    engine: Engine,
    store_url: str,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    message: str,
) -> None:
    code, _, err = run(capsys, "excuse", "propose", *argv, "--reason", "r", "--db", store_url)
    assert code == 1 and err == f"lienthong: {message}\n"
    assert all_excusals(engine) == []
    code, _, err = run(capsys, "excuse", "approve", "99", "--by", "B", "--db", store_url)
    assert code == 1 and "no excusal 99" in err


def test_an_approved_excusal_changes_the_report_and_a_withdrawal_undoes_it(
    engine: Engine, store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = ("--db", store_url)
    out_file = tmp_path / "r.csv"
    report = ("report", "--month", "2026-10", "--format", "csv", "--out", str(out_file), *db)

    def row() -> dict[str, str]:
        assert run(capsys, *report)[0] == 0
        lines = out_file.read_text(encoding="utf-8").splitlines()
        header = lines[0].split(",")
        # 1.1's fields, then 1.2's platforms
        assert header[-3:] == ["excused_days", "probe_only_days", "platforms"]
        found = [dict(zip(header, r.split(","), strict=False)) for r in lines[1:]]
        return next(
            r for r in found if r["department"] == "so-taichinh" and r["system"] == "csdl-dkdn"
        )

    before = row()
    assert (before["required_days"], before["excused_days"]) == ("22", "0")
    _, out, _ = run(
        capsys, "excuse", "propose", "--system", "csdl-dkdn", "--from", "2026-10-05",
        "--to", "2026-10-09", "--reason", "r", *db,
    )  # fmt: skip
    n = out.splitlines()[-1]
    assert row() == before  # proposed: nothing changes
    run(capsys, "excuse", "approve", n, "--by", "B", *db)
    after = row()
    assert (after["required_days"], after["excused_days"]) == ("17", "5")
    run(capsys, "excuse", "withdraw", n, "--by", "B", *db)
    assert row() == before


def test_evidence_of_one_day(
    engine: Engine, store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    day = date(2026, 10, 5)
    records = [
        Transaction(
            "so-taichinh",
            "csdl-dkdn",
            at("2026-10-05T09:00:00+07:00"),
            True,
            "probe",
            record_id="p1",
        ),
        Transaction(
            "so-taichinh",
            "csdl-dkdn",
            at("2026-10-05T10:00:00+07:00"),
            False,
            "push",
            record_id="x1",
            detail="hết thời gian",
        ),
    ]
    records += [
        Transaction("so-taichinh", "csdl-dkdn", at("2026-10-05T11:00:00+07:00") + timedelta(seconds=i), False, "probe", record_id=f"f{i}")
        for i in range(120)
    ]  # fmt: skip
    write_transactions(engine, HANOI, records)
    base = ("evidence", "--department", "so-taichinh", "--system", "csdl-dkdn", "--db", store_url)
    code, out, _ = run(capsys, *base, "--day", day.isoformat(), "--format", "json")
    assert code == 0
    found = json.loads(out)
    assert (found["state"], found["probe_only"], found["record_count"]) == ("met", True, 122)
    assert len(found["records"]) == 100
    assert found["records"][0] == {
        "ts": "2026-10-05T09:00:00+07:00",
        "source": "probe",
        "id": "p1",
        "outcome": "success",
        "detail": None,
        "counts": True,
    }
    assert found["records"][1]["detail"] == "hết thời gian"
    assert "without the probe records it would not be met" in found["why"]

    code, out, _ = run(capsys, *base, "--day", "2026-10-06")
    assert code == 0 and "2026-10-06: Missed" in out and "records: 0" in out
    code, out, _ = run(capsys, *base, "--day", "2026-10-03", "--format", "json")
    assert json.loads(out)["state"] == "not_required"
    _, out, _ = run(
        capsys, "excuse", "propose", "--system", "csdl-dkdn", "--department", "so-taichinh",
        "--from", "2026-10-06", "--reason", "Mất điện", "--by", "A", "--db", store_url,
    )  # fmt: skip
    run(capsys, "excuse", "approve", out.splitlines()[-1], "--by", "B", "--db", store_url)
    code, out, _ = run(capsys, *base, "--day", "2026-10-06", "--format", "json")
    found = json.loads(out)
    assert found["state"] == "excused"
    assert [(x["reason"], x["proposed_by"], x["decided_by"]) for x in found["excusals"]] == [
        ("Mất điện", "A", "B")
    ]
    code, _, err = run(
        capsys, *base[:3], "--system", "ho-tich", "--day", "2026-10-06", "--db", store_url
    )
    assert code == 1 and "has no obligation" in err


OUTAGE_REGISTRY = """version: 1
province: {code: "24", name: "Bắc Ninh"}
systems: [{code: csdl-gia, name: CSDL giá, owner: Bộ Tài chính}]
departments:
  - {code: so-taichinh, name: Sở Tài chính}
  - {code: so-congthuong, name: Sở Công Thương}
obligations:
  - {department: so-taichinh, system: csdl-gia, kind: maintain, basis: x,
     probe: {url: "http://127.0.0.1:9/gia"}}
  - {department: so-congthuong, system: csdl-gia, kind: maintain, basis: x,
     probe: {url: "http://127.0.0.1:9/gia"}}
"""


def test_detect_proposes_one_excusal_per_outage_day(
    engine: Engine, store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    registry_file = tmp_path / "r.yml"
    registry_file.write_text(OUTAGE_REGISTRY, encoding="utf-8")

    def probe(dept: str, ts: str, ok: bool = False) -> Transaction:
        return Transaction(dept, "csdl-gia", at(ts), ok, "probe", detail="connection refused")

    write_transactions(
        engine,
        HANOI,
        [
            # Tuesday 6 October: every probe failed all day: an outage.
            probe("so-taichinh", "2026-10-06T08:05:00+07:00"),
            probe("so-taichinh", "2026-10-06T16:55:00+07:00"),
            probe("so-congthuong", "2026-10-06T09:00:00+07:00"),
            # A success before office hours does not make the day's hours answered.
            probe("so-congthuong", "2026-10-06T07:00:00+07:00", ok=True),
            # Wednesday 7: one department's probes answered once: not the system's fault.
            probe("so-taichinh", "2026-10-07T09:00:00+07:00"),
            probe("so-congthuong", "2026-10-07T09:00:00+07:00"),
            probe("so-congthuong", "2026-10-07T10:00:00+07:00", ok=True),
            # Thursday 8: only one of the two departments' probes failed (the other ran none).
            probe("so-taichinh", "2026-10-08T09:00:00+07:00"),
            # Saturday 10: not a working day.
            probe("so-taichinh", "2026-10-10T09:00:00+07:00"),
            probe("so-congthuong", "2026-10-10T09:00:00+07:00"),
        ],
    )
    argv = (
        "excuse",
        "detect",
        "--month",
        "2026-10",
        "--registry",
        str(registry_file),
        "--db",
        store_url,
    )
    code, out, _ = run(capsys, *argv)
    assert code == 0, out
    assert "1 outage days found, 1 new proposals" in out
    (e,) = all_excusals(engine)
    assert (e.system, e.department, e.first_day, e.state, e.origin) == (
        "csdl-gia", None, date(2026, 10, 6), ExcusalState.PROPOSED, "detect"
    )  # fmt: skip
    assert e.evidence == {
        "office_hours": "08:00-17:00",
        "probe_failures": 3,
        "first_failure": "2026-10-06T08:05:00+07:00",
        "last_failure": "2026-10-06T16:55:00+07:00",
        "departments": ["so-congthuong", "so-taichinh"],
        "successes": 0,
    }
    # Asked again, it proposes nothing new; with other office hours the day is not all down.
    assert "0 new proposals" in run(capsys, *argv)[1]
    code, out, _ = run(capsys, *argv, "--office-hours", "07:00-17:00")
    assert "0 outage days found" in out
    code, _, err = run(capsys, *argv, "--office-hours", "17:00-08:00")
    assert code == 1 and "end before they start" in err


# -- the push API ------------------------------------------------------------------


class Client:
    def __init__(self, url: str, session: aiohttp.ClientSession) -> None:
        self.url, self.session = url, session

    async def post(self, body: Any, token: str | None, **headers: str) -> tuple[int, Any]:
        sent = {"Content-Type": "application/json", **headers}
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        data = json.dumps(body, ensure_ascii=False).encode()
        async with self.session.post(self.url + EXCUSALS, data=data, headers=sent) as answer:
            return answer.status, await answer.json(content_type=None)


@pytest.fixture
async def client(bac_ninh: Registry, engine: Engine) -> AsyncIterator[Client]:
    options = ServiceOptions(
        probes_enabled=False, push=PushOptions(rate=1000, burst=1000, token_refresh=3600)
    )
    app = create_app(bac_ninh, engine, options=options, clock=lambda: NOW)
    async with serving(app) as url, aiohttp.ClientSession() as session:
        yield Client(url, session)


def explanation(**fields: Any) -> dict[str, Any]:
    base = {
        "system": "csdl-dkdn",
        "first_day": "2026-10-05",
        "last_day": "2026-10-06",
        "reason": "Máy chủ của Sở bị mất điện do sự cố lưới điện",
    }
    return {**base, **fields}


async def test_a_department_explains_its_own_missed_days(client: Client, engine: Engine) -> None:
    token = issue_token(engine, "so-taichinh", "Sở KHĐT")
    status, body = await client.post(explanation(), token)
    assert status == 201
    (e,) = all_excusals(engine)
    assert body == {"id": e.id}
    assert (e.department, e.state, e.origin) == ("so-taichinh", ExcusalState.PROPOSED, "api")
    assert e.proposed_by == f"so-taichinh (push token {token[:11]}…, Sở KHĐT)"
    status, body = await client.post(explanation(department="so-taichinh"), token)
    assert status == 201 and body["id"] == e.id + 1


async def test_excusal_api_refusals_store_nothing(client: Client, engine: Engine) -> None:
    token = issue_token(engine, "so-taichinh")
    operator = issue_token(engine, None)
    cases: list[tuple[Any, str | None, int, str | None]] = [
        (explanation(), None, 401, None),
        (explanation(), "lt_unknown", 401, None),
        (explanation(department="so-tuphap"), token, 403, "department"),
        (explanation(system="csdl-nope"), token, 400, "system"),
        (explanation(system="ho-tich"), token, 400, "department"),  # not its obligation
        (explanation(last_day="2026-10-01"), token, 400, "last_day"),
        (explanation(first_day="5/10/2026"), token, 400, "first_day"),
        (explanation(reason=""), token, 400, "reason"),
        (explanation(extra=1), token, 400, "extra"),
        ({"system": "csdl-dkdn"}, token, 400, "first_day"),
        ([explanation()], token, 400, None),
        (explanation(department="so-nope"), operator, 400, "department"),
    ]
    for body, who, status, field in cases:
        got, answer = await client.post(body, who)
        assert got == status, (body, answer)
        assert answer["errors"][0]["field"] == field, (body, answer)
    got, _ = await client.post(explanation(), token, **{"Content-Type": "text/plain"})
    assert got == 415
    assert all_excusals(engine) == []
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM excusals")).scalar_one() == 0


async def test_serve_proposes_excusals_once_office_hours_are_over(
    engine: Engine, tmp_path: Path
) -> None:
    from registry import load_files

    registry_file = tmp_path / "r.yml"
    registry_file.write_text(OUTAGE_REGISTRY, encoding="utf-8")
    registry = load_files([registry_file])
    write_transactions(
        engine,
        HANOI,
        [
            Transaction(d, "csdl-gia", at(f"2026-10-06T{h}:00:00+07:00"), False, "probe")
            for d in ("so-taichinh", "so-congthuong")
            for h in ("09", "15")
        ],
    )
    # 10:00 on Wednesday 7 October: Tuesday's office hours are over, Wednesday's are not.
    now = datetime(2026, 10, 7, 3, 0, tzinfo=UTC).timestamp()
    options = ServiceOptions(probes_enabled=False, push=PushOptions(enabled=False))
    app = create_app(registry, engine, options=options, clock=lambda: now)
    async with serving(app):
        service = app[SERVICE]
        async with service.outage_checks:
            await service.outage_checks.wait_for(lambda: service.outages_checked is not None)
        assert service.outages_checked == date(2026, 10, 6)
    (e,) = all_excusals(engine)
    assert (e.system, e.department, e.first_day, e.origin) == (
        "csdl-gia", None, date(2026, 10, 6), "detect"
    )  # fmt: skip
    assert e.evidence is not None and e.evidence["probe_failures"] == 4


def test_xlsx_and_pdf_show_excusals_probe_only_days_and_the_policy(
    varied: Engine, bac_ninh: Registry, tmp_path: Path, artifacts: Path
) -> None:
    from openpyxl import load_workbook

    from compliance.periods import Month
    from compliance.report import build_report
    from i18n.glossary import DAY_STATES
    from reports import Filing, write_export_file
    from store.excusals import approve_excusal, propose_excusal
    from tests.readback import pdf_text
    from tests.test_pdf import SOURCE

    registry = bac_ninh.model_copy(update={"evidence": ("push", "gateway", "import", "probe")})
    # so-tuphap's civil status register: probes do not count there.
    obligations = tuple(
        o.model_copy(update={"evidence": ("push", "gateway")})
        if o.key == ("so-tuphap", "ho-tich")
        else o
        for o in registry.obligations
    )
    registry = registry.model_copy(update={"obligations": obligations})
    n = propose_excusal(
        varied,
        registry,
        system="csdl-dkdn",
        department=None,
        first=date(2026, 9, 1),
        last=date(2026, 9, 30),
        reason="Hệ thống Đăng ký doanh nghiệp quốc gia nâng cấp",
        by="Nguyễn Văn An",
    )
    approve_excusal(varied, n, "Trần Thị Bình")
    # Our own probes answered every day of September: some missed days become probe-only.
    write_transactions(
        varied,
        HANOI,
        [
            Transaction(
                o.department, o.system, at(f"2026-09-{d:02d}T03:00:00+07:00"), True, "probe"
            )
            for o in registry.obligations
            if o.system != "csdl-dkdn"
            for d in range(1, 31)
        ],
    )
    report = build_report(varied, registry, Month(2026, 9), now=datetime(2026, 10, 2, tzinfo=UTC))
    (row,) = [r for r in report.rows if r.system == "csdl-dkdn"]
    assert row.excused_days > 0 and row.excusals[0].id == n

    xlsx = tmp_path / "r.xlsx"
    write_export_file("xlsx", Filing(report, registry, SOURCE), xlsx)
    sheet = load_workbook(xlsx)["Miễn trừ"]
    values = [c.value for c in sheet[4]]
    assert values[0] == n and values[5] == row.excused_days
    assert values[6:9] == [
        "Hệ thống Đăng ký doanh nghiệp quốc gia nâng cấp",
        "Nguyễn Văn An",
        "Trần Thị Bình",
    ]
    # Excused days in the glossary's one colour for "excused" (as on the pages and the PDF).
    summary = load_workbook(xlsx)["Tổng hợp"]
    headers = [c.value for c in summary[4]]
    excused_cells = [
        r[headers.index("Số ngày được miễn trừ")] for r in summary.iter_rows(min_row=5)
    ]
    shaded = {c.fill.start_color.rgb[-6:] for c in excused_cells if c.value}
    assert shaded == {DAY_STATES["excused"].background.lstrip("#")}
    how = load_workbook(xlsx)["Cách tính"]
    sources = "giao diện đẩy (API), cổng kết nối (LGSP, X-Road)"
    assert any(c.value == sources for r in how.iter_rows() for c in r)

    pdf = artifacts / "excusals.pdf"
    write_export_file("pdf", Filing(report, registry, SOURCE), pdf)
    words = " ".join(pdf_text(pdf).split())
    assert f"Ngày được miễn trừ: {row.excused_days}." in words
    assert f"Miễn trừ số {n} (01/09/2026 – 30/09/2026, {row.excused_days} ngày)" in words
    assert "đề xuất: Nguyễn Văn An; phê duyệt: Trần Thị Bình." in words
    tuphap = registry.system("ho-tich").name
    assert f"Sở Tư pháp – {tuphap}: {sources}" in words
    # The assessment says what was excused, for how many days, and why.
    assert (
        f"Số ngày được miễn trừ (ngày không đạt không do lỗi của đơn vị, đã được phê duyệt): {row.excused_days} ngày"
        in words
    )
    assert (
        f"- {row.department_name}, {row.system_name}: {row.excused_days} ngày"
        " (01/09/2026 – 30/09/2026): Hệ thống Đăng ký doanh nghiệp quốc gia nâng cấp."
    ) in words
    probe_only = sum(r.probe_only_days for r in report.rows)
    assert probe_only > 0
    assert "Ngày đạt chỉ nhờ giao dịch thăm dò của hệ thống giám sát:" in words
