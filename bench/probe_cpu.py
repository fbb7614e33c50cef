"""CPU per probe of what a user runs, beside blackbox_exporter driven the way Prometheus drives it.

lienthong: the whole service (`bench._engine`: probe engine, recorder writing
every run to SQLite, metrics scraped every 15 s, push API) with N obligations on a 60 s interval,
pinned to CPU 0; its CPU (all threads) over a window after a warm-up, divided
by the probe runs that finished in it. blackbox_exporter: pinned to CPU 0
too, sent `/probe?module=…&target=…` requests for the same N URLs at the same
rate (N/60 per second) over a kept-alive connection, as Prometheus scrapes it;
its CPU over the same window divided by the probes it answered. The target of
both is one nginx on 127.0.0.1, pinned with this process (the driver) to CPU 1.

blackbox_exporter opens a new connection for every probe; lienthong keeps
connections alive by default, so each size is measured twice for lienthong:
kept alive, and with a new connection per probe (the like-for-like figure).

Each size is measured in `ROUNDS` rounds of lienthong kept alive, blackbox_exporter,
lienthong with new connections, in turn: each ratio is a round's lienthong over the same
round's blackbox_exporter, judged on the median.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
from functools import partial
from pathlib import Path
from urllib.parse import urlencode

from bench._goals import ROUNDS, Ratios, alternate, judge_ratio
from bench._nginx import nginx
from bench._profile import top_of_file
from bench._support import free_port, process_cpu, wait_ready

SIZES = (1_000, 20_000, 100_000)
WINDOW = 30.0  # seconds measured per tool and size
WARMUP = 5.0
IN_FLIGHT = 256  # /probe requests in flight at most (lienthong's default `total`); more are skipped
GOAL_KEPT = 0.5  # lienthong's CPU per probe / blackbox_exporter's, at most, kept alive
GOAL_NEW = 1.0  # the same, a new connection per probe as blackbox_exporter makes
BLACKBOX_CONFIG = """modules:
  lgsp:
    prober: http
    timeout: 10s
    http:
      valid_status_codes: [200]
      fail_if_body_not_matches_regexp: ['"error_code": 0']
"""


def target_url(base: str, i: int, systems: int = 50) -> str:
    """The URL `bench._support.synthetic_registry` gives obligation `i`."""
    return f"{base}/api/he-thong-{i % systems}/traCuu?id={i}"


def lienthong(
    n: int, url: str, window: float, new_connections: bool, profile: Path | None = None
) -> dict[str, object]:
    """The service in its own process, pinned to CPU 0; what `bench._engine` measured."""
    command = [sys.executable, "-m", "bench._engine", str(n), url, str(window), "--cpu", "0"]
    command += ["--scrape", "15"]  # its /metrics scraped as Prometheus would
    if new_connections:
        command.append("--new-connections")
    if profile is not None:
        command += ["--profile", str(profile)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"bench._engine failed: {done.stderr[-2000:]}")
    found: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return found


class _Connections:
    """Kept-alive HTTP/1.1 connections to one server, each used by one request at a time.

    A bare client (asyncio streams, no session machinery): the driver must send
    1,667 requests a second from one shared core without being the bottleneck.
    """

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def get(self, path: str) -> bytes:
        if self.idle:
            reader, writer = self.idle.pop()
        else:
            reader, writer = await asyncio.open_connection(self.host, self.port)
        writer.write(
            f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            "X-Prometheus-Scrape-Timeout-Seconds: 10\r\n\r\n".encode()
        )
        head = (await reader.readuntil(b"\r\n\r\n")).lower()
        if b"transfer-encoding: chunked" in head:
            parts = []
            while size := int((await reader.readline()).strip(), 16):
                parts.append(await reader.readexactly(size))
                await reader.readline()
            await reader.readline()
            body = b"".join(parts)
        else:
            length = int(head.split(b"content-length:")[1].split(b"\r\n")[0])
            body = await reader.readexactly(length)
        self.idle.append((reader, writer))
        return body

    def close(self) -> None:
        for _, writer in self.idle:
            writer.close()


async def _drive(base: str, url: str, n: int, seconds: float, counts: list[int]) -> None:
    """`/probe` requests for the N targets in turn, N/60 a second, for `seconds`."""
    rate = n / 60
    paths = [
        "/probe?" + urlencode({"module": "lgsp", "target": target_url(url, i)})
        for i in range(min(n, 5000))
    ]
    host, port = base.removeprefix("http://").split(":")
    connections = _Connections(host, int(port))
    loop = asyncio.get_running_loop()
    pending: set[asyncio.Task[None]] = set()

    async def probe(i: int) -> None:
        try:
            body = await connections.get(paths[i % len(paths)])
        except (OSError, asyncio.IncompleteReadError, ValueError):
            counts[3] += 1
            return
        counts[0] += 1
        counts[1] += b"probe_success 1" in body

    start = loop.time()
    sent = 0
    while (elapsed := loop.time() - start) < seconds:
        due = int(elapsed * rate) + 1
        for i in range(sent, due):
            if len(pending) >= IN_FLIGHT:  # as Prometheus never overlaps a target's scrapes
                counts[2] += 1
                continue
            task = asyncio.create_task(probe(i))
            pending.add(task)
            task.add_done_callback(pending.discard)
        sent = due
        await asyncio.sleep(0.01)
    if pending:
        await asyncio.wait(pending, timeout=15)
    connections.close()


def blackbox(n: int, url: str, window: float) -> tuple[float, int, int, int] | None:
    """blackbox_exporter's CPU over the window, the probes it answered (ok) in it, and those
    skipped because `IN_FLIGHT` were still unanswered (it could not keep up)."""
    binary = shutil.which("prometheus-blackbox-exporter") or shutil.which("blackbox_exporter")
    if binary is None:
        return None
    folder = Path(tempfile.mkdtemp(prefix="lienthong-blackbox-"))
    (folder / "blackbox.yml").write_text(BLACKBOX_CONFIG)
    port = free_port()
    process = subprocess.Popen(
        [
            "taskset",
            "-c",
            "0",
            binary,
            f"--config.file={folder / 'blackbox.yml'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base + "/metrics", process)

        async def run() -> tuple[float, int, int, int]:
            counts = [0, 0, 0, 0]  # answered, ok, skipped, failed
            driving = asyncio.create_task(_drive(base, url, n, WARMUP + window + 1, counts))
            await asyncio.sleep(WARMUP)
            cpu0, before = process_cpu(process.pid), list(counts)
            await asyncio.sleep(window)
            cpu = process_cpu(process.pid) - cpu0
            answered, ok, skipped = (counts[i] - before[i] for i in range(3))
            await driving
            return cpu, answered, ok, skipped

        return asyncio.run(run())
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)


def _ms(cpu: float, runs: int) -> float:
    return cpu / runs * 1000 if runs else float("nan")


def _engine_ms(found: dict[str, object]) -> float:
    return _ms(float(str(found["cpu"])), int(str(found["runs"])))


def run(args: argparse.Namespace) -> None:
    sizes = (args.obligations,) if args.obligations else SIZES
    window = 10.0 if args.quick else WINDOW
    rounds = 1 if args.quick else ROUNDS
    pinned = hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1
    if pinned:
        os.sched_setaffinity(0, {1})  # the driver, with nginx; the measured tools get CPU 0
    print(f"  load before: {os.getloadavg()[0]:.2f} (1 min average, {os.cpu_count()} CPUs)")
    if shutil.which("prometheus-blackbox-exporter") is None and not shutil.which(
        "blackbox_exporter"
    ):
        print(
            "  blackbox_exporter: not installed (prometheus-blackbox-exporter): no peer, no figure"
        )
        return
    with nginx(cpu=1 if pinned else None) as url:
        for n in sizes:
            _size(n, url, window, rounds)
    print(f"  load after: {os.getloadavg()[0]:.2f}; CPU 0 measured, CPU 1 nginx + driver")


def _size(n: int, url: str, window: float, rounds: int) -> None:
    print(f"  {n:,} obligations, {n / 60:,.0f} probes/s, {window:.0f} s measured per run:")

    def kept() -> float:
        found = lienthong(n, url, window, new_connections=False)
        ms = _engine_ms(found)
        print(
            f"    lienthong, kept alive        {ms:6.3f} ms CPU/probe ({found['successes']}/{found['runs']} ok, {found['shed']} shed)"
        )
        return ms

    def fresh() -> float:
        found = lienthong(n, url, window, new_connections=True)
        ms = _engine_ms(found)
        print(
            f"    lienthong, new connections   {ms:6.3f} ms CPU/probe ({found['successes']}/{found['runs']} ok, {found['shed']} shed)"
        )
        return ms

    def peer() -> float:
        box = blackbox(n, url, window)
        assert box is not None
        ms = _ms(box[0], box[1])
        print(
            f"    blackbox_exporter            {ms:6.3f} ms CPU/probe ({box[2]}/{box[1]} ok, {box[3]} skipped)"
        )
        return ms

    # lienthong, its peer, lienthong: each of lienthong's runs beside the peer's.
    found = alternate(rounds, kept, peer, fresh)
    for label, how, index, goal in (
        ("kept-alive connections", "kept", 0, GOAL_KEPT),
        ("a new connection each", "new", 2, GOAL_NEW),
    ):
        ratios = Ratios.of([(r[index], r[1]) for r in found])
        ours = sorted(r[index] for r in found)[len(found) // 2]
        theirs = sorted(r[1] for r in found)[len(found) // 2]
        verdict = judge_ratio(
            f"probe_cpu.{n}.{how}",
            f"CPU per probe ≤ {goal}× blackbox_exporter's (driven as Prometheus drives"
            f" it, same run): the whole service (store writes, scraped), {n:,}"
            f" obligations, {label}",
            ratios,
            goal,
            info=f"median {ours:.3f} against {theirs:.3f} ms CPU per probe",
            cause=partial(_cause, n, url, window, how == "new"),
        )
        print(f"    {label}: {ratios.text()} blackbox_exporter (goal ≤ {goal}×: {verdict})")


def _cause(n: int, url: str, window: float, new_connections: bool) -> str:
    """One more run of the service, profiled: where its CPU went (the main thread)."""
    with tempfile.TemporaryDirectory(prefix="lienthong-profile-") as folder:
        path = Path(folder) / "engine.prof"
        lienthong(n, url, window, new_connections, profile=path)
        return top_of_file(path)
