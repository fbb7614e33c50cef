"""The ministry's view: each `serve` answers its month behind a read token, and
`lienthong national report` ranks the provinces with their own figures."""

from __future__ import annotations

import json
import subprocess
import urllib.error
import urllib.request
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from lienthong.cli import main
from registry import Registry, load_registry
from tests.instances import serve
from tests.stores import new_postgres_database

pytestmark = pytest.mark.postgres

MONTH = "2026-10"


def october_records(registry: Registry, path: Path) -> None:
    """The first obligation met every day of the month, the second once, the rest never."""
    current = [o for o in registry.obligations if registry.in_force_on(o, date(2026, 10, 1))]
    first, second = current[0], current[1]
    lines = []
    day = date(2026, 10, 1)
    while day.month == 10:
        lines.append((first, day))
        day += timedelta(days=1)
    lines.append((second, date(2026, 10, 7)))
    path.write_text(
        "".join(
            json.dumps(
                {
                    "department": o.department,
                    "system": o.system,
                    "ts": f"{d.isoformat()}T09:00:00+07:00",
                    "outcome": "success",
                    "id": f"oct-{o.department}-{o.system}-{d.isoformat()}",
                }
            )
            + "\n"
            for o, d in lines
        ),
        encoding="utf-8",
    )


def issue(url: str, registry: str, *flags: str, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["tokens", "issue", "--db", url, "--registry", registry, *flags]) == 0
    return capsys.readouterr().out.strip().splitlines()[-1]


def get(url: str, token: str | None) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


@pytest.mark.usefixtures("english")  # its words checked are English ones
def test_the_national_ranking_holds_each_provinces_own_figures(
    postgres_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = new_postgres_database(postgres_url)
    provinces = {"bac-ninh": "bac_ninh", "hue": "hue"}
    urls = {name: f"{database}?schema={schema}" for name, schema in provinces.items()}
    tokens: dict[str, str] = {}
    own: dict[str, dict[str, Any]] = {}
    for name, url in urls.items():
        assert main(["db", "upgrade", "--db", url, "--registry", name]) == 0
        october_records(load_registry(name), tmp_path / f"{name}.jsonl")
        assert main(["ingest", "--db", url, "--registry", name,
                     str(tmp_path / f"{name}.jsonl")]) == 0  # fmt: skip
        out = tmp_path / f"own-{name}.json"
        assert main(["report", "--db", url, "--registry", name, "--month", MONTH,
                     "--format", "json", "--out", str(out)]) == 0  # fmt: skip
        own[name] = json.loads(out.read_text(encoding="utf-8"))
        tokens[name] = issue(url, name, "--read-reports", capsys=capsys)
    push_token = issue(urls["hue"], "hue", "--all-departments", capsys=capsys)

    def settings(name: str) -> str:
        return f'registry = "{name}"\n[probes]\nenabled = false\n[exports]\nenabled = false\n'

    with (
        serve(tmp_path, "bac-ninh", urls["bac-ninh"], settings("bac-ninh")) as bac_ninh,
        serve(tmp_path, "hue", urls["hue"], settings("hue")) as hue,
    ):
        sources = {"bac-ninh": bac_ninh.url, "hue": hue.url}
        address = f"{hue.url}/api/v1/reports/{MONTH}"
        assert get(address, None)[0] == 401
        assert get(address, push_token)[0] == 401  # a push token reads nothing
        assert get(address, tokens["bac-ninh"])[0] == 401  # nor another province's token
        assert get(f"{hue.url}/api/v1/reports/2026-13", tokens["hue"])[0] == 400
        for name, base in sources.items():
            status, served = get(f"{base}/api/v1/reports/{MONTH}", tokens[name])
            assert status == 200
            for report in (served, own[name]):
                report.pop("generated_at")
            assert served == own[name]

        token_file = tmp_path / "tokens.toml"
        token_file.write_text(
            "".join(f'"{sources[n]}" = "{tokens[n]}"\n' for n in sources), encoding="utf-8"
        )
        for fmt in ("json", "csv", "xlsx", "pdf"):  # people's formats in Vietnamese: --lang vi
            assert main(["national", "report", "--month", MONTH, "--source", *sources.values(),
                         "--tokens", str(token_file), "--format", fmt, "--lang", "vi",
                         "--out", str(tmp_path / f"national.{fmt}")]) == 0  # fmt: skip
        # A source without a token, or one that is down: one line, exit 1.
        assert main(["national", "report", "--month", MONTH, "--source", bac_ninh.url,
                     "--out", str(tmp_path / "x.json")]) == 1  # fmt: skip
        assert "no read token" in capsys.readouterr().err

    national = json.loads((tmp_path / "national.json").read_text(encoding="utf-8"))
    assert national["month"] == MONTH
    ranked = {p["code"]: p for p in national["provinces"]}
    for report in own.values():
        code = report["province"]["code"]
        rows = report["rows"]
        applicable = [r for r in rows if r["status"] != "not_applicable"]
        met = [r for r in applicable if r["status"] in ("compliant", "connected")]
        assert ranked[code]["applicable"] == len(applicable)
        assert ranked[code]["compliant"] == len(met)
        assert ranked[code]["share"] == round(len(met) / len(applicable), 4)
        lapsed = {
            (r["department"], r["system"], r["status"])
            for r in rows
            if r["status"] in ("non_compliant", "partial", "not_connected")
        }
        assert lapsed == {
            (x["department"], x["system"], x["status"])
            for x in national["non_compliant"]
            if x["province"] == code
        }
        for system in {r["system"] for r in rows}:
            cell = next(
                c for c in national["matrix"] if (c["province"], c["system"]) == (code, system)
            )
            mine = [r for r in applicable if r["system"] == system]
            assert cell["applicable"] == len(mine)
    shares = [p["share"] for p in national["provinces"]]
    assert shares == sorted(shares, reverse=True)
    assert [p["rank"] for p in national["provinces"]] == [1, 2]

    # People's formats, in Vietnamese.
    book = load_workbook(tmp_path / "national.xlsx")
    assert book.sheetnames[0] == "Xếp hạng"
    names = {row[2] for row in book["Xếp hạng"].iter_rows(min_row=4, values_only=True)}
    assert names == {"Bắc Ninh", load_registry("hue").province.name}
    pdf = subprocess.run(
        ["pdftotext", "-layout", str(tmp_path / "national.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "Xếp hạng tuân thủ" in pdf and "Bắc Ninh" in pdf and "Tháng 10 năm 2026" in pdf
    csv_lines = (tmp_path / "national.csv").read_text(encoding="utf-8").splitlines()
    assert csv_lines[0].startswith("province,province_name,province_rank")
    assert len(csv_lines) - 1 == len(national["matrix"])


def _row(department: str, system: str, status: str, excused: int = 0) -> dict[str, Any]:
    return {
        "department": department,
        "department_name": department.upper(),
        "system": system,
        "system_name": system.upper(),
        "status": status,
        "ratio": None,
        "excused_days": excused,
    }


def test_systems_excused_everywhere_and_the_ranking_order() -> None:
    """Contract 1.1's `excused_days`: a system counts when every province excused days of it."""
    from reports.national import national_report

    def report(code: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
        return {"province": {"code": code, "name": f"P{code}"}, "month": MONTH,
                "as_of": "2026-10-31", "rows": rows}  # fmt: skip

    a = [_row("d1", "ho-tich", "compliant", 2), _row("d2", "dan-cu", "non_compliant")]
    b = [
        _row("d1", "ho-tich", "partial", 1),
        _row("d2", "dan-cu", "compliant", 3),
        _row("d3", "dan-cu", "not_applicable"),
    ]
    ranking = national_report(MONTH, [("a", report("01", a)), ("b", report("02", b))])
    assert [e.code for e in ranking.excused_everywhere] == ["ho-tich"]
    assert ranking.excused_everywhere[0].excused_days == 3
    assert [(p.code, p.share.ratio) for p in ranking.provinces] == [("01", 0.5), ("02", 0.5)]
    assert {(x.province, x.status) for x in ranking.lapses} == {
        ("01", "non_compliant"),
        ("02", "partial"),
    }


@pytest.mark.usefixtures("english")  # its words checked are English ones
def test_an_unreachable_province_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.servers import free_port

    monkeypatch.setenv("LIENTHONG_READ_TOKEN", "lt_x")
    down = f"http://127.0.0.1:{free_port()}"
    code = main(["national", "report", "--month", MONTH, "--source", down,
                 "--out", str(tmp_path / "n.json")])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1
    assert f"{down}/api/v1/reports/{MONTH}: cannot fetch" in err
    assert not (tmp_path / "n.json").exists()
