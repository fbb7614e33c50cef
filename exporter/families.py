"""Every metric family lienthong exposes, declared once: name, type, help.

The exporter renders them; the rules and dashboards (dashboards/) read their
names from here, so a rename is one line and cannot leave a query behind.
"""

from __future__ import annotations

from dataclasses import dataclass

JOB = "lienthong"  # the Prometheus scrape job of the exporter
OBLIGATION_LABELS = ("province", "department", "system")
OBLIGATION = ", ".join(OBLIGATION_LABELS)  # for `by (…)` and `on (…)` in queries


@dataclass(frozen=True, eq=False)  # each family is one object: hashed by identity, fast
class Family:
    name: str
    type: str
    help: str

    @property
    def series(self) -> str:
        """The name a query reads: a counter's samples carry `_total`."""
        return f"{self.name}_total" if self.type == "counter" else self.name


# The contract's five.
OBLIGATION_INFO = Family(
    "lienthong_obligation_info",
    "gauge",
    "An obligation of a department towards a national system (always 1).",
)
TRANSACTIONS = Family(
    "lienthong_transactions",
    "counter",
    "Transactions recorded for the obligation, by outcome and source.",
)
LAST_SUCCESS = Family(
    "lienthong_last_success_timestamp_seconds",
    "gauge",
    "Time of the latest successful transaction (Unix seconds).",
)
# Per national system by default (an 11-series histogram per obligation was half of
# /metrics at 100,000 obligations); per obligation, as the contract first pinned it, with
# `[metrics] durations_per_obligation = true`. Queries read it `by (system, le)`, valid
# for both.
PROBE_DURATION = Family("lienthong_probe_duration_seconds", "histogram", "Duration of probe runs.")
COMPLIANCE_RATIO = Family(
    "lienthong_compliance_ratio",
    "gauge",
    "Met required days / required days, month to date (registry timezone).",
)
# The calendar stays in Python: the exporter says what it decided. Whether today is a
# required day is the province's calendar (every obligation exported is in force
# today), so it is one series per province, not one per obligation.
WORKING_DAY = Family(
    "lienthong_working_day",
    "gauge",
    "1 if today is a working day in the province's calendar: a required day for every"
    " obligation exported (each is in force today).",
)
SUCCESSES_TODAY = Family(
    "lienthong_successes_today",
    "gauge",
    "Successful transactions since local midnight, from the sources that count"
    " (the registry's evidence; by default all).",
)
# `…_workdays`, not `…_days`: promtool check metrics rejects a `_days` suffix.
MISSED_REQUIRED_DAYS = Family(
    "lienthong_missed_required_workdays",
    "gauge",
    "Consecutive completed required days with no met day, counting back from yesterday"
    " (absent while there is none).",
)
MONTH_REQUIRED_DAYS = Family(
    "lienthong_month_required_workdays",
    "gauge",
    "Required days in the whole current month, none before the pair's first stored record"
    " (lienthong was not watching).",
)
MONTH_MET_DAYS = Family(
    "lienthong_month_met_workdays", "gauge", "Met required days so far this month."
)
MONTH_REMAINING_DAYS = Family(
    "lienthong_month_remaining_required_workdays",
    "gauge",
    "Required days of this month still to come, today included while not yet met.",
)
MONTH_MISSABLE_DAYS = Family(
    "lienthong_month_missable_required_workdays",
    "gauge",
    "Required days still to come this month that may be missed with the month still"
    " reaching its target (-1: out of reach already). Obligations to maintain only.",
)
# The service's own health.
LOCAL_HOUR = Family(
    "lienthong_local_hour", "gauge", "Current local hour in the registry's timezone (10.5 = 10:30)."
)
SCHEDULE_LAG = Family(
    "lienthong_probe_schedule_lag_seconds",
    "histogram",
    "How late probes start after their due time.",
)
PROBES_IN_FLIGHT = Family(
    "lienthong_probes_in_flight", "gauge", "Probe runs in progress, per national system."
)
CIRCUIT_STATE = Family(
    "lienthong_circuit_state",
    "gauge",
    "Circuit breaker per national system: 0 closed, 1 open (probes paused), 2 half-open.",
)
PROBE_STARTS_SKIPPED = Family(
    "lienthong_probe_starts_skipped",
    "counter",
    "Probe starts skipped, by reason: overlap (the run before still going),"
    " circuit_open, overload (the engine shed load to keep up).",
)
STORE_UP = Family(
    "lienthong_store_up",
    "gauge",
    "1 when the store took a write at the last check, 0 when it refused or did not answer.",
)
LEADER = Family(
    "lienthong_leader",
    "gauge",
    "1 if this instance leads its probe shard (it probes and exports the shard's"
    " per-obligation series), 0 if it stands by.",
)
PROVINCE_INFO = Family(
    "lienthong_province_info",
    "gauge",
    "The province this instance watches, with its name (always 1).",
)
# The sources that run inside `serve` (contract 1.2), one series per source.
SOURCE_UP = Family(
    "lienthong_source_up", "gauge", "1 when the source's last read succeeded, 0 when it failed."
)
SOURCE_RECORDS = Family(
    "lienthong_source_records",
    "counter",
    "Records a source read since the service started, by result: stored, duplicate"
    " (stored before), no_obligation (maps to no obligation), invalid.",
)
SOURCE_LAST_READ = Family(
    "lienthong_source_last_read_timestamp_seconds",
    "gauge",
    "Time of the source's last successful read (Unix seconds).",
)
SOURCE_INTERVAL = Family(
    "lienthong_source_interval_seconds", "gauge", "Seconds between two reads of the source."
)
SOURCE_UNREAD_SINCE = Family(
    "lienthong_source_unread_since_timestamp_seconds",
    "gauge",
    "X-Road sources: the time from which the server's records are not read yet (Unix seconds).",
)
SOURCE_RETENTION = Family(
    "lienthong_source_retention_seconds",
    "gauge",
    "X-Road sources: how long the security server keeps its records (keep-records-for-days).",
)
SOURCE_FAMILIES = (
    SOURCE_UP,
    SOURCE_RECORDS,
    SOURCE_LAST_READ,
    SOURCE_INTERVAL,
    SOURCE_UNREAD_SINCE,
    SOURCE_RETENTION,
)

# Per-obligation families, in exposition order; every series carries OBLIGATION_LABELS.
OBLIGATION_FAMILIES = (
    OBLIGATION_INFO,
    TRANSACTIONS,
    LAST_SUCCESS,
    PROBE_DURATION,
    COMPLIANCE_RATIO,
    SUCCESSES_TODAY,
    MISSED_REQUIRED_DAYS,
    MONTH_REQUIRED_DAYS,
    MONTH_MET_DAYS,
    MONTH_REMAINING_DAYS,
    MONTH_MISSABLE_DAYS,
)
SERVICE_FAMILIES = (
    LOCAL_HOUR,
    WORKING_DAY,
    STORE_UP,
    SCHEDULE_LAG,
    PROBES_IN_FLIGHT,
    CIRCUIT_STATE,
    PROBE_STARTS_SKIPPED,
    LEADER,
    PROVINCE_INFO,
    *SOURCE_FAMILIES,
)
ALL_FAMILIES = (*OBLIGATION_FAMILIES, *SERVICE_FAMILIES)
