"""What a new leader probes first: the slots of the last `2 × takeover` that the store lacks.

A leader that dies (kill -9, a lost host) leaves unprobed the slots due while the
standby took over, and unstored those its recorder still held. The new leader lists
each probe's slots of the last two bounds, asks the store which of their records it
holds (by id, through the idempotency index: no scan), and runs those after the last
one stored, once each, before the probe's next regular start. A slot the old leader
stored is not run again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from sqlalchemy import Engine

from probes.http import ProbeTarget
from probes.recorder import probe_record_id
from probes.schedule import first_due, slot_start
from store.reading import stored_ids

Slot = tuple[ProbeTarget, float]  # a target and a due time


def slots_between(
    targets: Iterable[ProbeTarget],
    interval: Callable[[ProbeTarget], float],
    since: float,
    until: float,
) -> list[Slot]:
    """Each target's slots due at or after `since` and before `until`, oldest first."""
    found = []
    for target in targets:
        every = interval(target)
        due = first_due(target.key, every, since)
        while due < until:
            found.append((target, due))
            due += every
    return found


def record_id(slot: Slot, interval: Callable[[ProbeTarget], float]) -> tuple[str, str]:
    """The (department, record_id) a run of the slot is stored under."""
    target, due = slot
    start = slot_start(target.key, interval(target), due)
    return target.department, probe_record_id(
        target.department, target.system, datetime.fromtimestamp(start, UTC)
    )


def unstored(
    store: Engine, slots: list[Slot], interval: Callable[[ProbeTarget], float]
) -> dict[str, list[float]]:
    """The slots to run, as {target key: due times, oldest first} (blocking): of each probe,
    those after the last slot whose record the store holds. Before it, a slot left
    unstored was its leader's decision (an open circuit, overload, not in force), not a
    loss. With none stored, only the latest: the window may reach back before anyone led."""
    ids = [record_id(slot, interval) for slot in slots]
    with store.connect() as conn:
        stored = stored_ids(conn, set(ids))
    by_target: dict[str, list[tuple[float, bool]]] = {}
    for (target, due), rid in zip(slots, ids, strict=True):
        by_target.setdefault(target.key, []).append((due, rid in stored))
    missing: dict[str, list[float]] = {}
    for probe, found in by_target.items():
        found.sort()
        last = max((i for i, (_due, done) in enumerate(found) if done), default=None)
        after = found[last + 1 :] if last is not None else found[-1:]
        if after:
            missing[probe] = [due for due, _done in after]
    return missing
