"""End to end on loopback: a real Prometheus scrapes `lienthong serve` probing the
simulator, evaluates the rendered rules and sends to a real Alertmanager configured by
`alerts render`; an outage of one national system reaches exactly the departments that
depend on it, plus the standing department, by webhook and by mail, in Vietnamese."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp

from dashboards import rules
from dashboards.files import write_alerts
from dashboards.routes import Smtp, Timing
from dashboards.rules import Thresholds
from lienthong.demo import running_demo
from tests.alerting import SHARED_SYSTEM, alerting_registry, dependents
from tests.harness import serving
from tests.servers import (
    WebhookSink,
    alertmanager_server,
    free_port,
    prometheus_server,
    smtp_server,
)

STANDING = "so-khcn"
# Seconds instead of minutes; the day-based alerts are held back (a fresh database has
# missed every past day) so that only the outage can speak.
FAST_RULES = Thresholds(
    failure_window="10s",
    failure_for="30s",
    system_down_for="0s",
    no_success_for="1h",
    missed_for="1h",
    unreachable_for="1h",
    exporter_down_for="1h",
    exporter_absent_for="1h",
)
FAST_NOTIFY = Timing(group_wait="1s", group_interval="1s", repeat_interval="1h")


async def query(client: aiohttp.ClientSession, prometheus: str, promql: str) -> list[Any]:
    async with client.get(f"{prometheus}/api/v1/query", params={"query": promql}) as answer:
        document = await answer.json()
    assert document["status"] == "success", document
    result: list[Any] = document["data"]["result"]
    return result


async def until_query(
    client: aiohttp.ClientSession, prometheus: str, promql: str, count: int, timeout: float = 60
) -> None:
    """Wait for Prometheus to hold `count` series for `promql` (another process: poll it)."""
    async with asyncio.timeout(timeout):
        while len(await query(client, prometheus, promql)) < count:
            await asyncio.sleep(0.25)


async def test_an_outage_of_one_national_system_reaches_exactly_its_departments(
    tmp_path: Path,
) -> None:
    webhooks = WebhookSink()
    async with serving(webhooks.app()) as sink:
        registry = alerting_registry(tmp_path / "registry", webhook_base=sink)
        told = sorted(
            dependents(registry, SHARED_SYSTEM, datetime.now(registry.tz).date()) | {STANDING}
        )
        assert told == ["bhxh-khu-vuc", "so-khcn", "so-yte"]
        with smtp_server() as smtp:
            mail = Smtp(smarthost=f"{smtp.host}:{smtp.port}", require_tls=False)
            out = tmp_path / "alerts"
            today = datetime.now(registry.tz).date()
            write_alerts(out, registry, today, FAST_RULES, mail, FAST_NOTIFY)
            (tmp_path / "am").mkdir()
            (tmp_path / "prometheus").mkdir()
            with alertmanager_server(tmp_path / "am", out / "alertmanager.yml") as am:
                async with (
                    running_demo(
                        registry,
                        ("127.0.0.1", free_port()),
                        f"sqlite:///{tmp_path / 'lienthong.db'}",
                        interval=0.3,
                    ) as demo,
                    aiohttp.ClientSession() as client,
                ):
                    with prometheus_server(
                        tmp_path / "prometheus",
                        [demo.service_url.removeprefix("http://")],
                        "500ms",
                        rule_files=[out / "rules.yml"],
                        alertmanager=am,
                    ) as prometheus:
                        ratio = FAST_RULES.failure_ratio_record
                        # Healthy first: both departments' probes of the system succeed.
                        await until_query(
                            client, prometheus, f'{ratio}{{system="{SHARED_SYSTEM}"}} == 0', 2
                        )
                        assert webhooks.received == []
                        async with client.put(
                            f"{demo.simulator_url}/admin/faults/{SHARED_SYSTEM}",
                            json={"outage": True},
                        ) as answer:
                            assert answer.status == 200
                        await webhooks.until(lambda got: len(got) >= len(told), timeout=120)
                        async with client.get(
                            f"{am}/api/v2/alerts/groups",
                            params={"inhibited": "false", "active": "true"},
                        ) as answer:
                            groups = await answer.json()
            messages = await asyncio.to_thread(smtp.wait_for, len(told))

    # Nobody else is due a notification, and nobody else got one.
    assert sorted(g["receiver"]["name"] for g in groups if g["alerts"]) == told
    assert webhooks.receivers() == told
    for _code, payload in webhooks.received:
        (alert,) = payload["alerts"]
        assert alert["labels"]["alertname"] == rules.NATIONAL_SYSTEM_DOWN
        assert alert["labels"]["system"] == SHARED_SYSTEM
        annotations = alert["annotations"]
        system_name = registry.system(SHARED_SYSTEM).name
        assert annotations["system_name"] == system_name
        assert annotations["summary"] == (
            f"Hệ thống quốc gia {system_name} không hoạt động: mọi kết nối của tỉnh tới hệ thống"
            " này đều thất bại"
        )
        assert annotations["departments"] == (
            "Bảo hiểm xã hội khu vực (Điều 6 khoản 18 điểm b); Sở Y tế (Điều 6 khoản 15 điểm c;"
            " Điều 6 khoản 18 điểm b); "
        )
        assert annotations["owner"] == "Bảo hiểm xã hội Việt Nam"
    addresses = sorted(str(m["To"]) for m in messages)
    assert addresses == [f"cntt@{code}.bacninh.example" for code in told]
    subject = str(messages[0]["Subject"])
    assert subject.startswith("[Liên thông dữ liệu] CẢNH BÁO (1): Hệ thống quốc gia Liên thông")
