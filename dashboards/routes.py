"""Alertmanager configuration: each department's alerts to that department's contacts.

Built from the registry: one receiver per department from its `contacts` (e-mail and
webhook), one route per department on the `department` label, a copy of every
critical alert to the standing department, a national-system outage to every
department that depends on the system, and an inhibition so that the outage is one
alert, not one per department.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from dashboards import rules, words
from i18n import _
from registry import Department, Registry, holds

NOBODY = "lienthong-khong-nguoi-nhan"  # a receiver with no channel, when nobody is named


def body(offset: timedelta) -> str:
    """The mail's text, its times in the registry's local time: Alertmanager's templates load
    no time zone, so the start is shifted by the registry's offset (Vietnam has no daylight
    saving) and the offset is named."""
    nanoseconds = int(offset.total_seconds()) * 1_000_000_000
    return (
        words.mail_body()
        .replace("OFFSET_NS", str(nanoseconds))
        .replace("OFFSET_NAME", rules.offset_name(offset))
    )


class SecretSourceError(ValueError):
    """The SMTP password was named by reference but cannot be read (said in one line)."""


@dataclass(frozen=True)
class Smtp:
    """How Alertmanager sends mail. The password only by reference, never inline by default."""

    smarthost: str = "localhost:25"
    sender: str = "lienthong@localhost"
    hello: str | None = None
    auth_username: str | None = None
    auth_password_file: str | None = None  # written as a reference Alertmanager reads
    auth_password_env: str | None = None  # read now and written into the file (0600)
    require_tls: bool = True

    def global_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {"smtp_smarthost": self.smarthost, "smtp_from": self.sender}
        if self.hello:
            config["smtp_hello"] = self.hello
        if self.auth_username:
            config["smtp_auth_username"] = self.auth_username
        if self.auth_password_file:
            config["smtp_auth_password_file"] = self.auth_password_file
        elif self.auth_password_env:
            value = os.environ.get(self.auth_password_env)
            if not value:
                raise SecretSourceError(
                    _("--smtp-auth-password-env: environment variable {env} is not set").format(
                        env=self.auth_password_env
                    )
                )
            config["smtp_auth_password"] = value
        config["smtp_require_tls"] = self.require_tls
        return config

    @property
    def inlines_secret(self) -> bool:
        return self.auth_password_file is None and self.auth_password_env is not None


@dataclass(frozen=True)
class Timing:
    """Notification pacing (Alertmanager durations)."""

    group_wait: str = "30s"
    group_interval: str = "5m"
    repeat_interval: str = "4h"

    def check(self) -> None:
        for name in ("group_wait", "group_interval", "repeat_interval"):
            rules.check_duration("--" + name.replace("_", "-"), getattr(self, name))


@dataclass(frozen=True)
class RoutePlan:
    """The Alertmanager document, and what the operator should know about it."""

    document: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    inlines_secret: bool = False


def _receiver(department: Department, text: str) -> dict[str, Any]:
    receiver: dict[str, Any] = {"name": department.code}
    emails = [
        {
            "to": c.email,
            "send_resolved": True,
            "headers": {"Subject": words.mail_subject()},
            "html": "",
            "text": text,
        }
        for c in department.contacts
        if c.email
    ]
    webhooks = [
        {"url": str(c.webhook), "send_resolved": True}
        for c in department.contacts
        if c.webhook is not None
    ]
    if emails:
        receiver["email_configs"] = emails
    if webhooks:
        receiver["webhook_configs"] = webhooks
    return receiver


def _current(registry: Registry, today: date) -> list[tuple[str, str]]:
    """(department, system) of the obligations not ended before `today`."""
    pairs: list[tuple[str, str]] = []
    for o in registry.obligations_between(today, date.max):
        if o.key not in pairs:
            pairs.append(o.key)
    return pairs


def _matcher(label: str, value: str, op: str = "=") -> str:
    return f'{label}{op}"{value}"'


def _any_of(values: list[str]) -> str:
    return "|".join(sorted(values))


def alertmanager_config(
    registry: Registry, today: date, smtp: Smtp | None = None, timing: Timing | None = None
) -> RoutePlan:
    """The `alertmanager.yml` document for the registry's departments."""
    smtp = smtp or Smtp()
    timing = timing or Timing()
    timing.check()
    warnings: list[str] = []
    # A department merged away (or not yet formed) gets no route: its alerts cannot fire.
    live = [d for d in registry.departments if holds(d.since, d.until, today, today)]
    reachable = [d for d in live if d.contacts]
    standing = registry.standing_department_on(today)
    if standing is not None and not (
        registry.has_department(standing) and registry.department(standing).contacts
    ):
        warnings.append(
            _("standing department {code} has no contacts: nobody gets copies").format(
                code=standing
            )
        )
        standing = None
    if standing is None:
        warnings.append(_("no standing department with contacts: critical alerts get no copy"))
    fallback = standing or NOBODY

    def receiver_of(code: str) -> str:
        if registry.has_department(code) and registry.department(code).contacts:
            return code
        return fallback

    for d in live:
        if not d.contacts:
            warnings.append(
                _("department {code} has no contacts: its alerts go to {fallback}").format(
                    code=d.code, fallback=fallback
                )
                if standing
                else _("department {code} has no contacts: its alerts reach nobody").format(
                    code=d.code
                )
            )

    pairs = _current(registry, today)
    systems = [s.code for s in registry.systems if any(sys == s.code for _, sys in pairs)]

    # A national system down: every department that depends on it, and the standing one.
    outage_routes: list[dict[str, Any]] = []
    for system in systems:
        told = sorted({receiver_of(d) for d, s in pairs if s == system} | {fallback})
        for name in told:
            outage_routes.append(
                {"receiver": name, "matchers": [_matcher("system", system)], "continue": True}
            )
    routes: list[dict[str, Any]] = [
        {
            "receiver": fallback,
            "matchers": [_matcher("alertname", rules.NATIONAL_SYSTEM_DOWN)],
            "group_by": ["system"],
            "routes": outage_routes,
        }
    ]
    # Each department's own alerts; `continue` lets a critical one reach the copy below.
    for d in live:
        routes.append(
            {
                "receiver": receiver_of(d.code),
                "matchers": [_matcher("department", d.code)],
                "continue": True,
            }
        )
    if standing is not None:
        # Departments whose alerts already reach the standing department get no copy.
        already = [standing] + [d.code for d in live if not d.contacts]
        routes.append(
            {
                "receiver": standing,
                "matchers": [
                    _matcher("severity", "critical"),
                    _matcher("department", ".+", "=~"),
                    _matcher("department", _any_of(already), "!~"),
                ],
            }
        )

    text = body(rules.utc_offset(registry, today))
    receivers = [_receiver(d, text) for d in reachable]
    if fallback == NOBODY:
        receivers.append({"name": NOBODY})
    document: dict[str, Any] = {
        "global": smtp.global_config()
        if any(c.email for d in reachable for c in d.contacts)
        else {},
        "route": {
            # Alerts with no department (the exporter itself down) go to the standing one.
            "receiver": fallback,
            "group_by": ["department"],
            "group_wait": timing.group_wait,
            "group_interval": timing.group_interval,
            "repeat_interval": timing.repeat_interval,
            "routes": routes,
        },
        "inhibit_rules": [
            {
                "source_matchers": [_matcher("alertname", rules.NATIONAL_SYSTEM_DOWN)],
                "target_matchers": [
                    _matcher("alertname", _any_of(list(rules.CAUSED_BY_SYSTEM_DOWN)), "=~")
                ],
                "equal": ["system"],
            },
            {
                # At the critical hour, the morning's warning says nothing more.
                "source_matchers": [
                    _matcher("alertname", rules.NO_SUCCESS_TODAY),
                    _matcher("severity", "critical"),
                ],
                "target_matchers": [
                    _matcher("alertname", rules.NO_SUCCESS_TODAY),
                    _matcher("severity", "warning"),
                ],
                "equal": ["department", "system"],
            },
            {
                # Days missed already say today has no success yet.
                "source_matchers": [_matcher("alertname", rules.MISSED_REQUIRED_DAYS)],
                "target_matchers": [_matcher("alertname", rules.NO_SUCCESS_TODAY)],
                "equal": ["department", "system"],
            },
        ],
        "receivers": receivers,
    }
    return RoutePlan(document, warnings, smtp.inlines_secret and bool(document["global"]))
