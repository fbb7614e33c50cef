"""Runs every configured source inside `serve`, each on its own.

A source that fails (unreadable, unreachable, malformed) is marked down with
the reason and tried again after a back-off (1 s, doubling, at most 5 min);
it never stops another source, the probes or the push API: each runs in its
own task, its blocking work in a worker thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Sequence

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from i18n import _
from i18n.os_errors import describe_os_error
from intake.sources import KINDS, Reader, kind_of
from intake.sources.common import (
    SourceBase,
    SourceDown,
    SourceStatus,
    in_thread,
    log,
    now_us,
    retry_delay,
)
from registry import Registry
from store.database import first_line
from store.sources import save_status

STATUS_EVERY = 60.0  # seconds between saves of a healthy source's last read (for the CLI)


class Sources:
    """The configured sources, their readers and live status."""

    def __init__(
        self,
        configs: Sequence[SourceBase],
        registry: Registry,
        store: Engine,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.clock = clock
        self.entries: list[tuple[SourceBase, Reader, SourceStatus, bool]] = []
        for config in configs:
            kind = KINDS[kind_of(config)]
            status = SourceStatus(config.name, kind_of(config), float(config.interval))
            reader = kind.reader(config, registry, store, status)
            self.entries.append((config, reader, status, kind.on_loop))

    @property
    def statuses(self) -> list[SourceStatus]:
        return [status for _c, _r, status, _l in self.entries]

    async def run(self) -> None:
        """Every source, until cancelled."""
        for status in self.statuses:
            status.stopping.clear()
        tasks = [
            asyncio.create_task(
                self._run_one(reader, status, on_loop), name=f"source-{status.name}"
            )
            for _c, reader, status, on_loop in self.entries
        ]
        try:
            await asyncio.gather(*tasks)
        finally:
            for status in self.statuses:
                status.stopping.set()
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _run_one(self, reader: Reader, status: SourceStatus, on_loop: bool) -> None:
        failures = 0
        saved = 0.0
        while True:
            try:
                if on_loop:
                    await reader.read()
                else:
                    await in_thread(reader.read)
            except asyncio.CancelledError:
                raise
            except Exception as e:  # a failing source must never stop the others
                failures += 1
                reason = describe(e)
                if reason != status.last_error:
                    log.error(_("source %s is down: %s"), status.name, reason)
                status.up, status.last_error = False, reason
                await self._save(status, reason)
                delay = retry_delay(failures)
            else:
                recovered = status.up is False
                failures = 0
                status.up, status.last_error, status.last_read = True, None, self.clock()
                if recovered:
                    log.info(_("source %s is up again"), status.name)
                if recovered or time.monotonic() - saved >= STATUS_EVERY:
                    saved = time.monotonic()
                    await self._save(status, None)
                delay = status.interval
            await asyncio.sleep(delay)

    async def _save(self, status: SourceStatus, error: str | None) -> None:
        read_us = None if status.last_read is None else int(status.last_read * 1_000_000)

        def save() -> None:
            save_status(self.store, status.name, status.kind, read_us, error, now_us())

        try:
            await in_thread(save)
        except SQLAlchemyError as e:
            log.warning(_("source %s: its status not saved: %s"), status.name, first_line(e))


def describe(e: BaseException) -> str:
    """A failed read's reason in one line."""
    if isinstance(e, SourceDown):
        return str(e)
    if isinstance(e, SQLAlchemyError):
        return _("database error: {reason}").format(reason=first_line(e))
    if isinstance(e, OSError) and e.strerror:
        return f"{e.filename or ''}: {describe_os_error(e)}".lstrip(": ")
    return f"{type(e).__name__}: {first_line(e)}"
