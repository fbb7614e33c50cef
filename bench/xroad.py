"""X-Road operational monitoring import: input records per second, one core, SQLite.

Target (issue 4): ≥ 50,000 records/s. The file is a getSecurityServerOperationalData
document (`{"records": [...]}`) holding both sides of every exchange, as
exports of a client's and a producer's security servers merged, with 1,000
client members over 50 services.
"""

from __future__ import annotations

import argparse
import gc
import json
import tempfile
import time
from pathlib import Path

import yaml

from intake import ingest_file
from registry import Registry, load_files
from store import open_store

START_MS = 1_791_158_400_000  # 2026-10-05T00:00:00Z


def registry_file(folder: Path, departments: int) -> Registry:
    document = {
        "version": 1,
        "province": {"code": "24", "name": "Bắc Ninh"},
        "systems": [
            {
                "code": f"sys-{i}",
                "name": f"Hệ thống {i}",
                "owner": "Bộ",
                "gateway": {"xroad_services": [f"VN/GOV/B{i:03d}/dich-vu"]},
            }
            for i in range(50)
        ],
        "departments": [
            {
                "code": f"dept-{i}",
                "name": f"Sở số {i}",
                "gateway": {"xroad_clients": [f"VN/GOV/H{i:04d}"]},
            }
            for i in range(departments)
        ],
        "obligations": [
            {
                "department": f"dept-{i}",
                "system": f"sys-{i % 50}",
                "kind": "maintain",
                "basis": "Điều 6",
            }
            for i in range(departments)
        ],
    }
    path = folder / "registry.yml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return load_files([path])


def opdata_file(path: Path, exchanges: int, departments: int) -> int:
    """Both records of each exchange, a few ms apart; returns the number of records."""
    with path.open("w", encoding="utf-8") as out:
        out.write('{"records": [\n')
        for n in range(exchanges):
            i = n % departments
            at = START_MS + n * 20  # 50 exchanges a second
            for side, shift in (("Client", 0), ("Producer", 7)):
                record = {
                    "monitoringDataTs": (at + shift) // 1000 + 1,
                    "securityServerInternalIp": "192.0.2.10",
                    "securityServerType": side,
                    "requestInTs": at + shift,
                    "requestOutTs": at + shift + 3,
                    "responseInTs": at + 90,
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
                    "serviceVersion": "v1",
                    "messageId": f"{n:08x}-0000-4000-8000-000000000000",
                    "xRequestId": f"{n:08x}-1111-4000-8000-000000000000",
                    "requestSize": 1200,
                    "responseSize": 3400,
                    "succeeded": n % 11 != 0,
                    "faultCode": None if n % 11 else "Server.ServerProxy.ServiceFailed",
                    "faultString": None if n % 11 else "Service failed",
                    "statusCode": 200,
                    "serviceType": "WSDL",
                }
                out.write(("," if n or side == "Producer" else "") + json.dumps(record) + "\n")
        out.write("]}\n")
    return 2 * exchanges


def run(args: argparse.Namespace) -> None:
    exchanges = 100_000 if args.quick else 500_000
    departments = 1000
    with tempfile.TemporaryDirectory(prefix="lienthong-bench-xroad-") as tmp:
        folder = Path(tmp)
        registry = registry_file(folder, departments)
        data = folder / "opdata.json"
        records = opdata_file(data, exchanges, departments)
        print(
            f"file: {records:,} X-Road records ({exchanges:,} exchanges), {data.stat().st_size / 1e6:.0f} MB"
        )
        engine = open_store(f"sqlite:///{folder / 'bench.db'}")
        gc.collect()
        gc.freeze()
        started = time.perf_counter()
        result = ingest_file(engine, registry, data, "xroad-opmon")
        seconds = time.perf_counter() - started
        engine.dispose()
        assert result.ok and result.written.accepted == exchanges, result
        print(
            f"X-Road import into SQLite: {records / seconds:,.0f} records/s"
            f" ({exchanges / seconds:,.0f} exchanges/s, {seconds:.1f} s)"
        )
