"""The push API's view of the active tokens: in memory, refreshed from the store.

A request's token is looked up by its SHA-256 in a dict; a token not there
(issued since the last refresh) is looked for in the store once, so a new
token works at once. A revoked one stops working at the next refresh.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import Engine

from store.tokens import PushToken, active_tokens, find_token, token_hash


class TokenCache:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._tokens: dict[str, PushToken] = {}

    async def refresh(self) -> None:
        """Replace the cache with the store's active tokens (revocations take effect)."""
        self._tokens = await asyncio.to_thread(self._read)

    def _read(self) -> dict[str, PushToken]:
        with self._engine.connect() as conn:
            return active_tokens(conn)

    async def find(self, token: str) -> PushToken | None:
        """The active token with this secret, or None (a store error propagates)."""
        digest = token_hash(token)
        found = self._tokens.get(digest)
        if found is not None:
            return found
        found = await asyncio.to_thread(find_token, self._engine, token)
        if found is not None:
            self._tokens[digest] = found
        return found
