"""`lienthong alerts render`: Prometheus rules and Alertmanager routes from the registry."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

from dashboards.routes import SecretSourceError, Smtp, Timing
from dashboards.rules import ThresholdError, Thresholds
from i18n import _
from lienthong import settings
from lienthong.cli_args import DURATION
from lienthong.errors import UsageError

DEFAULTS = Thresholds()
TIMING = Timing()
SMTP = Smtp()


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("alerts", help=_("Prometheus alerting rules and Alertmanager routes"))
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    render = actions.add_parser(
        "render",
        help=_("write DIR/rules.yml and DIR/alertmanager.yml from the registry"),
    )
    render.add_argument("--out", required=True, type=Path, metavar="DIR", help=_("folder to write"))
    settings.add_registry_options(render)

    rules = render.add_argument_group("thresholds (rules.yml)")
    rules.add_argument(
        "--no-success-hour",
        type=float,
        default=DEFAULTS.no_success_hour,
        metavar="H",
        help=_("local hour by which a required day needs a success (warning; 10.5 = 10:30)"),
    )
    rules.add_argument(
        "--no-success-critical-hour",
        type=float,
        default=DEFAULTS.no_success_critical_hour,
        metavar="H",
        help=_("local hour after which a required day still without a success is critical"),
    )
    rules.add_argument(
        "--no-success-for",
        default=DEFAULTS.no_success_for,
        metavar="DURATION",
        help=_("how long {alert} holds before it fires ({duration})").format(
            alert="LienthongNoSuccessToday", duration=_(DURATION)
        ),
    )
    rules.add_argument(
        "--missed-days",
        type=int,
        default=DEFAULTS.missed_days,
        metavar="N",
        help=_("consecutive required days without a success before the critical alert"),
    )
    rules.add_argument(
        "--missed-for",
        default=DEFAULTS.missed_for,
        metavar="DURATION",
        help=_("how long {alert} holds before it fires ({duration})").format(
            alert="LienthongMissedRequiredDays", duration=_(DURATION)
        ),
    )
    rules.add_argument(
        "--failure-ratio",
        type=float,
        default=DEFAULTS.failure_ratio,
        metavar="R",
        help=_("share of failed probes over the window that warns"),
    )
    rules.add_argument(
        "--failure-window",
        default=DEFAULTS.failure_window,
        metavar="DURATION",
        help=_("the window the failure ratio is taken over ({duration})").format(
            duration=_(DURATION)
        ),
    )
    rules.add_argument(
        "--failure-for",
        default=DEFAULTS.failure_for,
        metavar="DURATION",
        help=_("how long {alert} holds before it fires ({duration})").format(
            alert="LienthongProbesFailing", duration=_(DURATION)
        ),
    )
    rules.add_argument(
        "--system-down-ratio",
        type=float,
        default=DEFAULTS.system_down_ratio,
        metavar="R",
        help=_("a national system is down when every obligation on it fails at least this share"),
    )
    rules.add_argument(
        "--system-down-for",
        default=DEFAULTS.system_down_for,
        metavar="DURATION",
        help=_("how long {alert} holds before it fires ({duration})").format(
            alert="LienthongNationalSystemDown", duration=_(DURATION)
        ),
    )
    rules.add_argument(
        "--unreachable-for",
        default=DEFAULTS.unreachable_for,
        metavar="DURATION",
        help=_("how long {alert} holds before it fires ({duration})").format(
            alert="LienthongMonthTargetUnreachable", duration=_(DURATION)
        ),
    )
    rules.add_argument(
        "--exporter-down-for",
        default=DEFAULTS.exporter_down_for,
        metavar="DURATION",
        help=_("how long {alert} holds before it fires ({duration})").format(
            alert="LienthongExporterDown", duration=_(DURATION)
        ),
    )
    rules.add_argument(
        "--exporter-absent-for",
        default=DEFAULTS.exporter_absent_for,
        metavar="DURATION",
        help=_("how long {alert} holds before it fires ({duration})").format(
            alert="LienthongExporterAbsent", duration=_(DURATION)
        ),
    )
    rules.add_argument(
        "--store-down-for",
        default=DEFAULTS.store_down_for,
        metavar="DURATION",
        help=_(
            "how long the store refuses writes before LienthongStoreDown fires ({duration})"
        ).format(duration=_(DURATION)),
    )

    pacing = render.add_argument_group("notifications (alertmanager.yml)")
    pacing.add_argument(
        "--group-wait",
        default=TIMING.group_wait,
        metavar="DURATION",
        help=_("wait before a new group's first notification ({duration})").format(
            duration=_(DURATION)
        ),
    )
    pacing.add_argument(
        "--group-interval",
        default=TIMING.group_interval,
        metavar="DURATION",
        help=_("wait before notifying of new alerts in a group ({duration})").format(
            duration=_(DURATION)
        ),
    )
    pacing.add_argument(
        "--repeat-interval",
        default=TIMING.repeat_interval,
        metavar="DURATION",
        help=_("wait before repeating a notification still firing ({duration})").format(
            duration=_(DURATION)
        ),
    )

    mail = render.add_argument_group("e-mail (alertmanager.yml)")
    mail.add_argument(
        "--smtp-smarthost", default=SMTP.smarthost, metavar="HOST:PORT", help=_("SMTP server")
    )
    mail.add_argument(
        "--smtp-from", default=SMTP.sender, metavar="ADDRESS", help=_("sender address")
    )
    mail.add_argument("--smtp-hello", metavar="NAME", help=_("EHLO name (Alertmanager's default)"))
    mail.add_argument("--smtp-auth-username", metavar="USER", help=_("SMTP login (default: none)"))
    secret = mail.add_mutually_exclusive_group()
    secret.add_argument(
        "--smtp-auth-password-file",
        metavar="PATH",
        help=_("file Alertmanager reads the password from (written as a reference: preferred)"),
    )
    secret.add_argument(
        "--smtp-auth-password-env",
        metavar="NAME",
        help=_(
            "environment variable holding the password: its value is written into"
            " alertmanager.yml, which is then made readable by its owner only"
        ),
    )
    mail.add_argument(
        "--smtp-require-tls",
        action=argparse.BooleanOptionalAction,
        default=SMTP.require_tls,
        help=_("require STARTTLS"),
    )
    render.set_defaults(run=run_render)


def run_render(args: argparse.Namespace) -> int:
    # Imported here: every command loads this module (`lienthong serve` too), and the
    # Grafana SDK behind `dashboards.files` took a third of a second of its start.
    from dashboards.files import write_alerts

    registry = settings.registry(args)
    if args.out.exists() and not args.out.is_dir():
        raise UsageError(_("--out {out}: not a folder").format(out=args.out))
    thresholds = Thresholds(
        no_success_hour=args.no_success_hour,
        no_success_critical_hour=args.no_success_critical_hour,
        no_success_for=args.no_success_for,
        missed_days=args.missed_days,
        missed_for=args.missed_for,
        failure_window=args.failure_window,
        failure_ratio=args.failure_ratio,
        failure_for=args.failure_for,
        system_down_ratio=args.system_down_ratio,
        system_down_for=args.system_down_for,
        unreachable_for=args.unreachable_for,
        exporter_down_for=args.exporter_down_for,
        exporter_absent_for=args.exporter_absent_for,
        store_down_for=args.store_down_for,
    )
    timing = Timing(args.group_wait, args.group_interval, args.repeat_interval)
    smtp = Smtp(
        smarthost=args.smtp_smarthost,
        sender=args.smtp_from,
        hello=args.smtp_hello,
        auth_username=args.smtp_auth_username,
        auth_password_file=args.smtp_auth_password_file,
        auth_password_env=args.smtp_auth_password_env,
        require_tls=args.smtp_require_tls,
    )
    today = datetime.now(registry.tz).date()
    try:
        written = write_alerts(args.out, registry, today, thresholds, smtp, timing)
    except (ThresholdError, SecretSourceError) as e:
        raise UsageError(str(e)) from None
    for warning in written.warnings:
        print(_("lienthong: warning: {warning}").format(warning=warning), file=sys.stderr)
    departments = len(registry.departments)
    print(
        _(
            "{rules}: rules for every obligation the exporter exposes;"
            " {routes}: routes to {departments} departments"
        ).format(rules=written.paths[0], routes=written.paths[1], departments=departments)
    )
    return 0
