"""Gateway samples built from the documented field lists (invented names, no real identifiers)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REGISTRY = """\
version: 1
province: {code: "24", name: "Bắc Ninh"}
systems:
  - code: csdl-dkdn
    name: Cơ sở dữ liệu quốc gia về Đăng ký doanh nghiệp
    owner: Bộ Kế hoạch và Đầu tư
    gateway:
      wso2_apis: [/apiCSDLDKDN, CSDLDKDN]
      xroad_services: [VN/GOV/B11/dkdn]
  - code: ho-tich
    name: Cơ sở dữ liệu hộ tịch điện tử
    owner: Bộ Tư pháp
    gateway:
      wso2_apis: [/apiHoTichTuPhap]
      xroad_services: [VN/GOV/B05/hotich/traCuuHoTich]
departments:
  - code: so-khdt
    name: Sở Kế hoạch và Đầu tư
    gateway:
      wso2_applications: [so-khdt-app]
      xroad_clients: [VN/GOV/H04-KHDT]
  - code: so-tuphap
    name: Sở Tư pháp
    gateway:
      wso2_applications: [so-tuphap-app]
      xroad_clients: [VN/GOV/H04-TP/mot-cua]
obligations:
  - {department: so-khdt, system: csdl-dkdn, kind: maintain, basis: "Điều 6 khoản 5 điểm c"}
  - {department: so-tuphap, system: ho-tich, kind: maintain, basis: "Điều 6 khoản 8 điểm b"}
"""


def registry_file(folder: Path) -> Path:
    path = folder / "registry.yml"
    path.write_text(REGISTRY, encoding="utf-8")
    return path


def wso2_event(
    n: int,
    application: str = "so-khdt-app",
    context: str | None = "/apiCSDLDKDN/1.0",
    status: int = 200,
    **fields: Any,
) -> dict[str, Any]:
    """An API-M 4.x `apim:response` event's properties, as the analytics log writes them."""
    event: dict[str, Any] = {
        "apiName": "CSDLDKDN",
        "proxyResponseCode": status,
        "destination": "https://backend.example/dkdn",
        "apiCreatorTenantDomain": "carbon.super",
        "platform": "Other",
        "apiMethod": "GET",
        "apiVersion": "1.0",
        "gatewayType": "SYNAPSE",
        "apiCreator": "admin",
        "responseCacheHit": False,
        "backendLatency": 35,
        "correlationId": f"c0ffee00-0000-4000-8000-{n:012d}",
        "requestMediationLatency": 1,
        "keyType": "PRODUCTION",
        "apiId": "a1b2c3",
        "applicationName": application,
        "targetResponseCode": status,
        "requestTimestamp": f"2026-10-05T02:{n % 60:02d}:00.913Z",
        "applicationOwner": "owner",
        "userAgent": "agent",
        "eventType": "response",
        "apiResourceTemplate": "/chiTietDoanhNghiep",
        "responseLatency": 42,
        "regionId": "default",
        "responseMediationLatency": 2,
        "userIp": "192.0.2.1",
        "applicationId": "app-1",
        "apiType": "HTTP",
    }
    if context is not None:
        event["apiContext"] = context
    event.update(fields)
    return event


def metrics_log_line(event: dict[str, Any], kind: str = "apim:response") -> str:
    """One line of apim_metrics.log, log4j prefix included."""
    return (
        "08:23:34,898 [-] [PassThroughMessageProcessor-188]  INFO ELKCounterMetric apimMetrics:"
        f" {kind}, properties :{json.dumps(event, ensure_ascii=False)}\n"
    )


def xroad_record(
    message_id: str | None,
    side: str,
    at: datetime,
    succeeded: bool = True,
    client: tuple[str, str, str, str | None] = ("VN", "GOV", "H04-KHDT", "dang-ky"),
    service: tuple[str, str, str, str, str] = ("VN", "GOV", "B11", "dkdn", "getDoanhNghiep"),
    **fields: Any,
) -> dict[str, Any]:
    """An operational monitoring record with the documented fields."""
    ms = int(at.timestamp() * 1000) + (40 if side == "Producer" else 0)
    record: dict[str, Any] = {
        "monitoringDataTs": ms // 1000 + 1,
        "securityServerInternalIp": "192.0.2.10",
        "securityServerType": side,
        "requestInTs": ms,
        "requestOutTs": ms + 5,
        "responseInTs": ms + 95,
        "responseOutTs": ms + 100,
        "clientXRoadInstance": client[0],
        "clientMemberClass": client[1],
        "clientMemberCode": client[2],
        "clientSubsystemCode": client[3],
        "serviceXRoadInstance": service[0],
        "serviceMemberClass": service[1],
        "serviceMemberCode": service[2],
        "serviceSubsystemCode": service[3],
        "serviceCode": service[4],
        "serviceVersion": "v1",
        "restMethod": None,
        "restPath": None,
        "messageId": message_id,
        "xRequestId": "11111111-2222-4333-8444-555555555555",
        "requestSize": 1200,
        "responseSize": 3400,
        "succeeded": succeeded,
        "faultCode": None if succeeded else "Server.ServerProxy.ServiceFailed",
        "faultString": None if succeeded else "Hệ thống quốc gia không phản hồi",
        "statusCode": 200 if succeeded else 500,
        "serviceType": "WSDL",
    }
    record.update(fields)
    return record


T0 = datetime(2026, 10, 5, 2, 0, tzinfo=UTC)
