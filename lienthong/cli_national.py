"""`lienthong national report`: every province's month fetched from its `serve`, ranked."""

from __future__ import annotations

import argparse
import json
import os
import tomllib
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from dashboards.yamlout import dump
from i18n import _
from lienthong import cli_args
from lienthong.cli_args import DURATION
from lienthong.errors import UsageError, describe_os_error
from reports.files import write_atomically, write_text_atomically
from reports.national import NationalError, national_report
from reports.national_files import NATIONAL_FORMATS

TOKEN_ENV = "LIENTHONG_READ_TOKEN"
TIMEOUT = 120.0  # seconds per province: a large province's month takes a few seconds


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("national", help=_("the ministry's view over every province"))
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    report = actions.add_parser(
        "report", help=_("fetch every province's monthly report and write the national ranking")
    )
    report.add_argument("--month", required=True, metavar="YYYY-MM", type=cli_args.month)
    report.add_argument(
        "--source",
        required=True,
        nargs="+",
        metavar="URL",
        help=_("each province's lienthong serve (e.g. https://lienthong.bacninh.gov.vn)"),
    )
    report.add_argument(
        "--format",
        choices=tuple(NATIONAL_FORMATS),
        default="json",
        help=_("json and csv for scripts, xlsx and pdf for people"),
    )
    report.add_argument("--out", required=True, metavar="PATH", type=Path, help=_("file to write"))
    report.add_argument(
        "--tokens",
        metavar="FILE",
        type=Path,
        help=_(
            'TOML file of read tokens per source: "https://…" = "lt_…" (otherwise the one'
            " token in env {env})"
        ).format(env=TOKEN_ENV),
    )
    report.set_defaults(run=run_report)

    render = actions.add_parser(
        "render",
        help=_("the national Prometheus's federation config and rules, and the ranking dashboard"),
    )
    render.add_argument("--out", required=True, type=Path, metavar="DIR", help=_("folder to write"))
    render.add_argument(
        "--federate",
        required=True,
        nargs="+",
        metavar="HOST:PORT",
        help=_("each province's Prometheus (the one scraping its lienthong serve)"),
    )
    render.add_argument(
        "--interval",
        default="1m",
        metavar="DURATION",
        help=_("scrape and rule interval ({duration})").format(duration=_(DURATION)),
    )
    render.add_argument(
        "--aggregates",
        action="store_true",
        help=_(
            "federate only the provinces' sums (they load provincial-rules.yml):"
            " for commune-level registries"
        ),
    )
    render.set_defaults(run=run_render)


def run_report(args: argparse.Namespace) -> int:
    month = str(args.month)
    if not args.out.parent.is_dir():
        raise UsageError(
            _("cannot write {out}: folder {folder} does not exist").format(
                out=args.out, folder=args.out.parent
            )
        )
    tokens = _tokens(args.tokens)
    fetched = [(url, fetch_report(url, month, _token_for(url, tokens))) for url in args.source]
    try:
        ranking = national_report(month, fetched)
    except NationalError as e:
        raise UsageError(str(e)) from None
    write_atomically(args.out, lambda f: NATIONAL_FORMATS[args.format](ranking, f))
    best = ranking.provinces[0] if ranking.provinces else None
    lead = (
        _("; first {name} ({ratio})").format(name=best.name, ratio=best.share.ratio) if best else ""
    )
    print(
        _("{out}: {month}: {n} provinces ranked{lead}").format(
            out=args.out, month=month, n=len(ranking.provinces), lead=lead
        )
    )
    return 0


def run_render(args: argparse.Namespace) -> int:
    # Imported here: every command loads this module (`lienthong serve` too), and the
    # Grafana SDK behind `dashboards.national` took a third of a second of its start.
    from dashboards.national import UID as NATIONAL_UID
    from dashboards.national import (
        federation_config,
        national_dashboard,
        national_rules,
        provincial_rules,
    )

    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    (out / "dashboards").mkdir(exist_ok=True)
    header = (
        "# "
        + _("Written by `lienthong national render`: edit the command line, not this file.")
        + "\n"
    )
    config = federation_config(args.federate, args.interval, aggregates=args.aggregates)
    files = {
        out / "prometheus.yml": dump(config, header),
        out / "rules.yml": dump(national_rules(args.aggregates), header),
        out / "dashboards" / f"{NATIONAL_UID}.json": json.dumps(
            national_dashboard(), ensure_ascii=False, indent=2, sort_keys=True
        )
        + "\n",
    }
    if args.aggregates:
        files[out / "provincial-rules.yml"] = dump(provincial_rules(), header)
    for path, text in files.items():
        write_text_atomically(path, text)
        print(path)
    return 0


def _tokens(path: Path | None) -> dict[str, str]:
    if path is None:
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise UsageError(_("{path}: not valid TOML: {error}").format(path=path, error=e)) from None
    if not all(isinstance(v, str) for v in data.values()):
        raise UsageError(_("{path}: each source's token must be a string").format(path=path))
    return {k.rstrip("/"): v for k, v in data.items()}


def _token_for(url: str, tokens: dict[str, str]) -> str:
    token = tokens.get(url.rstrip("/")) or os.environ.get(TOKEN_ENV)
    if not token:
        raise UsageError(
            _("{url}: no read token (give --tokens FILE or set {env})").format(
                url=url, env=TOKEN_ENV
            )
        )
    return token


def fetch_report(url: str, month: str, token: str) -> dict[str, Any]:
    """One province's report of `month` from its service; a failure is one line."""
    address = f"{url.rstrip('/')}/api/v1/reports/{month}"
    request = urllib.request.Request(address, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:
            found = json.loads(answer.read().decode("utf-8"))
    except urllib.error.HTTPError as e:
        raise UsageError(
            _("{address}: HTTP {code} {reason}").format(
                address=address, code=e.code, reason=e.reason
            )
        ) from None
    except (urllib.error.URLError, TimeoutError, OSError) as e:
        reason = getattr(e, "reason", e)
        said = describe_os_error(reason) if isinstance(reason, OSError) else str(reason)
        raise UsageError(
            _("{address}: cannot fetch: {reason}").format(address=address, reason=said)
        ) from None
    except ValueError as e:
        raise UsageError(
            _("{address}: not a JSON report: {error}").format(address=address, error=e)
        ) from None
    if not isinstance(found, dict):
        raise UsageError(_("{address}: not a JSON report").format(address=address))
    return found
