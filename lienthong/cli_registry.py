"""`lienthong registry validate|show|history|merge`."""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from i18n import _, use_lang
from lienthong import cli_args, settings
from lienthong.errors import UsageError
from registry import Registry, load_files, resolve
from registry.history import changes, lineage
from registry.loader import BUNDLED, load_texts
from registry.model import kind_name
from reports.files import write_text_atomically


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("registry", help=_("check and show the registry"))
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    validate = actions.add_parser("validate", help=_("check registry files (FILE:LINE: message)"))
    validate.add_argument("paths", nargs="*", metavar="PATH", help=_("files or folders (merged)"))
    settings.add_registry_options(validate)
    validate.set_defaults(run=run_validate)

    show = actions.add_parser("show", help=_("the obligations as a table, or JSON for scripts"))
    show.add_argument(
        "--format", choices=("table", "json"), default="table", help=_("json: for scripts")
    )
    show.add_argument(
        "--on",
        metavar="YYYY-MM-DD",
        type=cli_args.day,
        help=_("only the obligations in force that day"),
    )
    settings.add_registry_options(show)
    show.set_defaults(run=run_show)

    history = actions.add_parser(
        "history", help=_("a department's or system's lineage, or every change of the registry")
    )
    history.add_argument("code", nargs="?", metavar="CODE", help=_("a department or system code"))
    history.add_argument(
        "--format", choices=("text", "json"), default="text", help=_("json: for scripts")
    )
    settings.add_registry_options(history)
    history.set_defaults(run=run_history)

    merge = actions.add_parser(
        "merge",
        help=_(
            "write a department's or system's merger into registry files (shows the diff first)"
        ),
    )
    old = merge.add_mutually_exclusive_group(required=True)
    old.add_argument("--department", metavar="OLD", help=_("the department that merges away"))
    old.add_argument("--system", metavar="OLD", help=_("the system that merges away"))
    merge.add_argument("--into", metavar="NEW", required=True, help=_("its successor's code"))
    merge.add_argument(
        "--on",
        metavar="YYYY-MM-DD",
        type=cli_args.day,
        required=True,
        help=_("the successor's first day"),
    )
    merge.add_argument("--name", help=_("the successor's name, to create it when it is not there"))
    merge.add_argument("--yes", action="store_true", help=_("write without asking"))
    merge.add_argument("files", nargs="+", metavar="FILE", help=_("the registry files to edit"))
    merge.set_defaults(run=run_merge)


def run_validate(args: argparse.Namespace) -> int:
    specs = args.paths or [settings.registry_spec(args)]
    files = [f for spec in specs for f in resolve(spec)]
    registry = load_files(files)
    print(
        _(
            "ok: {obligations} obligations, {departments} departments, {systems} systems"
            " ({province}) in {files}"
        ).format(
            obligations=len(registry.obligations),
            departments=len(registry.departments),
            systems=len(registry.systems),
            province=registry.province.name,
            files=", ".join(str(f) for f in files),
        )
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
        # The owner that day; without a day, the owner at the obligation's end (or now).
        shown = day or (until - timedelta(days=1) if until else None)
        rows.append(
            {
                "department": o.department,
                "department_name": department.name,
                "system": o.system,
                "system_name": system.name,
                "owner": system.owner_on(shown) if shown else system.owner,
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
    # Imported here: every command loads this module (`lienthong serve` too).
    from rich.console import Console
    from rich.table import Table

    registry = settings.registry(args)
    day: date | None = args.on
    rows = _obligations(registry, day)
    province = registry.province_on(day) if day else registry.province
    standing = registry.standing_department_on(day) if day else registry.standing_department
    if args.format == "json":
        document = {
            "province": {"code": province.code, "name": province.name},
            "timezone": registry.timezone,
            "standing_department": standing,
            "obligations": rows,
            # Contract 1.2: which platform the law requires, from when, of which duties.
            "platform_requirements": [
                r.model_dump(mode="json")
                for r in registry.platform_requirements
                if day is None or (r.since <= day and (r.until is None or day < r.until))
            ],
        }
        json.dump(document, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return 0
    console = Console(width=None if sys.stdout.isatty() else 200, highlight=False)
    title = _("{province} ({code}): {n} obligations").format(
        province=province.name, code=province.code, n=len(rows)
    )
    if day is not None:
        title += _(" in force on {day}").format(day=day)
    if standing is not None:
        title += _(" · standing department {code}").format(code=standing)
    table = Table(title=title, show_lines=False, expand=False)
    columns = ("#", _("Department"), _("National system"), _("Kind"), _("Basis"), _("Since"),
               _("Until"))  # fmt: skip
    for column in columns:
        table.add_column(column, overflow="fold")
    for i, r in enumerate(rows, start=1):
        kind = kind_name(r["kind"]) + (_(" (derived)") if r["derived"] else "")
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


def run_history(args: argparse.Namespace) -> int:
    registry = settings.registry(args)
    if args.code is None:
        if args.format == "json":
            with use_lang("en"):  # what programs read stays as it is (contract 1.2)
                found = changes(registry)
            document: Any = [
                {"day": c.day.isoformat(), "subject": c.subject, "change": c.text} for c in found
            ]
            json.dump(document, sys.stdout, ensure_ascii=False, indent=2)
            sys.stdout.write("\n")
        else:
            for c in changes(registry):
                print(f"{c.day}  {c.text}")
        return 0
    try:
        story = lineage(registry, args.code)
    except KeyError:
        raise UsageError(
            _("no department or system {code!r} in the registry").format(code=args.code)
        ) from None
    if args.format == "json":
        json.dump(story, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        print("\n".join(_lineage_lines(story)))
    return 0


def _span(since: str | None, until: str | None) -> str:
    return "{since} → {until}".format(since=since or "…", until=until or _("now"))


def _lineage_lines(story: dict[str, Any]) -> list[str]:
    """A lineage for people: what it was, what it merged from and into, its duties."""
    kinds = {"department": _("department"), "system": _("system")}
    lines = [
        f"{kinds.get(story['type'], story['type'])} {story['code']}: {story['name']}",
        "  " + _("exists: {span}").format(span=_span(story["since"], story["until"])),
    ]
    for x in story["merged_from"]:
        lines.append(
            "  "
            + _("merged from: {code} ({name}) on {day}").format(
                code=x["code"], name=x["name"], day=x["until"]
            )
        )
    if story["merged_into"]:
        lines.append(
            "  "
            + _("merged into: {code} on {day}").format(
                code=story["merged_into"], day=story["until"]
            )
        )
    if story["note"]:
        lines.append("  " + _("note: {note}").format(note=story["note"]))
    for p in story.get("standing", []):
        lines.append(
            "  " + _("standing department: {span}").format(span=_span(p["since"], p["until"]))
        )
    for p in story.get("owners", []):
        note = f" ({p['note']})" if p["note"] else ""
        lines.append(
            "  "
            + _("owner: {name}, {span}").format(name=p["name"], span=_span(p["since"], p["until"]))
            + note
        )
    lines.append("  " + _("duties:"))
    for d in story["duties"]:
        derived = _(", derived") if d["derived"] else ""
        who = d.get("system") or d.get("department")
        line = f"    {who} ({kind_name(d['kind'])}{derived}): {_span(d['since'], d['until'])}"
        if d.get("from"):
            line += _("; continues {codes}'s").format(codes=", ".join(d["from"]))
        if d.get("to"):
            line += _("; passes to {codes}").format(codes=", ".join(d["to"]))
        lines.append(line)
    if not story["duties"]:
        lines.append("    " + _("(none)"))
    return lines


def run_merge(args: argparse.Namespace) -> int:
    # Imported here: every command loads this module (`lienthong serve` too).
    from registry.merge import Kind, MergeError, plan_merge

    day: date = args.on
    kind: Kind = "department" if args.department else "system"
    old = args.department or args.system
    files = [Path(f) for f in args.files]
    try:
        plan = plan_merge(files, kind, old, args.into, day, args.name)
    except MergeError as e:
        raise UsageError(str(e)) from None
    # The result must validate, with the files it is read with, before anything is shown.
    sources = [(str(p), plan.texts.get(p, plan.originals[p])) for p in files]
    load_texts([*sources, *_companions(files, [text for _, text in sources])])
    for path in files:
        if path in plan.texts:
            sys.stdout.writelines(
                difflib.unified_diff(
                    plan.originals[path].splitlines(keepends=True),
                    plan.texts[path].splitlines(keepends=True),
                    fromfile=_("{path} (before)").format(path=path),
                    tofile=_("{path} (after)").format(path=path),
                )
            )
    for message in plan.messages:
        print(f"# {message}")
    if not plan.texts:
        print(_("nothing to change"))
        return 0
    if not args.yes and not _confirm(_("write these changes? [y/N] ")):
        raise UsageError(_("nothing written (answer y, or give --yes)"))
    for path, text in plan.texts.items():
        write_text_atomically(path, text)
    print(_("written: {files}").format(files=", ".join(str(p) for p in plan.texts)))
    return 0


def _companions(files: list[Path], texts: list[str]) -> list[tuple[str, str]]:
    """The files the edited ones are read with: the other YAML files of their folders, and
    the bundled national catalogue when none of them lists systems."""
    paths: list[Path] = []
    for folder in dict.fromkeys(f.resolve().parent for f in files):
        for p in sorted(folder.iterdir()):
            if p.suffix in (".yml", ".yaml") and p.resolve() not in {f.resolve() for f in files}:
                paths.append(p)
    found = [(str(p), p.read_text(encoding="utf-8")) for p in paths]
    if not any(_lists_systems(text) for text in [*texts, *(t for _, t in found)]):
        found += [
            (str(p), p.read_text(encoding="utf-8"))
            for p in sorted((BUNDLED / "national").glob("*.yml"))
        ]
    return found


def _lists_systems(text: str) -> bool:
    return any(line.startswith("systems:") for line in text.splitlines())


def _confirm(question: str) -> bool:
    if not sys.stdin.isatty():
        return False
    try:
        return input(question).strip().lower() in ("y", "yes", "c", "có")
    except EOFError:
        return False
