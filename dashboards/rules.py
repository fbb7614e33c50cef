"""Prometheus alerting rules for the obligations, as a function of the registry.

The rules are generic: one rule per kind of problem, over every obligation the
exporter exposes, not one rule per department. The names a person reads (the
department's, the system's, the clause) are looked up at alert time from
`lienthong_obligation_info` by annotation templates, so 18 or 20,000 obligations give
the same few rules, and adding an obligation to the registry adds its alerts without
touching this file. The calendar stays in Python: the exporter says whether today is
a working day (`lienthong_working_day`, a required day for every obligation it
exports) and how many more days each may miss, and the rules never reason about
holidays or targets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from dashboards import words
from dashboards.words import HOUR, HOUR_MINUTE, UNITS
from exporter import families as m
from i18n import _, current_lang
from registry import Registry

# Alert names (label `alertname`), ASCII and stable: routes and inhibitions match them.
NO_SUCCESS_TODAY = "LienthongNoSuccessToday"
MISSED_REQUIRED_DAYS = "LienthongMissedRequiredDays"
PROBES_FAILING = "LienthongProbesFailing"
MONTH_TARGET_UNREACHABLE = "LienthongMonthTargetUnreachable"
# One day left that may be missed this month (warning), or none (critical).
MONTH_MISS_BUDGET = "LienthongMonthMissBudgetLow"
NATIONAL_SYSTEM_DOWN = "LienthongNationalSystemDown"
EXPORTER_DOWN = "LienthongExporterDown"
EXPORTER_ABSENT = "LienthongExporterAbsent"
STORE_DOWN = "LienthongStoreDown"
NO_LEADER = "LienthongNoLeader"
SOURCE_NOT_READ = "LienthongSourceNotRead"
SOURCE_RETENTION_NEAR = "LienthongSourceRetentionNear"

# The per-obligation alerts a national-system outage causes: inhibited by it.
CAUSED_BY_SYSTEM_DOWN = (NO_SUCCESS_TODAY, PROBES_FAILING, MISSED_REQUIRED_DAYS)

_DURATION = re.compile(r"^([0-9]+(ms|s|m|h|d|w|y))+$")


class ThresholdError(ValueError):
    """A threshold Prometheus would refuse (said in one line)."""


# Prometheus's humanize functions write English ("2h 5m 3s", "12.5%"): in Vietnamese each is
# piped through rewrites into what a reader expects ("2 giờ 5 phút 3 giây", "12,5 %"). These
# are the language's number formats, not words: chosen by the language, not the catalogs.
def percent_pipe() -> str:
    if current_lang() != "vi":
        return "| humanizePercentage"
    return '| humanizePercentage | reReplaceAll "[.]" "," | reReplaceAll "%" " %"'


def duration_pipe() -> str:
    if current_lang() != "vi":
        return "| humanizeDuration"
    unit = {k: _(v) for k, v in UNITS.items()}
    return (
        f'| humanizeDuration | reReplaceAll "([0-9]+)d" "$1 {unit["d"]}"'
        f' | reReplaceAll "([0-9]+)h" "$1 {unit["h"]}"'
        f' | reReplaceAll "([0-9]+)m " "$1 {unit["m"]} "'
        f' | reReplaceAll "([0-9.]+)s$" "$1 {unit["s"]}"'
        ' | reReplaceAll "[.]" ","'
    )


def duration_words(value: str) -> str:
    """A Prometheus duration as people read it: '15m' -> '15 phút' ('15 min'), '1h30m' ->
    '1 giờ 30 phút'."""
    parts = re.findall(r"([0-9]+)(ms|[smhdwy])", value)
    return " ".join(f"{n} {_(UNITS[unit])}" for n, unit in parts) or value


def hour_words(hour: float) -> str:
    """A local hour as people say it: 10 -> '10 giờ' ('10:00'), 10.5 -> '10 giờ 30' ('10:30')."""
    minutes = round(hour * 60)
    h, m = divmod(minutes, 60)
    return _(HOUR_MINUTE).format(hour=h, minute=m) if m else _(HOUR).format(hour=h)


def percent_words(ratio: float) -> str:
    """0.5 -> '50 %' ('50%'): a threshold, written once in a rule's text."""
    if current_lang() != "vi":
        return f"{ratio * 100:g}%"
    return f"{ratio * 100:g} %".replace(".", ",")


def check_duration(flag: str, value: str) -> None:
    """Raise ThresholdError unless `value` is a Prometheus/Alertmanager duration."""
    if not _DURATION.match(value):
        raise ThresholdError(
            _("{flag}: {value!r} is not a duration such as 30s, 10m or 1h").format(
                flag=flag, value=value
            )
        )


@dataclass(frozen=True)
class Thresholds:
    """What counts as a problem, and how long it must last before anyone is told."""

    no_success_hour: float = 10.0  # local hour by which a required day needs a success
    no_success_critical_hour: float = 15.0  # ... after which the same alert is critical
    no_success_for: str = "10m"
    missed_days: int = 2  # consecutive required days without a success: critical
    missed_for: str = "5m"
    failure_window: str = "15m"  # probe failure ratio window
    failure_ratio: float = 0.5
    # Longer than `system_down_for`: in an outage the system alert must exist first, so
    # that it inhibits the per-department ones instead of following them.
    failure_for: str = "15m"
    system_down_ratio: float = 1.0  # every obligation on the system at least this failing
    system_down_for: str = "2m"
    unreachable_for: str = "30m"
    exporter_down_for: str = "5m"
    exporter_absent_for: str = "10m"
    store_down_for: str = "2m"

    def check(self) -> None:
        """Raise ThresholdError for a value Prometheus would refuse or that means nothing."""
        for name in (
            "no_success_for",
            "missed_for",
            "failure_window",
            "failure_for",
            "system_down_for",
            "unreachable_for",
            "exporter_down_for",
            "exporter_absent_for",
            "store_down_for",
        ):
            check_duration("--" + name.replace("_", "-"), getattr(self, name))
        if not 0 <= self.no_success_hour < 24:
            raise ThresholdError(_("--no-success-hour: must be between 0 and 24 (10.5 = 10:30)"))
        if not self.no_success_hour <= self.no_success_critical_hour < 24:
            raise ThresholdError(
                _("--no-success-critical-hour: must be between --no-success-hour and 24")
            )
        if self.missed_days < 1:
            raise ThresholdError(_("--missed-days: must be at least 1"))
        for name in ("failure_ratio", "system_down_ratio"):
            if not 0 < getattr(self, name) <= 1:
                raise ThresholdError(
                    _("{flag}: must be in (0, 1]").format(flag="--" + name.replace("_", "-"))
                )

    @property
    def failure_ratio_record(self) -> str:
        return f"lienthong:probe_failure_ratio:{self.failure_window}"


# Each annotation is its own template: it starts by naming the alert's obligation
# ($o, a label selector) and looks the names up from the exporter's series.
_THIS = (
    '{{ $o := printf "{province=%q,department=%q,system=%q}"'
    " $labels.province $labels.department $labels.system }}"
)


def _lookup(expr: str, found: str, missing: str) -> str:
    """A template running `expr` (PromQL text, may use $o) at alert time: `found` on its
    first series (as `.`), `missing` when there is none."""
    return f"{{{{ with query ({expr}) }}}}{{{{ with first . }}}}{found}{{{{ end }}}}{{{{ else }}}}{missing}{{{{ end }}}}"


def _info(label: str, missing: str) -> str:
    return _lookup(f'print "{m.OBLIGATION_INFO.series}" $o', f"{{{{ .Labels.{label} }}}}", missing)


def _value(metric: str, fmt: str = "{{ .Value }}", missing: str = "?") -> str:
    return _lookup(f'print "{metric}" $o', fmt, missing)


def _with_selector(annotations: dict[str, str], preamble: str, variable: str) -> dict[str, str]:
    """Each annotation that uses `variable` gets the `preamble` that defines it."""
    return {k: (preamble + v if variable in v else v) for k, v in annotations.items()}


def utc_offset(registry: Registry, today: date) -> timedelta:
    offset = datetime.combine(today, time(12), registry.tz).utcoffset()
    return offset if offset is not None else timedelta(0)


def offset_name(offset: timedelta) -> str:
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _last_success(registry: Registry, today: date) -> str:
    # Prometheus templates cannot load a time zone: shift by the registry's offset
    # (no daylight saving in Vietnam) and say which offset it is.
    offset = utc_offset(registry, today)
    nanoseconds = int(offset.total_seconds()) * 1_000_000_000
    at = (
        f'{{{{ ((toTime .Value).Add {nanoseconds}).Format "15:04 02/01/2006" }}}}'
        f" ({offset_name(offset)})"
    )
    ago = _lookup(
        f'print "time() - {m.LAST_SUCCESS.series}" $o',
        _(words.AGO).format(duration=f"{{{{ .Value {duration_pipe()} }}}}"),
        "",
    )
    return _value(m.LAST_SUCCESS.series, at, _(words.NEVER_SUCCEEDED)) + ago


def _obligation_annotations(registry: Registry, today: date) -> dict[str, str]:
    """Who, with which system, under which clause, and when it last worked."""
    return {
        "department_name": _info("department_name", "{{ $labels.department }}"),
        "system_name": _info("system_name", "{{ $labels.system }}"),
        "basis": _info("basis", _(words.UNKNOWN_BASIS)),
        "last_success": _last_success(registry, today),
    }


VALUE = "{{ $value }}"  # the alert's value, at alert time


def _texts(texts: dict[str, str], between: dict[str, str], **fields: str) -> dict[str, str]:
    """An alert's summary and description, the `between` annotations, then its check: each
    of its words' templates, in the current language, filled with `fields`."""
    return {
        "summary": _(texts["summary"]).format(**fields),
        "description": _(texts["description"]).format(**fields),
        **between,
        "check": _(texts["check"]).format(**fields),
    }


def _month_figures() -> dict[str, str]:
    """The month's met and required days and its target, looked up at alert time."""
    return {
        "met": _value(m.MONTH_MET_DAYS.series),
        "required": _value(m.MONTH_REQUIRED_DAYS.series),
        "target": _info(f"target {percent_pipe()}", "?"),
    }


def _both() -> tuple[str, str]:
    return _info("department_name", "{{ $labels.department }}"), _info(
        "system_name", "{{ $labels.system }}"
    )


def _standing_name(registry: Registry, today: date) -> str:
    return registry.standing_department_name_on(today) or _(words.STANDING_FALLBACK)


def recording_rules(t: Thresholds) -> list[dict[str, Any]]:
    probe = f'{m.TRANSACTIONS.series}{{job="{m.JOB}",source="probe"'
    return [
        {
            "record": t.failure_ratio_record,
            "expr": (
                f'sum by ({m.OBLIGATION}) (rate({probe},outcome="failure"}}[{t.failure_window}]))\n'
                f"/\nsum by ({m.OBLIGATION}) (rate({probe}}}[{t.failure_window}]))"
            ),
        }
    ]


def obligation_alerts(registry: Registry, t: Thresholds, today: date) -> list[dict[str, Any]]:
    """The per-obligation alerts: labels department, system, severity."""
    on = f"on ({m.OBLIGATION})"
    department, system = _both()
    common = _obligation_annotations(registry, today)
    owner = _info("owner", _(words.UNKNOWN_OWNER))
    standing = _standing_name(registry, today)
    alerts: list[dict[str, Any]] = [
        *(
            _no_success_today(t, hour, severity, department, system, common)
            for hour, severity in (
                (t.no_success_hour, "warning"),
                (t.no_success_critical_hour, "critical"),
            )
        ),
        {
            "alert": MISSED_REQUIRED_DAYS,
            "expr": (
                f"{m.MISSED_REQUIRED_DAYS.series} >= {t.missed_days}\n"
                f"unless {on} ({m.SUCCESSES_TODAY.series} > 0)"
            ),
            "for": t.missed_for,
            "labels": {"severity": "critical"},
            "annotations": {
                **_texts(
                    words.MISSED_REQUIRED_DAYS,
                    common,
                    department=department,
                    system=system,
                    value=VALUE,
                    owner=owner,
                    standing=standing,
                ),
            },
        },
        {
            "alert": PROBES_FAILING,
            "expr": f"{t.failure_ratio_record} > {t.failure_ratio:g}",
            "for": t.failure_for,
            "labels": {"severity": "warning"},
            "annotations": {
                **_texts(
                    words.PROBES_FAILING,
                    common,
                    department=department,
                    system=system,
                    value=f"{{{{ $value {percent_pipe()} }}}}",
                    window=duration_words(t.failure_window),
                    threshold=percent_words(t.failure_ratio),
                ),
            },
        },
        {
            "alert": MONTH_TARGET_UNREACHABLE,
            # The exporter decides it (-1 days may be missed: out of reach), as the status
            # pages do; the value is the number of required days left this month.
            "expr": (
                f"{m.MONTH_REMAINING_DAYS.series}\n"
                f"and {on} ({m.MONTH_MISSABLE_DAYS.series} < 0)\n"
                f"and {on} ({m.MONTH_REQUIRED_DAYS.series} > 0)"
            ),
            "for": t.unreachable_for,
            "labels": {"severity": "warning"},
            "annotations": {
                **_texts(
                    words.MONTH_TARGET_UNREACHABLE,
                    common,
                    department=department,
                    system=system,
                    value=VALUE,
                    **_month_figures(),
                ),
            },
        },
        _miss_budget(t, 1, "warning", department, system, common),
        _miss_budget(t, 0, "critical", department, system, common),
    ]
    for alert in alerts:
        alert["annotations"] = _with_selector(alert["annotations"], _THIS, "$o")
    return alerts


def _no_success_today(
    t: Thresholds,
    hour: float,
    severity: str,
    department: str,
    system: str,
    common: dict[str, str],
) -> dict[str, Any]:
    """No success yet on a required day: a warning at one local hour, critical at a later one."""
    shown = hour_words(hour)
    return {
        "alert": NO_SUCCESS_TODAY,
        "expr": (
            f"{m.SUCCESSES_TODAY.series} == 0\n"
            f"and on (province) ({m.WORKING_DAY.series} == 1)\n"
            f"and on (province) ({m.LOCAL_HOUR.series} >= {hour:g})"
        ),
        "for": t.no_success_for,
        "labels": {"severity": severity},
        "annotations": _texts(
            words.NO_SUCCESS_TODAY, common, department=department, system=system, hour=shown
        ),
    }


def _miss_budget(
    t: Thresholds, left: int, severity: str, department: str, system: str, common: dict[str, str]
) -> dict[str, Any]:
    """`left` more required days may be missed this month (while more than that remain)."""
    on = f"on ({m.OBLIGATION})"
    texts = words.MONTH_MISS_BUDGET
    which = "none" if left == 0 else "some"
    stake = _(texts[f"stake_{which}"]).format(left=left)
    return {
        "alert": MONTH_MISS_BUDGET,
        # The value is the number of required days left this month.
        "expr": (
            f"{m.MONTH_REMAINING_DAYS.series} > {left}\nand {on} ({m.MONTH_MISSABLE_DAYS.series} == {left})"
        ),
        "for": t.unreachable_for,
        "labels": {"severity": severity},
        "annotations": {
            "summary": _(texts[f"summary_{which}"]).format(
                department=department, system=system, left=left
            ),
            "description": _(texts["description"]).format(
                value=VALUE, stake=stake, **_month_figures()
            ),
            **common,
            "check": _(texts["check"]),
        },
    }


def system_alerts(t: Thresholds) -> list[dict[str, Any]]:
    """One alert per national system when every obligation on it fails (labels: system)."""
    ratio = t.failure_ratio_record
    by = "by (province, system)"
    on = "on (province, system)"
    preamble = '{{ $s := printf "{province=%q,system=%q}" $labels.province $labels.system }}'
    info = f'print "{m.OBLIGATION_INFO.series}" $s'
    system_name = _lookup(info, "{{ .Labels.system_name }}", "{{ $labels.system }}")
    owner = _lookup(info, "{{ .Labels.owner }}", _(words.UNKNOWN_OWNER))
    departments = (
        f'{{{{ range query ({info}) | sortByLabel "department" }}}}{{{{ .Labels.department_name }}}}'
        " ({{ .Labels.basis }}); {{ end }}"
    )
    alert: dict[str, Any] = {
        "alert": NATIONAL_SYSTEM_DOWN,
        # Every probed obligation on the system failing, or its circuit breaker not
        # closed (the prober has slowed its calls, so the ratio alone would fade).
        "expr": (
            f"(\n"
            f"  count {by} ({ratio} >= {t.system_down_ratio:g})\n"
            f"  == {on}\n"
            f"  count {by} ({ratio})\n"
            f")\n"
            f"or {on}\n"
            f"(max {by} ({m.CIRCUIT_STATE.series}) > 0)"
        ),
        "for": t.system_down_for,
        "labels": {"severity": "critical"},
        "annotations": _texts(
            words.NATIONAL_SYSTEM_DOWN,
            {"system_name": system_name, "owner": owner, "departments": departments},
            system=system_name,
            owner=owner,
            window=duration_words(t.failure_window),
            departments=departments,
        ),
    }
    alert["annotations"] = _with_selector(alert["annotations"], preamble, "$s")
    return [alert]


def exporter_alerts(t: Thresholds) -> list[dict[str, Any]]:
    instance = "{{ $labels.instance }}"
    return [
        {
            "alert": EXPORTER_DOWN,
            "expr": f'up{{job="{m.JOB}"}} == 0',
            "for": t.exporter_down_for,
            "labels": {"severity": "critical"},
            "annotations": _texts(words.EXPORTER_DOWN, {}, instance=instance),
        },
        {
            "alert": EXPORTER_ABSENT,
            "expr": f'absent(up{{job="{m.JOB}"}})',
            "for": t.exporter_absent_for,
            "labels": {"severity": "critical"},
            "annotations": _texts(
                words.EXPORTER_ABSENT,
                {},
                job=m.JOB,
                series=f'up{{job="{m.JOB}"}}',
                check=_(words.EXPORTER_CHECK),
            ),
        },
        {
            "alert": STORE_DOWN,
            "expr": f"{m.STORE_UP.series} == 0",
            "for": t.store_down_for,
            "labels": {"severity": "critical"},
            "annotations": _texts(words.STORE_DOWN, {}, instance=instance),
        },
    ]


def source_alerts() -> list[dict[str, Any]]:
    """The sources that run inside `serve` (labels: source): one not read for three of its
    intervals (at least three minutes: Prometheus scrapes every 15 s or so), or down since its
    first read; an X-Road source whose oldest unread record is a day from the server's
    retention (keep-records-for-days), after which it is lost."""
    on = "on (job, instance, source)"
    source, instance = "{{ $labels.source }}", "{{ $labels.instance }}"
    read_ago = _(words.SOURCE_READ_AGO).format(age=f"{{{{ $value {duration_pipe()} }}}}")
    never = _(words.SOURCE_NEVER_READ)
    return [
        {
            "alert": SOURCE_NOT_READ,
            "expr": (
                f"time() - {m.SOURCE_LAST_READ.series}\n"
                f"  > 3 * clamp_min({m.SOURCE_INTERVAL.series}, 60)\n"
                f"or\n"
                f"({m.SOURCE_UP.series} == 0 unless {on} {m.SOURCE_LAST_READ.series})"
            ),
            "for": "1m",
            "labels": {"severity": "warning"},
            "annotations": _texts(
                words.SOURCE_NOT_READ,
                {},
                source=source,
                instance=instance,
                # 0: down since it started, never read.
                age=f"{{{{ if gt $value 0.0 }}}}{read_ago}{{{{ else }}}}{never}{{{{ end }}}}",
            ),
        },
        {
            "alert": SOURCE_RETENTION_NEAR,
            "expr": (
                f"time() - {m.SOURCE_UNREAD_SINCE.series}\n"
                f"  > {on} {m.SOURCE_RETENTION.series} - 86400"
            ),
            "for": "1m",
            "labels": {"severity": "critical"},
            "annotations": _texts(
                words.SOURCE_RETENTION,
                {},
                source=source,
                instance=instance,
                age=f"{{{{ $value {duration_pipe()} }}}}",
                retention=_source_retention(),
            ),
        },
    ]


def _source_retention() -> str:
    """The source's retention in the reader's words, looked up at alert time."""
    query = (
        f'printf "{m.SOURCE_RETENTION.series}{{instance=%q,source=%q}}"'
        " $labels.instance $labels.source"
    )
    return (
        f"{{{{ with query ({query}) }}}}{{{{ . | first | value {duration_pipe()} }}}}{{{{ end }}}}"
    )


def leadership_alerts(t: Thresholds) -> list[dict[str, Any]]:
    """Instances of a shard that all stand by: nobody probes it or exports its series."""
    return [
        {
            "alert": NO_LEADER,
            "expr": f'max by (province, shard) ({m.LEADER.name}{{job="{m.JOB}"}}) == 0',
            "for": t.exporter_down_for,
            "labels": {"severity": "critical"},
            "annotations": _texts(
                words.NO_LEADER, {}, shard="{{ $labels.shard }}", province="{{ $labels.province }}"
            ),
        }
    ]


def rule_groups(registry: Registry, t: Thresholds, today: date) -> dict[str, Any]:
    """The whole rules file (`rules.yml`) as a document."""
    t.check()
    return {
        "groups": [
            {"name": "lienthong-recording", "rules": recording_rules(t)},
            {
                "name": "lienthong-obligations",
                "rules": obligation_alerts(registry, t, today) + system_alerts(t),
            },
            {"name": "lienthong-exporter", "rules": exporter_alerts(t) + leadership_alerts(t)},
            {"name": "lienthong-sources", "rules": source_alerts()},
        ]
    }


def alert_names(document: dict[str, Any]) -> list[str]:
    """Every alert defined in a rules document, in order."""
    return [r["alert"] for g in document["groups"] for r in g["rules"] if "alert" in r]
