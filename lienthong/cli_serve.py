"""`lienthong serve`: probes and the HTTP service (metrics, status page, push API) until stopped."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import socket
import sys
from pathlib import Path

from aiohttp import web

from lienthong import settings
from lienthong.errors import UsageError
from lienthong.serve_config import load_config, parse_listen
from lienthong.server import bound_socket, start_site, stop_signals, url_of
from lienthong.service import create_service, while_leading
from probes.auth import check_secrets
from probes.secrets import SecretError
from probes.shard import Shard
from registry import Registry, load_registry
from reports.scheduled import run_schedule
from store import open_store, sync_registry
from store.database import DEFAULT_URL


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "serve", help="run the probes and the HTTP service (metrics, status page, push API)"
    )
    parser.add_argument("--config", type=Path, metavar="FILE", help="TOML config file")
    parser.add_argument(
        "--listen", metavar="HOST:PORT", help="address of the HTTP service (default 127.0.0.1:9464)"
    )
    parser.add_argument(
        "--shard",
        metavar="I/N",
        help="probe and export shard I of N of the obligations (overrides [probes] shard)",
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
    """Refuse to start when a probe's secret cannot be read (named, never shown)."""
    for o in registry.obligations:
        if o.probe is None:
            continue
        try:
            check_secrets(o.probe.auth)
        except SecretError as e:
            raise UsageError(f"probe of {o.department}/{o.system}: {e}") from None


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    if args.shard is not None:
        try:
            shard = str(Shard.parse(args.shard))
        except ValueError as e:
            raise UsageError(f"--shard: {e}") from None
        config = config.model_copy(
            update={"probes": config.probes.model_copy(update={"shard": shard})}
        )
    host, port = parse_listen(args.listen or config.listen)
    url = args.db or config.database or os.environ.get(settings.DB_ENV) or DEFAULT_URL
    registry = load_registry(
        args.registry or config.registry or os.environ.get(settings.REGISTRY_ENV) or None
    )
    if config.probes.enabled:
        check_probe_secrets(registry)
    store = open_store(url)
    try:
        sync_registry(store, registry)
        sock = bound_socket(host, port)
        app = create_service(registry, store, config.probe_settings(), config.service_options())
        if config.exports.enabled:
            # The monthly and quarterly exports, written by the service on the 1st at 07:00.
            spec = args.registry or config.registry or os.environ.get(settings.REGISTRY_ENV)
            # Written by one instance of those sharing the store: the holder of the lock.
            app.cleanup_ctx.append(
                while_leading(
                    store,
                    registry.province.code,
                    "exports",
                    config.ha.takeover,
                    lambda: run_schedule(
                        store, registry, config.exports, registry_spec=spec, database_url=url
                    ),
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
