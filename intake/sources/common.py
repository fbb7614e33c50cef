"""What every source kind shares: its config's common keys, its live status, and the one
commit that stores records together with the position they bring the source to."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection, Engine

from store.records import Transaction
from store.sources import save_position
from store.writer import WriteResult, writing

log = logging.getLogger("lienthong.sources")
T = TypeVar("T")

# `result` label values of lienthong_source_records_total, in exposition order.
RESULTS = ("stored", "duplicate", "no_obligation", "invalid")
Platform = Literal["lgsp", "ndxp", "ndop", "vdxp", "other"]
# Back-off after a failed read: 1 s, doubling, at most 5 minutes.
RETRY_FIRST = 1.0
RETRY_MAX = 300.0


class SourceBase(BaseModel):
    """The keys every `[[sources]]` entry has."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str  # each kind's model narrows it to its own name
    name: Annotated[str, Field(pattern=r"^[a-z0-9-]+$", max_length=64)]
    interval: float  # seconds between reads; each kind gives its default
    platform: Platform | None = None  # stamped on every record the source stores


class SourceDown(Exception):
    """A read that failed for a reason a person can act on (said in one line)."""


@dataclass
class SourceStatus:
    """How a source is doing, for /metrics, the status page and the log."""

    name: str
    kind: str
    interval: float
    up: bool | None = None  # None: not read yet
    last_read: float | None = None  # Unix seconds of the last successful read
    last_error: str | None = None
    records: Counter[str] = field(default_factory=Counter)  # by RESULTS
    position: dict[str, Any] | None = None
    # X-Road: the time of the oldest record not yet read, and how long the server keeps them.
    unread_since: float | None = None
    retention: float | None = None
    # Set when the service stops: a reader ends after its current commit.
    stopping: threading.Event = field(default_factory=threading.Event)

    def count(self, **results: int) -> None:
        for result, n in results.items():
            if n:
                self.records[result] += n


def retry_delay(failures: int) -> float:
    """Seconds before the next try after `failures` failed reads in a row."""
    return float(min(RETRY_FIRST * 2 ** max(failures - 1, 0), RETRY_MAX))


def now_us() -> int:
    return int(time.time() * 1_000_000)


def commit(
    store: Engine,
    timezone: str,
    source: SourceBase,
    kind: str,
    records: Sequence[Transaction],
    position: dict[str, Any],
    also: Callable[[Connection], None] | None = None,
) -> WriteResult:
    """Store the records and the source's new position in one database transaction."""
    with writing(store, timezone) as writer:
        result = writer.write(records) if records else WriteResult()
        if also is not None:
            also(writer.connection)
        save_position(writer.connection, source.name, kind, position, now_us())
    return result


def stamped(t: Transaction, platform: str | None) -> Transaction:
    return t if platform is None else t._replace(platform=platform)


async def in_thread(function: Callable[[], T]) -> T:
    """Run blocking work in a worker thread; if cancelled meanwhile, wait for it to end first.

    A thread cannot be stopped mid-commit: returning before it ends would let a
    restarted source (SIGHUP) load the position that commit is replacing.
    """
    task = asyncio.ensure_future(asyncio.to_thread(function))
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            await task
        raise
