"""`lienthong ingest --format wso2|xroad-opmon`: gateway exports imported with exact counts."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from lienthong.cli import main
from store import open_store
from store.writer import to_us
from tests.gateway_samples import (
    REGISTRY,
    T0,
    metrics_log_line,
    registry_file,
    wso2_event,
    xroad_record,
)


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
    assert "10 exchanges: 7 stored, 1 duplicates, 2 of no obligation (not stored)" in out[0]
    assert (
        f"{document}: 13 X-Road records → 10 exchanges: 2 paired (client and producer record),"
        " 5 client record only, 2 producer record only; 1 duplicate records dropped;"
        " 1 records without messageId (not paired)"
    ) in out
    assert (
        f"{document}:   no obligation for client 'VN/COM/12345678/erp' →"
        " service 'VN/GOV/B11/dkdn/getDoanhNghiep': 1"
    ) in out
    rows = stored(store_url)
    by_id = {r[3]: r for r in rows}
    assert set(by_id) == {
        "xroad:m1",
        "xroad:m2",
        "xroad:m3",
        "xroad:m4",
        "xroad:m6",
        "xroad:m7",
    } | {r[3] for r in rows if r[3].startswith("xroad:record:")}
    assert len(rows) == 7
    t0_us = int(T0.timestamp()) * 1_000_000
    assert by_id["xroad:m1"][:3] == ("so-khdt", "csdl-dkdn", True)
    assert by_id["xroad:m1"][6] == t0_us and by_id["xroad:m1"][7] == 100
    # Client failed, producer succeeded: the client's end-to-end view counts.
    assert not by_id["xroad:m2"][2]
    assert (
        by_id["xroad:m2"][5] == "Server.ServerProxy.ServiceFailed: Hệ thống quốc gia không phản hồi"
    )
    assert by_id["xroad:m4"][6] == t0_us + 3_040_000  # the producer's own requestInTs
    assert by_id["xroad:m6"][:2] == ("so-tuphap", "ho-tich")
    # The same records as gzipped JSON lines: every exchange is already there.
    lines = tmp_path / "opdata.jsonl.gz"
    with gzip.open(lines, "wt", encoding="utf-8") as f:
        f.writelines(json.dumps(r) + "\n" for r in exchange_records())
    code, out, _ = ingest(store_url, registry, "xroad-opmon", lines, capsys=capsys)
    assert code == 0 and "10 exchanges: 0 stored, 8 duplicates" in out[0]
    assert len(stored(store_url)) == 7


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
