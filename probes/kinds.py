"""The probe kinds, one table: adding a kind is a module with its run function and one line here.

A run function calls the national system once (retries included) and says what it
found; the engine does the scheduling, limits, breaker and recording for every kind.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import aiohttp

from probes.http import ProbeOutcome, ProbeTarget, run_probe

Run = Callable[[aiohttp.ClientSession, ProbeTarget], Awaitable[ProbeOutcome]]

KINDS: dict[str, Run] = {
    "http": run_probe,
}
