"""Probe results into the store, through the push API's batch writer, in small batches.

Each run becomes a contract record (source `probe`, with an idempotency id
`probe:DEPARTMENT:SYSTEM:SLOT`, the slot's UTC time to the millisecond),
built directly as the `Transaction` the contract's parser would make of it
(the engine made every field, so it is not formatted and parsed again; the
pair is checked against the registry once), and waits in a buffer that a
background task hands to a `GroupCommit` every `flush_interval` seconds or
`max_batch` records. A failed or timed-out write keeps the buffer and tries
again (the ids make a retry count once); closing writes whatever is left.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from sqlalchemy import Engine

from i18n import N_
from registry import Registry
from store.group_commit import (
    CommitClosed,
    CommitFailed,
    CommitOrder,
    CommitRefused,
    GroupCommit,
)
from store.records import FieldError, Transaction, check_against_registry
from store.writer import WriteResult

log = logging.getLogger("lienthong.recorder")

Listener = Callable[[Sequence[Transaction], WriteResult], None]


def probe_record_id(department: str, system: str, slot: datetime) -> str:
    """A probe record's id: the pair and its slot's UTC time to the millisecond."""
    utc = slot.astimezone(UTC)
    return f"probe:{department}:{system}:{utc.strftime('%Y%m%dT%H%M%S')}.{utc.microsecond // 1000:03d}Z"


class TransactionRecorder:
    """A buffer of probe transactions and the task that writes it to the store."""

    def __init__(
        self,
        engine: Engine,
        registry: Registry,
        flush_interval: float = 0.5,
        max_batch: int = 500,
        order: CommitOrder | None = None,
    ) -> None:
        self._engine = engine
        self._registry = registry
        self._flush_interval = flush_interval
        self._max_batch = max_batch
        self._buffer: list[Transaction] = []
        self._full = asyncio.Event()
        self._lock = asyncio.Lock()
        self.writer = GroupCommit(engine, registry.timezone, name="recorder-commit", order=order)
        self.listeners: list[Listener] = []
        self.written = 0
        self.failed_writes = 0
        self._pairs: dict[tuple[str, str], list[FieldError]] = {}

    @property
    def pending(self) -> int:
        return len(self._buffer)

    def record(
        self,
        department: str,
        system: str,
        ts: datetime,
        success: bool,
        latency_ms: float,
        detail: str | None,
        slot: datetime | None = None,
    ) -> None:
        """Queue one probe run as a transaction record.

        Its id names the scheduled `slot` (default: `ts`), not the instant it
        started: two instances that probe the same slot store it once.
        """
        pair = (department, system)
        errors = self._pairs.get(pair)
        if errors is None:
            errors = self._pairs[pair] = check_against_registry(department, system, self._registry)
        if errors:  # a registry changed under a running engine
            log.error(N_("probe of %s/%s not recorded: %s"), department, system, errors[0])
            return
        ts = ts.astimezone(UTC)
        slot_utc = slot or ts
        if detail is not None and "\x00" in detail:
            detail = detail.replace("\x00", "\ufffd")  # the store refuses NUL; keep the rest
        self._buffer.append(
            Transaction(
                department,
                system,
                ts,
                success,
                "probe",
                round(latency_ms, 3),
                probe_record_id(department, system, slot_utc),
                detail,
            )
        )
        if len(self._buffer) >= self._max_batch:
            self._full.set()

    async def run(self) -> None:
        """Write the buffer every `flush_interval` seconds (sooner when a batch is full)."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._full.wait(), self._flush_interval)
            await self.flush()

    async def flush(self) -> None:
        """Write everything buffered now; on a database error keep it for the next try."""
        async with self._lock:
            self._full.clear()
            while self._buffer:
                batch = self._buffer[: self._max_batch]
                try:
                    result = await self.writer.submit(batch)
                except CommitRefused as e:
                    # Refused however often it is tried: dropped, not retried for ever.
                    log.error(N_("%d probe records dropped: %s"), len(batch), e)
                    del self._buffer[: len(batch)]
                    continue
                except (CommitFailed, CommitClosed) as e:
                    self.failed_writes += 1
                    log.error(N_("store write failed, %d records kept: %s"), len(self._buffer), e)
                    return
                del self._buffer[: len(batch)]
                self.written += result.accepted
                for listener in self.listeners:
                    listener(batch, result)

    async def close(self, attempts: int = 3) -> None:
        """Write what is left; retry a failing store a few times before giving up loudly."""
        for _ in range(attempts):
            await self.flush()
            if not self._buffer:
                break
            await asyncio.sleep(0.5)
        await self.writer.close()
        if self._buffer:
            log.error(N_("%d probe records could not be stored"), len(self._buffer))
