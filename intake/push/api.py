"""The push API: `POST /api/v1/transactions`, as the contract pins it.

A request is checked in this order, each step cheap before the next: the
bearer token (401), its rate (429), the content type (415), the body's size
(413, before any parsing), the JSON (400), the number of records (400), the
token's department (403), every record through `store.records` (400, with
every bad index and field). Only then is the batch handed to the group
commit, and `202` is answered once the database has committed it. Errors
are JSON everywhere under /api/, 404 and 405 included.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from intake.push.excusals import add_excusals
from intake.push.openapi import MAX_BODY, MAX_RECORDS, openapi_document
from intake.push.rate_limit import RateLimit, retry_after
from intake.push.token_cache import TokenCache
from registry import Registry
from store.group_commit import CommitClosed, CommitFailed, GroupCommit, Listener
from store.records import RecordParser, Transaction
from store.tokens import PushToken

log = logging.getLogger("lienthong.push")

TRANSACTIONS = "/api/v1/transactions"
OPENAPI = "/api/v1/openapi.json"
RETRY_SECONDS = 1  # after a failed commit or during shutdown


@dataclass(frozen=True)
class PushOptions:
    """The `[push]` table of the serve config."""

    enabled: bool = True
    rate: float = 50.0  # requests per second per token, sustained
    burst: int = 100  # requests per token at once
    token_refresh: float = 5.0  # seconds: how soon a revoked token stops working


@dataclass
class PushApi:
    registry: Registry
    tokens: TokenCache
    limits: RateLimit
    commits: GroupCommit
    clock: Callable[[], float]
    document: bytes
    token_refresh: float


PUSH = web.AppKey("push", PushApi)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def error(
    status: int,
    message: str,
    *,
    index: int | None = None,
    field: str | None = None,
    headers: dict[str, str] | None = None,
) -> web.Response:
    """One error, in the contract's shape."""
    return errors(status, [{"index": index, "field": field, "message": message}], headers)


def errors(
    status: int, found: list[dict[str, Any]], headers: dict[str, str] | None = None
) -> web.Response:
    return web.json_response({"errors": found}, status=status, headers=headers, dumps=_dumps)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def add_push_api(
    app: web.Application,
    registry: Registry,
    store: Engine,
    options: PushOptions,
    clock: Callable[[], float],
    on_written: Listener,
) -> PushApi:
    """Mount the push API and its OpenAPI document on the service's app."""
    commits = GroupCommit(store, registry.timezone)
    commits.listeners.append(on_written)
    api = PushApi(
        registry=registry,
        tokens=TokenCache(store),
        limits=RateLimit(options.rate, options.burst),
        commits=commits,
        clock=clock,
        document=json.dumps(openapi_document(registry), ensure_ascii=False, indent=1).encode(),
        token_refresh=options.token_refresh,
    )
    app[PUSH] = api
    app.middlewares.append(api_errors)
    app.router.add_post(TRANSACTIONS, push_handler)
    app.router.add_get(OPENAPI, openapi_handler)
    add_excusals(app, store)  # POST /api/v1/excusals: a department's own explanation
    app.cleanup_ctx.append(push_context)
    return api


@web.middleware
async def api_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Under /api/, every error is JSON: the router's 404 and 405, and anything unforeseen."""
    if not request.path.startswith("/api/"):
        return await handler(request)
    try:
        return await handler(request)
    except web.HTTPException as e:
        if e.status < 400:
            raise
        headers = {"Allow": e.headers["Allow"]} if "Allow" in e.headers else None
        if e.status == 404:
            message = f"no such resource: {request.path} (the API is POST {TRANSACTIONS})"
        elif e.status == 405:
            message = f"{request.method} is not allowed here (allowed: {e.headers.get('Allow')})"
        else:
            message = e.reason
        return error(e.status, message, headers=headers)
    except (asyncio.CancelledError, web.GracefulExit):
        raise
    except Exception:
        log.exception("%s %s failed", request.method, request.path)
        return error(500, "internal error: the request was not stored; it is logged")


async def openapi_handler(request: web.Request) -> web.Response:
    return web.Response(body=request.app[PUSH].document, content_type="application/json")


async def push_handler(request: web.Request) -> web.Response:
    api = request.app[PUSH]
    token, refusal = await _authenticate(request, api)
    if refusal is not None:
        return refusal
    assert token is not None
    if token.scope != "push":
        return error(403, f"this token's scope is {token.scope!r}: it cannot push records")
    wait = api.limits.take(token.id)
    if wait > 0:
        return error(
            429,
            f"more than {api.limits.rate:g} requests per second with this token: retry later",
            headers={"Retry-After": retry_after(wait)},
        )
    if request.content_type != "application/json" or (
        request.charset is not None and request.charset.lower() not in ("utf-8", "utf8")
    ):
        return error(415, "the body must be JSON: Content-Type: application/json (UTF-8)")
    body = await _read_body(request)
    if body is None:
        return error(413, f"the body is larger than {MAX_BODY:,} bytes: split the batch")
    items, problem = _decode(body)
    if problem is not None:
        return problem
    if len(items) > MAX_RECORDS:
        return error(
            400, f"{len(items):,} records in one request; at most {MAX_RECORDS:,}: split the batch"
        )
    foreign = _outside_scope(items, token)
    if foreign:
        return errors(403, foreign)
    batch, invalid = _validate(items, api)
    if invalid:
        return errors(400, invalid)
    try:
        result = await api.commits.submit(batch)
    except (CommitFailed, CommitClosed) as e:
        reason = "shutting down" if isinstance(e, CommitClosed) else "the store failed"
        return error(
            503,
            f"not stored ({reason}): send the same batch again",
            headers={"Retry-After": str(RETRY_SECONDS)},
        )
    return web.json_response(
        {"accepted": result.accepted, "duplicates": result.duplicates}, status=202
    )


async def _authenticate(
    request: web.Request, api: PushApi
) -> tuple[PushToken | None, web.Response | None]:
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret:
        return None, error(
            401,
            "missing token: send Authorization: Bearer TOKEN",
            headers={"WWW-Authenticate": 'Bearer realm="lienthong"'},
        )
    try:
        token = await api.tokens.find(secret)
    except SQLAlchemyError:
        log.exception("token look-up failed")
        return None, error(
            503, "the store is unavailable: retry", headers={"Retry-After": str(RETRY_SECONDS)}
        )
    if token is None:
        return None, error(
            401,
            "unknown or revoked token",
            headers={"WWW-Authenticate": 'Bearer realm="lienthong", error="invalid_token"'},
        )
    return token, None


async def _read_body(request: web.Request) -> bytes | None:
    """The whole body, or None once it is over MAX_BODY (decompressed bytes count)."""
    if request.content_length is not None and request.content_length > MAX_BODY:
        return None
    chunks, size = [], 0
    while chunk := await request.content.readany():
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _decode(body: bytes) -> tuple[list[Any], web.Response | None]:
    """The body's records (one object or an array), or the 400 saying why not."""
    try:
        data = json.loads(body.decode("utf-8"), parse_constant=_not_json)
    except UnicodeDecodeError as e:
        return [], error(400, f"the body is not UTF-8 text (byte {e.start})")
    except RecursionError:
        return [], error(400, "the JSON is nested too deeply")
    except ValueError as e:
        return [], error(400, f"not valid JSON: {e}")
    if isinstance(data, dict):
        return [data], None
    if isinstance(data, list):
        return data, None
    return [], error(400, "the body must be one record (a JSON object) or an array of records")


def _not_json(name: str) -> Any:
    # Python's json reads NaN and Infinity, which JSON does not have.
    raise ValueError(f"{name} is not a JSON value")


def _outside_scope(items: list[Any], token: PushToken) -> list[dict[str, Any]]:
    if token.department is None:
        return []
    return [
        {
            "index": i,
            "field": "department",
            "message": f"this token submits records of {token.department} only",
        }
        for i, item in enumerate(items)
        if isinstance(item, dict)
        and isinstance(item.get("department"), str)
        and item["department"] != token.department
    ]


def _validate(items: list[Any], api: PushApi) -> tuple[list[Transaction], list[dict[str, Any]]]:
    parser = RecordParser(api.registry, "push", datetime.fromtimestamp(api.clock(), UTC))
    batch: list[Transaction] = []
    invalid: list[dict[str, Any]] = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            invalid.append({"index": i, "field": None, "message": "a record must be a JSON object"})
            continue
        parsed = parser.parse(item)
        if isinstance(parsed, list):
            invalid.extend(
                {"index": i, "field": e.field or None, "message": e.message} for e in parsed
            )
        elif not invalid:
            batch.append(parsed)
    return batch, invalid


async def push_context(app: web.Application) -> AsyncIterator[None]:
    """The group-commit writer and the token refresher, from start-up to a drained shutdown."""
    api = app[PUSH]
    await api.tokens.refresh()
    api.commits.start()
    refresher = asyncio.create_task(_refresh_tokens(api), name="token-refresh")
    yield
    refresher.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await refresher
    # Requests in flight have been answered by now (the server waited for them);
    # whatever is still queued is committed before the process exits.
    await api.commits.close()


async def _refresh_tokens(api: PushApi) -> None:
    while True:
        await asyncio.sleep(api.token_refresh)
        try:
            await api.tokens.refresh()
        except SQLAlchemyError as e:
            log.error("token refresh failed: %s", str(getattr(e, "orig", e)).splitlines()[0])
