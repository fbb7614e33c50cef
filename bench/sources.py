"""Sources inside `serve`, beside the file imports they replace, measured in the same run.

- follow: a WSO2 API-M analytics log followed by `wso2-log` into SQLite, as lines/s,
  while `lienthong demo` probes in its own process; judged as a ratio to `lienthong
  ingest --format wso2` of the same lines, alternated (goal ≥ 0.8×; ≥ 20,000 lines/s
  shown beside it).
- pull: 1,000,000 X-Road records in 100 pages of 10,000 pulled by `xroad-opmon` from a
  stand-in security server (bench/_opmon_server.py, its own process), against importing
  the same records from one file (`ingest --format xroad-opmon`); goal: within 1.5× its
  time, memory flat (the RSS after all pages within 1.25× of that after half of them, the
  store's 64 MiB SQLite page cache filled by then).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import gzip
import json
import sys
import tempfile
import time
from pathlib import Path

from bench._goals import judge
from bench._support import free_port, peak_rss_mb, pinned_process, rss_mb
from bench.xroad import registry_file as xroad_registry
from intake import ingest_file
from intake.sources.common import SourceStatus
from intake.sources.wso2_log import Wso2Log, Wso2LogConfig
from intake.sources.xroad_opmon import XroadOpmon, XroadOpmonConfig
from registry import Registry, load_files
from store import open_store

FOLLOW_RATIO = 0.8  # follow's lines/s over ingest's, at least
FOLLOW_RATE = 20_000  # lines/s, shown beside the ratio
PULL_RATIO = 1.5  # pull's time over the file import's, at most
FLAT = 1.25
PAGE = 10_000

WSO2_REGISTRY = """\
version: 1
province: {code: "24", name: "Bắc Ninh"}
systems:
  - {code: csdl-dkdn, name: CSDL đăng ký doanh nghiệp, owner: Bộ, gateway: {wso2_apis: [/apiCSDLDKDN]}}
departments:
  - {code: so-khdt, name: Sở KHĐT, gateway: {wso2_applications: [so-khdt-app]}}
obligations:
  - {department: so-khdt, system: csdl-dkdn, kind: maintain, basis: "Điều 6"}
"""


def wso2_log(path: Path, lines: int) -> None:
    """API-M 4.x apim_metrics.log lines (the fields of WSO2's documented sample)."""
    with path.open("w", encoding="utf-8") as out:
        for n in range(lines):
            event = {
                "apiName": "CSDLDKDN",
                "proxyResponseCode": 200 if n % 13 else 503,
                "apiContext": "/apiCSDLDKDN/1.0",
                "apiVersion": "1.0",
                "apiId": "a1b2c3",
                "applicationName": "so-khdt-app",
                "correlationId": f"c0ffee00-0000-4000-8000-{n:012d}",
                "requestTimestamp": f"2026-10-{5 + n // 86_400 % 20:02d}T"
                f"{n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d}.913Z",
                "responseLatency": 42,
                "backendLatency": 35,
                "eventType": "response",
                "userIp": "192.0.2.1",
            }
            out.write(
                "08:23:34,898 [-] [PassThroughMessageProcessor-188]  INFO ELKCounterMetric"
                f" apimMetrics: apim:response, properties :{json.dumps(event)}\n"
            )


def _follow_once(folder: Path, registry: Registry, log: Path, lines: int, n: int) -> float:
    engine = open_store(f"sqlite:///{folder / f'follow-{n}.db'}")
    config = Wso2LogConfig(name="lgsp-wso2", kind="wso2-log", path=str(log))
    source = Wso2Log(config, registry, engine, SourceStatus("lgsp-wso2", "wso2-log", 2.0))
    gc.collect()
    started = time.perf_counter()
    source.read()
    seconds = time.perf_counter() - started
    engine.dispose()
    assert source.status.records["stored"] == lines, source.status.records
    return seconds


def _ingest_once(folder: Path, registry: Registry, log: Path, lines: int, n: int) -> float:
    engine = open_store(f"sqlite:///{folder / f'ingest-{n}.db'}")
    gc.collect()
    started = time.perf_counter()
    result = ingest_file(engine, registry, log, "wso2")
    seconds = time.perf_counter() - started
    engine.dispose()
    assert result.ok and result.written.accepted == lines, result
    return seconds


def follow(args: argparse.Namespace, folder: Path) -> None:
    lines = 50_000 if args.quick else 200_000
    (folder / "wso2.yml").write_text(WSO2_REGISTRY, encoding="utf-8")
    registry = load_files([folder / "wso2.yml"])
    log = folder / "apim_metrics.log"
    wso2_log(log, lines)
    print(f"log: {lines:,} lines, {log.stat().st_size / 1e6:.0f} MB")
    port = free_port()
    demo = [sys.executable, "-m", "lienthong", "demo", "--listen", f"127.0.0.1:{port}",
            "--db", f"sqlite:///{folder / 'demo.db'}"]  # fmt: skip
    with pinned_process(demo, f"http://127.0.0.1:{port}", "/healthz", None):
        followed, ingested = [], []
        # Alternated, the best of three each: this host is shared, its load comes and goes.
        order = ("ingest", "follow", "follow", "ingest", "ingest", "follow")
        for n, first in enumerate(order):
            if first == "follow":
                followed.append(_follow_once(folder, registry, log, lines, n))
            else:
                ingested.append(_ingest_once(folder, registry, log, lines, n))
    follow_rate, ingest_rate = lines / min(followed), lines / min(ingested)
    ratio = follow_rate / ingest_rate
    verdict = judge(
        "sources.follow",
        f"wso2-log follows ≥ {FOLLOW_RATIO}× `ingest --format wso2` (SQLite, probes running)",
        f"{ratio:.2f}× ({follow_rate:,.0f} lines/s)",
        ratio >= FOLLOW_RATIO,
    )
    print(
        f"follow: {follow_rate:,.0f} lines/s, ingest --format wso2: {ingest_rate:,.0f} lines/s:"
        f" {ratio:.2f}× ({verdict}; {follow_rate:,.0f} ≥ {FOLLOW_RATE:,} lines/s:"
        f" {'yes' if follow_rate >= FOLLOW_RATE else 'no'})"
    )


def pages(folder: Path, records: int, start: int) -> Path:
    """The records as pages of PAGE (and as one file for the import); returns the file."""
    whole = folder / "opdata.json"
    index = []
    with whole.open("w", encoding="utf-8") as out:
        out.write('{"records": [\n')
        first = True
        for p in range(records // PAGE):
            page = []
            for k in range(PAGE // 2):  # both sides of each exchange, 50 exchanges a second
                n = p * PAGE // 2 + k
                at = (start + n // 50) * 1000 + n % 50 * 20
                i = n % 1000
                for side, shift in (("Client", 0), ("Producer", 7)):
                    page.append(
                        {
                            "monitoringDataTs": start + n // 50,
                            "securityServerType": side,
                            "requestInTs": at + shift,
                            "responseOutTs": at + 100 - shift,
                            "clientXRoadInstance": "VN",
                            "clientMemberClass": "GOV",
                            "clientMemberCode": f"H{i:04d}",
                            "clientSubsystemCode": "mot-cua",
                            "serviceXRoadInstance": "VN",
                            "serviceMemberClass": "GOV",
                            "serviceMemberCode": f"B{i % 50:03d}",
                            "serviceSubsystemCode": "dich-vu",
                            "serviceCode": "traCuu",
                            "messageId": f"{n:08x}-0000-4000-8000-000000000000",
                            "xRequestId": f"{n:08x}-1111-4000-8000-000000000000",
                            "succeeded": n % 11 != 0,
                            "faultCode": None if n % 11 else "Server.ServerProxy.ServiceFailed",
                        }
                    )
            name = f"page-{p:04d}.gz"
            (folder / name).write_bytes(gzip.compress(json.dumps({"records": page}).encode(), 1))
            index.append([page[0]["monitoringDataTs"], len(page), name])
            for record in page:
                out.write(("" if first else ",") + json.dumps(record) + "\n")
                first = False
        out.write("]}\n")
    (folder / "empty.gz").write_bytes(gzip.compress(b'{"records": []}'))
    (folder / "index.json").write_text(json.dumps(index))
    return whole


def pull(args: argparse.Namespace, folder: Path) -> None:
    records = 100_000 if args.quick else 1_000_000
    registry = xroad_registry(folder, 1000)
    start = int(time.time()) - 2 * 86_400
    whole = pages(folder, records, start)
    print(f"X-Road: {records:,} records, {records // PAGE} pages of {PAGE:,}")
    port = free_port()
    server = [sys.executable, "-m", "bench._opmon_server", str(folder), str(port)]
    with pinned_process(server, f"http://127.0.0.1:{port}", "/healthz", None) as url:
        engine = open_store(f"sqlite:///{folder / 'pull.db'}")
        config = XroadOpmonConfig(
            name="ss1", kind="xroad-opmon", url=url + "/", client="VN/GOV/H0001/lienthong",
            server="VN/GOV/H0001/ss1",
        )  # fmt: skip
        status = SourceStatus("ss1", "xroad-opmon", 300.0)
        source = XroadOpmon(config, registry, engine, status)
        gc.collect()
        rss: list[float] = []
        original = source._parse

        def parse_and_measure(page: object, next_from: int, batch: object) -> None:
            original(page, next_from, batch)  # type: ignore[arg-type]
            rss.append(rss_mb())

        source._parse = parse_and_measure  # type: ignore[method-assign]
        started = time.perf_counter()
        asyncio.run(source.read())
        pulled = time.perf_counter() - started
        engine.dispose()
    assert status.records["stored"] == records // 2, status.records
    engine = open_store(f"sqlite:///{folder / 'import.db'}")
    gc.collect()
    started = time.perf_counter()
    result = ingest_file(engine, registry, whole, "xroad-opmon")
    imported = time.perf_counter() - started
    engine.dispose()
    assert result.ok and result.written.accepted == records // 2, result
    ratio = pulled / imported
    # The store's SQLite page cache (64 MiB, store/database.py) fills over the first third
    # of the records: flat means no growth after it, from half the pages to the last.
    half = rss[len(rss) // 2]
    growth = rss[-1] / half
    verdict = judge(
        "sources.pull",
        f"X-Road pull of {records:,} records ≤ {PULL_RATIO}× the file import's time, memory flat",
        f"{ratio:.2f}× ({records / pulled:,.0f} records/s), RSS ×{growth:.2f}",
        ratio <= PULL_RATIO and growth <= FLAT,
    )
    print(
        f"pull: {pulled:.1f} s, import of the same records: {imported:.1f} s: {ratio:.2f}×;"
        f" RSS {rss[len(rss) // 10]:.0f} MB after a tenth, {half:.0f} MB after half,"
        f" {rss[-1]:.0f} MB after all"
        f" (peak {peak_rss_mb():.0f} MB): {verdict}"
    )


def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="lienthong-bench-sources-") as tmp:
        folder = Path(tmp)
        (folder / "follow").mkdir()
        (folder / "pull").mkdir()
        follow(args, folder / "follow")
        pull(args, folder / "pull")
