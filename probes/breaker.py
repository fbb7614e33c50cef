"""A circuit breaker per national system: after repeated failures, probe it at a slower cadence.

Closed: every probe runs. After `threshold` consecutive failures the circuit
opens: the system's probes are skipped for `cooldown` seconds, then one trial
probe runs (half-open). A success closes it; a failure opens it again for
twice as long, up to `max_cooldown`. Pure state with the time passed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class CircuitState(IntEnum):
    """The values of the `lienthong_circuit_state` gauge."""

    CLOSED = 0
    OPEN = 1
    HALF_OPEN = 2


@dataclass
class CircuitBreaker:
    threshold: int = 5
    cooldown: float = 60.0
    max_cooldown: float = 600.0
    state: CircuitState = CircuitState.CLOSED
    failures: int = 0
    opened_until: float = 0.0
    current_cooldown: float = 0.0
    trial_running: bool = False

    def allow(self, now: float) -> bool:
        """Whether a probe of this system may run now (a half-open circuit lets one through)."""
        if self.state is CircuitState.CLOSED:
            return True
        if self.state is CircuitState.OPEN and now >= self.opened_until:
            self.state = CircuitState.HALF_OPEN
        if self.state is CircuitState.HALF_OPEN and not self.trial_running:
            self.trial_running = True
            return True
        return False

    def record(self, success: bool, now: float) -> None:
        """The outcome of a probe that ran."""
        self.trial_running = False
        if success:
            self.state = CircuitState.CLOSED
            self.failures = 0
            self.current_cooldown = 0.0
            return
        self.failures += 1
        if self.state is CircuitState.HALF_OPEN:
            self._open(now, min(self.current_cooldown * 2, self.max_cooldown))
        elif self.state is CircuitState.CLOSED and self.failures >= self.threshold:
            self._open(now, self.cooldown)

    def _open(self, now: float, cooldown: float) -> None:
        self.state = CircuitState.OPEN
        self.current_cooldown = cooldown
        self.opened_until = now + cooldown
