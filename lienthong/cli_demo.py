"""`lienthong demo`: the simulator, the bundled Bắc Ninh probes against it, and a live summary."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import TYPE_CHECKING

from exporter.status import ObligationStatus, obligation_statuses
from exporter.words import LIVE_COLUMNS, PROBE_STATES, reason, tally
from i18n import _
from lienthong import settings
from lienthong.cli_simulate import faults_from_flags
from lienthong.demo import DEMO_DB, Demo, running_demo
from lienthong.serve_config import parse_listen
from lienthong.server import stop_signals
from registry import load_registry

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

# How each probe state shows in a terminal; its words are the status page's.
MARKS = {
    "up": "[green]● {}[/green]",
    "down": "[red]● {}[/red]",
    "waiting": "[yellow]○ {}[/yellow]",
    "passive": "[dim]– {}[/dim]",
    "paused": "[yellow]‖ {}[/yellow]",
}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "demo",
        help=_("the simulator of the national systems, probes against it, metrics, status page"),
    )
    parser.add_argument(
        "--listen", default="127.0.0.1:8080", metavar="HOST:PORT", help=_("the service's address")
    )
    settings.add_store_options(parser, default=DEMO_DB)
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="SYSTEM:KEY=VALUE[,KEY=VALUE]",
        help=_("a simulator fault from the start, e.g. csdl-dkdn:outage=true"),
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    registry = load_registry("bac-ninh")
    faults = faults_from_flags(args.fault, {s.code for s in registry.systems})
    listen = parse_listen(args.listen)
    return asyncio.run(_demo(registry, listen, database(args), faults, sys.stdout.isatty()))


def database(args: argparse.Namespace) -> str:
    """The service's database when one is given (--db, LIENTHONG_DB, the config's), as every
    command's; else the demo's own SQLite file, so that a try leaves the service's alone."""
    return settings.database_url(args, default=DEMO_DB)


async def _demo(registry, listen, database, faults, live: bool) -> int:  # type: ignore[no-untyped-def]
    # Imported here: every command loads this module (`lienthong serve` too).
    from rich.console import Console

    console = Console(highlight=False, soft_wrap=True)
    with stop_signals() as stop:
        async with running_demo(registry, listen, database, faults=faults) as demo:
            _print_urls(console, demo)
            summary = asyncio.create_task(_summary(console, demo, live))
            try:
                await stop.wait()
            finally:
                summary.cancel()
                await asyncio.gather(summary, return_exceptions=True)
                console.print(
                    _("stopping: waiting for the probes under way, writing what is buffered…")
                )
    console.print(_("demo stopped."))
    return 0


def _print_urls(console: Console, demo: Demo) -> None:
    s, sim = demo.service_url, demo.simulator_url
    console.print(f"[bold]lienthong demo[/bold] — {demo.service.registry.province.name}")
    lines = (
        (_("status page"), f"{s}/"),
        (_("metrics"), f"{s}/metrics"),
        (_("health check"), f"{s}/healthz"),
        (_("simulator"), _("{url}  (faults: {url}/admin/faults)").format(url=sim)),
        (
            _("try a fault:"),
            f"curl -X PUT -d '{{\"outage\": true}}' {sim}/admin/faults/csdl-dkdn",
        ),
    )
    for label, value in lines:
        console.print(f"  {label:<18} {value}")
    console.print("  " + _("Ctrl-C to stop."))


def _table(rows: list[ObligationStatus]) -> Table:
    from rich.table import Table

    up = sum(r.state == "up" for r in rows)
    down = sum(r.state == "down" for r in rows)
    table = Table(title=tally(up, down, len(rows)), expand=False)
    for column in ("department", "system", "state", "successes_today", "last_success", "detail"):
        table.add_column(_(LIVE_COLUMNS[column]), overflow="ellipsis", no_wrap=True)
    for r in rows:
        state = MARKS[r.state].format(_(PROBE_STATES[r.state]).lower())
        # last_success is in the registry's timezone already: what a person there reads.
        last = f"{r.last_success:%H:%M:%S}" if r.last_success else "—"
        detail = reason(r.detail) if r.detail else ""
        table.add_row(r.department, r.system, state, str(r.successes_today), last, detail)
    return table


async def _summary(console: Console, demo: Demo, live: bool) -> None:
    service = demo.service
    if live:
        from rich.live import Live

        with Live(console=console, auto_refresh=False, transient=True) as screen:
            while True:
                screen.update(
                    _table(obligation_statuses(service.state, service.probes)), refresh=True
                )
                await asyncio.sleep(1.0)
    last = None
    while True:
        rows = obligation_statuses(service.state, service.probes)
        counts = (sum(r.state == "up" for r in rows), sum(r.state == "down" for r in rows))
        if counts != last:
            console.print(tally(counts[0], counts[1], len(rows)))
            last = counts
        await asyncio.sleep(2.0)
