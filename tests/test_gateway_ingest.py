"""`lienthong ingest --format wso2|xroad-opmon`: gateway exports imported with exact counts."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from lienthong.cli import main
from store import open_store
from store.writer import EPOCH, to_us
from tests.gateway_samples import (
    FAULT_SCHEMA,
    FAULT_STREAM_3_2,
    INVALID_METHOD,
    LTT_REGISTRY,
    METRICS_FIXTURE,
    PIZZASHACK_LOG_LINE,
    PIZZASHACK_REGISTRY,
    REGISTRY,
    REQUEST_STREAM_3_2,
    T0,
    metrics_log_line,
    pizzashack_fault,
    pizzashack_response,
    registry_file,
    request_id,
    stream_event_3_2,
    wso2_event,
    xroad_record,
)

# Their messages checked word for word are the English ones (Vietnamese: test_languages.py).
pytestmark = pytest.mark.usefixtures("english")


def stored(url: str) -> list[tuple[Any, ...]]:
    engine = open_store(url)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT department, system, success, record_id, source, detail, ts_us, latency_ms"
                " FROM transactions ORDER BY id"
            )
        ).all()
    engine.dispose()
    return [tuple(r) for r in rows]


def assert_rollup_exact(url: str, timezone: str = "Asia/Ho_Chi_Minh") -> None:
    """The daily rollup and the pair totals are what the stored records add up to."""
    tz = ZoneInfo(timezone)
    engine = open_store(url)
    with engine.connect() as conn:
        records = conn.execute(
            text("SELECT department, system, ts_us, success, source FROM transactions")
        ).all()
        rollup = conn.execute(
            text(
                "SELECT department, system, day, source, successes, failures, first_success_us,"
                " last_success_us FROM daily_counts"
            )
        ).all()
        totals = conn.execute(
            text(
                "SELECT department, system, source, successes, failures, last_success_us,"
                " first_success_day FROM pair_totals WHERE successes > 0 OR failures > 0"
            )
        ).all()
    engine.dispose()
    days: dict[tuple[str, str, str, str], list[Any]] = {}
    pairs: dict[tuple[str, str, str], list[Any]] = {}
    for d, s, us, ok, src in records:
        day = (EPOCH + timedelta(microseconds=us)).astimezone(tz).date().isoformat()
        v = days.setdefault((d, s, day, src), [0, 0, None, None])
        p = pairs.setdefault((d, s, src), [0, 0, None, None])
        if ok:
            v[0] += 1
            p[0] += 1
            v[2] = us if v[2] is None else min(v[2], us)
            v[3] = us if v[3] is None else max(v[3], us)
            p[2] = us if p[2] is None else max(p[2], us)
            p[3] = day if p[3] is None else min(p[3], day)
        else:
            v[1] += 1
            p[1] += 1
    assert {(d, s, str(day), src): [*rest] for d, s, day, src, *rest in rollup} == days
    assert {
        (d, s, src): [ok, failed, last, None if first is None else str(first)]
        for d, s, src, ok, failed, last, first in totals
    } == pairs


def ingest(
    url: str, registry: Path, fmt: str, *files: Path, capsys: pytest.CaptureFixture[str]
) -> tuple[int, list[str], list[str]]:
    code = main(
        ["ingest", "--format", fmt, "--db", url, "--registry", str(registry), *map(str, files)]
    )
    out = capsys.readouterr()
    return code, out.out.splitlines(), out.err.splitlines()


def test_wso2_metrics_log(
    store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    registry = registry_file(tmp_path)
    fault = {
        "apiName": "CSDLDKDN",
        "apiContext": "/apiCSDLDKDN/1.0",
        "applicationName": "so-khdt-app",
        "correlationId": "c0ffee00-0000-4000-8000-000000000003",
        "requestTimestamp": "2026-10-05T02:03:00.000Z",
        "errorType": "TARGET_CONNECTIVITY",
        "errorCode": 101503,
        "errorMessage": "Error connecting to the back end",
        "eventType": "fault",
    }
    log = tmp_path / "apim_metrics.log"
    log.write_text(
        metrics_log_line(wso2_event(1))
        + metrics_log_line(wso2_event(2, status=503))
        + metrics_log_line(fault, "apim:faulty")
        + metrics_log_line(wso2_event(4, context=None))  # by apiName
        + metrics_log_line(
            wso2_event(5, "so-tuphap-app", "/apiHoTichTuPhap/v2", apiName="HoTichTuPhap")
        )
        + metrics_log_line(wso2_event(6, "ung-dung-khac"))  # unknown application
        + metrics_log_line(wso2_event(7, "so-khdt-app", "/apiHoTichTuPhap/v2"))  # no obligation
        + "08:23:30,001 [-] [main]  INFO ELKCounterMetric analytics reporter started\n"
        + metrics_log_line(wso2_event(1)),  # the same event again
        encoding="utf-8",
    )
    code, out, _ = ingest(store_url, registry, "wso2", log, capsys=capsys)
    assert code == 0
    assert out[0].endswith(
        "8 events: 5 stored, 1 duplicates, 2 of no obligation (not stored)"
        + out[0][out[0].index(", in ") :]
    )
    assert (
        f"{log}:   no obligation for application 'ung-dung-khac' → API '/apiCSDLDKDN/1.0': 1" in out
    )
    assert (
        f"{log}:   no obligation for application 'so-khdt-app' → API '/apiHoTichTuPhap/v2': 1"
        in out
    )
    assert f"{log}: 1 lines that are not analytics events, skipped" in out
    assert any("cannot show an error code" in line for line in out)
    rows = stored(store_url)
    assert [(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows] == [
        (
            "so-khdt",
            "csdl-dkdn",
            True,
            "wso2:c0ffee00-0000-4000-8000-000000000001",
            "gateway",
            None,
        ),
        (
            "so-khdt",
            "csdl-dkdn",
            False,
            "wso2:c0ffee00-0000-4000-8000-000000000002",
            "gateway",
            "HTTP 503",
        ),
        (
            "so-khdt",
            "csdl-dkdn",
            False,
            "wso2:c0ffee00-0000-4000-8000-000000000003",
            "gateway",
            "TARGET_CONNECTIVITY 101503: Error connecting to the back end",
        ),
        (
            "so-khdt",
            "csdl-dkdn",
            True,
            "wso2:c0ffee00-0000-4000-8000-000000000004",
            "gateway",
            None,
        ),
        (
            "so-tuphap",
            "ho-tich",
            True,
            "wso2:c0ffee00-0000-4000-8000-000000000005",
            "gateway",
            None,
        ),
    ]
    assert rows[0][6] == to_us(datetime(2026, 10, 5, 2, 1, 0, 913_000, tzinfo=UTC))
    assert rows[0][7] == 42
    # Imported again: nothing new.
    code, out, _ = ingest(store_url, registry, "wso2", log, capsys=capsys)
    assert code == 0 and "8 events: 0 stored, 6 duplicates" in out[0]


def test_wso2_json_lines_of_api_m_3_2_and_csv(
    store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    registry = registry_file(tmp_path)
    stream = tmp_path / "request-stream.jsonl"
    events = [
        {
            "applicationConsumerKey": "k3y",
            "applicationName": "so-khdt-app",
            "apiContext": "/apiCSDLDKDN/1.0.0",
            "apiName": "CSDLDKDN",
            "responseCode": code,
            "requestTimestamp": 1_791_166_260_000 + i,
            "responseTime": 12,
        }
        for i, code in enumerate((200, 404))
    ]
    stream.write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
    code, out, err = ingest(store_url, registry, "wso2", stream, capsys=capsys)
    assert code == 0 and "2 events: 2 stored, 0 duplicates" in out[0]
    assert "2 records without an id" in err[0]
    export = tmp_path / "analytics.csv"
    export.write_text(
        "apiName,apiContext,applicationName,proxyResponseCode,requestTimestamp,correlationId,"
        "responseLatency,errorType,errorMessage\n"
        "HoTichTuPhap,/apiHoTichTuPhap,so-tuphap-app,200,2026-10-05T03:00:00.000Z,id-1,30,,\n"
        "HoTichTuPhap,/apiHoTichTuPhap,so-tuphap-app,201,2026-10-05T03:01:00.000Z,id-2,31.5,,\n"
        "HoTichTuPhap,/apiHoTichTuPhap,so-tuphap-app,,2026-10-05T03:02:00.000Z,id-3,,"
        "AUTH,Không có quyền truy cập\n",
        encoding="utf-8",
    )
    code, out, _ = ingest(store_url, registry, "wso2", export, capsys=capsys)
    assert code == 0 and "3 events: 3 stored, 0 duplicates" in out[0]
    rows = stored(store_url)
    assert [(r[2], r[5]) for r in rows] == [
        (True, None),
        (False, "HTTP 404"),
        (True, None),
        (True, None),
        (False, "AUTH: Không có quyền truy cập"),
    ]
    assert rows[1][6] == 1_791_166_260_001_000  # epoch milliseconds, API-M 3.2
    assert rows[3][7] == 31.5


def test_wso2_file_with_a_bad_event_stores_nothing(
    store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    registry = registry_file(tmp_path)
    stream = tmp_path / "events.jsonl"
    no_time = wso2_event(2)
    del no_time["requestTimestamp"]
    stream.write_text(
        json.dumps(wso2_event(1))
        + "\n"
        + json.dumps(no_time)
        + "\n{broken\n"
        + json.dumps(wso2_event(4, proxyResponseCode="OK"))
        + "\n",
        encoding="utf-8",
    )
    code, _, err = ingest(store_url, registry, "wso2", stream, capsys=capsys)
    assert code == 1
    assert f"{stream}:2: requestTimestamp: is required (ISO time or epoch milliseconds)" in err
    assert any(line.startswith(f"{stream}:3: not valid JSON") for line in err)
    assert f"{stream}:4: proxyResponseCode: missing (nor responseCode, nor a fault)" in err
    assert err[-1] == f"{stream}: 4 events, 3 invalid: nothing stored"
    assert stored(store_url) == []


def exchange_records() -> list[dict[str, Any]]:
    s = timedelta(seconds=1)
    tuphap = ("VN", "GOV", "H04-TP", "mot-cua")
    return [
        xroad_record("m1", "Client", T0),
        xroad_record("m1", "Producer", T0),
        xroad_record("m2", "Client", T0 + s, succeeded=False),
        xroad_record("m2", "Producer", T0 + s),
        xroad_record("m3", "Client", T0 + 2 * s),
        xroad_record("m4", "Producer", T0 + 3 * s),
        xroad_record("m1", "Client", T0),  # the same record twice (overlapping exports)
        xroad_record(None, "Client", T0 + 4 * s),
        xroad_record("m5", "Client", T0 + 5 * s, client=("VN", "COM", "12345678", "erp")),
        xroad_record(
            "m6",
            "Client",
            T0 + 6 * s,
            client=tuphap,
            service=("VN", "GOV", "B05", "hotich", "traCuuHoTich"),
        ),
        xroad_record(
            "m6b",
            "Client",
            T0 + 7 * s,
            client=tuphap,
            service=("VN", "GOV", "B05", "hotich", "khac"),
        ),
        xroad_record("m7", "Client", T0 + 10 * s),
        xroad_record("m7", "Producer", T0 + 300 * s),  # too far from its client record to pair
    ]


def test_xroad_exchanges_are_paired_and_counted_once(
    store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    registry = registry_file(tmp_path)
    document = tmp_path / "opdata.json"
    document.write_text(json.dumps({"records": exchange_records()}, indent=1), encoding="utf-8")
    code, out, _ = ingest(store_url, registry, "xroad-opmon", document, capsys=capsys)
    assert code == 0, out
    assert "10 exchanges: 8 stored, 0 duplicates, 2 of no obligation (not stored)" in out[0]
    assert (
        f"{document}: 13 X-Road records → 10 exchanges: 2 paired (client and producer record),"
        " 5 client record only, 2 producer record only; 1 duplicate records dropped;"
        " 1 records without xRequestId or messageId (not paired)"
    ) in out
    assert (
        f"{document}:   no obligation for client 'VN/COM/12345678/erp' →"
        " service 'VN/GOV/B11/dkdn/getDoanhNghiep': 1"
    ) in out
    rows = stored(store_url)
    by_id = {r[3]: r for r in rows}
    s = timedelta(seconds=1)

    def xid(message: str, at: datetime) -> str:
        return f"xroad:{request_id(message, at)}"

    assert set(by_id) == {
        xid("m1", T0),
        xid("m2", T0 + s),
        xid("m3", T0 + 2 * s),
        xid("m4", T0 + 3 * s),
        xid("m6", T0 + 6 * s),
        xid("m7", T0 + 10 * s),
        xid("m7", T0 + 300 * s),  # another exchange: its own xRequestId
    } | {r[3] for r in rows if r[3].startswith("xroad:record:")}
    assert len(rows) == 8
    t0_us = int(T0.timestamp()) * 1_000_000
    m1 = by_id[xid("m1", T0)]
    assert m1[:3] == ("so-khdt", "csdl-dkdn", True)
    assert m1[6] == t0_us and m1[7] == 100
    # Client failed, producer succeeded: the client's end-to-end view counts.
    m2 = by_id[xid("m2", T0 + s)]
    assert not m2[2]
    assert m2[5] == "Server.ServerProxy.ServiceFailed: Hệ thống quốc gia không phản hồi"
    assert by_id[xid("m4", T0 + 3 * s)][6] == t0_us + 3_040_000  # the producer's requestInTs
    assert by_id[xid("m6", T0 + 6 * s)][:2] == ("so-tuphap", "ho-tich")
    assert_rollup_exact(store_url)
    # The same records as gzipped JSON lines: every exchange is already there.
    lines = tmp_path / "opdata.jsonl.gz"
    with gzip.open(lines, "wt", encoding="utf-8") as f:
        f.writelines(json.dumps(r) + "\n" for r in exchange_records())
    code, out, _ = ingest(store_url, registry, "xroad-opmon", lines, capsys=capsys)
    assert code == 0 and "10 exchanges: 0 stored, 8 duplicates" in out[0]
    assert len(stored(store_url)) == 8


def test_xroad_malformed_records_store_nothing(
    store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    registry = registry_file(tmp_path)
    records = exchange_records()[:4]
    records[1]["requestInTs"] = "yesterday"
    records[3]["securityServerType"] = "Proxy"
    path = tmp_path / "opdata.json"
    path.write_text(json.dumps({"records": records}, indent=1), encoding="utf-8")
    code, _, err = ingest(store_url, registry, "xroad-opmon", path, capsys=capsys)
    assert code == 1
    assert any(line.endswith("requestInTs: must be milliseconds since the epoch") for line in err)
    assert any(
        line.endswith("securityServerType: must be Client or Producer, not 'Proxy'") for line in err
    )
    assert stored(store_url) == []
    truncated = tmp_path / "cut.json"
    truncated.write_text(json.dumps({"records": exchange_records()})[:-200], encoding="utf-8")
    code, _, err = ingest(store_url, registry, "xroad-opmon", truncated, capsys=capsys)
    assert code == 1 and err[-1].startswith(f"lienthong: {truncated}:1: not valid JSON")
    assert stored(store_url) == []


def test_gateway_mapping_errors_are_reported_at_their_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "registry.yml"
    path.write_text(
        REGISTRY.replace(
            "wso2_applications: [so-tuphap-app]", "wso2_applications: [so-tuphap-app, so-khdt-app]"
        ).replace("xroad_clients: [VN/GOV/H04-TP/mot-cua]", "xroad_clients: [VN/GOV]"),
        encoding="utf-8",
    )
    assert main(["registry", "validate", str(path)]) == 1
    err = capsys.readouterr().err.splitlines()
    lines = REGISTRY.splitlines()
    tuphap_apps = next(i for i, t in enumerate(lines, 1) if "so-tuphap-app" in t)
    khdt_apps = next(i for i, t in enumerate(lines, 1) if "[so-khdt-app]" in t)
    tuphap_clients = next(i for i, t in enumerate(lines, 1) if "mot-cua" in t)
    assert err == [
        f"{path}:{tuphap_clients}: xroad_clients: 'VN/GOV' is not an X-Road client:"
        " INSTANCE/CLASS/MEMBER or INSTANCE/CLASS/MEMBER/SUBSYSTEM"
    ]
    path.write_text(
        REGISTRY.replace(
            "wso2_applications: [so-tuphap-app]", "wso2_applications: [so-tuphap-app, so-khdt-app]"
        ),
        encoding="utf-8",
    )
    assert main(["registry", "validate", str(path)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"{path}:{tuphap_apps}: WSO2 application 'so-khdt-app' is already mapped to so-khdt"
        f" (first at {path}:{khdt_apps})"
    ]


# -- Records as the real systems write them (issue 11) -----------------------------------


def write_registry(folder: Path, text_: str, name: str = "registry.yml") -> Path:
    path = folder / name
    path.write_text(text_, encoding="utf-8")
    return path


def log_line(event: dict[str, Any], kind: str = "apim:response") -> str:
    """A documented log line's prefix with these properties."""
    prefix = PIZZASHACK_LOG_LINE.split("apimMetrics:", 1)[0]
    return f"{prefix}apimMetrics: {kind}, properties :{json.dumps(event)}\n"


def test_wso2_documented_log_line_and_every_time_java_prints(
    store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    registry = write_registry(tmp_path, PIZZASHACK_REGISTRY)
    event = pizzashack_response()
    times = {
        "c-1": "2022-12-15T02:53Z",  # OffsetDateTime.toString() on a whole minute
        "c-2": "2022-12-15T02:53:07Z",
        "c-3": "2022-12-15T02:53:07.5Z",
        "c-4": "2022-12-15T02:53:07.123456789Z",
        "c-5": "2022-12-15T09:53+07:00",
    }
    log = tmp_path / "apim_metrics.log"
    log.write_text(
        PIZZASHACK_LOG_LINE
        + "\n"
        + "".join(
            log_line({**event, "correlationId": c, "requestTimestamp": t}) for c, t in times.items()
        ),
        encoding="utf-8",
    )
    code, out, err = ingest(store_url, registry, "wso2", log, capsys=capsys)
    assert code == 0, err
    assert "6 events: 6 stored, 0 duplicates" in out[0]
    stamps = {r[3]: r[6] for r in stored(store_url)}
    minute = datetime(2022, 12, 15, 2, 53, tzinfo=UTC)
    assert stamps == {
        "wso2:02951f10-5934-456d-b608-7cd85b3f7c9d": to_us(
            minute + timedelta(seconds=34, milliseconds=894)
        ),
        "wso2:c-1": to_us(minute),
        "wso2:c-2": to_us(minute + timedelta(seconds=7)),
        "wso2:c-3": to_us(minute + timedelta(seconds=7.5)),
        "wso2:c-4": to_us(minute + timedelta(seconds=7, microseconds=123456)),
        "wso2:c-5": to_us(minute),
    }
    # The gateway formats take Java's forms; a time Java never prints is still malformed.
    bad = tmp_path / "bad.log"
    bad.write_text(log_line({**event, "requestTimestamp": "15/12/2022 02:53"}), encoding="utf-8")
    code, _, err = ingest(store_url, registry, "wso2", bad, capsys=capsys)
    assert code == 1
    assert any(
        line.startswith(f"{bad}:1: requestTimestamp: '15/12/2022 02:53' is not a time like")
        for line in err
    )


def test_wso2_faults_map_through_what_they_carry(
    store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    registry = write_registry(tmp_path, PIZZASHACK_REGISTRY)
    assert "apiContext" not in FAULT_SCHEMA
    # A fault before the first response of its API in the file, the response, a fault after.
    log = tmp_path / "apim_metrics.log"
    log.write_text(
        log_line(pizzashack_fault("f-1", "2022-12-15T02:50:00.100Z"), "apim:faulty")
        + PIZZASHACK_LOG_LINE
        + "\n"
        + log_line(pizzashack_fault("f-2", "2022-12-15T02:55Z"), "apim:faulty"),
        encoding="utf-8",
    )
    code, out, err = ingest(store_url, registry, "wso2", log, capsys=capsys)
    assert code == 0, err
    assert "3 events: 3 stored, 0 duplicates" in out[0]
    rows = {r[3]: r for r in stored(store_url)}
    for fault in ("wso2:f-1", "wso2:f-2"):
        assert rows[fault][:3] == ("so-khdt", "csdl-dkdn", False)
        assert rows[fault][5] == "TARGET_CONNECTIVITY 101503: Error connecting to the back end"
    # The rotated file holds only faults: the context learned above, kept in the store.
    rotated = tmp_path / "apim_metrics-12-16-2022-1.log"
    rotated.write_text(
        log_line(pizzashack_fault("f-3", "2022-12-16T01:00Z"), "apim:faulty"), encoding="utf-8"
    )
    code, out, err = ingest(store_url, registry, "wso2", rotated, capsys=capsys)
    assert code == 0 and "1 events: 1 stored, 0 duplicates" in out[0], err
    # A fault of an API never seen answering: why it maps nowhere, and what to declare.
    other = {
        **pizzashack_fault("f-4", "2022-12-16T01:01Z"),
        "apiName": "HoTichAPI",
        "apiVersion": "2.0",
        "apiId": "0c7c1b4e-2f3a-4d5e-8f90-123456789abc",
    }
    lone = tmp_path / "lone.log"
    lone.write_text(log_line(other, "apim:faulty"), encoding="utf-8")
    code, out, err = ingest(store_url, registry, "wso2", lone, capsys=capsys)
    assert code == 0 and "1 events: 0 stored, 0 duplicates, 1 of no obligation" in out[0]
    assert (
        f"{lone}:   no obligation for application 'DefaultApplication' → API 'HoTichAPI' 2.0"
        " (apiId 0c7c1b4e-2f3a-4d5e-8f90-123456789abc): an event without apiContext, and no"
        " response event of this API seen to learn it; declare wso2_apis: [HoTichAPI] or"
        " wso2_api_ids: [0c7c1b4e-2f3a-4d5e-8f90-123456789abc] on its system in the registry: 1"
    ) in out
    assert err[0].startswith(
        f"{lone}: warning: no event maps to an obligation; the first was application"
        " 'DefaultApplication' → API 'HoTichAPI' 2.0 (apiId 0c7c1b4e-2f3a-4d5e-8f90-123456789abc)"
    )
    assert err[0].endswith(": see the gateway: keys of the registry")
    # Declared by its id, the same fault maps.
    declared = write_registry(
        tmp_path,
        PIZZASHACK_REGISTRY.replace(
            "wso2_apis: [/pizzashack]",
            "wso2_apis: [/pizzashack]\n      wso2_api_ids: [0c7c1b4e-2f3a-4d5e-8f90-123456789abc]",
        ),
        "declared.yml",
    )
    code, out, err = ingest(store_url, declared, "wso2", lone, capsys=capsys)
    assert code == 0 and "1 events: 1 stored, 0 duplicates" in out[0], err
    assert len(stored(store_url)) == 5
    assert_rollup_exact(store_url)


def test_wso2_api_m_3_2_request_and_fault_streams(
    store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    registry = write_registry(tmp_path, PIZZASHACK_REGISTRY)
    common = {
        "applicationName": "DefaultApplication",
        "apiContext": "/pizzashack/1.0.0",
        "apiName": "PizzaShackAPI",
        "apiVersion": "1.0.0",
    }
    request = stream_event_3_2(
        REQUEST_STREAM_3_2,
        **common,
        meta_clientType='{"keyType":"PRODUCTION","correlationID":"3b1f0c2e-request"}',
        requestTimestamp=1_671_072_814_894,
        responseTime=4,
        responseCode=200,
        throttledOut=False,
        responseCacheHit=False,
    )
    fault = stream_event_3_2(
        FAULT_STREAM_3_2,
        **common,
        meta_clientType='{"keyType":"PRODUCTION","correlationID":"3b1f0c2e-fault"}',
        errorCode="101503",
        errorMessage="Error connecting to the back end",
        requestTimestamp=1_671_072_815_000,
    )
    assert not {"responseCode", "errorType", "eventType"} & set(fault)
    stream = tmp_path / "streams.jsonl"
    stream.write_text(json.dumps(request) + "\n" + json.dumps(fault) + "\n", encoding="utf-8")
    code, out, err = ingest(store_url, registry, "wso2", stream, capsys=capsys)
    assert code == 0, err
    assert "2 events: 2 stored, 0 duplicates" in out[0]
    assert not err  # every event has its id: no "without an id" note
    rows = stored(store_url)
    assert [(r[2], r[3], r[5]) for r in rows] == [
        (True, "wso2:3b1f0c2e-request", None),
        (False, "wso2:3b1f0c2e-fault", "101503: Error connecting to the back end"),
    ]
    # Imported again: each call counted once.
    code, out, _ = ingest(store_url, registry, "wso2", stream, capsys=capsys)
    assert code == 0 and "2 events: 0 stored, 2 duplicates" in out[0]


def fixture_rows(url: str) -> set[tuple[Any, ...]]:
    return {(r[0], r[1], r[2], r[3], r[5], r[6], r[7]) for r in stored(url)}


def test_xroad_metrics_fixture_pairs_in_any_order(
    store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    registry = write_registry(tmp_path, LTT_REGISTRY)
    document = tmp_path / "ss.json"
    document.write_text(
        json.dumps({"records": [*METRICS_FIXTURE, INVALID_METHOD, INVALID_METHOD]}),
        encoding="utf-8",
    )
    code, out, err = ingest(store_url, registry, "xroad-opmon", document, capsys=capsys)
    assert code == 0, err
    assert "8 exchanges: 6 stored, 0 duplicates, 2 of no obligation" in out[0]
    assert (
        f"{document}: 11 X-Road records → 8 exchanges: 3 paired (client and producer record),"
        " 1 client record only, 2 producer record only; 0 duplicate records dropped;"
        " 2 records without xRequestId or messageId (not paired)"
    ) in out
    rows = fixture_rows(store_url)
    ms = 1000
    assert {r for r in rows if not r[3].startswith("xroad:record:")} == {
        # Paired, producer first in the file: the client's view.
        ("so-tuphap", "ho-tich", True, "xroad:2c2fd07d-146b-4cc9-8844-2e08d65d5879", None,
         1671066024362 * ms, 41.0),
        # Paired, 16 ms apart, ten hours before the records read before it.
        ("so-tuphap", "ho-tich", True, "xroad:c17d7a71-97f0-4b2a-b1a3-5d0a74c1d5c7", None,
         1671030116655 * ms, 51.0),
        ("so-khdt", "csdl-dkdn", True, "xroad:f37b5fe9-6c32-4fcc-b289-52fdc4a8e2d1", None,
         1671024481895 * ms, 1868.0),
        # messageId "test" twice: two exchanges, both kept.
        ("so-tuphap", "ho-tich", True, "xroad:91578433-64b7-4e2f-a2ab-1d8858ca04b7", None,
         1671026448667 * ms, 10.0),
        ("so-tuphap", "ho-tich", False, "xroad:a7351790-8fba-428d-852b-e4b6e8cbcca8",
         "Server.ServerProxy.UnknownService: Unknown service:"
         " SERVICE:LTT/TEST/TEST2/SUB2/doesnotexist", 1671025861977 * ms, 23.0),
        ("so-tuphap", "ho-tich", True, "xroad:c29a03c1-c9a8-48a2-9214-8e5fa54b615c", None,
         1671058831902 * ms, 12.0),
    }  # fmt: skip
    assert_rollup_exact(store_url)
    # The same records in the reverse order, and sorted by requestInTs, into fresh stores.
    for n, order in enumerate(
        (METRICS_FIXTURE[::-1], sorted(METRICS_FIXTURE, key=lambda r: r["requestInTs"]))
    ):
        other = tmp_path / f"other-{n}.json"
        other.write_text(json.dumps({"records": order}), encoding="utf-8")
        fresh = store_url.replace("store.db", f"other-{n}.db") if "sqlite" in store_url else None
        if fresh is None:
            code, out, _ = ingest(store_url, registry, "xroad-opmon", other, capsys=capsys)
            assert code == 0 and "6 exchanges: 0 stored, 6 duplicates" in out[0]
            continue
        code, out, _ = ingest(fresh, registry, "xroad-opmon", other, capsys=capsys)
        assert code == 0 and "6 exchanges: 6 stored" in out[0]
        assert fixture_rows(fresh) == {r for r in rows if not r[3].startswith("xroad:record:")}


def test_xroad_stored_exchange_converges_to_the_clients_view(
    store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    registry = write_registry(tmp_path, LTT_REGISTRY)
    producers = [r for r in METRICS_FIXTURE if r["securityServerType"] == "Producer"]
    clients = [r for r in METRICS_FIXTURE if r["securityServerType"] == "Client"]
    # The client failed where the producer succeeded (the answer never got back).
    failed = {
        **clients[0],
        "succeeded": False,
        "faultCode": "Server.ClientProxy.NetworkError",
        "faultString": "Could not connect to any target host",
    }
    producer_file = tmp_path / "producer-ss.json"
    producer_file.write_text(json.dumps({"records": producers}), encoding="utf-8")
    client_file = tmp_path / "client-ss.json"
    client_file.write_text(json.dumps({"records": [failed, *clients[1:]]}), encoding="utf-8")

    code, out, err = ingest(store_url, registry, "xroad-opmon", producer_file, capsys=capsys)
    assert code == 0 and "5 exchanges: 5 stored, 0 duplicates" in out[0], err
    assert_rollup_exact(store_url)
    code, out, err = ingest(store_url, registry, "xroad-opmon", client_file, capsys=capsys)
    assert code == 0, err
    assert "4 exchanges: 1 stored, 3 duplicates" in out[0]
    assert (
        f"{client_file}: 3 exchanges stored from the producer's record now as the client saw them"
        in out
    )
    assert_rollup_exact(store_url)
    converged = fixture_rows(store_url)
    # Again, nothing changes; and the other import order gives the same store.
    code, out, _ = ingest(store_url, registry, "xroad-opmon", client_file, capsys=capsys)
    assert code == 0 and "4 exchanges: 0 stored, 4 duplicates" in out[0]
    code, out, _ = ingest(store_url, registry, "xroad-opmon", producer_file, capsys=capsys)
    assert code == 0 and "5 exchanges: 0 stored, 5 duplicates" in out[0]
    assert fixture_rows(store_url) == converged
    assert_rollup_exact(store_url)
    first = next(r for r in converged if r[3] == "xroad:2c2fd07d-146b-4cc9-8844-2e08d65d5879")
    assert first[2:] == (
        False,
        "xroad:2c2fd07d-146b-4cc9-8844-2e08d65d5879",
        "Server.ClientProxy.NetworkError: Could not connect to any target host",
        1671066024362_000,
        41.0,
    )
    # The monthly report reads the client's outcomes, each exchange once.
    assert (
        main(["report", "--month", "2022-12", "--db", store_url, "--registry", str(registry)]) == 0
    )
    report = {r["department"]: r for r in json.loads(capsys.readouterr().out)["rows"]}
    tuphap, khdt = report["so-tuphap"], report["so-khdt"]
    assert (tuphap["successes"], tuphap["failures"]) == (3, 2)
    assert tuphap["first_success"] == "2022-12-14T21:00:48.667000+07:00"  # getRandom, producer
    assert tuphap["last_success"] == "2022-12-15T06:00:31.902000+07:00"  # no longer 9f0bdaed
    assert (khdt["successes"], khdt["failures"]) == (1, 0)
    assert khdt["first_success"] == khdt["last_success"] == "2022-12-14T20:28:01.895000+07:00"
    if "sqlite" in store_url:
        reverse = store_url.replace("store.db", "reverse.db")
        for path in (client_file, producer_file):
            assert ingest(reverse, registry, "xroad-opmon", path, capsys=capsys)[0] == 0
        assert fixture_rows(reverse) == converged


def test_xroad_records_the_gateway_wrote_incomplete_are_skipped(
    store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    registry = write_registry(tmp_path, LTT_REGISTRY)
    # X-Road 6.22 wrote some records without these fields (issue 11; X-Road Metrics skips
    # them): the fixture's records with the field taken out.
    no_start = {k: v for k, v in METRICS_FIXTURE[2].items() if k != "requestInTs"}
    no_side = {k: v for k, v in METRICS_FIXTURE[3].items() if k != "securityServerType"}
    path = tmp_path / "ss-6.22.json"
    path.write_text(
        json.dumps({"records": [no_start, no_side, *METRICS_FIXTURE[:2]]}), encoding="utf-8"
    )
    code, out, err = ingest(store_url, registry, "xroad-opmon", path, capsys=capsys)
    assert code == 0, err
    assert "1 exchanges: 1 stored, 0 duplicates" in out[0]
    assert (
        f"{path}: 2 records the security server wrote incomplete (no requestInTs or"
        " securityServerType), skipped"
    ) in out
    # A wrong shape is still malformed: nothing stored.
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"records": [{**no_start, "requestInTs": "x"}]}), encoding="utf-8")
    code, _, err = ingest(store_url, registry, "xroad-opmon", broken, capsys=capsys)
    assert code == 1 and err[-1] == f"{broken}: 1 exchanges, 1 invalid: nothing stored"


def rollup_days(url: str) -> list[str]:
    engine = open_store(url)
    with engine.connect() as conn:
        days = [str(d) for (d,) in conn.execute(text("SELECT day FROM daily_counts ORDER BY day"))]
    engine.dispose()
    return days


def test_xroad_clients_view_moves_the_exchange_to_its_own_day(
    store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    registry = registry_file(tmp_path)
    # 20 ms before local midnight on the client; the producer's record 40 ms later, after it.
    at = datetime(2026, 10, 5, 17, 0, tzinfo=UTC) - timedelta(milliseconds=20)
    producer, client = (tmp_path / "producer.jsonl"), (tmp_path / "client.jsonl")
    producer.write_text(json.dumps(xroad_record("late", "Producer", at)) + "\n", encoding="utf-8")
    client.write_text(json.dumps(xroad_record("late", "Client", at)) + "\n", encoding="utf-8")
    assert ingest(store_url, registry, "xroad-opmon", producer, capsys=capsys)[0] == 0
    assert rollup_days(store_url) == ["2026-10-06"]
    code, out, _ = ingest(store_url, registry, "xroad-opmon", client, capsys=capsys)
    assert code == 0 and "1 exchanges: 0 stored, 1 duplicates" in out[0]
    assert rollup_days(store_url) == ["2026-10-05"]  # the emptied day is gone, not left at zero
    assert_rollup_exact(store_url)
    assert stored(store_url)[0][6] == to_us(at)
