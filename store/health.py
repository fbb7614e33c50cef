"""Whether the store takes writes now: what /healthz and `lienthong_store_up` report.

A read proves little (a full disk, a read-only file or a held write lock all
still read), so the check is a tiny write transaction, taken the way the
writers take theirs, with a deadline: a store that does not answer within it
is reported as not answering. One check runs at a time; callers within
`max_age` seconds of the last one share its answer.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from sqlalchemy import Engine
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError

from store.database import first_line
from store.schema import store_meta

CHECK_KEY = "health_check"


def write_check(engine: Engine, now: float) -> None:
    """Write one row of `store_meta` and commit: raises what a writer would meet."""
    insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
    statement = insert(store_meta).values(key=CHECK_KEY, value=repr(now))
    with engine.connect() as conn:
        conn.execution_options(lienthong_write=True)
        with conn.begin():
            conn.execute(
                statement.on_conflict_do_update(
                    index_elements=[store_meta.c.key], set_={"value": statement.excluded.value}
                )
            )


class StoreWatch:
    """The store's writability, checked on demand and remembered for a moment."""

    def __init__(
        self,
        engine: Engine,
        timeout: float = 2.0,
        max_age: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._engine = engine
        self._timeout = timeout
        self._max_age = max_age
        self._clock = clock
        self._running: asyncio.Task[str | None] | None = None
        self._checked_at: float | None = None
        self.problem: str | None = None  # None: the last check wrote and committed

    @property
    def up(self) -> bool:
        return self.problem is None

    async def check(self) -> str | None:
        """None when the store takes a write now, else why not (in one line)."""
        if self._checked_at is not None and self._clock() - self._checked_at < self._max_age:
            return self.problem
        if self._running is None or self._running.done():
            self._running = asyncio.create_task(self._check(), name="store-check")
        return await asyncio.shield(self._running)

    async def _check(self) -> str | None:
        # A stuck thread (a frozen database) is left to finish on its own; the
        # next check starts another only after this one's deadline.
        try:
            async with asyncio.timeout(self._timeout):
                await asyncio.to_thread(write_check, self._engine, time.time())
            problem = None
        except TimeoutError:
            problem = f"the store did not answer a write within {self._timeout:g} s"
        except SQLAlchemyError as e:
            problem = f"the store refuses writes: {first_line(e)}"
        self.problem, self._checked_at = problem, self._clock()
        return problem
