"""Push API throughput: records and requests committed per second, server on one core, SQLite.

Targets (issue 4): batches of 500 ≥ 20,000 records/s; single-record requests
≥ 2,000 requests/s. A real `lienthong serve` is pinned to core 0; the load
comes from separate client processes pinned to core 1 (bench/_load.py).
Every figure counts only answers 202, which the server sends after commit;
the store's row count is checked against them at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from sqlalchemy import text

from bench._support import free_port, process_cpu, wait_ready
from store import open_store
from store.tokens import issue_token

SCENARIOS = (
    # name, records per request, connections per client process, client processes
    ("batches of 500", 500, 4, 1),
    ("single records", 1, 48, 2),
)


def _pinned(cpu: int, command: list[str]) -> list[str]:
    """The command on one core (server and load apart), where there are two."""
    return ["taskset", "-c", str(cpu), *command] if (os.cpu_count() or 1) > 1 else command


def run(args: argparse.Namespace) -> None:
    duration = 5.0 if args.quick else 15.0
    with tempfile.TemporaryDirectory(prefix="lienthong-bench-push-") as tmp:
        folder = Path(tmp)
        database = f"sqlite:///{folder / 'push.db'}"
        engine = open_store(database)
        token = issue_token(engine, None, "bench")
        engine.dispose()
        config = folder / "serve.toml"
        config.write_text(
            "[probes]\nenabled = false\n[push]\nrate = 1000000000\nburst = 1000000000\n"
        )
        port = free_port()
        server = subprocess.Popen(
            _pinned(
                0,
                [
                    sys.executable,
                    "-m",
                    "lienthong",
                    "serve",
                    "--config",
                    str(config),
                    "--db",
                    database,
                    "--listen",
                    f"127.0.0.1:{port}",
                ],
            ),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        accepted = 0
        try:
            wait_ready(url + "/healthz", server)
            for name, size, connections, processes in SCENARIOS:
                accepted += _scenario(
                    server, url, token, name, size, connections, processes, duration
                )
        finally:
            server.terminate()
            server.wait(timeout=30)
        engine = open_store(database)
        with engine.connect() as conn:
            stored = conn.execute(text("SELECT count(*) FROM transactions")).scalar_one()
        engine.dispose()
        print(f"store holds {stored:,} records; the server acknowledged {accepted:,}")
        assert stored == accepted


def _scenario(
    server: subprocess.Popen[bytes],
    url: str,
    token: str,
    name: str,
    size: int,
    connections: int,
    processes: int,
    duration: float,
) -> int:
    cpu_before = process_cpu(server.pid)
    clients = [
        subprocess.Popen(
            _pinned(
                1,
                [
                    sys.executable,
                    "-m",
                    "bench._load",
                    url + "/api/v1/transactions",
                    token,
                    "--size",
                    str(size),
                    "--connections",
                    str(connections),
                    "--duration",
                    str(duration),
                    "--prefix",
                    f"{name.replace(' ', '-')}-{p}",
                ],
            ),
            stdout=subprocess.PIPE,
        )
        for p in range(processes)
    ]
    results = [json.loads(c.communicate()[0]) for c in clients]
    cpu = process_cpu(server.pid) - cpu_before
    seconds = max(r["seconds"] for r in results)
    requests = sum(r["requests"] for r in results)
    records = sum(r["records"] for r in results)
    other = sum(r["other"] for r in results)
    print(
        f"push API, {name}: {records / seconds:,.0f} records/s, {requests / seconds:,.0f}"
        f" requests/s committed ({other} other answers); server CPU {cpu / seconds:.0%} of"
        f" one core over {seconds:.0f} s"
    )
    return int(records)
