"""`lienthong serve`: probes and the HTTP service (metrics, status page, push API) until stopped."""

from __future__ import annotations

import argparse
import asyncio
import logging
import socket
import sys
from pathlib import Path

from aiohttp import web

from exporter.app import create_app
from lienthong import settings
from lienthong.errors import UsageErrors
from lienthong.serve_config import load_config, parse_listen
from lienthong.server import bound_socket, start_site, stop_signals, url_of
from probes.auth import secret_problems
from registry import Registry, load_registry
from reports.scheduled import exports_schedule
from store import open_store, sync_registry


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "serve", help="run the probes and the HTTP service (metrics, status page, push API)"
    )
    parser.add_argument("--config", type=Path, metavar="FILE", help="TOML config file")
    parser.add_argument(
        "--listen", metavar="HOST:PORT", help="address of the HTTP service (default 127.0.0.1:9464)"
    )
    settings.add_store_options(parser)
    settings.add_registry_options(parser)
    parser.set_defaults(run=run)


def setup_logging() -> None:
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(name)s: %(message)s"
    )
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)


def check_probe_secrets(registry: Registry) -> None:
    """Refuse to start while any probe's secret cannot be read: each named once, never shown."""
    users: dict[str, list[str]] = {}  # problem → the probes it stops
    for o in registry.obligations:
        if o.probe is not None:
            for problem in secret_problems(o.probe.auth):
                users.setdefault(problem, []).append(f"{o.department}/{o.system}")
    if users:
        raise UsageErrors(
            [
                f"{problem} (probe of {probes[0]}"
                + (f" and {len(probes) - 1} more)" if len(probes) > 1 else ")")
                for problem, probes in users.items()
            ]
        )


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    host, port = parse_listen(args.listen or config.listen)
    url = settings.database_url(args, config.database)
    spec = settings.registry_spec(args, config.registry)
    registry = load_registry(spec)
    if config.probes.enabled:
        check_probe_secrets(registry)
    store = open_store(url)
    try:
        sync_registry(store, registry)
        sock = bound_socket(host, port)
        app = create_app(registry, store, config.probe_settings(), config.service_options())
        if config.exports.enabled:
            # The monthly and quarterly exports, written by the service on the 1st at 07:00.
            app.cleanup_ctx.append(
                exports_schedule(
                    store, registry, config.exports, registry_spec=spec, database_url=url
                )
            )
        setup_logging()
        return asyncio.run(_serve(app, sock))
    finally:
        store.dispose()


async def _serve(app: web.Application, sock: socket.socket) -> int:
    with stop_signals() as stop:
        runner = await start_site(app, sock)
        base = url_of(sock)
        print(
            f"lienthong serve: status page {base}/ · metrics {base}/metrics · health {base}/healthz"
            f" · push API {base}/api/v1/transactions",
            flush=True,
        )
        try:
            await stop.wait()
        finally:
            await runner.cleanup()
    print("lienthong serve: stopped", file=sys.stderr)
    return 0
