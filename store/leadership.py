"""Who leads: a PostgreSQL session advisory lock per role, held on a connection of its own.

Instances sharing a store compete for a lock named by the province and the
role (`probes 0/2`, `exports`); the holder leads until its process dies (the
server frees the lock with the session) or it loses the database. Then it
stands down when a check (every `takeover / 6`) fails or hangs, and the
server ends the silent session after `takeover / 3` (`idle_session_timeout`,
whatever lies between them: a proxy, a dead host; TCP keepalives as well), so
a standby polling every `takeover / 6` leads within the bound. A SQLite store
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

from i18n import N_

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
        # The server's side: a leader that stops checking (every takeover / 6) loses
        # its session, hence the lock, after takeover / 3 of silence.
        silence_ms = max(1000, math.floor(self._takeover / 3 * 1000))
        idle = max(1, math.floor(self._takeover / 3))
        interval = max(1, math.floor(self._takeover / 9))
        with conn.cursor() as cur:
            cur.execute(f"SET tcp_keepalives_idle = {idle}")
            cur.execute(f"SET tcp_keepalives_interval = {interval}")
            cur.execute("SET tcp_keepalives_count = 3")
            with contextlib.suppress(Exception):  # PostgreSQL 14 and later
                cur.execute(f"SET idle_session_timeout = {silence_ms}")
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
            log.warning(N_("leadership: database unreachable: %s"), _line(e))
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
            log.warning(N_("leadership: lost the database: %s"), _line(e))
            self.drop()
            return False

    def drop(self) -> None:
        """Close the session (which frees the lock, if the server still hears us)."""
        close_quietly(self.detach())

    def detach(self) -> Any:
        """Forget the session without touching it (a thread may still be using it)."""
        pooled, self._pooled, self._conn = self._pooled, None, None
        return pooled


def close_quietly(pooled: Any) -> None:
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
                        held = await self._call(self._lock.still_held, poll)
                    except TimeoutError:  # a check that hangs is a lost database
                        held = False
                    if not held:
                        log.warning(N_("leadership of %s lost: standing by"), self.role)
                        await self._set(False)
                else:
                    try:
                        acquired = await self._call(self._lock.try_acquire, self.takeover)
                    except TimeoutError:
                        acquired = False
                    if acquired:
                        log.info(N_("leading %s"), self.role)
                        await self._set(True)
                        self.decided.set()
                        continue  # start checking right away
                self.decided.set()
                await asyncio.sleep(poll)
        finally:
            self._lock.drop()

    async def _call(self, blocking: Callable[[], bool], timeout: float) -> bool:
        """Run a blocking lock call in a thread, for at most `timeout` seconds.

        Given up (timed out or cancelled), the call may still be using the session
        in its thread: the session is detached now and closed once the call returns,
        never under its feet.
        """
        future = asyncio.ensure_future(asyncio.to_thread(blocking))
        try:
            return await asyncio.wait_for(asyncio.shield(future), timeout)
        except BaseException:
            stuck = self._lock.detach()
            future.add_done_callback(lambda _done: close_quietly(stuck))
            raise

    async def _set(self, leading: bool) -> None:
        self.leading = leading
        await self._on_change(leading)


def _line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__
