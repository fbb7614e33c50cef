"""Several `lienthong serve` and a `lienthong simulate` as real processes on loopback ports."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from lienthong.demo import CLIENT_ID_ENV, CLIENT_SECRET_ENV
from simulator.app import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
from tests.servers import free_port

ENV = {
    **os.environ,
    "PYTHONUNBUFFERED": "1",
    CLIENT_ID_ENV: DEMO_CLIENT_ID,
    CLIENT_SECRET_ENV: DEMO_CLIENT_SECRET,
    # Vietnamese, the default: the tests read the service's log lines through the catalogs
    # (gettext_in("vi", …)), as an officer would.
    "LIENTHONG_LANG": "vi",
}


@dataclass
class Instance:
    process: subprocess.Popen[str]
    url: str
    log: Path

    def metrics(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        """The exposition as {(sample name, sorted labels): value}."""
        with urllib.request.urlopen(f"{self.url}/metrics", timeout=10) as answer:
            text = answer.read().decode()
        return {
            (s.name, tuple(sorted(s.labels.items()))): s.value
            for f in text_string_to_metric_families(text)
            for s in f.samples
        }

    def leads(self) -> bool:
        return any(
            name == "lienthong_leader" and value == 1
            for (name, _labels), value in self.metrics().items()
        )


@contextmanager
def lienthong_process(
    base: Path, name: str, argv: list[str], ready: str, env: dict[str, str] | None = None
) -> Iterator[tuple[subprocess.Popen[str], str, Path]]:
    """`python -m lienthong ARGV…` until its `ready` line; its output goes on to a log file."""
    log = base / f"{name}.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "lienthong", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env or ENV,
    )
    assert process.stdout is not None
    out = log.open("w", encoding="utf-8")
    first = ""
    try:
        for line in process.stdout:
            out.write(line)
            if line.startswith(ready):
                first = line
                break
        else:
            raise RuntimeError(f"{name} exited with {process.wait()}: see {log}")
        out.flush()  # what it said while starting is in the log now, even if it says no more
        # Keep draining its output, so a chatty process never blocks on a full pipe.
        threading.Thread(target=_drain, args=(process, out), daemon=True).start()
        yield process, first, log
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        process.wait()


def _drain(process: subprocess.Popen[str], out: object) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        out.write(line)  # type: ignore[attr-defined]
        out.flush()  # type: ignore[attr-defined]
    out.close()  # type: ignore[attr-defined]


@contextmanager
def simulator(base: Path) -> Iterator[str]:
    port = free_port()
    argv = ["simulate", "--listen", f"127.0.0.1:{port}"]
    with lienthong_process(base, "simulate", argv, "lienthong simulate:"):
        yield f"http://127.0.0.1:{port}"


@contextmanager
def serve(base: Path, name: str, database: str, config: str) -> Iterator[Instance]:
    """One `lienthong serve` with its own TOML config, on a free loopback port."""
    port = free_port()
    settings = base / f"{name}.toml"
    settings.write_text(config, encoding="utf-8")
    argv = ["serve", "--config", str(settings), "--db", database, "--listen", f"127.0.0.1:{port}"]
    with lienthong_process(base, name, argv, "lienthong serve:") as (process, _line, log):
        yield Instance(process, f"http://127.0.0.1:{port}", log)


def until(condition: object, timeout: float, what: str, step: float = 0.2) -> float:
    """Poll `condition()` (another process's state: there is no event to await); seconds taken."""
    start = time.monotonic()
    while not condition():  # type: ignore[operator]
        if time.monotonic() - start > timeout:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(step)
    return time.monotonic() - start


class FrozenLink:
    """A TCP relay to a server that can stop relaying while keeping both sockets open:
    a network cut that neither end is told of (no reset, no close)."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = free_port()
        self._loop = asyncio.new_event_loop()
        self._open = asyncio.Event()
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> FrozenLink:
        self._thread.start()
        self._started.wait(10)
        return self

    def __exit__(self, *_exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._cancel_relays(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    async def _cancel_relays(self) -> None:
        relays = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in relays:
            task.cancel()
        await asyncio.gather(*relays, return_exceptions=True)

    def freeze(self) -> None:
        self._loop.call_soon_threadsafe(self._open.clear)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._open.set()
        server = self._loop.run_until_complete(
            asyncio.start_server(self._relay, "127.0.0.1", self.port)
        )
        self._started.set()
        try:
            self._loop.run_forever()
        finally:
            server.close()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        await asyncio.gather(
            self._pump(reader, upstream_writer),
            self._pump(upstream_reader, writer),
            return_exceptions=True,
        )

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            await self._open.wait()  # frozen: hold the bytes, answer nothing
            writer.write(data)
            await writer.drain()
        writer.close()
