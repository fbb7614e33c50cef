"""Federation end to end: two provinces' `serve`, their Prometheus servers, and a national
Prometheus federating them with `lienthong national render`'s config and rules.

Everything real and on loopback; the national dashboard's every query is run against
the national Prometheus and must show each province.
"""

from __future__ import annotations

import json
import subprocess
import urllib.parse
import urllib.request
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from dashboards.grafana import expressions
from dashboards.national import LEADERS, OBLIGATIONS, RULES, SYSTEM_RATIO
from exporter.state import current_obligations
from lienthong.cli import main
from lienthong.demo import BAC_NINH_GATEWAY
from registry import load_registry
from tests.instances import serve, simulator, until
from tests.servers import prometheus_server, prometheus_with_config
from tests.stores import new_postgres_database

pytestmark = pytest.mark.postgres

PROVINCES = ("bac-ninh", "hue")


def query(prometheus: str, expr: str) -> list[dict[str, Any]]:
    address = f"{prometheus}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    with urllib.request.urlopen(address, timeout=10) as answer:
        found = json.loads(answer.read())
    assert found["status"] == "success", found
    result: list[dict[str, Any]] = found["data"]["result"]
    return result


def provinces_in(result: list[dict[str, Any]]) -> set[str]:
    return {r["metric"].get("province", "") for r in result}


@pytest.mark.parametrize("aggregates", [False, True], ids=["every-series", "aggregates"])
def test_a_national_prometheus_federates_the_provinces(
    postgres_url: str, tmp_path: Path, aggregates: bool
) -> None:
    """Federating every series, or (`--aggregates`, for commune-level registries) only
    the sums the provincial Prometheus servers record: the same national figures."""
    database = new_postgres_database(postgres_url)
    registries = {name: load_registry(name) for name in PROVINCES}
    codes = {registries[name].province.code for name in PROVINCES}
    urls = {name: f"{database}?schema={name.replace('-', '_')}" for name in PROVINCES}
    hue = registries["hue"]
    now = datetime.now().astimezone()
    current = next(o for o in hue.obligations if hue.in_force_on(o, now.date()))
    record = {
        "department": current.department,
        "system": current.system,
        "ts": now.isoformat(timespec="seconds"),
        "outcome": "success",
    }
    (tmp_path / "hue.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    for name in PROVINCES:
        assert main(["db", "upgrade", "--db", urls[name], "--registry", name]) == 0
    assert main(["ingest", "--db", urls["hue"], "--registry", "hue",
                 str(tmp_path / "hue.jsonl")]) == 0  # fmt: skip

    national = tmp_path / "national"
    mode = ["--aggregates"] if aggregates else []
    # The provincial rules do not depend on the addresses: rendered before the servers start.
    assert main(["national", "render", "--out", str(tmp_path / "provincial"),
                 "--federate", "x:1", "--interval", "1s", *mode]) == 0  # fmt: skip
    provincial_rules = [tmp_path / "provincial" / "provincial-rules.yml"] if aggregates else []
    with simulator(tmp_path) as sim:
        settings = {
            name: f'registry = "{name}"\n[probes]\ninterval = 2\n'
            f'url_rewrite = {{from = "{BAC_NINH_GATEWAY}", to = "{sim}"}}\n'
            "[exports]\nenabled = false\n"
            for name in PROVINCES
        }
        with (
            serve(tmp_path, "bac-ninh", urls["bac-ninh"], settings["bac-ninh"]) as bac_ninh,
            serve(tmp_path, "hue", urls["hue"], settings["hue"]) as hue_serve,
        ):
            folders = {name: tmp_path / f"prometheus-{name}" for name in PROVINCES}
            for folder in folders.values():
                folder.mkdir()
            with (
                prometheus_server(
                    folders["bac-ninh"],
                    [bac_ninh.url.removeprefix("http://")],
                    "1s",
                    provincial_rules,
                ) as bac_ninh_prometheus,
                prometheus_server(
                    folders["hue"], [hue_serve.url.removeprefix("http://")], "1s", provincial_rules
                ) as hue_prometheus,
            ):
                provincial = [
                    p.removeprefix("http://") for p in (bac_ninh_prometheus, hue_prometheus)
                ]
                assert main(["national", "render", "--out", str(national),
                             "--federate", *provincial, "--interval", "1s", *mode]) == 0  # fmt: skip
                checked = subprocess.run(
                    ["promtool", "check", "config", str(national / "prometheus.yml")],
                    capture_output=True,
                    text=True,
                )
                assert checked.returncode == 0, checked.stdout + checked.stderr
                (national / "tsdb").mkdir()
                with prometheus_with_config(national, national / "prometheus.yml") as central:
                    until(
                        lambda: all(
                            provinces_in(query(central, rule)) >= codes
                            for rule in RULES
                            if rule.startswith("province")
                        ),
                        90,
                        "every province in every province-level rule",
                    )
                    counts = {
                        r["metric"]["province"]: float(r["value"][1])
                        for r in query(central, OBLIGATIONS)
                    }
                    systems = {r["metric"]["system"] for r in query(central, SYSTEM_RATIO)}
                    leaders = query(central, LEADERS)
                    raw = query(central, 'count({__name__=~"lienthong_.+"})')
                    board = json.loads(
                        (national / "dashboards" / "lienthong-toan-quoc.json").read_text()
                    )
                    answers = {
                        title: query(central, target["expr"])
                        for title, target in expressions(board)
                    }

    # The national figures are the provinces' own: their obligations, their systems.
    current = {
        r.province.code: current_obligations(r, datetime.now(r.tz).date())
        for r in registries.values()
    }
    assert counts == {code: len(obligations) for code, obligations in current.items()}
    assert systems == {o.system for obligations in current.values() for o in obligations}
    # With --aggregates the national Prometheus holds no raw series at all.
    assert bool(raw) is not aggregates
    assert {r["metric"]["province"]: float(r["value"][1]) for r in leaders} == {
        code: 1.0 for code in codes
    }
    # Every query of the ranking dashboard answers, and those by province show each,
    # named as its registry names it.
    names = {r.province.code: r.province.name for r in registries.values()}
    for title, result in answers.items():
        assert result, title
        if any("province" in r["metric"] for r in result):
            assert provinces_in(result) == codes, title
            assert {r["metric"]["province"]: r["metric"]["province_name"] for r in result} == (
                names
            ), title
