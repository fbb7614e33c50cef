"""The push API's view of the active tokens: in memory, refreshed from the store.

A request's token is looked up by its SHA-256 in a dict; a token not there
(issued since the last refresh) is looked for in the store once, so a new
token works at once. A revoked one stops working at the next refresh.

Look-ups of unknown tokens are few at once (MAX_LOOKUPS): random tokens sent
while the store is slow or frozen cannot occupy every worker thread, which the
group commit needs too. A look-up counts until its thread returns, even if the
request that asked has already been answered.
"""

from __future__ import annotations

import asyncio
import functools

from sqlalchemy import Engine

from store.tokens import PushToken, active_tokens, find_token, token_hash

MAX_LOOKUPS = 2  # store look-ups of unknown tokens at once


class LookupsBusy(Exception):
    """Too many look-ups of unknown tokens are waiting for the store."""


class TokenCache:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._tokens: dict[str, PushToken] = {}
        self.lookups = 0  # look-ups whose thread has not returned yet
        self._pending: dict[str, asyncio.Future[PushToken | None]] = {}

    async def refresh(self) -> None:
        """Replace the cache with the store's active tokens (revocations take effect)."""
        self._tokens = await asyncio.to_thread(self._read)

    def _read(self) -> dict[str, PushToken]:
        with self._engine.connect() as conn:
            return active_tokens(conn)

    def _returned(self, digest: str, lookup: asyncio.Future[PushToken | None]) -> None:
        self.lookups -= 1
        del self._pending[digest]
        if not lookup.cancelled():
            lookup.exception()  # read: nobody may be waiting for it any more

    async def find(self, token: str) -> PushToken | None:
        """The active token with this secret, or None (a store error or LookupsBusy propagates)."""
        digest = token_hash(token)
        found = self._tokens.get(digest)
        if found is not None:
            return found
        lookup = self._pending.get(digest)
        if lookup is None:  # requests of one new token share one look-up
            if self.lookups >= MAX_LOOKUPS:
                raise LookupsBusy
            self.lookups += 1
            lookup = asyncio.ensure_future(asyncio.to_thread(find_token, self._engine, token))
            self._pending[digest] = lookup
            lookup.add_done_callback(functools.partial(self._returned, digest))
        # Shielded: a caller answered at its deadline leaves the look-up counted till it returns.
        found = await asyncio.shield(lookup)
        if found is not None:
            self._tokens[digest] = found
        return found
