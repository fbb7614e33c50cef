"""What the probe engine tells the rest of the service about itself, and nothing more.

The exporter (metrics, status page, /healthz) reads this interface instead of the
engine's internals, so the engine can change how it schedules without them knowing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from probes.breaker import CircuitState
from probes.http import ProbeOutcome

LAG_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, math.inf)
Pair = tuple[str, str]  # (department, system)


@dataclass
class LagHistogram:
    """Probe start lateness (seconds after the due time), cumulative like Prometheus's."""

    counts: list[int] = field(default_factory=lambda: [0] * len(LAG_BUCKETS))
    total: float = 0.0
    observed: int = 0

    def observe(self, seconds: float) -> None:
        self.total += seconds
        self.observed += 1
        for i, bound in enumerate(LAG_BUCKETS):
            if seconds <= bound:
                self.counts[i] += 1


@dataclass(frozen=True)
class SystemHealth:
    """One national system's probing right now."""

    in_flight: int
    circuit: CircuitState
    retry_at: float | None  # when an open circuit lets a trial probe through (epoch seconds)


@dataclass(frozen=True, slots=True)  # one per probed obligation
class LastResult:
    """The latest probe run of one obligation."""

    at: datetime  # UTC
    outcome: ProbeOutcome


class ProbeHealth(Protocol):
    """The engine as the exporter sees it."""

    @property
    def probes(self) -> int:
        """How many obligations have a probe."""
        ...

    @property
    def running(self) -> bool:
        """Whether the scheduler is alive."""
        ...

    @property
    def lag(self) -> LagHistogram: ...

    def systems(self) -> Mapping[str, SystemHealth]: ...

    @property
    def skipped(self) -> Mapping[str, int]:
        """Starts skipped so far, by reason (overlap, circuit_open, overload)."""
        ...

    def last_result(self, pair: Pair) -> LastResult | None: ...
