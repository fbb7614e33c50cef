"""Synthetic registries and transaction files for the benchmarks."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

from registry import Registry, load_files


def registry_file(folder: Path, obligations: int) -> Registry:
    """A registry of `obligations` departments, each owing one national system."""
    systems = [{"code": f"sys-{i}", "name": f"Hệ thống {i}", "owner": "Bộ"} for i in range(50)]
    departments = [{"code": f"dept-{i}", "name": f"Sở số {i}"} for i in range(obligations)]
    duties = [
        {
            "department": f"dept-{i}",
            "system": f"sys-{i % 50}",
            "kind": "maintain",
            "basis": "Điều 6",
        }
        for i in range(obligations)
    ]
    document = {
        "version": 1,
        "province": {"code": "24", "name": "Bắc Ninh"},
        "systems": systems,
        "departments": departments,
        "obligations": duties,
    }
    path = folder / "registry.yml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return load_files([path])


def transactions_file(
    path: Path, records: int, obligations: int, start: datetime, days: int = 30
) -> Path:
    """A JSONL file of `records` records spread over the obligations and `days` days."""
    step = timedelta(days=days) / records
    with path.open("w", encoding="utf-8") as out:
        for n in range(records):
            i = n % obligations
            ts = (start + step * n).astimezone(UTC).isoformat()
            outcome = "failure" if n % 7 == 0 else "success"
            out.write(
                json.dumps(
                    {
                        "department": f"dept-{i}",
                        "system": f"sys-{i % 50}",
                        "ts": ts,
                        "outcome": outcome,
                        "id": f"r{n}",
                        "latency_ms": n % 500,
                    }
                )
                + "\n"
            )
    return path
