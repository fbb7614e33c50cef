"""Gateway samples: excerpts of the public WSO2 and X-Road material, and builders from their
documented field lists (invented names where ours, no real identifiers)."""

from __future__ import annotations

import json
import uuid
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


def request_id(message_id: str | None, at: datetime) -> str | None:
    """The xRequestId both security servers write for one exchange (a UUID, as X-Road's)."""
    if message_id is None:
        return None
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{message_id}|{at.isoformat()}"))


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
        "xRequestId": request_id(message_id, at),
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


# -- Public excerpts ---------------------------------------------------------------------

# WSO2 API-M 4.x, an `apim_metrics.log` line as WSO2 documents it: wso2/docs-apim,
# en/docs/api-analytics/on-prem/datadog-installation-guide.md (commit 92498276), the
# Grok parser's "samples". Quoted whole.
PIZZASHACK_LOG_LINE = (
    "08:23:34,898 [-] [PassThroughMessageProcessor-188]  INFO ELKCounterMetric apimMetrics:"
    ' apim:response, properties :{"apiName":"PizzaShackAPI","proxyResponseCode":200,'
    '"destination":"https://localhost:9443/am/sample/pizzashack/v1/api/",'
    '"apiCreatorTenantDomain":"carbon.super","platform":"Other","apiMethod":"GET",'
    '"apiVersion":"1.0.0","gatewayType":"SYNAPSE","apiCreator":"admin",'
    '"responseCacheHit":false,"backendLatency":3,'
    '"correlationId":"02951f10-5934-456d-b608-7cd85b3f7c9d","requestMediationLatency":1,'
    '"keyType":"SANDBOX","apiId":"af88b5f8-594a-4f57-a729-7eb86b6a63ab",'
    '"applicationName":"DefaultApplication","targetResponseCode":200,'
    '"requestTimestamp":"2022-12-15T02:53:34.894Z","applicationOwner":"admin",'
    '"userAgent":"curl","userName":"admin@carbon.super","apiResourceTemplate":"/menu",'
    '"responseLatency":4,"regionId":"default","responseMediationLatency":0,'
    '"userIp":"127.0.0.1","apiContext":"/pizzashack/1.0.0",'
    '"applicationId":"87c8da4c-aa3f-43d3-89ac-dc3dc3b19d3e","apiType":"HTTP","properties":{}}'
)

# The fault event's attributes, as the analytics publisher's schema lists them:
# wso2/apim-analytics-publisher, component/publisher-client/src/main/java/org/wso2/am/
# analytics/publisher/reporter/cloud/DefaultInputValidator.java (commit 127394c5),
# `faultSchema`. No apiContext. Values: the PizzaShack call's, and an error of ours.
FAULT_SCHEMA = (
    "requestTimestamp",
    "correlationId",
    "keyType",
    "errorType",
    "errorCode",
    "errorMessage",
    "apiId",
    "apiName",
    "apiVersion",
    "apiCreation",
    "apiMethod",
    "apiCreatorTenantDomain",
    "applicationId",
    "applicationName",
    "applicationOwner",
    "regionId",
    "gatewayType",
    "proxyResponseCode",
    "targetResponseCode",
    "deploymentId",
)


def pizzashack_response() -> dict[str, Any]:
    """The documented response event's properties."""
    properties: dict[str, Any] = json.loads(PIZZASHACK_LOG_LINE.split("properties :", 1)[1])
    return properties


def pizzashack_fault(correlation: str, timestamp: str) -> dict[str, Any]:
    """An `apim:faulty` event of the same API, with exactly the fault schema's attributes."""
    response = pizzashack_response()
    values = {
        "requestTimestamp": timestamp,
        "correlationId": correlation,
        "errorType": "TARGET_CONNECTIVITY",
        "errorCode": 101503,
        "errorMessage": "Error connecting to the back end",
        "apiCreation": "admin",
        "deploymentId": "default",
        "proxyResponseCode": 503,
        "targetResponseCode": 0,
    }
    return {f: values[f] if f in values else response[f] for f in FAULT_SCHEMA}


# API-M 3.2's streams, as documented: wso2/docs-apim, en/docs/learn/analytics/
# analytics-event-streams-and-aggregations.md (commit 76737db3),
# `org.wso2.apimgt.statistics.request:3.2.0` and `org.wso2.apimgt.statistics.fault:3.2.0`.
REQUEST_STREAM_3_2 = [
    "meta_clientType",
    "applicationConsumerKey",
    "applicationName",
    "applicationId",
    "applicationOwner",
    "apiContext",
    "apiName",
    "apiVersion",
    "apiResourcePath",
    "apiResourceTemplate",
    "apiMethod",
    "apiCreator",
    "apiCreatorTenantDomain",
    "apiTier",
    "apiHostname",
    "username",
    "userTenantDomain",
    "userIp",
    "userAgent",
    "requestTimestamp",
    "throttledOut",
    "responseTime",
    "serviceTime",
    "backendTime",
    "responseCacheHit",
    "responseSize",
    "protocol",
    "responseCode",
    "destination",
    "securityLatency",
    "throttlingLatency",
    "requestMedLat",
    "responseMedLat",
    "backendLatency",
    "otherLatency",
    "gatewayType",
    "label",
    "properties",
]
FAULT_STREAM_3_2 = [
    "meta_clientType",
    "applicationConsumerKey",
    "apiName",
    "apiVersion",
    "apiContext",
    "apiResourcePath",
    "apiResourceTemplate",
    "apiMethod",
    "apiCreator",
    "username",
    "userTenantDomain",
    "apiCreatorTenantDomain",
    "hostname",
    "applicationId",
    "applicationName",
    "applicationOwner",
    "protocol",
    "errorCode",
    "errorMessage",
    "requestTimestamp",
    "properties",
]


def stream_event_3_2(attributes: list[str], **values: Any) -> dict[str, Any]:
    """An API-M 3.2 event with exactly the stream's attributes; what is not given is blank.

    `meta_clientType` is a JSON text whose `correlationID` is the call's correlation id
    (the stream has no correlationId attribute of its own). The docs above say only "the
    meta information of client type"; its content is as issue 11 reports the gateway's.
    """
    event: dict[str, Any] = {a: "" for a in attributes}
    event.update(values)
    return event


# X-Road operational monitoring records as security servers wrote them: X-Road Metrics'
# test fixture nordic-institute/X-Road-Metrics,
# corrector_module/opmon_corrector/tests/fixtures/raw_messages_batch_1.json
# (commit 34d2e135), the LTT test instance's records, in the fixture's order; only the
# fields we read are kept (plus monitoringDataTs, which orders a server's answer).
def _ltt(
    side: str,
    monitoring: int,
    request_in: int,
    response_out: int,
    client: str,
    service: str,
    message_id: str,
    request_id: str,
    succeeded: bool = True,
    fault: tuple[str, str] | None = None,
) -> dict[str, Any]:
    c, s = client.split("/"), service.split("/")
    record: dict[str, Any] = {
        "monitoringDataTs": monitoring,
        "securityServerType": side,
        "requestInTs": request_in,
        "responseOutTs": response_out,
        "clientXRoadInstance": c[0],
        "clientMemberClass": c[1],
        "clientMemberCode": c[2],
        "clientSubsystemCode": c[3],
        "serviceXRoadInstance": s[0],
        "serviceMemberClass": s[1],
        "serviceMemberCode": s[2],
        "serviceSubsystemCode": s[3],
        "serviceCode": s[4],
        "messageId": message_id,
        "succeeded": succeeded,
        "xRequestId": request_id,
    }
    if fault:
        record["faultCode"], record["faultString"] = fault
    return record


TEST1, TEST2 = "LTT/TEST/TEST1/SUB1", "LTT/TEST/TEST2/SUB2"
PAYLOADGEN, GENERATE = "LTT/TEST/TEST2/SUB3/payloadgen", "LTT/TEST/TEST1/SUB1/generate"
METRICS_FIXTURE = [
    # One exchange, the producer's record first, its partner 17 ms earlier.
    _ltt(
        "Producer",
        1671066024,
        1671066024379,
        1671066024390,
        TEST1,
        PAYLOADGEN,
        "LTT-9f0bdaed-b024-4003-8a0d-baafedc88121",
        "2c2fd07d-146b-4cc9-8844-2e08d65d5879",
    ),
    _ltt(
        "Client",
        1671066024,
        1671066024362,
        1671066024403,
        TEST1,
        PAYLOADGEN,
        "LTT-9f0bdaed-b024-4003-8a0d-baafedc88121",
        "2c2fd07d-146b-4cc9-8844-2e08d65d5879",
    ),
    # Ten hours earlier than the line before (a server answers by monitoringDataTs):
    # partners 16 ms apart.
    _ltt(
        "Client",
        1671030116,
        1671030116655,
        1671030116706,
        TEST1,
        PAYLOADGEN,
        "LTT-73cdf7f8-bc0e-4432-8e0b-0b334b9ddbae",
        "c17d7a71-97f0-4b2a-b1a3-5d0a74c1d5c7",
    ),
    _ltt(
        "Producer",
        1671030116,
        1671030116671,
        1671030116683,
        TEST1,
        PAYLOADGEN,
        "LTT-73cdf7f8-bc0e-4432-8e0b-0b334b9ddbae",
        "c17d7a71-97f0-4b2a-b1a3-5d0a74c1d5c7",
    ),
    _ltt(
        "Client",
        1671024483,
        1671024481895,
        1671024483763,
        TEST2,
        GENERATE,
        "message-7a279e7b704901686cc554a1b8473f51",
        "f37b5fe9-6c32-4fcc-b289-52fdc4a8e2d1",
    ),
    _ltt(
        "Producer",
        1671024483,
        1671024481951,
        1671024482105,
        TEST2,
        GENERATE,
        "message-7a279e7b704901686cc554a1b8473f51",
        "f37b5fe9-6c32-4fcc-b289-52fdc4a8e2d1",
    ),
    # messageId "test" for two different exchanges (the client's system chose it).
    _ltt(
        "Producer",
        1671026448,
        1671026448667,
        1671026448677,
        TEST1,
        "LTT/TEST/TEST2/SUB2/getRandom",
        "test",
        "91578433-64b7-4e2f-a2ab-1d8858ca04b7",
    ),
    _ltt(
        "Client",
        1671025862,
        1671025861977,
        1671025862000,
        TEST1,
        "LTT/TEST/TEST2/SUB2/doesnotexist",
        "test",
        "a7351790-8fba-428d-852b-e4b6e8cbcca8",
        succeeded=False,
        fault=(
            "Server.ServerProxy.UnknownService",
            "Unknown service: SERVICE:LTT/TEST/TEST2/SUB2/doesnotexist",
        ),
    ),
    _ltt(
        "Producer",
        1671058831,
        1671058831902,
        1671058831914,
        TEST1,
        PAYLOADGEN,
        "LTT-ff629c5a-c032-437a-87c6-67eef199130c",
        "c29a03c1-c9a8-48a2-9214-8e5fa54b615c",
    ),
]
# A record that never reached a service (the same fixture, its last records): no
# client, no service, no ids.
INVALID_METHOD = {
    "monitoringDataTs": 1670257860,
    "securityServerInternalIp": "10.4.0.137",
    "securityServerType": "Client",
    "requestInTs": 1670257860469,
    "responseOutTs": 1670257860469,
    "succeeded": False,
    "faultCode": "Client.InvalidHttpMethod",
    "faultString": "Must use POST request method instead of GET",
}

LTT_REGISTRY = """\
version: 1
province: {code: "24", name: "Bắc Ninh"}
systems:
  - code: ho-tich
    name: Cơ sở dữ liệu hộ tịch điện tử
    owner: Bộ Tư pháp
    gateway:
      xroad_services: [LTT/TEST/TEST2/SUB3, LTT/TEST/TEST2/SUB2]
  - code: csdl-dkdn
    name: Cơ sở dữ liệu quốc gia về Đăng ký doanh nghiệp
    owner: Bộ Kế hoạch và Đầu tư
    gateway:
      xroad_services: [LTT/TEST/TEST1/SUB1/generate]
departments:
  - code: so-tuphap
    name: Sở Tư pháp
    gateway:
      xroad_clients: [LTT/TEST/TEST1/SUB1]
  - code: so-khdt
    name: Sở Kế hoạch và Đầu tư
    gateway:
      xroad_clients: [LTT/TEST/TEST2/SUB2]
obligations:
  - {department: so-tuphap, system: ho-tich, kind: maintain, basis: "Điều 6 khoản 8 điểm b"}
  - {department: so-khdt, system: csdl-dkdn, kind: maintain, basis: "Điều 6 khoản 5 điểm c"}
"""

PIZZASHACK_REGISTRY = """\
version: 1
province: {code: "24", name: "Bắc Ninh"}
systems:
  - code: csdl-dkdn
    name: Cơ sở dữ liệu quốc gia về Đăng ký doanh nghiệp
    owner: Bộ Kế hoạch và Đầu tư
    gateway:
      wso2_apis: [/pizzashack]
departments:
  - code: so-khdt
    name: Sở Kế hoạch và Đầu tư
    gateway:
      wso2_applications: [DefaultApplication]
obligations:
  - {department: so-khdt, system: csdl-dkdn, kind: maintain, basis: "Điều 6 khoản 5 điểm c"}
"""
