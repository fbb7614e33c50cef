"""The words of the alerts, in one place: every annotation's text, an English msgid translated
through the catalogs when the rules are rendered (Vietnamese by default: `alerts render --lang`;
the Vietnamese is in i18n/locale/vi/LC_MESSAGES/alerts.po).

Each text is a `str.format` template. Its fields are filled in by dashboards/rules.py
with names (a department, a system), figures, and the alert-time look-ups of
Prometheus's templates (`{value}` is `{{ $value }}`), so no PromQL or Go template
syntax lives here, only what a person reads — but for the mail's own template at the
end, whose words Alertmanager's Go template cannot be separated from.
"""

from __future__ import annotations

from i18n import N_, _

# Durations and hours as people read them ("15 phút", "10 giờ 30"; "15 min", "10:30").
UNITS = {
    "ms": N_("ms"),
    "s": N_("s"),
    "m": N_("min"),
    "h": N_("h"),
    "d": N_("days"),
    "w": N_("weeks"),
    "y": N_("years"),
}
HOUR = N_("{hour}:00")  # a local hour of the day, on the hour
HOUR_MINUTE = N_("{hour}:{minute:02d}")

# When an alert-time look-up finds nothing.
UNKNOWN_OWNER = N_("the owning ministry")
UNKNOWN_BASIS = N_("(unknown: see the registry)")
NEVER_SUCCEEDED = N_("no successful transaction yet")
AGO = N_(", {duration} ago")
STANDING_FALLBACK = N_("the Department of Information and Communications")  # none named

NO_SUCCESS_TODAY = {
    "summary": N_("{department}: no successful transaction with {system} today yet"),
    "description": N_(
        "Today is a working day that needs a successful transaction, but by {hour} {department}"
        " has had no successful transaction with {system}."
    ),
    "check": N_(
        "Whether the department's software still sends data to the national system (through"
        " the LGSP/NDXP gateway); whether its account and credentials (client_id, token) are"
        " still valid; the gateway's error log."
    ),
}
MISSED_REQUIRED_DAYS = {
    "summary": N_(
        "{department}: {value} working days in a row without a successful transaction with {system}"
    ),
    "description": N_(
        "For the last {value} working days in a row (up to yesterday) {department} has had no"
        " successful transaction with {system}, and none yet today."
    ),
    "check": N_(
        "The connection has been down for days: check the connection's configuration, account"
        " and certificate on the LGSP gateway now; if the national system is at fault, contact"
        " {owner} and tell {standing}."
    ),
}
PROBES_FAILING = {
    "summary": N_("{department}: {value} of the probes of {system} failed over the last {window}"),
    "description": N_(
        "The share of failed probes over the last {window} is {value}, above the threshold of"
        " {threshold}."
    ),
    "check": N_(
        "The probes' error details in lienthong; the network and the LGSP gateway; the"
        " connection's OAuth2 token; the national system's status."
    ),
}
MONTH_TARGET_UNREACHABLE = {
    "summary": N_(
        "{department}: this month can no longer reach its compliance target with {system}"
        " ({value} working days left)"
    ),
    "description": N_(
        "This month has met {met}/{required} working days; {value} working days are left. Even"
        " if every one of them has a successful transaction, the month will not reach its target"
        " of {target}."
    ),
    "check": N_(
        "Review why the month's days were missed (lienthong report --month ...); make sure every"
        " remaining working day has a successful transaction, and prepare the explanation for"
        " the monthly report."
    ),
}
MONTH_MISS_BUDGET = {
    "summary_none": N_(
        "{department}: this month may not miss one more working day without a successful"
        " transaction with {system}"
    ),
    "summary_some": N_(
        "{department}: this month may miss only {left} more working days without a successful"
        " transaction with {system}"
    ),
    "stake_none": N_("One more missed working day and the month will not reach"),
    "stake_some": N_("More than {left} more missed working days and the month will not reach"),
    "description": N_(
        "This month has met {met}/{required} working days; {value} working days that need a"
        " successful transaction are left. {stake} its target of {target}."
    ),
    "check": N_(
        "Make sure every remaining working day of the month has a successful transaction; if a"
        " missed day was not the department's fault (the national system was down), propose an"
        " excusal (POST /api/v1/excusals or lienthong excuse propose)."
    ),
}
NATIONAL_SYSTEM_DOWN = {
    "summary": N_("National system {system} is down: every connection of the province to it fails"),
    "description": N_(
        "Every probe of {system} ({owner}) over the last {window} failed (or the circuit breaker"
        " has paused the probes). Departments that depend on it: {departments}"
    ),
    "check": N_(
        "A fault of the national system or of the shared network, not of one department:"
        " contact {owner}, check the province's LGSP/NDXP gateway; follow it until it recovers."
        " Each department's own alerts about this system are grouped into this one."
    ),
}
EXPORTER_CHECK = N_(
    "Whether lienthong serve is running (systemctl status lienthong), whether Prometheus can"
    " reach its /metrics, the service's error log."
)
EXPORTER_DOWN = {
    "summary": N_("No figures collected from lienthong ({instance})"),
    "description": N_(
        "Prometheus cannot read lienthong's /metrics: no alert about the departments'"
        " connections is being evaluated."
    ),
    "check": EXPORTER_CHECK,
}
EXPORTER_ABSENT = {
    "summary": N_("Prometheus has no scrape target of job {job}"),
    "description": N_(
        "There is no {series} series: Prometheus's scrape configuration has lost lienthong, so"
        " there is no alert about the connections."
    ),
    "check": N_("The scrape_configs job_name: lienthong entry of prometheus.yml. {check}"),
}
STORE_DOWN = {
    "summary": N_("lienthong's database takes no writes ({instance})"),
    "description": N_(
        "lienthong cannot write to its database: the push API answers 503 (the departments must"
        " send again) and the probes' results are not stored yet."
    ),
    "check": N_(
        "lienthong's GET /healthz (its store field says why); whether PostgreSQL is running and"
        " taking connections; whether the disk has room; whether the SQLite file is locked or"
        " read-only."
    ),
}
SOURCE_NOT_READ = {
    "summary": N_("lienthong cannot read its data source {source} ({instance})"),
    "description": N_(
        "Source {source} has not been read for more than three read intervals (last successful"
        " read: {age}): the gateway's transactions are not reaching lienthong, today's figures"
        " may be incomplete."
    ),
    "check": N_(
        "lienthong sources status (the last error column); the status page, section Data"
        " sources; whether the WSO2 log file is still written, the drop folder writable,"
        " the X-Road security server answering (its TLS certificate still valid)."
    ),
}
SOURCE_READ_AGO = N_("{age} ago")
SOURCE_NEVER_READ = N_("never")
SOURCE_RETENTION = {
    "summary": N_(
        "X-Road source {source}: the security server is about to delete unread records ({instance})"
    ),
    "description": N_(
        "The oldest unread record of {source} is {age} old; the security server keeps records"
        " for {retention} (keep-records-for-days): in less than a day they are lost for good."
    ),
    "check": N_(
        "lienthong sources status (the last error of {source}); the connection and TLS"
        " certificate to the security server; if need be, raise keep-records-for-days on the"
        " security server for a while."
    ),
}
NO_LEADER = {
    "summary": N_("No lienthong instance leads shard {shard} (province {province})"),
    "description": N_(
        "Every instance of this shard is standing by: no probe runs, and the figures of the"
        " shard's obligations are not exported."
    ),
    "check": N_(
        "The connections of the lienthong serve instances to PostgreSQL (the pg_advisory_lock"
        " in pg_locks), the 'leadership' lines of the service's log."
    ),
}

# The mail Alertmanager sends (`alertmanager.yml`, email_configs): Go templates around the
# words, which are translated when the routes are rendered.
MAIL_TAG = N_("[Data connection]")
FIRING_SUBJECT = N_("ALERT")
RESOLVED_SUBJECT = N_("RESOLVED")
FIRING = N_("FIRING")
RESOLVED = N_("RESOLVED (back to normal)")
SEVERITY_CRITICAL = N_("critical")
SEVERITY_WARNING = N_("warning")
MAIL_LABELS = {
    "level": N_("level {severity}"),
    "department_name": N_("Department concerned"),
    "system_name": N_("National system"),
    "basis": N_("Basis"),
    "last_success": N_("Last successful transaction"),
    "departments": N_("Departments that depend on it"),
    "check": N_("To check"),
    "starts": N_("Started at"),
}
MAIL_FOOTER = N_("This mail was sent automatically by the data connection monitor (lienthong).")


def mail_subject() -> str:
    return (
        f'{_(MAIL_TAG)} {{{{ if eq .Status "firing" }}}}{_(FIRING_SUBJECT)}{{{{ else }}}}'
        f"{_(RESOLVED_SUBJECT)}{{{{ end }}}}"
        " ({{ len .Alerts }}): {{ (index .Alerts 0).Annotations.summary }}"
    )


def mail_body() -> str:
    """Plain text: it survives every mail client a department uses."""
    label = {k: _(v) for k, v in MAIL_LABELS.items()}
    severity = (
        f'{{{{ if eq .Labels.severity "critical" }}}}{_(SEVERITY_CRITICAL)}{{{{ else }}}}'
        f"{_(SEVERITY_WARNING)}{{{{ end }}}}"
    )
    level = label["level"].format(severity=severity)
    return (
        "{{ range .Alerts }}"
        f'{{{{ if eq .Status "firing" }}}}{_(FIRING)}{{{{ else }}}}{_(RESOLVED)}{{{{ end }}}} '
        f"({level}): "
        "{{ .Annotations.summary }}\n"
        "{{ .Annotations.description }}\n"
        f"{{{{ with .Annotations.department_name }}}}{label['department_name']}: {{{{ . }}}}\n"
        f"{{{{ end }}}}{{{{ with .Annotations.system_name }}}}{label['system_name']}: {{{{ . }}}}\n"
        f"{{{{ end }}}}{{{{ with .Annotations.basis }}}}{label['basis']}: {{{{ . }}}}\n"
        f"{{{{ end }}}}{{{{ with .Annotations.last_success }}}}{label['last_success']}:"
        " {{ . }}\n"
        f"{{{{ end }}}}{{{{ with .Annotations.departments }}}}{label['departments']}: {{{{ . }}}}\n"
        f"{{{{ end }}}}{label['check']}: {{{{ .Annotations.check }}}}\n"
        f'{label["starts"]}: {{{{ (.StartsAt.Add OFFSET_NS).Format "15:04 02/01/2006" }}}}'
        " (OFFSET_NAME)\n"
        "\n"
        "{{ end }}"
        f"{_(MAIL_FOOTER)}\n"
    )
