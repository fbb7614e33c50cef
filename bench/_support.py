"""What the benchmarks share: a large synthetic registry, a simulator process, CPU readings."""

from __future__ import annotations

import gzip
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from registry import Registry

TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def synthetic_registry(
    obligations: int, systems: int = 50, base: str = "http://127.0.0.1:1"
) -> Registry:
    """`obligations` pairs over `systems` national systems, each with an unauthenticated probe."""
    return Registry.model_validate(synthetic_document(obligations, systems, base))


def synthetic_document(
    obligations: int, systems: int = 50, base: str = "http://127.0.0.1:1"
) -> dict[str, Any]:
    """The registry file's content of `synthetic_registry`, as a YAML file holds it."""
    departments = -(-obligations // systems)
    return {
        "version": 1,
        "province": {"code": "24", "name": "Bắc Ninh"},
        "systems": [
            {"code": f"he-thong-{s}", "name": f"Hệ thống {s}", "owner": "Bộ Thử nghiệm"}
            for s in range(systems)
        ],
        "departments": [
            {"code": f"so-{d}", "name": f"Sở thử nghiệm {d}"} for d in range(departments)
        ],
        "obligations": [
            {
                "department": f"so-{i // systems}",
                "system": f"he-thong-{i % systems}",
                "kind": "maintain",
                "basis": "Điều thử nghiệm",
                "probe": {
                    "url": f"{base}/api/he-thong-{i % systems}/traCuu?id={i}",
                    "interval": 60,
                    "timeout": 10,
                    "expect_json": {"error_code": 0},
                },
            }
            for i in range(obligations)
        ],
    }


@contextmanager
def simulator_process(systems: int = 50, cpu: int | None = None) -> Iterator[str]:
    """`lienthong simulate --open` in its own process (its CPU is not ours); yields its URL."""
    port = free_port()
    folder = os.environ.get("TMPDIR", "/tmp")
    registry = os.path.join(folder, f"lienthong-bench-{port}.yml")
    with open(registry, "w", encoding="utf-8") as f:
        f.write('version: 1\nprovince: {code: "24", name: "Bắc Ninh"}\nsystems:\n')
        for s in range(systems):
            f.write(f"  - {{code: he-thong-{s}, name: Hệ thống {s}, owner: Bộ Thử nghiệm}}\n")
    command = [
        sys.executable,
        "-m",
        "lienthong",
        "simulate",
        "--open",
        "--registry",
        registry,
        "--listen",
        f"127.0.0.1:{port}",
    ]
    try:
        with pinned_process(command, f"http://127.0.0.1:{port}", "/healthz", cpu) as url:
            yield url
    finally:
        os.unlink(registry)


@contextmanager
def pinned_process(command: list[str], url: str, ready: str, cpu: int | None) -> Iterator[str]:
    """`command` in its own process (pinned to `cpu` when given), until `url + ready`
    answers; yields `url`, and stops the process afterwards."""
    if cpu is not None:
        command = ["taskset", "-c", str(cpu), *command]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_ready(url + ready, process)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


# Prometheus's scrape Accept header (scrape/scrape.go, acceptHeader in 2.42).
PROMETHEUS_ACCEPT = (
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;"
    "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
)


def wait_ready(
    url: str,
    process: subprocess.Popen[bytes],
    timeout: float = 30.0,
    headers: dict[str, str] | None = None,
) -> bytes:
    """The body (un-gzipped) of the first answer to GET url, polled until `timeout`."""
    request = urllib.request.Request(url, headers=headers or {})
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(
                request, timeout=max(1.0, deadline - time.monotonic())
            ) as answer:
                body: bytes = answer.read()
                if answer.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                return body
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not answer within {timeout:g} s")


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def _status_mb(field: str, pid: int | str = "self") -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1]) / 1024
    return float("nan")


def rss_mb() -> float:
    """This process's resident memory now (MB)."""
    return _status_mb("VmRSS:")


def peak_rss_mb(pid: int | str = "self") -> float:
    """A process's peak resident memory so far (MB): this one's by default."""
    return _status_mb("VmHWM:", pid)
