"""`lienthong simulate`: the simulator of the national systems on its own, with fault injection."""

from __future__ import annotations

import argparse
import asyncio
import os
import socket

from aiohttp import web

from i18n import _
from lienthong import settings
from lienthong.errors import BadUsage
from lienthong.serve_config import parse_listen
from lienthong.server import bound_socket, start_site, stop_signals, url_of
from simulator.apis import base_path
from simulator.app import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, simulator_app
from simulator.faults import Fault, parse_fault_flag
from store.database import first_line

ID_ENV = "LIENTHONG_SIM_CLIENT_ID"
SECRET_ENV = "LIENTHONG_SIM_CLIENT_SECRET"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "simulate", help=_("the simulator of the national systems, with fault injection")
    )
    parser.add_argument(
        "--listen", default="127.0.0.1:8081", metavar="HOST:PORT", help=_("default 127.0.0.1:8081")
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="SYSTEM:KEY=VALUE[,KEY=VALUE]",
        help=_(
            "a fault from the start, e.g. csdl-dkdn:outage=true or ho-tich:sequence=ok+error_body"
        ),
    )
    parser.add_argument(
        "--token-life",
        type=int,
        default=3600,
        metavar="SECONDS",
        help=_("how long an issued token is valid, in seconds"),
    )
    parser.add_argument(
        "--open", action="store_true", help=_("answer API calls without a token (for benchmarks)")
    )
    settings.add_registry_options(parser)
    parser.set_defaults(run=run)


def faults_from_flags(flags: list[str], systems: set[str]) -> dict[str, Fault]:
    faults = {}
    for flag in flags:
        try:
            system, fault = parse_fault_flag(flag)
        except ValueError as e:
            raise BadUsage(first_line(e)) from None
        if system not in systems:
            raise BadUsage(
                _("--fault {flag!r}: unknown system {system!r}").format(flag=flag, system=system)
            )
        faults[system] = fault
    return faults


def run(args: argparse.Namespace) -> int:
    registry = settings.registry(args)
    systems = [s.code for s in registry.systems]
    faults = faults_from_flags(args.fault, set(systems))
    host, port = parse_listen(args.listen)
    sock = bound_socket(host, port)
    app = simulator_app(
        systems,
        faults,
        client_id=os.environ.get(ID_ENV, DEMO_CLIENT_ID),
        client_secret=os.environ.get(SECRET_ENV, DEMO_CLIENT_SECRET),
        token_life=args.token_life,
        require_token=not args.open,
    )
    return asyncio.run(_simulate(app, sock, systems))


async def _simulate(app: web.Application, sock: socket.socket, systems: list[str]) -> int:
    with stop_signals() as stop:
        runner = await start_site(app, sock)
        try:
            _announce(url_of(sock), systems)
            await stop.wait()
        finally:
            await runner.cleanup()
    return 0


def _announce(base: str, systems: list[str]) -> None:
    print(_("lienthong simulate: {n} national systems at {base}").format(n=len(systems), base=base))
    print(
        "  "
        + _("token:  POST {base}/token (Basic {id}:{secret}, default demo client)").format(
            base=base, id=ID_ENV, secret=SECRET_ENV
        )
    )
    for system in systems:
        print(f"  {system:22} {base}{base_path(system)}/...")
    print(
        "  "
        + _("faults: GET|DELETE {base}/admin/faults, PUT|DELETE {base}/admin/faults/SYSTEM").format(
            base=base
        )
    )
