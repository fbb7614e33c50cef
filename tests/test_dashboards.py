"""The dashboards: rendered from the registry with a provisioning bundle, and every query in
them executed against a real Prometheus holding a morning of the exporter's series."""

from __future__ import annotations

import json
import re
import subprocess
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from dashboards import grafana
from dashboards.provisioning import FOLDER_UID
from lienthong.cli import main
from registry import Registry, load_registry
from tests.exporter_series import Scenario, openmetrics
from tests.servers import prometheus_on_tsdb

# Monday 6 October 2025, 11:00 in Bắc Ninh: a working day, three hours into the morning.
END = datetime(2025, 10, 6, 11, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
# What Grafana substitutes for its built-in variables at a 1-minute scrape interval.
BUILT_INS = {"$__rate_interval": "5m", "$__interval": "1m", "$__range": "3h"}


@dataclass(frozen=True)
class LivePrometheus:
    """A Prometheus with the exporter's series, the instant to query, and variable values."""

    url: str
    at: datetime
    variables: dict[str, str]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LivePrometheus]:
    """Backfilled from the series generator; one Prometheus for the whole module."""
    base = tmp_path_factory.mktemp("prometheus")
    registry = load_registry("bac-ninh")
    scenario = Scenario(end=END)
    source = base / "lienthong.om"
    source.write_text(openmetrics(registry, scenario), encoding="utf-8")
    tsdb = base / "tsdb"
    backfill = subprocess.run(
        ["promtool", "tsdb", "create-blocks-from", "openmetrics", str(source), str(tsdb)],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert backfill.returncode == 0, backfill.stderr[-2000:]
    with prometheus_on_tsdb(base, tsdb) as url:
        yield LivePrometheus(url, END, {"department": "so-tuphap", "system": scenario.down_system})


def api(prometheus: str, path: str, **params: str | float) -> Any:
    query = urllib.parse.urlencode(params)
    with urllib.request.urlopen(f"{prometheus}{path}?{query}", timeout=30) as answer:
        document = json.load(answer)
    assert document["status"] == "success", document
    return document["data"]


def substitute(expr: str, variables: dict[str, str]) -> str:
    for name, value in BUILT_INS.items():
        expr = expr.replace(name, value)
    for name, value in variables.items():
        expr = expr.replace(f"${{{name}}}", value).replace(f"${name}", value)
    assert "$" not in expr, f"a variable left in {expr}"
    return expr


def run_target(live: LivePrometheus, target: dict[str, Any]) -> list[Any]:
    expr = substitute(target["expr"], live.variables)
    at = live.at.timestamp()
    if target.get("instant"):
        return list(api(live.url, "/api/v1/query", query=expr, time=at)["result"])
    data = api(live.url, "/api/v1/query_range", query=expr, start=at - 3600, end=at, step=60)
    return [series for series in data["result"] if series["values"]]


@pytest.fixture(scope="module")
def boards() -> list[dict[str, Any]]:
    return grafana.dashboards(load_registry("bac-ninh"))


def test_five_dashboards_with_stable_uids_and_vietnamese_titles(
    boards: list[dict[str, Any]], bac_ninh: Registry
) -> None:
    assert [b["uid"] for b in boards] == [
        "lienthong-24-tong-quan",
        "lienthong-24-so-nganh",
        "lienthong-24-he-thong",
        "lienthong-24-tuan-thu",
        "lienthong-24-may-tham-do",
    ]
    assert boards[0]["title"] == "Liên thông dữ liệu Bắc Ninh — Tổng quan"
    # Rendering twice gives the same bytes: uids and panel ids never drift.
    assert json.dumps(grafana.dashboards(bac_ninh)) == json.dumps(boards)
    for board in boards:
        ids = [p["id"] for p in grafana._panels(board)]
        assert ids == list(range(1, len(ids) + 1))
        assert board["timezone"] == "Asia/Ho_Chi_Minh"


def test_every_query_returns_data_from_a_live_prometheus(
    live: LivePrometheus, boards: list[dict[str, Any]]
) -> None:
    empty = []
    count = 0
    for board in boards:
        for title, target in grafana.expressions(board):
            count += 1
            if not run_target(live, target):
                empty.append(f"{board['uid']} / {title} / {target['refId']}")
    assert count >= 40
    assert empty == []


def test_template_variables_list_the_registry_codes(
    live: LivePrometheus, boards: list[dict[str, Any]], bac_ninh: Registry
) -> None:
    found: dict[str, list[str]] = {}
    for board in boards:
        for variable in board["templating"]["list"]:
            if variable["type"] != "query":
                continue
            match = re.fullmatch(r"label_values\((.+), (\w+)\)", variable["query"])
            assert match, variable["query"]
            values = api(
                live.url,
                f"/api/v1/label/{match[2]}/values",
                **{"match[]": match[1]},
                start=live.at.timestamp() - 3600,
                end=live.at.timestamp(),
            )
            found[variable["name"]] = values
    # The departments that owe something that day (a merged department has no series).
    day = live.at.astimezone(bac_ninh.tz).date()
    owing = {o.department for o in bac_ninh.obligations_between(day, day)}
    assert sorted(found["department"]) == sorted(owing)
    assert sorted(found["system"]) == sorted({o.system for o in bac_ninh.obligations})


def test_the_status_grid_shows_what_is_failing_now(live: LivePrometheus) -> None:
    q = grafana.Queries("24")
    rows = api(live.url, "/api/v1/query", query=q.named(q.status), time=live.at.timestamp())
    status = {
        (r["metric"]["department"], r["metric"]["system"]): r["value"][1] for r in rows["result"]
    }
    assert len(status) == 18
    assert status[("so-tuphap", "ho-tich")] == str(grafana.FAILING)  # its system is down
    assert status[("so-xaydung", "ql-phuong-tien")] == str(grafana.FAILING)  # failing all day
    assert status[("so-xaydung", "dvc-bo-xay-dung")] == str(grafana.FAILING)  # days missed
    assert status[("so-taichinh", "csdl-dkdn")] == str(grafana.OK)
    names = {r["metric"]["department_name"] for r in rows["result"]}
    assert "Sở Tư pháp" in names


def test_render_writes_json_and_a_provisioning_bundle(tmp_path: Path) -> None:
    out = tmp_path / "grafana"
    assert (
        main(
            ["dashboards", "render", "--out", str(out), "--prometheus-url", "http://10.0.0.5:9090"]
        )
        == 0
    )
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert files == [
        "dashboards/lienthong-24-he-thong.json",
        "dashboards/lienthong-24-may-tham-do.json",
        "dashboards/lienthong-24-so-nganh.json",
        "dashboards/lienthong-24-tong-quan.json",
        "dashboards/lienthong-24-tuan-thu.json",
        "provisioning/dashboards/lienthong.yml",
        "provisioning/datasources/lienthong.yml",
    ]
    overview = json.loads((out / "dashboards/lienthong-24-tong-quan.json").read_text("utf-8"))
    assert overview["uid"] == "lienthong-24-tong-quan"
    assert "Tổng quan" in (out / "dashboards/lienthong-24-tong-quan.json").read_text("utf-8")
    datasource = yaml.safe_load((out / "provisioning/datasources/lienthong.yml").read_text())
    assert datasource["datasources"][0]["url"] == "http://10.0.0.5:9090"
    assert datasource["datasources"][0]["uid"] == grafana.DATASOURCE_UID
    provider = yaml.safe_load((out / "provisioning/dashboards/lienthong.yml").read_text())
    assert provider["providers"][0]["options"]["path"] == str((out / "dashboards").resolve())
    assert provider["providers"][0]["folderUid"] == FOLDER_UID
    assert provider["providers"][0]["folder"] == "Liên thông dữ liệu Bắc Ninh"
    # Every panel reads the provisioned data source through the variable.
    variables = {v["name"]: v for v in overview["templating"]["list"]}
    assert variables["datasource"]["current"]["value"] == grafana.DATASOURCE_UID


def test_rules_and_dashboards_read_only_metrics_the_exporter_declares(tmp_path: Path) -> None:
    from exporter import families

    assert main(["alerts", "render", "--out", str(tmp_path / "alerts")]) == 0
    assert main(["dashboards", "render", "--out", str(tmp_path / "dashboards")]) == 0
    text = "".join(p.read_text() for p in tmp_path.rglob("*") if p.is_file())
    read = {
        re.sub(r"_(total|bucket|sum|count)$", "", name)
        for name in re.findall(r"\blienthong_[a-z_]+", text)
    }
    declared = {f.name for f in families.ALL_FAMILIES}
    assert read - declared == set()
    assert len(read) >= 13  # the rules and dashboards read most of them, the budget too
    assert "lienthong_month_missable_required_workdays" in read


def test_another_registry_gets_its_own_uids(tmp_path: Path) -> None:
    hue = load_registry("hue")
    uids = [b["uid"] for b in grafana.dashboards(hue)]
    assert uids[0] == f"lienthong-{hue.province.code}-tong-quan"
    assert hue.province.code != "24"
    assert main(["alerts", "render", "--registry", "hue", "--out", str(tmp_path)]) == 0
    checked = subprocess.run(
        ["amtool", "check-config", str(tmp_path / "alertmanager.yml")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
