"""The rendered Alertmanager configuration passes `amtool check-config`, and
`amtool config routes test` shows each alert reaching the right departments only."""

from __future__ import annotations

import os
import stat
import subprocess
from datetime import date
from pathlib import Path

import pytest
import yaml

from dashboards import rules
from dashboards.files import write_alerts
from dashboards.routes import Smtp, Timing
from dashboards.rules import Thresholds
from i18n import use_lang
from registry import Registry
from tests.alerting import NO_CONTACTS, SHARED_SYSTEM, alerting_registry, current, dependents

# Their messages checked word for word are the English ones (Vietnamese: test_languages.py).
pytestmark = pytest.mark.usefixtures("english")

TODAY = date(2026, 10, 5)
STANDING = "so-khcn"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Registry, Path]:
    base = tmp_path_factory.mktemp("routes")
    registry = alerting_registry(base / "registry", "http://127.0.0.1:9/sink")
    with use_lang("en"):  # the warning checked is the English one
        written = write_alerts(base / "out", registry, TODAY, Thresholds(), Smtp(), Timing())
    assert written.warnings == [
        f"department {NO_CONTACTS} has no contacts: its alerts go to so-khcn"
    ]
    return registry, base / "out" / "alertmanager.yml"


def routed(config: Path, **labels: str) -> list[str]:
    """The receivers Alertmanager's own routing code picks for an alert with `labels`."""
    result = subprocess.run(
        [
            "amtool",
            "config",
            "routes",
            "test",
            f"--config.file={config}",
            *(f"{k}={v}" for k, v in labels.items()),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().split(",")


def test_amtool_accepts_the_configuration(rendered: tuple[Registry, Path]) -> None:
    registry, config = rendered
    result = subprocess.run(
        ["amtool", "check-config", str(config)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout
    # One per department that exists today, but the one without contacts.
    live = [d for d in registry.departments if d.until is None or d.until > TODAY]
    assert f"{len(live) - 1} receivers" in result.stdout


def test_each_department_hears_its_own_warnings_and_nobody_else_does(
    rendered: tuple[Registry, Path],
) -> None:
    registry, config = rendered
    for o in current(registry, TODAY):
        told = routed(
            config,
            alertname=rules.NO_SUCCESS_TODAY,
            department=o.department,
            system=o.system,
            severity="warning",
        )
        expected = STANDING if o.department == NO_CONTACTS else o.department
        assert told == [expected], (o.department, o.system)


def test_critical_alerts_also_reach_the_standing_department_once(
    rendered: tuple[Registry, Path],
) -> None:
    registry, config = rendered
    for o in current(registry, TODAY):
        told = routed(
            config,
            alertname=rules.MISSED_REQUIRED_DAYS,
            department=o.department,
            system=o.system,
            severity="critical",
        )
        if o.department in (STANDING, NO_CONTACTS):
            assert told == [STANDING]
        else:
            assert told == [o.department, STANDING]


def test_a_national_system_down_reaches_every_department_that_depends_on_it(
    rendered: tuple[Registry, Path],
) -> None:
    registry, config = rendered
    assert dependents(registry, SHARED_SYSTEM, TODAY) == {"so-yte", "bhxh-khu-vuc"}
    for system in {o.system for o in current(registry, TODAY)}:
        told = routed(
            config, alertname=rules.NATIONAL_SYSTEM_DOWN, system=system, severity="critical"
        )
        expected = {
            STANDING if d == NO_CONTACTS else d for d in dependents(registry, system, TODAY)
        }
        assert sorted(told) == sorted(expected | {STANDING}), system
        assert len(told) == len(set(told)), f"{system}: someone is told twice"


def test_alerts_about_no_department_go_to_the_standing_department(
    rendered: tuple[Registry, Path],
) -> None:
    _, config = rendered
    assert routed(config, alertname=rules.EXPORTER_DOWN, severity="critical") == [STANDING]
    assert routed(config, alertname=rules.EXPORTER_ABSENT, severity="critical") == [STANDING]
    assert routed(config, alertname=rules.STORE_DOWN, severity="critical") == [STANDING]
    # A department the registry does not know: its warning is not lost either.
    assert routed(config, alertname="X", department="so-khong-co", severity="warning") == [STANDING]


def test_receivers_come_from_the_registry_contacts(rendered: tuple[Registry, Path]) -> None:
    _, config = rendered
    document = yaml.safe_load(config.read_text())
    receivers = {r["name"]: r for r in document["receivers"]}
    khdt = receivers["so-taichinh"]
    assert [e["to"] for e in khdt["email_configs"]] == ["cntt@so-taichinh.bacninh.example"]
    assert [w["url"] for w in khdt["webhook_configs"]] == [
        "http://127.0.0.1:9/sink/hook/so-taichinh"
    ]
    assert NO_CONTACTS not in receivers
    assert document["inhibit_rules"][0]["equal"] == ["system"]
    assert document["route"]["group_by"] == ["department"]
    assert document["global"]["smtp_require_tls"] is True


def test_smtp_password_by_reference_or_from_the_environment(
    tmp_path: Path, bac_ninh: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "s3cr3t-value"
    by_file = Smtp(auth_username="canhbao", auth_password_file="/etc/alertmanager/smtp_password")
    write_alerts(tmp_path / "a", bac_ninh, TODAY, Thresholds(), by_file, Timing())
    text = (tmp_path / "a" / "alertmanager.yml").read_text()
    assert "smtp_auth_password_file: /etc/alertmanager/smtp_password" in text
    assert "smtp_auth_password:" not in text

    monkeypatch.setenv("LT_SMTP_PASSWORD", secret)
    by_env = Smtp(auth_username="canhbao", auth_password_env="LT_SMTP_PASSWORD")
    write_alerts(tmp_path / "b", bac_ninh, TODAY, Thresholds(), by_env, Timing())
    path = tmp_path / "b" / "alertmanager.yml"
    assert f"smtp_auth_password: {secret}" in path.read_text()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_missing_password_variable_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from lienthong.cli import main

    monkeypatch.delenv("LT_NOPE", raising=False)
    code = main(["alerts", "render", "--out", str(tmp_path), "--smtp-auth-password-env", "LT_NOPE"])
    assert code == 1
    assert capsys.readouterr().err == (
        "lienthong: --smtp-auth-password-env: environment variable LT_NOPE is not set\n"
    )
