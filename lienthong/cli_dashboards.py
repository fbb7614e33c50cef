"""`lienthong dashboards render|push`: the Grafana dashboards, as files or into a Grafana."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from dashboards.provisioning import Options
from i18n import _
from lienthong import settings
from lienthong.cli_args import DURATION
from lienthong.errors import UsageError

TOKEN_ENV = "GRAFANA_TOKEN"
DEFAULTS = Options()


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("dashboards", help=_("Grafana dashboards: render files or push"))
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    render = actions.add_parser(
        "render",
        help=_("write the dashboards' JSON and a Grafana file-provisioning bundle to DIR"),
    )
    render.add_argument("--out", required=True, type=Path, metavar="DIR", help=_("folder to write"))
    render.add_argument(
        "--prometheus-url",
        default=DEFAULTS.prometheus_url,
        metavar="URL",
        help=_("the Prometheus Grafana queries (provisioned data source)"),
    )
    render.add_argument(
        "--scrape-interval",
        default=DEFAULTS.scrape_interval,
        metavar="DURATION",
        help=_("Prometheus's scrape interval, the data source's minimum step ({duration})").format(
            duration=_(DURATION)
        ),
    )
    render.add_argument(
        "--dashboards-path",
        metavar="PATH",
        help=_("where Grafana will read the JSON files (default: DIR/dashboards, absolute)"),
    )
    settings.add_registry_options(render)
    render.set_defaults(run=run_render)

    upload = actions.add_parser(
        "push",
        help=_(
            "create the folder and upsert every dashboard in a Grafana (token in ${env})"
        ).format(env=TOKEN_ENV),
    )
    upload.add_argument("--url", required=True, metavar="URL", help=_("Grafana's base URL"))
    upload.add_argument(
        "--token-env",
        default=TOKEN_ENV,
        metavar="NAME",
        help=_("environment variable holding a Grafana service-account token"),
    )
    upload.add_argument(
        "--timeout", type=float, default=10.0, metavar="SECONDS", help=_("per request, in seconds")
    )
    settings.add_registry_options(upload)
    upload.set_defaults(run=run_push)


def run_render(args: argparse.Namespace) -> int:
    # Imported here: every command loads this module (`lienthong serve` too), and the
    # Grafana SDK took a third of a second of its start.
    from dashboards.files import write_dashboards

    registry = settings.registry(args)
    if args.out.exists() and not args.out.is_dir():
        raise UsageError(_("--out {out}: not a folder").format(out=args.out))
    options = Options(args.prometheus_url, args.scrape_interval, args.dashboards_path)
    written = write_dashboards(args.out, registry, options)
    boards = [p for p in written.paths if p.suffix == ".json"]
    print(
        _(
            "{out}: {n} dashboards in {boards}, provisioning in {provisioning}"
            " (Prometheus at {prometheus})"
        ).format(
            out=args.out,
            n=len(boards),
            boards=args.out / "dashboards",
            provisioning=args.out / "provisioning",
            prometheus=args.prometheus_url,
        )
    )
    return 0


def run_push(args: argparse.Namespace) -> int:
    # Imported here: every command loads this module (`lienthong serve` too), and the
    # HTTP client and Grafana's took half a second of its start.
    from dashboards.push import PushError, public_url, push

    token = os.environ.get(args.token_env, "")
    if not token:
        raise UsageError(
            _(
                "environment variable {env} is not set: put a Grafana service-account token in it"
            ).format(env=args.token_env)
        )
    registry = settings.registry(args)
    try:
        result = push(args.url, token, registry, timeout=args.timeout)
    except PushError as e:
        raise UsageError(str(e)) from None
    folder = _("folder created, ") if result.folder_created else ""
    print(
        _(
            "{url}: {folder}{created} dashboards created, {updated} updated, {unchanged} unchanged"
        ).format(
            url=public_url(args.url),
            folder=folder,
            created=len(result.created),
            updated=len(result.updated),
            unchanged=len(result.unchanged),
        )
    )
    return 0
