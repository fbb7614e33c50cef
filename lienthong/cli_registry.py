"""`lienthong registry validate|show`."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from typing import Any

from rich.console import Console
from rich.table import Table

from lienthong import cli_args, settings
from registry import Registry, load_files, resolve


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("registry", help="check and show the registry")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    validate = actions.add_parser("validate", help="check registry files (FILE:LINE: message)")
    validate.add_argument("paths", nargs="*", metavar="PATH", help="files or folders (merged)")
    settings.add_registry_options(validate)
    validate.set_defaults(run=run_validate)

    show = actions.add_parser("show", help="the obligations as a table, or JSON for scripts")
    show.add_argument(
        "--format", choices=("table", "json"), default="table", help="json: for scripts"
    )
    show.add_argument(
        "--on",
        metavar="YYYY-MM-DD",
        type=cli_args.day,
        help="only the obligations in force that day",
    )
    settings.add_registry_options(show)
    show.set_defaults(run=run_show)


def run_validate(args: argparse.Namespace) -> int:
    specs = args.paths or [settings.registry_spec(args)]
    files = [f for spec in specs for f in resolve(spec)]
    registry = load_files(files)
    print(
        f"ok: {len(registry.obligations)} obligations, {len(registry.departments)} departments,"
        f" {len(registry.systems)} systems ({registry.province.name}) in"
        f" {', '.join(str(f) for f in files)}"
    )
    return 0


def _obligations(registry: Registry, day: date | None) -> list[dict[str, Any]]:
    rows = []
    for o in registry.obligations:
        since, until = registry.window(o)
        if day is not None and not registry.in_force(o, day, day):
            continue
        department = registry.department(o.department)
        system = registry.system(o.system)
        rows.append(
            {
                "department": o.department,
                "department_name": department.name,
                "system": o.system,
                "system_name": system.name,
                "owner": system.owner,
                "kind": o.kind,
                "basis": o.basis,
                "since": since.isoformat() if since else None,
                "until": until.isoformat() if until else None,
                "min_daily_successes": o.min_daily_successes,
                "target_ratio": o.target_ratio,
                "derived": o.derived,
                "probe": str(o.probe.url) if o.probe else None,
            }
        )
    return rows


def run_show(args: argparse.Namespace) -> int:
    registry = settings.registry(args)
    rows = _obligations(registry, args.on)
    if args.format == "json":
        document = {
            "province": {"code": registry.province.code, "name": registry.province.name},
            "timezone": registry.timezone,
            "standing_department": registry.standing_department,
            "obligations": rows,
        }
        json.dump(document, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return 0
    console = Console(width=None if sys.stdout.isatty() else 200, highlight=False)
    title = f"{registry.province.name} ({registry.province.code}): {len(rows)} obligations"
    table = Table(title=title, show_lines=False, expand=False)
    for column in ("#", "Department", "National system", "Kind", "Basis", "Since", "Until"):
        table.add_column(column, overflow="fold")
    for i, r in enumerate(rows, start=1):
        kind = r["kind"] + (" (derived)" if r["derived"] else "")
        table.add_row(
            str(i),
            f"{r['department_name']}\n[dim]{r['department']}[/dim]",
            f"{r['system_name']}\n[dim]{r['system']} · {r['owner']}[/dim]",
            kind,
            r["basis"],
            r["since"] or "",
            r["until"] or "",
        )
    console.print(table)
    return 0
