"""Group commit: the one async batch writer, for the push API and the probe recorder.

One task owns the writing. Callers hand it batches they have already
validated and each awaits its own future; the task takes everything waiting,
writes it in one database transaction in a worker thread (so the event loop
keeps serving) and, once it is committed, resolves every future with its own
batch's result. While one group commits the next one gathers, so the cost
of a commit is shared by all the batches that arrived during the last one.

A batch stays atomic, and one batch cannot fail the others: when the group's
transaction fails for a reason other than the store itself (a record the
database refuses, a bug), each batch is written again alone, so only the
guilty one fails. When the store fails (unreachable, locked, full, read-only)
the whole group fails and nothing of it is stored (ids make a retry count once).

A caller waits at most `deadline` seconds. Past it the batch is withdrawn:
if its transaction has not reached COMMIT, it never will (a gate taken under
a lock just before COMMIT decides); the queue holds at most `max_pending`
records, beyond which a batch is refused at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError, SQLAlchemyError

from i18n import N_, _
from i18n.numbers import duration, number
from store.database import first_line
from store.records import Transaction
from store.writer import WriteResult, writing

log = logging.getLogger("lienthong.store")

GROUP_RECORDS = 50_000  # records per database transaction, at most
DEADLINE = 5.0  # seconds a caller waits for its batch to commit, by default
MAX_PENDING = 200_000  # records waiting for the writer, at most
# A withdrawn batch's outcome: read by nobody (its caller had its own timeout), said anyway.
WITHDRAWN_AT_DEADLINE = N_("withdrawn at its deadline")
Listener = Callable[[Sequence[Transaction], WriteResult], None]

# The life of a batch: queued → writing → committing → done; withdrawn at its
# deadline unless already committing.
QUEUED, WRITING, COMMITTING, WITHDRAWN = "queued", "writing", "committing", "withdrawn"


class CommitFailed(Exception):
    """The batch was not stored (the message says why); the caller may send it again."""


class CommitRefused(CommitFailed):
    """The batch failed on its own, alone in its transaction; the others were stored."""


class CommitTimeout(CommitFailed):
    """The deadline passed before the batch was committed."""


class CommitBusy(CommitFailed):
    """The queue is full: the store is not keeping up."""


class CommitClosed(Exception):
    """The writer is shutting down and takes no more batches."""


class _Withdrawn(Exception):
    """Raised at the gate before COMMIT: a batch of the group passed its deadline."""


@dataclass(eq=False)
class _Pending:
    batch: Sequence[Transaction]
    done: asyncio.Future[WriteResult]
    state: str = QUEUED


Outcome = WriteResult | BaseException


def store_unavailable(e: BaseException) -> bool:
    """Whether an error is the store's (down, locked, full, read-only) rather than a batch's."""
    if isinstance(e, OperationalError | InterfaceError | DisconnectionError):
        return True
    return isinstance(e, SQLAlchemyError) and bool(getattr(e, "connection_invalidated", False))


class CommitOrder:
    """Numbers this process's write transactions as they commit, under a lock that a reader
    takes to begin its snapshot: the reader then knows exactly which of them it holds.

    The metrics add a committed batch to their counters when they are told of it, and
    also read the store's totals now and then; a batch the totals already held when it
    was told of must not be added again.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.last = 0  # the number of the last commit

    def hold(self) -> None:
        """Just before COMMIT: no reader begins a snapshot until `committed` or `release`."""
        self._lock.acquire()

    def committed(self) -> int:
        """After COMMIT: the commit's number."""
        self.last += 1
        number = self.last
        self._lock.release()
        return number

    def release(self) -> None:
        """COMMIT failed: nothing was numbered."""
        self._lock.release()

    def pin(self, conn: Connection) -> int:
        """Begin `conn`'s snapshot (its transaction must give one snapshot to every
        statement: REPEATABLE READ on PostgreSQL) and return the last commit it holds."""
        with self._lock:
            conn.exec_driver_sql("SELECT count(*) FROM store_meta").scalar()
            return self.last


class GroupCommit:
    """Writes submitted batches in groups; `submit` returns once its batch is committed."""

    def __init__(
        self,
        engine: Engine,
        timezone: str,
        group_records: int = GROUP_RECORDS,
        deadline: float | None = DEADLINE,
        max_pending: int = MAX_PENDING,
        name: str = "group-commit",
        order: CommitOrder | None = None,
    ) -> None:
        self._engine = engine
        self._order = order or CommitOrder()
        self._timezone = timezone
        self._group_records = group_records
        self._deadline = deadline
        self._max_pending = max_pending
        self._name = name
        self._queue: deque[_Pending] = deque()
        self._queued = 0  # records in the queue, withdrawn ones not counted
        self.writing = 0  # records of the group being written now
        self._gate = threading.Lock()  # the states, shared with the writing thread
        self._wake = asyncio.Event()
        self._closed = False
        self._task: asyncio.Task[None] | None = None
        self.listeners: list[Listener] = []  # told of each committed batch (the metrics)
        self.groups = 0  # committed transactions
        self.failed_groups = 0  # transactions the store failed
        self.refused = 0  # batches that failed alone
        self.timeouts = 0  # batches withdrawn at their deadline
        self.busy = 0  # batches refused because the queue was full
        # The store's state as the last transaction found it, for /healthz and the metrics.
        self.store_ok = True
        self.store_error: str | None = None
        self.last_commit: float | None = None  # time.time() of the last committed transaction

    @property
    def pending(self) -> int:
        """Records waiting to be written."""
        return self._queued

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=self._name)

    async def submit(self, batch: Sequence[Transaction]) -> WriteResult:
        """Store a validated batch atomically; raises a CommitFailed or CommitClosed."""
        if self._closed:
            raise CommitClosed
        if not batch:
            return WriteResult()
        if self._queued + len(batch) > self._max_pending:
            self.busy += 1
            raise CommitBusy(
                _("{n} records are already waiting for the store").format(n=number(self._queued))
            )
        self.start()
        done: asyncio.Future[WriteResult] = asyncio.get_running_loop().create_future()
        # Read by nobody if the caller went away meanwhile: keep asyncio from complaining.
        done.add_done_callback(lambda f: f.cancelled() or f.exception())
        pending = _Pending(batch, done)
        self._queue.append(pending)
        self._queued += len(batch)
        self._wake.set()
        try:
            async with asyncio.timeout(self._deadline):
                # Shielded: a caller that hangs up does not cancel its batch out of a group.
                return await asyncio.shield(done)
        except TimeoutError:
            if done.done():  # answered at the very moment the deadline passed
                return done.result()
            self.timeouts += 1
            waited = duration(self._deadline or 0.0)  # set: only a deadline times out
            if self._withdraw(pending):
                raise CommitTimeout(
                    _("the store did not commit within {duration}").format(duration=waited)
                ) from None
            # Caught in COMMIT itself: its outcome is unknown; a retry counts once by its ids.
            raise CommitTimeout(
                _("the store did not confirm the commit within {duration}").format(duration=waited)
            ) from None

    def _withdraw(self, pending: _Pending) -> bool:
        """Take a batch back unless its COMMIT has begun; returns whether it was."""
        with self._gate:
            if pending.state == QUEUED:
                self._queued -= len(pending.batch)
            elif pending.state != WRITING:
                return False
            pending.state = WITHDRAWN
            return True

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._queue:
                group = self._take()
                if group:
                    await self._commit(group)
            if self._closed:
                return

    def _take(self) -> list[_Pending]:
        group: list[_Pending] = []
        size = 0
        with self._gate:
            while self._queue and (
                not group or size + len(self._queue[0].batch) <= self._group_records
            ):
                pending = self._queue.popleft()
                if pending.state == WITHDRAWN:
                    continue
                pending.state = WRITING
                self._queued -= len(pending.batch)
                group.append(pending)
                size += len(pending.batch)
        return group

    async def _commit(self, group: list[_Pending]) -> None:
        self.writing = sum(len(p.batch) for p in group)
        try:
            outcomes = await asyncio.to_thread(self._write, group)
        finally:
            self.writing = 0
        for p, outcome in zip(group, outcomes, strict=True):
            if isinstance(outcome, WriteResult):
                for listener in self.listeners:
                    listener(p.batch, outcome)
                if not p.done.done():
                    p.done.set_result(outcome)
            elif not p.done.done():
                p.done.set_exception(outcome)

    def _write(self, group: list[_Pending]) -> list[Outcome]:
        """In a worker thread: the group in one transaction, or each batch alone if one fails."""
        try:
            return self._transaction(group)
        except Exception as e:
            if store_unavailable(e):
                self._store_failed(e, len(group))
                return [self._failed(e)] * len(group)
            if len(group) == 1:
                return [self._refused(e)]
        # One batch (at least) failed for a reason of its own: find it, keep the others.
        outcomes: list[Outcome] = []
        for p in group:
            try:
                outcomes.extend(self._transaction([p]))
            except Exception as e:
                if store_unavailable(e):
                    self._store_failed(e, 1)
                    outcomes.append(self._failed(e))
                else:
                    outcomes.append(self._refused(e))
        return outcomes

    def _transaction(self, group: list[_Pending]) -> list[Outcome]:
        """Write the batches still wanted in one transaction; a withdrawn one is never committed."""
        while True:
            live = [p for p in group if p.state != WITHDRAWN]
            if not live:
                return [CommitTimeout(_(WITHDRAWN_AT_DEADLINE))] * len(group)
            held: list[bool] = []  # the commit order, held from the gate to the end of COMMIT
            gate = functools.partial(self._enter_commit, live, held)
            try:
                with writing(self._engine, self._timezone, gate) as w:
                    results = {id(p): w.write(p.batch) for p in live}
            except _Withdrawn:
                continue  # rolled back: write the others again without it
            except BaseException:
                if held:
                    self._order.release()
                raise
            number = self._order.committed()
            for r in results.values():
                r.commit = number
            self.groups += 1
            self.store_ok, self.store_error, self.last_commit = True, None, time.time()
            return [
                results[id(p)] if id(p) in results else CommitTimeout(_(WITHDRAWN_AT_DEADLINE))
                for p in group
            ]

    def _enter_commit(self, live: list[_Pending], held: list[bool]) -> None:
        """The gate before COMMIT: past it no batch of the group can be withdrawn, and no
        reader begins a snapshot until COMMIT is over (see CommitOrder)."""
        with self._gate:
            if any(p.state == WITHDRAWN for p in live):
                raise _Withdrawn
            for p in live:
                p.state = COMMITTING
        self._order.hold()
        held.append(True)

    def _store_failed(self, e: BaseException, batches: int) -> None:
        self.failed_groups += 1
        self.store_ok, self.store_error = False, first_line(e)
        log.error(N_("%d batches not stored, the store failed: %s"), batches, first_line(e))

    def _refused(self, e: BaseException) -> CommitRefused:
        self.refused += 1
        if isinstance(e, SQLAlchemyError):
            log.error(N_("a batch was not stored, the database refused it: %s"), first_line(e))
        else:
            log.error(N_("a batch was not stored"), exc_info=e)
        return CommitRefused(
            _("the database refused the batch: {error}").format(error=first_line(e))
        )

    @staticmethod
    def _failed(e: BaseException) -> CommitFailed:
        return CommitFailed(_("the store failed: {error}").format(error=first_line(e)))

    async def close(self) -> None:
        """Take no more batches; commit those already submitted, then stop."""
        self._closed = True
        self._wake.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for p in self._queue:  # only if the task died: never leave a caller hanging
            if not p.done.done():
                p.done.set_exception(CommitClosed())
        self._queue.clear()
        self._queued = 0
