"""`xroad-opmon`: getSecurityServerOperationalData pulled from a stand-in security server.

The stand-in (tests/xroad_server.py) answers as the X-Road operational monitoring
protocol (PR-OPMON 1.6, nordic-institute/X-Road doc/OperationalMonitoring/Protocols/
pr-opmon_x-road_operational_monitoring_protocol_Y-1096-2.md) says, over TLS with a
client certificate. Records are built from the fields of its Annex B schema
(tests/gateway_samples.py: xroad_record) and X-Road Metrics' fixture records.
"""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from intake.sources.common import SourceDown, SourceStatus
from intake.sources.xroad_opmon import XroadOpmon, XroadOpmonConfig, parse_response, soap_request
from registry import Registry, load_registry
from store.sources import read_sources
from tests.gateway_samples import LTT_REGISTRY, METRICS_FIXTURE, registry_file, xroad_record
from tests.xroad_server import Certificates, StandIn, make_certificates, security_server

OWNER = ("VN", "GOV", "000-00-000001")
CLIENT = "VN/GOV/000-00-000001/lienthong"
SERVER = "VN/GOV/000-00-000001/ss1"

# PR-OPMON Annex C.1, the example request, quoted whole.
ANNEX_C1 = """<?xml version="1.0" encoding="utf-8"?>
<SOAP-ENV:Envelope
    xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"
    xmlns:xroad="http://x-road.eu/xsd/xroad.xsd"
    xmlns:om="http://x-road.eu/xsd/op-monitoring.xsd"
    xmlns:id="http://x-road.eu/xsd/identifiers">
  <SOAP-ENV:Header>
    <xroad:client id:objectType="SUBSYSTEM">
      <id:xRoadInstance>EE</id:xRoadInstance>
      <id:memberClass>GOV</id:memberClass>
      <id:memberCode>00000001</id:memberCode>
      <id:subsystemCode>System1</id:subsystemCode>
    </xroad:client>
    <xroad:service id:objectType="SERVICE">
      <id:xRoadInstance>EE</id:xRoadInstance>
      <id:memberClass>GOV</id:memberClass>
      <id:memberCode>00000001</id:memberCode>
      <id:serviceCode>getSecurityServerOperationalData</id:serviceCode>
    </xroad:service>
    <xroad:securityServer id:objectType="SERVER">
      <id:xRoadInstance>EE</id:xRoadInstance>
      <id:memberClass>GOV</id:memberClass>
      <id:memberCode>00000001</id:memberCode>
      <id:serverCode>00000001_1</id:serverCode>
    </xroad:securityServer>
    <xroad:id>1KNtf07U6qIyOcJnkirRaE0hRe4bM7WF</xroad:id>
    <xroad:protocolVersion>4.0</xroad:protocolVersion>
  </SOAP-ENV:Header>
  <SOAP-ENV:Body>
    <om:getSecurityServerOperationalData>
      <om:searchCriteria>
        <om:recordsFrom>1480512828</om:recordsFrom>
        <om:recordsTo>1480512832</om:recordsTo>
      </om:searchCriteria>
    </om:getSecurityServerOperationalData>
  </SOAP-ENV:Body>
</SOAP-ENV:Envelope>
"""


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("certs"))


@pytest.fixture
def gateway_registry(tmp_path: Path) -> Registry:
    return load_registry(str(registry_file(tmp_path)))


def records(n: int, since: int) -> list[dict[str, Any]]:
    """n client records of distinct exchanges, one per second of monitoringDataTs from `since`."""
    found = []
    for i in range(n):
        at = datetime.fromtimestamp(since + i, UTC)
        record = xroad_record(f"msg-{since}-{i}", "Client", at, succeeded=i % 5 != 0)
        record["monitoringDataTs"] = since + i
        found.append(record)
    return found


def config(url: str, certificates: Certificates, **extra: Any) -> XroadOpmonConfig:
    return XroadOpmonConfig(
        name="vdxp-ss1",
        kind="xroad-opmon",
        url=url,
        client=CLIENT,
        server=SERVER,
        platform="vdxp",
        tls_cert=str(certificates.client_cert),
        tls_key=str(certificates.client_key),
        tls_ca=str(certificates.ca),
        **extra,
    )


def puller(cfg: XroadOpmonConfig, registry: Registry, engine: Engine) -> XroadOpmon:
    return XroadOpmon(cfg, registry, engine, SourceStatus(cfg.name, cfg.kind, cfg.interval))


def stored(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM transactions")).scalar_one())


def _shape(element: ET.Element) -> list[str]:
    return [e.tag for e in element.iter()]


def test_the_request_has_the_shape_of_annex_c1() -> None:
    cfg = XroadOpmonConfig(
        name="x", kind="xroad-opmon", url="https://ss", client="EE/GOV/00000001/System1",
        server="EE/GOV/00000001/00000001_1",
    )  # fmt: skip
    ours = ET.fromstring(
        soap_request(cfg, 1480512828, 1480512832, "1KNtf07U6qIyOcJnkirRaE0hRe4bM7WF")
    )
    annex = ET.fromstring(ANNEX_C1.encode())
    assert _shape(ours) == _shape(annex)
    texts = [(e.tag, (e.text or "").strip(), sorted(e.attrib.items())) for e in ours.iter()]
    assert texts == [
        (e.tag, (e.text or "").strip(), sorted(e.attrib.items())) for e in annex.iter()
    ]


async def test_every_page_is_stored_once_with_the_position_after_it(
    certificates: Certificates, gateway_registry: Registry, engine: Engine
) -> None:
    since = int(time.time()) - 3600
    stand_in = StandIn(OWNER, "ss1", records(250, since), max_records=100)
    async with security_server(stand_in, certificates) as url:
        # recordsTo 3,000 s back: records the server stores later come after the position.
        source = puller(config(url, certificates, records_to_offset=3000), gateway_registry, engine)
        await source.read()
        assert stored(engine) == 250
        assert len(stand_in.requests) == 3  # 100 + 100 + 50: paged by nextRecordsFrom
        assert [r[0] for r in stand_in.requests[1:]] == [since + 100, since + 200]
        position = read_sources(engine)["vdxp-ss1"].position
        assert position == {"records_from": stand_in.requests[-1][1] + 1}
        stand_in.records.extend(records(10, position["records_from"] + 100))
        restarted = puller(config(url, certificates), gateway_registry, engine)
        await restarted.read()  # from the stored position on: only what is new
        assert stored(engine) == 260
        assert stand_in.requests[3][0] == position["records_from"]
    assert source.status.records["stored"] == 250
    assert restarted.status.records == {"stored": 10}
    with engine.connect() as conn:
        failures = conn.execute(text("SELECT count(*) FROM transactions WHERE NOT success"))
        assert failures.scalar_one() == 52  # every fifth exchange failed


async def test_a_first_pull_starts_where_the_server_retention_starts(
    certificates: Certificates, gateway_registry: Registry, engine: Engine
) -> None:
    stand_in = StandIn(OWNER, "ss1", records(3, int(time.time()) - 3 * 86_400))
    async with security_server(stand_in, certificates) as url:
        source = puller(
            config(url, certificates, keep_records_for_days=2), gateway_registry, engine
        )
        before = int(time.time())
        await source.read()
    assert stored(engine) == 0  # older than the server keeps: not asked for
    assert before - 2 * 86_400 <= stand_in.requests[0][0] <= int(time.time()) - 2 * 86_400
    assert source.status.retention == 2 * 86_400


async def test_x_road_metrics_records_pair_across_two_pulls(
    certificates: Certificates, tmp_path: Path, engine: Engine
) -> None:
    """X-Road Metrics' fixture (raw_messages_batch_1.json), its records shifted to this
    hour and pulled in two pages: each exchange is stored once, in the client's view."""
    (tmp_path / "ltt.yml").write_text(LTT_REGISTRY, encoding="utf-8")
    registry = load_registry(str(tmp_path / "ltt.yml"))
    shift = int(time.time()) - 7200 - 1671066024  # the latest two hours ago
    moved = []
    for r in METRICS_FIXTURE:
        record = dict(r)
        record["monitoringDataTs"] += shift
        record["requestInTs"] += shift * 1000
        record["responseOutTs"] += shift * 1000
        moved.append(record)
    stand_in = StandIn(OWNER, "ss1", moved, max_records=4)
    async with security_server(stand_in, certificates) as url:
        await puller(config(url, certificates), registry, engine).read()
    assert len(stand_in.requests) >= 2
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT department, system, success FROM transactions ORDER BY ts_us")
        ).all()
    # Five exchanges of the fixture map to an obligation; the unknown service's fault too.
    assert sum(1 for r in rows if r.success) == 5
    assert sum(1 for r in rows if not r.success) == 1


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        # As a person reads them: in Vietnamese, the default language.
        ("html", r"trả về một trang HTML \(HTTP 502\), không phải thông điệp SOAP"),
        ("error500", r"máy chủ an ninh trả về HTTP 500"),
        ("malformed", "phản hồi sai định dạng: không phải XML"),
        ("huge", "phản hồi lớn hơn 1 MiB: không đọc"),
        ("hang", r"không có phản hồi trong 0\.5 giây"),
    ],
)
async def test_a_bad_answer_marks_the_source_down_and_keeps_its_position(
    mode: str, reason: str, certificates: Certificates, gateway_registry: Registry, engine: Engine
) -> None:
    since = int(time.time()) - 3600
    stand_in = StandIn(OWNER, "ss1", records(30, since), max_records=10)
    async with security_server(stand_in, certificates) as url:
        source = puller(
            config(url, certificates, timeout=0.5, max_response=1 << 20, records_to_offset=3000),
            gateway_registry,
            engine,
        )
        await source.read()
        assert stored(engine) == 30
        position = read_sources(engine)["vdxp-ss1"].position
        assert position is not None
        stand_in.records.extend(records(30, position["records_from"] + 60))
        stand_in.mode = mode
        source = puller(
            config(url, certificates, timeout=0.5, max_response=1 << 20), gateway_registry, engine
        )
        with pytest.raises(SourceDown, match=reason):
            await source.read()
        assert stored(engine) == 30
        assert read_sources(engine)["vdxp-ss1"].position == position
        stand_in.mode = "ok"
        await source.read()  # mended: from the kept position
    assert stored(engine) == 60


async def test_a_soap_fault_is_the_reason_given() -> None:
    fault = (
        b'<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/">'
        b"<SOAP-ENV:Body><SOAP-ENV:Fault><faultcode>Server.ServerProxy.AccessDenied</faultcode>"
        b"<faultstring>Request is not allowed</faultstring></SOAP-ENV:Fault></SOAP-ENV:Body>"
        b"</SOAP-ENV:Envelope>"
    )
    with pytest.raises(SourceDown, match=r"Server\.ServerProxy\.AccessDenied: Request is not"):
        parse_response(500, "text/xml; charset=UTF-8", fault)


async def test_an_entity_declaration_is_refused_before_parsing() -> None:
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
    with pytest.raises(SourceDown, match="DOCTYPE"):
        parse_response(200, "text/xml", bomb)


async def test_a_client_without_the_certificate_is_refused(
    certificates: Certificates, gateway_registry: Registry, engine: Engine
) -> None:
    stand_in = StandIn(OWNER, "ss1", records(3, int(time.time()) - 3600))
    async with security_server(stand_in, certificates) as url:
        cfg = config(url, certificates).model_copy(update={"tls_cert": None, "tls_key": None})
        with pytest.raises(SourceDown, match="không kết nối được máy chủ an ninh"):
            await puller(cfg, gateway_registry, engine).read()
    assert stand_in.requests == []
