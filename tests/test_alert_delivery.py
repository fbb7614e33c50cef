"""A real Alertmanager, configured by `alerts render`, delivers to each department's webhook
and mailbox: an outage of one national system reaches exactly the departments that depend
on it plus the standing department, in one alert, with the Vietnamese text intact.

The alerts are posted to Alertmanager's API as Prometheus would post them; the end-to-end
test (`test_alerts_end_to_end.py`) puts a Prometheus and `lienthong serve` in front.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from dashboards import rules
from dashboards.files import write_alerts
from dashboards.routes import Smtp, Timing
from dashboards.rules import Thresholds
from registry import Registry
from tests.alerting import SHARED_SYSTEM, alerting_registry
from tests.harness import serving
from tests.servers import SmtpServer, WebhookSink, alertmanager_server, smtp_server

TODAY = date(2026, 10, 5)
STANDING = "so-khcn"
# Fast pacing for tests: the defaults wait 30 s to batch a department's alerts.
FAST = Timing(group_wait="1s", group_interval="1s", repeat_interval="1h")

SYSTEM_NAME = "Liên thông dữ liệu Sổ Sức khỏe điện tử, giấy chuyển tuyến, giấy hẹn khám với Bảo hiểm xã hội Việt Nam"
OUTAGE_SUMMARY = f"Hệ thống quốc gia {SYSTEM_NAME} không hoạt động: mọi kết nối của tỉnh tới hệ thống này đều thất bại"


@dataclass
class Delivery:
    registry: Registry
    alertmanager: str
    webhooks: WebhookSink
    smtp: SmtpServer


@pytest.fixture
async def delivery(tmp_path: Path) -> AsyncIterator[Delivery]:
    """Alertmanager with the rendered config, each department's webhook and an SMTP server."""
    webhooks = WebhookSink()
    async with serving(webhooks.app()) as sink:
        registry = alerting_registry(tmp_path / "registry", webhook_base=sink)
        with smtp_server() as smtp:
            mail = Smtp(
                smarthost=f"{smtp.host}:{smtp.port}",
                sender="canhbao@so-khcn.bacninh.example",
                require_tls=False,
            )
            write_alerts(tmp_path / "out", registry, TODAY, Thresholds(), mail, FAST)
            config = tmp_path / "out" / "alertmanager.yml"
            with alertmanager_server(tmp_path, config) as url:
                yield Delivery(registry, url, webhooks, smtp)


def alert(alertname: str, severity: str, summary: str, **labels: str) -> dict[str, Any]:
    return {
        "labels": {"alertname": alertname, "severity": severity, "province": "24", **labels},
        "annotations": {"summary": summary, "description": summary, "check": "Kiểm tra."},
    }


async def post(client: aiohttp.ClientSession, url: str, alerts: list[dict[str, Any]]) -> None:
    async with client.post(f"{url}/api/v2/alerts", json=alerts) as answer:
        assert answer.status == 200, await answer.text()


async def pending_receivers(client: aiohttp.ClientSession, url: str) -> list[str]:
    """Receivers of every group Alertmanager will notify (inhibited alerts left out)."""
    params = {"inhibited": "false", "silenced": "false", "active": "true"}
    async with client.get(f"{url}/api/v2/alerts/groups", params=params) as answer:
        groups = await answer.json()
    return sorted(g["receiver"]["name"] for g in groups if g["alerts"])


def mailbox(messages: list[EmailMessage]) -> dict[str, EmailMessage]:
    return {str(m["To"]): m for m in messages}


def text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    content: str = body.get_content()
    return content


async def test_an_outage_reaches_exactly_the_departments_that_depend_on_the_system(
    delivery: Delivery,
) -> None:
    outage = alert(rules.NATIONAL_SYSTEM_DOWN, "critical", OUTAGE_SUMMARY, system=SHARED_SYSTEM)
    outage["startsAt"] = "2025-06-02T02:30:00Z"  # 09:30 in Bắc Ninh, in the past
    # The per-department alerts the same outage causes: inhibited by it.
    caused = [
        alert(
            rules.PROBES_FAILING,
            "warning",
            f"{department}: 100% lần thăm dò thất bại",
            department=department,
            system=SHARED_SYSTEM,
        )
        for department in ("so-yte", "bhxh-khu-vuc")
    ] + [
        alert(
            rules.NO_SUCCESS_TODAY,
            "warning",
            "Sở Y tế: chưa có giao dịch thành công nào hôm nay",
            department="so-yte",
            system=SHARED_SYSTEM,
        )
    ]
    expected = ["bhxh-khu-vuc", "so-khcn", "so-yte"]
    async with aiohttp.ClientSession() as client:
        await post(client, delivery.alertmanager, [outage, *caused])
        await delivery.webhooks.until(lambda got: len(got) >= len(expected))
        # The groups Alertmanager dispatched from the same batch: nobody else is due one.
        assert await pending_receivers(client, delivery.alertmanager) == expected
        async with client.get(f"{delivery.alertmanager}/api/v2/alerts") as answer:
            held = await answer.json()

    assert delivery.webhooks.receivers() == expected
    for _code, payload in delivery.webhooks.received:
        assert [a["labels"]["alertname"] for a in payload["alerts"]] == [rules.NATIONAL_SYSTEM_DOWN]
        assert payload["alerts"][0]["annotations"]["summary"] == OUTAGE_SUMMARY
    inhibited = {
        (a["labels"]["alertname"], a["labels"].get("department")): a["status"]["inhibitedBy"]
        for a in held
    }
    assert all(inhibited[(a["labels"]["alertname"], a["labels"]["department"])] for a in caused)

    messages = await asyncio.to_thread(delivery.smtp.wait_for, 3)
    by_address = mailbox(messages)
    assert sorted(by_address) == [
        "cntt@bhxh-khu-vuc.bacninh.example",
        "cntt@so-khcn.bacninh.example",
        "cntt@so-yte.bacninh.example",
    ]
    message = by_address["cntt@so-yte.bacninh.example"]
    assert message["Subject"] == f"[Liên thông dữ liệu] CẢNH BÁO (1): {OUTAGE_SUMMARY}"
    assert message["From"] == "canhbao@so-khcn.bacninh.example"
    body = text_of(message)
    assert "ĐANG XẢY RA (mức nghiêm trọng): " + OUTAGE_SUMMARY in body
    assert "Cần kiểm tra: Kiểm tra." in body
    # The start in the registry's local time, day first; not Go's raw UTC.
    assert "Bắt đầu lúc: 09:30 02/06/2025 (UTC+07:00)" in body
    assert "+0000 UTC" not in body


async def test_a_department_problem_reaches_that_department_and_criticals_a_copy(
    delivery: Delivery,
) -> None:
    warning = alert(
        rules.NO_SUCCESS_TODAY,
        "warning",
        "Sở Tài chính: chưa có giao dịch thành công nào với Cơ sở dữ liệu quốc gia về"
        " Đăng ký doanh nghiệp hôm nay",
        department="so-taichinh",
        system="csdl-dkdn",
    )
    critical = alert(
        rules.MISSED_REQUIRED_DAYS,
        "critical",
        "Sở Tư pháp: 3 ngày làm việc liên tiếp không có giao dịch thành công với Hệ thống thông"
        " tin đăng ký và quản lý hộ tịch",
        department="so-tuphap",
        system="ho-tich",
    )
    async with aiohttp.ClientSession() as client:
        await post(client, delivery.alertmanager, [warning, critical])
        expected = ["so-khcn", "so-taichinh", "so-tuphap"]
        await delivery.webhooks.until(lambda got: len(got) >= len(expected))
        assert await pending_receivers(client, delivery.alertmanager) == expected
    assert delivery.webhooks.receivers() == expected
    told = {
        code: payload["alerts"][0]["labels"]["department"]
        for code, payload in delivery.webhooks.received
    }
    # The standing department's copy is of the critical one only.
    assert told == {"so-taichinh": "so-taichinh", "so-tuphap": "so-tuphap", "so-khcn": "so-tuphap"}
    messages = await asyncio.to_thread(delivery.smtp.wait_for, 3)
    copy = mailbox(messages)["cntt@so-khcn.bacninh.example"]
    assert "Sở Tư pháp: 3 ngày làm việc liên tiếp" in str(copy["Subject"])
