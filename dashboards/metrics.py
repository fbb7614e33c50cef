"""The metric names the rules and dashboards read, as `lienthong serve` exposes them.

One place for them, so a rename in the exporter is a one-line change here. The four
month/streak gauges are CONVENTIONS.md's `…_days` ones under the names the exporter
ships (`…_workdays`: `promtool check metrics` rejects a `_days` suffix).
"""

from __future__ import annotations

JOB = "lienthong"  # the Prometheus scrape job of the exporter (CONVENTIONS.md)

# The contract's five.
TRANSACTIONS = "lienthong_transactions_total"
LAST_SUCCESS = "lienthong_last_success_timestamp_seconds"
PROBE_DURATION = "lienthong_probe_duration_seconds"
COMPLIANCE_RATIO = "lienthong_compliance_ratio"
OBLIGATION_INFO = "lienthong_obligation_info"

# Agreed across issues: the calendar stays in Python, the exporter says what it decided.
REQUIRED_DAY = "lienthong_required_day"
SUCCESSES_TODAY = "lienthong_successes_today"
LOCAL_HOUR = "lienthong_local_hour"
MISSED_REQUIRED_DAYS = "lienthong_missed_required_workdays"
TARGET_RATIO = "lienthong_target_ratio"
MONTH_REQUIRED_DAYS = "lienthong_month_required_workdays"
MONTH_MET_DAYS = "lienthong_month_met_workdays"
MONTH_REMAINING_DAYS = "lienthong_month_remaining_required_workdays"
MONTH_MISSABLE_DAYS = "lienthong_month_missable_required_workdays"

# Probe-engine health.
SCHEDULE_LAG = "lienthong_probe_schedule_lag_seconds"  # a histogram
PROBES_IN_FLIGHT = "lienthong_probes_in_flight"
CIRCUIT_STATE = "lienthong_circuit_state"

# Every per-obligation series carries these (ASCII codes).
OBLIGATION = "province, department, system"
