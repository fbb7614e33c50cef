"""Realistic series of every metric the dashboards read, as `lienthong serve` exposes them,
written as OpenMetrics for `promtool tsdb create-blocks-from openmetrics`.

A stand-in for a live exporter while the dashboards are tested: three hours of a working
morning, probes every five minutes, one national system going down (its circuit breaker
opening), one obligation failing all day, one that has missed two days. Swap it for a
Prometheus scraping `lienthong serve` and the same dashboard tests apply.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from registry import Obligation, Registry

DURATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, math.inf)
LAG_BUCKETS = (0.001, 0.01, 0.1, 1.0, 10.0, math.inf)
JOB = {"job": "lienthong", "instance": "127.0.0.1:9464"}


@dataclass(frozen=True)
class Scenario:
    """What happens during the morning the series describe."""

    end: datetime  # aware; the last sample
    hours: float = 3
    step: int = 60  # seconds between scrapes
    probe_every: int = 300
    down_system: str = "ho-tich"  # every probe fails for the last `down_minutes`
    down_minutes: int = 45
    failing_all_day: tuple[str, str] = ("so-xaydung", "ql-phuong-tien")
    missed_two_days: tuple[str, str] = ("so-xaydung", "dvc-bo-xay-dung")

    @property
    def start(self) -> datetime:
        return self.end - timedelta(hours=self.hours)

    def times(self) -> Iterator[datetime]:
        t = self.start
        while t <= self.end:
            yield t
            t += timedelta(seconds=self.step)


def _labels(items: dict[str, str]) -> str:
    def esc(v: str) -> str:
        return v.replace("\\", r"\\").replace('"', r"\"").replace("\n", r"\n")

    return "{" + ",".join(f'{k}="{esc(v)}"' for k, v in items.items()) + "}"


def _le(bound: float) -> str:
    return "+Inf" if math.isinf(bound) else repr(bound)


class Family:
    def __init__(self, name: str, kind: str) -> None:
        self.name = name
        self.kind = kind
        self.lines: list[str] = []

    def add(self, sample: str, labels: dict[str, str], ts: datetime, value: float) -> None:
        self.lines.append(f"{sample}{_labels(labels)} {value:g} {ts.timestamp():.0f}")

    def text(self) -> str:
        return f"# TYPE {self.name} {self.kind}\n" + "".join(line + "\n" for line in self.lines)


def _probe_ok(s: Scenario, o: Obligation, at: datetime) -> bool:
    broken = (o.department, o.system) == s.failing_all_day
    down = o.system == s.down_system and at > s.end - timedelta(minutes=s.down_minutes)
    return not (broken or down)


def _duration(o: Obligation, n: int, ok: bool) -> float:
    if not ok:
        return 10.0  # the probe's timeout
    return 0.05 + (zlib.crc32(f"{o.department}{o.system}{n}".encode()) % 900) / 1000


def openmetrics(registry: Registry, s: Scenario) -> str:
    """The whole morning, as one OpenMetrics document."""
    province = registry.province.code
    tz = registry.tz
    families = {
        name: Family(name, kind)
        for name, kind in (
            ("lienthong_obligation_info", "gauge"),
            ("lienthong_transactions", "counter"),
            ("lienthong_last_success_timestamp_seconds", "gauge"),
            ("lienthong_probe_duration_seconds", "histogram"),
            ("lienthong_compliance_ratio", "gauge"),
            ("lienthong_successes_today", "gauge"),
            ("lienthong_missed_required_workdays", "gauge"),
            ("lienthong_month_required_workdays", "gauge"),
            ("lienthong_month_met_workdays", "gauge"),
            ("lienthong_month_remaining_required_workdays", "gauge"),
            ("lienthong_month_missable_required_workdays", "gauge"),
            ("lienthong_local_hour", "gauge"),
            ("lienthong_working_day", "gauge"),
            ("lienthong_probe_schedule_lag_seconds", "histogram"),
            ("lienthong_probes_in_flight", "gauge"),
            ("lienthong_circuit_state", "gauge"),
            ("up", "gauge"),
            ("scrape_duration_seconds", "gauge"),
        )
    }
    obligations = [
        o for o in registry.obligations if registry.in_force(o, s.end.date(), s.end.date())
    ]
    midnight = s.end.astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0)
    durations: dict[str, dict[datetime, list[float]]] = {}  # system → time → buckets, sum, count
    for o in obligations:
        base = {"province": province, "department": o.department, "system": o.system, **JOB}
        d, y = registry.department(o.department), registry.system(o.system)
        info = {
            **base,
            "kind": o.kind,
            "department_name": d.name,
            "system_name": y.name,
            "owner": y.owner,
            "basis": o.basis,
            "target": f"{o.target_ratio:g}",
        }
        counts = {"success": 0, "failure": 0}
        pushed = 0
        buckets = [0] * len(DURATION_BUCKETS)
        total = 0.0
        last: float | None = (midnight - timedelta(hours=15)).timestamp()  # yesterday afternoon
        today = 0
        n = 0
        broken = (o.department, o.system) == s.failing_all_day
        rows: list[tuple[datetime, dict[str, float]]] = []
        for t in s.times():
            if int(t.timestamp()) % s.probe_every == 0:
                ok = _probe_ok(s, o, t)
                n += 1
                counts["success" if ok else "failure"] += 1
                seconds = _duration(o, n, ok)
                total += seconds
                for i, bound in enumerate(DURATION_BUCKETS):
                    buckets[i] += seconds <= bound
                if ok:
                    last = t.timestamp()
                    today += 1
                if not broken and n % 4 == 0:
                    pushed += 1  # the department's own software pushes a record too
                    today += 1
            local = t.astimezone(tz)
            missed = 2 if (o.department, o.system) == s.missed_two_days else 1 if broken else 0
            met_days = 4 - missed
            met_today = today >= o.min_daily_successes
            rows.append(
                (
                    t,
                    {
                        "info": 1,
                        "success": counts["success"],
                        "failure": counts["failure"],
                        "push": pushed,
                        "last": last or 0,
                        "ratio": round((met_days + met_today) / 5, 4),
                        "today": today,
                        "missed": missed,
                        "month_required": 23,
                        "met": met_days + met_today,
                        "remaining": 23 - 5 + (0 if met_today else 1),
                        # At most this many of the days left may be missed (23 days, target).
                        "missable": max(
                            -1, math.floor(23 - 5 + met_days + met_today - o.target_ratio * 23)
                        ),
                        "hour": local.hour + local.minute / 60,
                        "count": n,
                        "sum": total,
                        **{f"b{i}": b for i, b in enumerate(buckets)},
                    },
                )
            )
        f = families
        for t, v in rows:
            f["lienthong_obligation_info"].add("lienthong_obligation_info", info, t, v["info"])
        for outcome in ("success", "failure"):
            labels = {**base, "outcome": outcome, "source": "probe"}
            for t, v in rows:
                f["lienthong_transactions"].add(
                    "lienthong_transactions_total", labels, t, v[outcome]
                )
        if not broken:
            for outcome in ("success", "failure"):
                labels = {**base, "outcome": outcome, "source": "push"}
                for t, v in rows:
                    value = v["push"] if outcome == "success" else 0
                    f["lienthong_transactions"].add(
                        "lienthong_transactions_total", labels, t, value
                    )
        simple = {
            "lienthong_last_success_timestamp_seconds": "last",
            "lienthong_compliance_ratio": "ratio",
            "lienthong_successes_today": "today",
            "lienthong_missed_required_workdays": "missed",
            "lienthong_month_required_workdays": "month_required",
            "lienthong_month_met_workdays": "met",
            "lienthong_month_remaining_required_workdays": "remaining",
            "lienthong_month_missable_required_workdays": "missable",
        }
        for name, key in simple.items():
            if key == "missable" and o.kind != "maintain":
                continue  # the exporter gives it for obligations to maintain only
            for t, v in rows:
                if key == "missed" and not v[key]:
                    continue  # the exporter gives it only while there is a streak
                f[name].add(name, base, t, v[key])
        # The duration histogram is per national system (the exporter's default form).
        for t, v in rows:
            acc = durations.setdefault(o.system, {}).setdefault(
                t, [0.0] * (len(DURATION_BUCKETS) + 2)
            )
            for i in range(len(DURATION_BUCKETS)):
                acc[i] += v[f"b{i}"]
            acc[-2] += v["sum"]
            acc[-1] += v["count"]
    hist = families["lienthong_probe_duration_seconds"]
    for system, by_time in sorted(durations.items()):
        labels = {"province": province, "system": system, **JOB}
        for t, acc in by_time.items():
            for i, bound in enumerate(DURATION_BUCKETS):
                hist.add(
                    "lienthong_probe_duration_seconds_bucket",
                    {**labels, "le": _le(bound)},
                    t,
                    acc[i],
                )
            hist.add("lienthong_probe_duration_seconds_sum", labels, t, acc[-2])
            hist.add("lienthong_probe_duration_seconds_count", labels, t, acc[-1])

    # The process-wide series: local hour, engine health, the scrape itself.
    times = list(s.times())
    for t in times:
        local = t.astimezone(tz)
        families["lienthong_local_hour"].add(
            "lienthong_local_hour", {"province": province, **JOB}, t, local.hour + local.minute / 60
        )
        families["lienthong_working_day"].add(
            "lienthong_working_day", {"province": province, **JOB}, t, 1
        )
    lag = families["lienthong_probe_schedule_lag_seconds"]
    for k, t in enumerate(times):
        runs = k * len(obligations) // 5
        for i, bound in enumerate(LAG_BUCKETS):
            share = (0.5, 0.9, 0.99, 1, 1, 1)[i]
            lag.add(
                "lienthong_probe_schedule_lag_seconds_bucket",
                {**JOB, "le": _le(bound)},
                t,
                int(runs * share),
            )
        lag.add("lienthong_probe_schedule_lag_seconds_sum", JOB, t, runs * 0.004)
        lag.add("lienthong_probe_schedule_lag_seconds_count", JOB, t, runs)
    systems = sorted({o.system for o in obligations})
    for system in systems:
        for k, t in enumerate(times):
            families["lienthong_probes_in_flight"].add(
                "lienthong_probes_in_flight", {"system": system, **JOB}, t, (k + len(system)) % 3
            )
        for t in times:
            opened = system == s.down_system and t > s.end - timedelta(minutes=s.down_minutes - 15)
            families["lienthong_circuit_state"].add(
                "lienthong_circuit_state",
                {"province": province, "system": system, **JOB},
                t,
                int(opened),
            )
    for t in times:
        families["up"].add("up", JOB, t, 1)
        families["scrape_duration_seconds"].add("scrape_duration_seconds", JOB, t, 0.012)
    return "".join(f.text() for f in families.values()) + "# EOF\n"
