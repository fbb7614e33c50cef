"""When each probe runs: a stable phase per obligation, so starts spread evenly over the interval.

Pure functions of (key, interval, now): 20,000 probes on a 60 s interval start
about 333 a second instead of all at once, and keep their slot across restarts.
"""

from __future__ import annotations

import math
import zlib


def phase(key: str, interval: float) -> float:
    """A stable offset in [0, interval) for a probe, from a hash of its key."""
    return (zlib.crc32(key.encode()) / 2**32) * interval


def first_due(key: str, interval: float, now: float) -> float:
    """The first start at or after `now` in the probe's slot (slots are `interval` apart)."""
    offset = phase(key, interval)
    slots = math.ceil((now - offset) / interval)
    return offset + slots * interval


def next_due(previous: float, interval: float, now: float) -> float:
    """The start after `previous`; slots already past are skipped, never run in a burst."""
    due = previous + interval
    if due < now:
        due += math.ceil((now - due) / interval) * interval
    return due


def slot_start(key: str, interval: float, due: float) -> float:
    """The slot `due` stands for, computed afresh (offset + k × interval): the same
    number on every instance, however many intervals each one has added up."""
    offset = phase(key, interval)
    return offset + round((due - offset) / interval) * interval
