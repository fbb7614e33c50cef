"""Who leads: a PostgreSQL session advisory lock per role, held on a connection of its own.

Instances sharing a store compete for a lock named by the province and the
role (`probes 0/2`, `exports`); the holder leads until its process dies (the
server frees the lock with the session) or it loses the database (it steps
down when a check fails or hangs; the server frees the lock when TCP
keepalives find the session dead). Both fit within `takeover` seconds, so a
standby polling every `takeover / 6` leads within the bound. A SQLite store
has one host and one writer: the instance always leads.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import math
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import Engine

log = logging.getLogger("lienthong.leadership")

DEFAULT_TAKEOVER = 30.0  # seconds: the longest a role goes without a leader


def lock_key(province: str, role: str) -> int:
    """The advisory lock's 64-bit key: stable, and distinct per province and role."""
    digest = hashlib.blake2b(f"lienthong\0{province}\0{role}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class AdvisoryLock:
    """One session advisory lock on a dedicated connection (blocking calls: run in a thread)."""

    def __init__(self, engine: Engine, key: int, takeover: float) -> None:
        self._engine = engine
        self._key = key
        self._takeover = takeover
        self._conn: Any = None
        self._pooled: Any = None

    def _connect(self) -> Any:
        pooled = self._engine.raw_connection()
        conn: Any = pooled.driver_connection  # psycopg's own connection
        conn.autocommit = True
        self._pooled = pooled
        # The server's side of the session: find a vanished leader within 2/3 of the bound.
        idle = max(1, math.floor(self._takeover / 3))
        interval = max(1, math.floor(self._takeover / 9))
        with conn.cursor() as cur:
            cur.execute(f"SET tcp_keepalives_idle = {idle}")
            cur.execute(f"SET tcp_keepalives_interval = {interval}")
            cur.execute("SET tcp_keepalives_count = 3")
        return conn

    def try_acquire(self) -> bool:
        """Take the lock if free; False if another session holds it or the database is away."""
        try:
            if self._conn is None:
                self._conn = self._connect()
            with self._conn.cursor() as cur:
                cur.execute("SELECT pg_try_advisory_lock(%s)", (self._key,))
                return bool(cur.fetchone()[0])
        except Exception as e:  # psycopg's errors, a refused connection, …
            log.warning("leadership: database unreachable: %s", _line(e))
            self.drop()
            return False

    def still_held(self) -> bool:
        """Whether this session is alive: a session lock lasts as long as its session."""
        try:
            with self._conn.cursor() as cur:
                cur.execute("SELECT 1")
                cur.fetchone()
            return True
        except Exception as e:  # any failure: we can no longer claim to lead
            log.warning("leadership: lost the database: %s", _line(e))
            self.drop()
            return False

    def drop(self) -> None:
        """Close the session (which frees the lock, if the server still hears us)."""
        pooled, self._pooled, self._conn = self._pooled, None, None
        if pooled is not None:
            with contextlib.suppress(Exception):
                pooled.invalidate()  # closed, never handed back to the pool


OnChange = Callable[[bool], Awaitable[None]]


class Leadership:
    """Competes for one role until cancelled, calling `on_change(True/False)` as it gains or loses it."""

    def __init__(
        self,
        engine: Engine,
        province: str,
        role: str,
        on_change: OnChange,
        takeover: float = DEFAULT_TAKEOVER,
    ) -> None:
        self.role = role
        self.takeover = takeover
        self.leading = False
        self.decided = asyncio.Event()  # set once the first attempt has led or not
        self._on_change = on_change
        self._postgres = engine.dialect.name == "postgresql"
        self._lock = AdvisoryLock(engine, lock_key(province, role), takeover)

    async def run(self) -> None:
        if not self._postgres:  # one SQLite file, one host: this instance leads
            await self._set(True)
            self.decided.set()
            await asyncio.Event().wait()
        poll = self.takeover / 6
        try:
            while True:
                if self.leading:
                    try:
                        held = await asyncio.wait_for(
                            asyncio.to_thread(self._lock.still_held), poll
                        )
                    except TimeoutError:
                        held = False
                        self._lock.drop()
                    if not held:
                        log.warning("leadership of %s lost: standing by", self.role)
                        await self._set(False)
                elif await asyncio.to_thread(self._lock.try_acquire):
                    log.info("leading %s", self.role)
                    await self._set(True)
                    self.decided.set()
                    continue  # start checking right away
                self.decided.set()
                await asyncio.sleep(poll)
        finally:
            await asyncio.shield(asyncio.to_thread(self._lock.drop))

    async def _set(self, leading: bool) -> None:
        self.leading = leading
        await self._on_change(leading)


def _line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__
