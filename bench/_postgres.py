"""A throwaway PostgreSQL cluster on loopback, for benchmarks and the tests' harness.

It lives here, not under tests/, so that benchmarks do not import the tests; the tests'
harness (tests/servers.py) starts its clusters through it too.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def postgres_bindir() -> Path:
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4])
    )
    if candidates:
        return Path(candidates[-1]).parent
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise RuntimeError("PostgreSQL is not installed: run `make test` (it installs it)")


def _as_owner(owner: str | None, argv: list[str]) -> list[str]:
    # initdb refuses to run as root: run the server as an unprivileged user.
    return ["runuser", "-u", owner, "--", *argv] if owner else argv


@contextmanager
def postgres_cluster(base: Path, durable: bool = True) -> Iterator[str]:
    """A throwaway PostgreSQL cluster; yields the URL of its `postgres` database.

    `durable` keeps the server's default durability (fsync on), as benchmarks must;
    tests turn it off for speed, since they never survive a power cut.
    """
    bindir = postgres_bindir()
    owner = None
    if os.geteuid() == 0:
        owner = "postgres"
        try:
            pwd.getpwnam(owner)
        except KeyError:
            raise RuntimeError("no 'postgres' user to run the test cluster as") from None
    data = base / "pgdata"
    data.mkdir(parents=True)
    if owner:
        shutil.chown(base, owner)
        shutil.chown(data, owner)
    port = free_port()
    env = {**os.environ, "LC_ALL": "C.UTF-8"}
    subprocess.run(
        _as_owner(
            owner,
            [
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        ),
        check=True,
        capture_output=True,
        env=env,
    )
    options = f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={base}"
    if not durable:
        options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    log = base / "postgres.log"
    start = subprocess.run(
        _as_owner(
            owner,
            [str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(log), "-w", "start"],
        ),
        capture_output=True,
        env=env,
        text=True,
    )
    if start.returncode != 0:
        text = log.read_text() if log.exists() else ""
        raise RuntimeError(f"PostgreSQL did not start: {start.stderr}\n{text}")
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            _as_owner(owner, [str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            capture_output=True,
            env=env,
        )
