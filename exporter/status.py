"""Which obligations are up or down right now: the rows of the status page and the demo's summary."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from exporter.state import MetricsState, current_obligations
from probes.breaker import CircuitState
from probes.health import ProbeHealth


@dataclass(frozen=True)
class ObligationStatus:
    department: str
    department_name: str
    system: str
    system_name: str
    # "up", "down", "waiting" (probe not yet run), "passive" (no probe), "paused" (circuit open)
    state: str
    last_run: datetime | None  # local time of the latest probe run
    detail: str | None
    last_success: datetime | None  # local time
    successes_today: int
    compliance_ratio: float | None


def obligation_statuses(state: MetricsState, health: ProbeHealth | None) -> list[ObligationStatus]:
    """One row per obligation in force today, in registry order."""
    registry = state.registry
    tz = registry.tz
    rows = []
    for o in current_obligations(registry, state.today):
        last = health.last_result(o.key) if health is not None else None
        if o.probe is None or health is None:
            status, run, detail = "passive", None, None
        elif last is None:
            status, run, detail = "waiting", None, None
        else:
            status = "up" if last.outcome.success else "down"
            run, detail = last.at.astimezone(tz), last.outcome.detail
        system = health.systems().get(o.system) if health is not None else None
        if o.probe is not None and system is not None and system.circuit == CircuitState.OPEN:
            status = "paused"
        success = state.last_success.get(o.key)
        today = state.successes_today.get(o.key, 0)
        figures = state.calendar.get(o.key)
        ratio = (
            figures.ratio(today, o.min_daily_successes)
            if figures is not None and figures.today == state.today
            else None
        )
        rows.append(
            ObligationStatus(
                department=o.department,
                department_name=registry.department(o.department).name,
                system=o.system,
                system_name=registry.system(o.system).name,
                state=status,
                last_run=run,
                detail=detail,
                last_success=datetime.fromtimestamp(success, tz) if success else None,
                successes_today=today,
                compliance_ratio=ratio,
            )
        )
    return rows
