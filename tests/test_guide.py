"""docs/huong-dan.md works as written: its shell blocks run in order, against one PostgreSQL
database named only in the guide's config file, and every step succeeds; its alert table says
what dashboards/rules.py does.

Each fenced block of the guide follows a marker saying how it is tested:
`<!-- test: run -->` (run with bash, each block in turn, the environment carried over;
`run in checkout`: in the source tree), `<!-- test: file PATH -->` (the block is written to
PATH), `<!-- test: background URL -->` (a long-running command: started, awaited until URL
answers, stopped at the end) or `<!-- test: skip (why) -->` (needs root or the network). The
guide's own paths, ports and database are replaced by the test's (SUBSTITUTED).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from dashboards.rules import Thresholds, duration_words, hour_words, percent_words, rule_groups
from registry import load_registry
from tests.servers import _wait_ready, free_port
from tests.stores import database_url

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "huong-dan.md"
GUIDE_DATABASE = "postgresql://lienthong@localhost/lienthong"
GUIDE_PREFIX = "lt_5QvJ9uWp"  # the token prefix the guide revokes: the first one issued
FENCE = re.compile(
    r"(?:<!-- test: (?P<how>[^\n]*?) -->\n)?```(?P<lang>\w*)\n(?P<body>.*?)```", re.S
)
SEVERITY = {"cảnh báo": "warning", "nghiêm trọng": "critical"}


@dataclass(frozen=True)
class Block:
    how: str  # the marker's text, "" when there is none
    lang: str
    body: str


def guide_blocks() -> list[Block]:
    return [
        Block(m["how"] or "", m["lang"], m["body"])
        for m in FENCE.finditer(GUIDE.read_text(encoding="utf-8"))
    ]


def test_every_block_of_the_guide_says_how_it_is_tested() -> None:
    blocks = guide_blocks()
    kinds = {b.how.split()[0] for b in blocks if b.how}
    assert kinds <= {"run", "file", "background", "skip"}, kinds
    unmarked = [b.body for b in blocks if b.lang in ("sh", "toml", "yaml") and not b.how]
    assert not unmarked
    assert sum(b.how.startswith("run") for b in blocks) >= 8


def _environment() -> dict[str, str]:
    """The machine's environment, without any lienthong setting or probe secret of the run."""
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("LIENTHONG_", "BACNINH_")) and k != "PYTHONPATH"
    }


def _read_environment(path: Path) -> dict[str, str]:
    pairs = (entry.split("=", 1) for entry in path.read_text().split("\0") if "=" in entry)
    return {k: v for k, v in pairs if not k.startswith("BASH_FUNC_")}


def _first_token_prefix(env: dict[str, str]) -> str:
    listed = subprocess.run(
        ["lienthong", "tokens", "list", "--format", "json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return str(json.loads(listed.stdout)[0]["prefix"])


def _target_up(prometheus: str, job: str) -> bool:
    with urllib.request.urlopen(f"{prometheus}/api/v1/targets", timeout=5) as answer:
        targets = json.load(answer)["data"]["activeTargets"]
    return any(t["labels"].get("job") == job and t["health"] == "up" for t in targets)


@pytest.fixture
def empty_postgres_database(postgres_url: str) -> Iterator[str]:
    """A new, empty database: the guide's `lienthong db upgrade` creates its schema."""
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    name = f"guide_{os.getpid()}"
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    yield database_url(postgres_url, name)


@pytest.mark.postgres
def test_the_guide_runs_as_written_against_one_database(
    empty_postgres_database: str, tmp_path: Path
) -> None:
    ports = {"9464": free_port(), "9090": free_port(), "9093": free_port()}
    SUBSTITUTED = {
        "/etc/lienthong": str(tmp_path / "etc"),
        "/var/lib/lienthong": str(tmp_path / "var"),
        GUIDE_DATABASE: empty_postgres_database,
        **{f"127.0.0.1:{old}": f"127.0.0.1:{new}" for old, new in ports.items()},
    }

    def ours(text: str) -> str:
        for old, new in SUBSTITUTED.items():
            text = text.replace(old, new)
        return text

    for folder in ("etc", "var", "home"):
        (tmp_path / folder).mkdir()
    home = tmp_path / "home"  # where the officer types the commands (not the source tree)
    env = {**_environment(), "HOME": str(home)}
    saved = tmp_path / "environment"
    ran: list[str] = []
    with ExitStack() as running:
        for block in guide_blocks():
            how, body = block.how, ours(block.body)
            if how.startswith("skip") or not how:
                continue
            if how.startswith("file "):
                Path(ours(how.split(maxsplit=1)[1])).write_text(body, encoding="utf-8")
                continue
            if how.startswith("background "):
                url = ours(how.split()[1])
                log = tmp_path / f"background-{len(ran)}.log"
                process = subprocess.Popen(
                    ["bash", "-c", "exec " + body.strip()],
                    cwd=home,
                    env=env,
                    stdout=log.open("w"),
                    stderr=subprocess.STDOUT,
                )
                running.callback(process.wait, 30)
                running.callback(process.terminate)
                _wait_ready(url, process, log, body.split()[0])
                ran.append(body)
                continue
            if GUIDE_PREFIX in body:
                body = body.replace(GUIDE_PREFIX, _first_token_prefix(env))
            result = subprocess.run(
                ["bash", "-euo", "pipefail", "-c", f"{body}\nenv -0 > {saved}\n"],
                cwd=ROOT if "in checkout" in how else home,
                env=env,
                capture_output=True,
                text=True,
                timeout=600,
            )
            assert result.returncode == 0, (body, result.stdout, result.stderr)
            env = _read_environment(saved)
            ran.append(body)

        # Prometheus, fed as the guide says, scrapes the service: awaited, within a minute.
        prometheus = f"http://127.0.0.1:{ports['9090']}"
        deadline = time.monotonic() + 60
        while not _target_up(prometheus, "lienthong"):
            assert time.monotonic() < deadline, "Prometheus never scraped lienthong serve"
            time.sleep(0.5)  # another process: nothing to await but its next scrape

        # Everything went to the one database of the config file, nothing anywhere else.
        excusals = subprocess.run(
            ["lienthong", "excuse", "list", "--format", "json"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        states = [e["state"] for e in json.loads(excusals.stdout)]
        assert states == ["approved", "rejected"]
        tokens = subprocess.run(
            ["lienthong", "tokens", "list", "--format", "json"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        assert [t["revoked"] is not None for t in json.loads(tokens.stdout)] == [True, False]
        assert not list(home.glob("*.db")) and not list(ROOT.glob("lienthong.db"))
        assert (tmp_path / "var" / "bao-cao-2026-11.pdf").read_bytes().startswith(b"%PDF")
        assert (tmp_path / "var" / "bao-cao-2026-Q4.xlsx").read_bytes().startswith(b"PK")
    assert len(ran) >= 12


def _alert_table() -> dict[str, str]:
    """The guide's alert table: each alert's name and its 'Mức' cell."""
    text = GUIDE.read_text(encoding="utf-8")
    table = text.split("<!-- test: alerts")[1].split("\n\n")[0]
    rows: dict[str, str] = {}
    for line in table.splitlines()[3:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        for name in cells[0].split(" / "):
            rows[name] = cells[1]
    return rows


def test_the_guides_alert_severities_and_thresholds_are_the_rules() -> None:
    thresholds = Thresholds()
    document = rule_groups(load_registry("hue"), thresholds, date(2026, 12, 1))
    severities: dict[str, set[str]] = {}
    for group in document["groups"]:
        for rule in group["rules"]:
            if "alert" in rule:
                severities.setdefault(rule["alert"], set()).add(rule["labels"]["severity"])
    table = _alert_table()
    assert set(table) == set(severities)
    for name, cell in table.items():
        said = {english for word, english in SEVERITY.items() if word in cell}
        assert said == severities[name], (name, cell)
    assert (
        f"cảnh báo ({hour_words(thresholds.no_success_hour)})" in table["LienthongNoSuccessToday"]
    )
    assert (
        f"nghiêm trọng ({hour_words(thresholds.no_success_critical_hour)})"
        in (table["LienthongNoSuccessToday"])
    )
    assert f"({thresholds.missed_days} ngày)" in table["LienthongMissedRequiredDays"]
    assert (
        f"({percent_words(thresholds.failure_ratio)} trong {duration_words(thresholds.failure_window)})"
        in table["LienthongProbesFailing"]
    )


def test_the_english_docs_give_the_rules_defaults() -> None:
    t = Thresholds()
    alerts = (ROOT / "docs" / "alerts.md").read_text(encoding="utf-8")
    assert f"N = {t.missed_days} (`--missed-days`)" in alerts
    assert f"{t.failure_ratio * 100:g} % (`--failure-ratio`) over {t.failure_window}" in alerts
    metrics = (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")
    assert re.findall(r"the alert \(`>= (\d+)`", metrics) == [str(t.missed_days)]
    document = rule_groups(load_registry("hue"), t, date(2026, 12, 1))
    for group in document["groups"]:
        for rule in group["rules"]:
            if "alert" in rule:
                row = next(line for line in alerts.splitlines() if f"`{rule['alert']}`" in line)
                assert rule["labels"]["severity"] in row.split("|")[2], row
