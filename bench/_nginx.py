"""nginx on loopback: answering every probe URL with `{"error_code": 0}` (the common target),
or serving one fixed /metrics body (the peer of the scrape benchmark)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench._support import free_port, pinned_process

CONFIG = """daemon off;
master_process off;
worker_processes 1;
pid {folder}/nginx.pid;
error_log stderr crit;
events {{ worker_connections 8192; }}
http {{
    access_log off;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    keepalive_requests 10000000;
    keepalive_timeout 120s;
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        default_type application/json;
        location / {{ return 200 '{{"error_code": 0, "data": {{"ok": true}}}}'; }}
    }}
}}
"""


@contextmanager
def nginx(cpu: int | None = None) -> Iterator[str]:
    """nginx (pinned to `cpu` when given) on a free port; yields its base URL."""
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    folder = Path(tempfile.mkdtemp(prefix="lienthong-nginx-"))
    port = free_port()
    (folder / "nginx.conf").write_text(CONFIG.format(folder=folder, port=port))
    command = [binary, "-p", str(folder), "-e", "stderr", "-c", str(folder / "nginx.conf")]
    try:
        with pinned_process(command, f"http://127.0.0.1:{port}", "/ready", cpu) as url:
            yield url
    finally:
        shutil.rmtree(folder, ignore_errors=True)


STATIC = """daemon off;
master_process off;
worker_processes 1;
pid {folder}/nginx.pid;
error_log stderr crit;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    server {{
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


@contextmanager
def static_metrics(gzipped: bytes, content_type: str, cpu: int | None = None) -> Iterator[str]:
    """nginx serving `gzipped` as /metrics (gzip-encoded, of `content_type`); yields its base URL."""
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    folder = Path(tempfile.mkdtemp(prefix="lienthong-nginx-"))
    port = free_port()
    (folder / "metrics.gz").write_bytes(gzipped)
    config = STATIC.format(folder=folder, port=port, content_type=content_type)
    (folder / "nginx.conf").write_text(config)
    command = [binary, "-p", str(folder), "-e", "stderr", "-c", str(folder / "nginx.conf")]
    try:
        with pinned_process(command, f"http://127.0.0.1:{port}", "/ready", cpu) as url:
            yield url
    finally:
        shutil.rmtree(folder, ignore_errors=True)
