"""The API's view of the active tokens: in memory, refreshed from the store; and the gate
every API request with a token passes (who, which scope, how often).

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
import contextlib
import functools
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

from aiohttp import web
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from api.errors import error
from api.rate_limit import RateLimit, retry_after
from i18n import N_
from store.database import first_line
from store.tokens import PushToken, active_tokens, find_token, token_hash

log = logging.getLogger("lienthong.push")

MAX_LOOKUPS = 2  # store look-ups of unknown tokens at once
RETRY_SECONDS = 1  # after a failed look-up


class LookupsBusy(Exception):
    """Too many look-ups of unknown tokens are waiting for the store."""


class TokenCache:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._tokens: dict[str, PushToken] = {}
        self.lookups = 0  # look-ups whose thread has not returned yet
        self._pending: dict[str, asyncio.Future[PushToken | None]] = {}
        self._ids: set[int] = set()  # the active tokens' ids (sessions hold an id)
        self._remembered: set[int] = set()  # since the last refresh began

    async def refresh(self) -> None:
        """Replace the cache with the store's active tokens (revocations take effect)."""
        self._remembered = set()
        self._tokens = await asyncio.to_thread(self._read)
        # A sign-in during the read may be of a token the read missed: kept till the next.
        self._ids = {t.id for t in self._tokens.values()} | self._remembered

    def active(self, token_id: int) -> bool:
        """Whether the token was active at the last refresh (or found since)."""
        return token_id in self._ids

    def remember(self, token: PushToken) -> None:
        """A token found elsewhere (a sign-in) counts as active until the next refresh."""
        self._ids.add(token.id)
        self._remembered.add(token.id)

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
            self._ids.add(found.id)
        return found


@dataclass
class Gate:
    """What every API request with a token goes through: the token cache, the rate limits."""

    tokens: TokenCache
    limits: RateLimit
    deadline: float  # seconds a token look-up may take, then 503
    refresh: float  # seconds between refreshes of the token cache


GATE = web.AppKey("gate", Gate)


async def authenticate(request: web.Request, gate: Gate) -> PushToken | web.Response:
    """The request's active token, or the 401/503 refusing it."""
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret:
        return error(
            401,
            "missing token: send Authorization: Bearer TOKEN",
            headers={"WWW-Authenticate": 'Bearer realm="lienthong"'},
        )
    try:
        async with asyncio.timeout(gate.deadline):
            token = await gate.tokens.find(secret)
    except (SQLAlchemyError, TimeoutError, LookupsBusy) as e:
        if isinstance(e, SQLAlchemyError):
            log.error(N_("token look-up failed: %s"), first_line(e))
        return error(
            503, "the store is unavailable: retry", headers={"Retry-After": str(RETRY_SECONDS)}
        )
    if token is None:
        return error(
            401,
            "unknown or revoked token",
            headers={"WWW-Authenticate": 'Bearer realm="lienthong", error="invalid_token"'},
        )
    return token


async def admit(
    request: web.Request, scopes: tuple[str, ...], action: str
) -> PushToken | web.Response:
    """The request's token when its scope is one of `scopes` and its rate allows it; else
    the 401, 403, 429 or 503 answer, in that order."""
    gate = request.app[GATE]
    token = await authenticate(request, gate)
    if isinstance(token, web.Response):
        return token
    if token.scope not in scopes:
        return error(403, f"this token's scope is {token.scope!r}: it cannot {action}")
    wait = gate.limits.take(token.id)
    if wait > 0:
        return error(
            429,
            f"more than {gate.limits.rate:g} requests per second with this token: retry later",
            headers={"Retry-After": retry_after(wait)},
        )
    return token


async def tokens_context(app: web.Application) -> AsyncIterator[None]:
    """The token cache, read at start-up and refreshed every `refresh` seconds."""
    gate = app[GATE]
    await gate.tokens.refresh()
    refresher = asyncio.create_task(_refresh_tokens(gate), name="token-refresh")
    yield
    refresher.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await refresher


async def _refresh_tokens(gate: Gate) -> None:
    while True:
        await asyncio.sleep(gate.refresh)
        try:
            await gate.tokens.refresh()
        except SQLAlchemyError as e:
            log.error(N_("token refresh failed: %s"), first_line(e))
