"""Async helpers for tests that run the service and the simulator on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager

from aiohttp import web

from lienthong.server import bound_socket, start_site, url_of
from probes.recorder import TransactionRecorder
from store.records import Transaction
from store.writer import WriteResult


@asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[str]:
    """Run an app on a free loopback port (start-up and clean-up contexts included)."""
    sock = bound_socket("127.0.0.1", 0)
    runner = await start_site(app, sock)
    try:
        yield url_of(sock)
    finally:
        await runner.cleanup()


class Flushes:
    """Lets a test await the recorder's writes instead of sleeping."""

    def __init__(self, recorder: TransactionRecorder) -> None:
        self.written: list[Transaction] = []
        self._event = asyncio.Event()
        recorder.listeners.append(self._on_written)

    def _on_written(self, batch: Sequence[Transaction], _result: WriteResult) -> None:
        self.written.extend(batch)
        self._event.set()

    async def until(
        self, condition: Callable[[list[Transaction]], bool], timeout: float = 30
    ) -> None:
        async with asyncio.timeout(timeout):
            while not condition(self.written):
                self._event.clear()
                await self._event.wait()

    def count(self, system: str, success: bool | None = None) -> int:
        return sum(
            1
            for t in self.written
            if t.system == system and (success is None or t.success == success)
        )
