"""Real servers for the tests, started on loopback in temporary folders.

Nothing here is mocked: a PostgreSQL cluster made with initdb and run with
pg_ctl, Prometheus, Alertmanager, an SMTP server (aiosmtpd), webhook sinks.
The Debian packages are installed by `make test`; a missing binary is an
error, never a skip.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from aiohttp import web
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope

from bench._postgres import free_port, postgres_cluster

__all__ = ["free_port", "postgres_cluster"]


@contextmanager
def prometheus_server(
    base: Path,
    targets: list[str],
    interval: str = "1s",
    rule_files: Sequence[Path] = (),
    alertmanager: str | None = None,
) -> Iterator[str]:
    """A real Prometheus scraping `targets` (HOST:PORT) as job `lienthong`, optionally
    evaluating `rule_files` and sending alerts to `alertmanager` (a URL); yields its URL."""
    binary = shutil.which("prometheus")
    if binary is None:
        raise RuntimeError("Prometheus is not installed: run `make test` (it installs it)")
    port = free_port()
    config = base / "prometheus.yml"
    quoted = ", ".join(f'"{t}"' for t in targets)
    config.write_text(
        f"global: {{scrape_interval: {interval}, evaluation_interval: {interval}}}\n"
        "scrape_configs:\n"
        "  - job_name: lienthong\n"
        f"    static_configs: [{{targets: [{quoted}]}}]\n"
    )
    if rule_files:
        files = ", ".join(f'"{f}"' for f in rule_files)
        config.write_text(config.read_text() + f"rule_files: [{files}]\n")
    if alertmanager:
        host = alertmanager.removeprefix("http://")
        config.write_text(
            config.read_text()
            + f"alerting: {{alertmanagers: [{{static_configs: [{{targets: ['{host}']}}]}}]}}\n"
        )
    argv = [
        binary,
        f"--config.file={config}",
        f"--storage.tsdb.path={base / 'tsdb'}",
        f"--web.listen-address=127.0.0.1:{port}",
    ]
    url = f"http://127.0.0.1:{port}"
    with _running(argv, base, f"{url}/-/ready", "Prometheus"):
        yield url


def _wait_ready(
    url: str, process: subprocess.Popen[bytes], log: Path, name: str = "Prometheus"
) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)  # a separate process: nothing to await but its port
    raise RuntimeError(f"{name} did not become ready within 60 s")


def chromium_binary() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    raise RuntimeError("Chromium is not installed: run `make test` (it installs it)")


def chromium_screenshot(url: str, out: Path, profile: Path, size: str = "1400,1000") -> str:
    """Loads `url` in headless Chromium, saves a PNG to `out`, and returns the rendered DOM."""
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--no-first-run",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        f"--window-size={size}",
    ]
    binary = chromium_binary()
    subprocess.run(
        [binary, *flags, f"--screenshot={out}", url], check=True, capture_output=True, timeout=120
    )
    dom = subprocess.run(
        [binary, *flags, "--dump-dom", url], check=True, capture_output=True, timeout=120
    )
    return dom.stdout.decode("utf-8")


@contextmanager
def lienthong_serve(
    base: Path, database: str, config: str = "", port: int | None = None
) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """`lienthong serve` in its own process (probes off); yields it and its URL once it listens."""
    port = port or free_port()
    settings = base / "serve.toml"
    settings.write_text("[probes]\nenabled = false\n" + config, encoding="utf-8")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "lienthong",
            "serve",
            "--config",
            str(settings),
            "--db",
            database,
            "--listen",
            f"127.0.0.1:{port}",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    try:
        for line in process.stdout:  # it prints its URLs once it listens
            if line.startswith("lienthong serve:"):
                break
        else:
            raise RuntimeError(f"lienthong serve exited with {process.wait()}")
        yield process, f"http://127.0.0.1:{port}"
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        process.stdout.close()


@dataclass
class SmtpServer:
    """A real SMTP server (aiosmtpd) on loopback, keeping every message it accepts."""

    host: str
    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    async def handle_DATA(self, server: object, session: object, envelope: Envelope) -> str:
        content = envelope.content if isinstance(envelope.content, bytes) else b""
        message = BytesParser(policy=policy.default).parsebytes(content)
        assert isinstance(message, EmailMessage)
        with self.arrived:
            self.messages.append(message)
            self.arrived.notify_all()
        return "250 Message accepted for delivery"

    def wait_for(self, count: int, timeout: float = 30) -> list[EmailMessage]:
        """Block until at least `count` messages arrived (the server runs in its own thread)."""
        with self.arrived:
            if not self.arrived.wait_for(lambda: len(self.messages) >= count, timeout):
                raise TimeoutError(f"{len(self.messages)} of {count} messages arrived")
            return list(self.messages)


@contextmanager
def smtp_server() -> Iterator[SmtpServer]:
    """An SMTP server on 127.0.0.1; `start()` returns once it answers."""
    server = SmtpServer("127.0.0.1", free_port())
    controller = Controller(server, hostname=server.host, port=server.port)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


@contextmanager
def _running(argv: list[str], base: Path, ready: str, name: str) -> Iterator[None]:
    log_path = base / f"{name.lower()}.log"
    log = log_path.open("w")
    process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_ready(ready, process, log_path, name)
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@contextmanager
def alertmanager_server(base: Path, config: Path) -> Iterator[str]:
    """A real Alertmanager (Debian `prometheus-alertmanager`) on loopback; yields its URL."""
    binary = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
    if binary is None:
        raise RuntimeError("Alertmanager is not installed: run `make test` (it installs it)")
    port = free_port()
    argv = [
        binary,
        f"--config.file={config}",
        f"--storage.path={base / 'alertmanager-data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--cluster.listen-address=",  # no gossip with peers: one instance, no open port
    ]
    url = f"http://127.0.0.1:{port}"
    with _running(argv, base, f"{url}/-/ready", "Alertmanager"):
        yield url


@contextmanager
def prometheus_with_config(base: Path, config: Path) -> Iterator[str]:
    """A real Prometheus run with a config file written elsewhere (e.g. by lienthong)."""
    binary = shutil.which("prometheus")
    if binary is None:
        raise RuntimeError("Prometheus is not installed: run `make test` (it installs it)")
    port = free_port()
    argv = [
        binary,
        f"--config.file={config}",
        f"--storage.tsdb.path={base / 'tsdb'}",
        f"--web.listen-address=127.0.0.1:{port}",
    ]
    url = f"http://127.0.0.1:{port}"
    with _running(argv, base, f"{url}/-/ready", "Prometheus"):
        yield url


@contextmanager
def prometheus_on_tsdb(base: Path, tsdb: Path, rule_files: Sequence[Path] = ()) -> Iterator[str]:
    """A real Prometheus serving an existing TSDB folder (e.g. backfilled), scraping nothing."""
    binary = shutil.which("prometheus")
    if binary is None:
        raise RuntimeError("Prometheus is not installed: run `make test` (it installs it)")
    port = free_port()
    config = base / "prometheus-tsdb.yml"
    files = ", ".join(f'"{f}"' for f in rule_files)
    config.write_text(f"global: {{evaluation_interval: 1m}}\nrule_files: [{files}]\n")
    argv = [
        binary,
        f"--config.file={config}",
        f"--storage.tsdb.path={tsdb}",
        "--storage.tsdb.retention.time=100y",  # backfilled samples are years old
        f"--web.listen-address=127.0.0.1:{port}",
    ]
    url = f"http://127.0.0.1:{port}"
    with _running(argv, base, f"{url}/-/ready", "Prometheus"):
        yield url


class WebhookSink:
    """An HTTP server standing for each department's webhook: keeps what Alertmanager posts
    to /hook/CODE, and lets a test await it (serve `app()` on the test's event loop)."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, Any]]] = []
        self._changed = asyncio.Event()

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/hook/{code}", self._hook)
        return app

    async def _hook(self, request: web.Request) -> web.Response:
        self.received.append((request.match_info["code"], await request.json()))
        self._changed.set()
        return web.json_response({"ok": True})

    async def until(
        self, condition: Callable[[list[tuple[str, dict[str, Any]]]], bool], timeout: float = 60
    ) -> None:
        async with asyncio.timeout(timeout):
            while not condition(self.received):
                self._changed.clear()
                await self._changed.wait()

    def receivers(self) -> list[str]:
        return sorted(code for code, _ in self.received)


class GrafanaStandIn:
    """A local stand-in for the parts of Grafana's HTTP API `dashboards push` uses, checking
    requests as Grafana's documentation describes them (no Grafana can be installed here):
    Bearer auth, GET/POST /api/folders, PUT /api/folders/UID, GET /api/dashboards/uid/UID,
    POST /api/dashboards/db."""

    def __init__(self, token: str, read_only_token: str | None = None) -> None:
        self.token = token
        self.read_only_token = read_only_token
        self.folders: dict[str, dict[str, Any]] = {}
        self.dashboards: dict[str, dict[str, Any]] = {}  # uid -> {"dashboard", "folderUid"}
        self.requests: list[tuple[str, str]] = []
        self.posted: list[dict[str, Any]] = []

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._auth])
        app.router.add_get("/api/folders/{uid}", self._get_folder)
        app.router.add_post("/api/folders", self._create_folder)
        app.router.add_put("/api/folders/{uid}", self._update_folder)
        app.router.add_get("/api/dashboards/uid/{uid}", self._get_dashboard)
        app.router.add_post("/api/dashboards/db", self._save_dashboard)
        return app

    def writes(self) -> list[tuple[str, str]]:
        return [r for r in self.requests if r[0] != "GET"]

    @web.middleware
    async def _auth(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.requests.append((request.method, request.path))
        given = request.headers.get("Authorization", "")
        if given not in (f"Bearer {self.token}", f"Bearer {self.read_only_token}"):
            return web.json_response({"message": "Invalid API key"}, status=401)
        if request.method != "GET":
            if given != f"Bearer {self.token}":
                return web.json_response(
                    {"message": "Permissions needed: folders:create"}, status=403
                )
            if request.content_type != "application/json":
                return web.json_response({"message": "bad request data"}, status=400)
        response: web.StreamResponse = await handler(request)
        return response

    async def _get_folder(self, request: web.Request) -> web.Response:
        folder = self.folders.get(request.match_info["uid"])
        if folder is None:
            return web.json_response(
                {"message": "folder not found", "status": "not-found"}, status=404
            )
        return web.json_response(folder)

    async def _create_folder(self, request: web.Request) -> web.Response:
        body = await request.json()
        if not isinstance(body.get("title"), str) or not body["title"]:
            return web.json_response({"message": "folder title cannot be empty"}, status=400)
        uid = body.get("uid")
        if uid in self.folders:
            return web.json_response(
                {"message": "a folder with the same uid already exists"}, status=409
            )
        folder = {"id": len(self.folders) + 1, "uid": uid, "title": body["title"], "version": 1}
        self.folders[uid] = folder
        return web.json_response(folder)

    async def _update_folder(self, request: web.Request) -> web.Response:
        # Grafana's "Update folder": the title, and the version it was read at unless the
        # body says overwrite; answers the folder with its next version.
        folder = self.folders.get(request.match_info["uid"])
        if folder is None:
            return web.json_response({"message": "folder not found"}, status=404)
        body = await request.json()
        if not body.get("overwrite") and body.get("version") != folder["version"]:
            return web.json_response(
                {"message": "the folder has been changed by someone else"}, status=412
            )
        if not isinstance(body.get("title"), str) or not body["title"]:
            return web.json_response({"message": "folder title cannot be empty"}, status=400)
        folder.update(title=body["title"], version=folder["version"] + 1)
        return web.json_response(folder)

    async def _get_dashboard(self, request: web.Request) -> web.Response:
        stored = self.dashboards.get(request.match_info["uid"])
        if stored is None:
            return web.json_response({"message": "Dashboard not found"}, status=404)
        meta = {"folderUid": stored["folderUid"], "slug": "x", "provisioned": False}
        return web.json_response({"dashboard": stored["dashboard"], "meta": meta})

    async def _save_dashboard(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.posted.append(body)
        board = body.get("dashboard")
        if not isinstance(board, dict) or not board.get("title"):
            return web.json_response({"message": "Dashboard title cannot be empty"}, status=400)
        if body.get("folderUid") not in self.folders:
            return web.json_response({"message": "folder not found"}, status=400)
        uid = board.get("uid")
        existing = self.dashboards.get(uid)
        if existing is not None and not body.get("overwrite"):
            return web.json_response(
                {
                    "message": "The dashboard has been changed by someone else",
                    "status": "version-mismatch",
                },
                status=412,
            )
        if existing is None and board.get("id") is not None:
            return web.json_response({"message": "Dashboard not found"}, status=404)
        version = existing["dashboard"]["version"] + 1 if existing else 1
        number = existing["dashboard"]["id"] if existing else len(self.dashboards) + 1
        saved = {**board, "id": number, "version": version}
        self.dashboards[uid] = {"dashboard": saved, "folderUid": body["folderUid"]}
        return web.json_response(
            {
                "id": number,
                "uid": uid,
                "url": f"/d/{uid}/x",
                "status": "success",
                "version": version,
            }
        )
