"""Group commit: many requests' batches written in one database transaction.

One task owns the writing. Requests hand it batches they have already
validated and each awaits its own future; the task takes everything waiting,
writes it in one database transaction in a worker thread (so the event loop
keeps serving) and, once it is committed, resolves every future with its own
batch's result. While one group commits the next one gathers, so the cost
of a commit is shared by all the requests that arrived during the last one.

A batch stays atomic: it is written whole inside the group's transaction,
and if that transaction fails every request in the group is told so and
nothing of it is stored (its client may retry: ids make a retry count once).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from store.records import Transaction
from store.writer import WriteResult, writing

log = logging.getLogger("lienthong.push")

GROUP_RECORDS = 50_000  # records per database transaction, at most
Listener = Callable[[Sequence[Transaction], WriteResult], None]


class CommitFailed(Exception):
    """The group's database transaction failed: nothing of the batch was stored."""


class CommitClosed(Exception):
    """The writer is shutting down and takes no more batches."""


@dataclass
class _Pending:
    batch: Sequence[Transaction]
    done: asyncio.Future[WriteResult]


class GroupCommit:
    """Writes submitted batches in groups; `submit` returns once its batch is committed."""

    def __init__(self, engine: Engine, timezone: str, group_records: int = GROUP_RECORDS) -> None:
        self._engine = engine
        self._timezone = timezone
        self._group_records = group_records
        self._queue: deque[_Pending] = deque()
        self._wake = asyncio.Event()
        self._closed = False
        self._task: asyncio.Task[None] | None = None
        self.listeners: list[Listener] = []  # told of each committed batch (the metrics)
        self.groups = 0
        self.failed_groups = 0

    @property
    def pending(self) -> int:
        return sum(len(p.batch) for p in self._queue)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="group-commit")

    async def submit(self, batch: Sequence[Transaction]) -> WriteResult:
        """Store a validated batch atomically; raises CommitFailed or CommitClosed."""
        if self._closed:
            raise CommitClosed
        if not batch:
            return WriteResult()
        done: asyncio.Future[WriteResult] = asyncio.get_running_loop().create_future()
        # Read by nobody if the client hung up meanwhile: keep asyncio from complaining.
        done.add_done_callback(lambda f: f.cancelled() or f.exception())
        self._queue.append(_Pending(batch, done))
        self._wake.set()
        # Shielded: a client that hangs up does not cancel its batch out of a group.
        return await asyncio.shield(done)

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._queue:
                group = self._take()
                await self._commit(group)
            if self._closed:
                return

    def _take(self) -> list[_Pending]:
        group: list[_Pending] = []
        size = 0
        while self._queue and (
            not group or size + len(self._queue[0].batch) <= self._group_records
        ):
            pending = self._queue.popleft()
            group.append(pending)
            size += len(pending.batch)
        return group

    async def _commit(self, group: list[_Pending]) -> None:
        try:
            results = await asyncio.to_thread(self._write, [p.batch for p in group])
        except Exception as e:
            # Whatever went wrong, the transaction was rolled back: say so to every
            # request of the group, and keep serving the next groups.
            self.failed_groups += 1
            if isinstance(e, SQLAlchemyError):
                reason = str(getattr(e, "orig", None) or e).strip().splitlines()
                log.error(
                    "a group of %d batches was not stored: %s",
                    len(group),
                    reason[0] if reason else type(e).__name__,
                )
            else:
                log.exception("a group of %d batches was not stored", len(group))
            for p in group:
                if not p.done.done():
                    p.done.set_exception(CommitFailed())
            return
        self.groups += 1
        for p, result in zip(group, results, strict=True):
            for listener in self.listeners:
                listener(p.batch, result)
            if not p.done.done():
                p.done.set_result(result)

    def _write(self, batches: list[Sequence[Transaction]]) -> list[WriteResult]:
        with writing(self._engine, self._timezone) as writer:
            return [writer.write(b) for b in batches]

    async def close(self) -> None:
        """Take no more batches; commit those already submitted, then stop."""
        self._closed = True
        self._wake.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for p in self._queue:  # only if the task died: never leave a request hanging
            if not p.done.done():
                p.done.set_exception(CommitClosed())
        self._queue.clear()
