"""nginx on loopback: answering every probe URL with `{"error_code": 0}` (the common target),
or serving one fixed /metrics body (the peer of the scrape benchmark)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench._support import free_port, pinned_process

HEAD = """daemon off;
master_process off;
worker_processes 1;
pid {folder}/nginx.pid;
error_log stderr crit;
events {{ worker_connections {connections}; }}
http {{
    access_log off;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
"""

CONFIG = (
    HEAD
    + """    keepalive_requests 10000000;
    keepalive_timeout 120s;
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        default_type application/json;
        location / {{ return 200 '{{"error_code": 0, "data": {{"ok": true}}}}'; }}
    }}
}}
"""
)


@contextmanager
def _running(
    template: str, cpu: int | None, files: dict[str, bytes], **values: object
) -> Iterator[str]:
    """nginx with `template` filled in (and `files` in its folder), pinned to `cpu` when
    given, on a free port; yields its base URL."""
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    folder = Path(tempfile.mkdtemp(prefix="lienthong-nginx-"))
    port = free_port()
    for name, content in files.items():
        (folder / name).write_bytes(content)
    (folder / "nginx.conf").write_text(template.format(folder=folder, port=port, **values))
    command = [binary, "-p", str(folder), "-e", "stderr", "-c", str(folder / "nginx.conf")]
    try:
        with pinned_process(command, f"http://127.0.0.1:{port}", "/ready", cpu) as url:
            yield url
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def nginx(cpu: int | None = None) -> Iterator[str]:
    """nginx (pinned to `cpu` when given) on a free port; yields its base URL."""
    with _running(CONFIG, cpu, {}, connections=8192) as url:
        yield url


STATIC = (
    HEAD
    + """    server {{
        listen 127.0.0.1:{port};
        location = /ready {{ return 200; }}
        location = /metrics {{
            types {{ }}
            default_type "{content_type}";
            add_header Content-Encoding gzip;
            alias {folder}/metrics.gz;
        }}
    }}
}}
"""
)


@contextmanager
def static_metrics(gzipped: bytes, content_type: str, cpu: int | None = None) -> Iterator[str]:
    """nginx serving `gzipped` as /metrics (gzip-encoded, of `content_type`); yields its base URL."""
    files = {"metrics.gz": gzipped}
    with _running(STATIC, cpu, files, content_type=content_type, connections=1024) as url:
        yield url
