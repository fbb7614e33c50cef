"""The push API: `POST /api/v1/transactions`, as the contract pins it.

An aiohttp sub-application mounted at /api/v1, inside an /api application
whose middleware makes every answer under /api/ JSON (404 and 405 included).
A request is checked in this order, each step cheap before the next: the
bearer token (401), its rate (429), the content type (415), the body's size
(413, before any parsing), room in the body budget (503), the JSON (400), the
number of records (400), the token's department and the sources it may send
(403), every record through `store.records` (400, the first 100 errors and a
count). Only then is the batch handed to the group commit, and `202` is
answered once the database has committed it; 503 + Retry-After when it could
not within the commit deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from pydantic import ConfigDict, Field, with_config
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from i18n import N_
from intake.push.excusals import add_excusals
from intake.push.openapi import MAX_BODY, MAX_RECORDS, openapi_document
from intake.push.rate_limit import RateLimit, retry_after
from intake.push.token_cache import LookupsBusy, TokenCache
from registry import Registry
from store.database import first_line
from store.group_commit import (
    DEADLINE,
    MAX_PENDING,
    CommitBusy,
    CommitClosed,
    CommitFailed,
    CommitOrder,
    CommitTimeout,
    GroupCommit,
    Listener,
)
from store.records import RecordParser, Transaction
from store.tokens import PushToken

log = logging.getLogger("lienthong.push")

PREFIX = "/api/v1"
TRANSACTIONS = PREFIX + "/transactions"
OPENAPI = PREFIX + "/openapi.json"
RETRY_SECONDS = 1  # after a failed commit or during shutdown
MAX_LISTED = 100  # invalid records listed one by one in a 400; the rest are counted
# The sources a token may send: a department's token its own pushes only; the
# all-departments (gateway) token also gateway records. Probe records come only
# from the engine, imports only from `ingest`.
DEPARTMENT_SOURCES = ("push",)
GATEWAY_SOURCES = ("push", "gateway")


@with_config(ConfigDict(extra="forbid"))
@dataclass(frozen=True)
class PushOptions:
    """The push API's settings, declared once: also the `[push]` table of the serve config."""

    enabled: bool = True
    rate: Annotated[float, Field(gt=0)] = 50.0  # requests per second per token, sustained
    burst: Annotated[int, Field(ge=1)] = 100  # requests per token at once
    # seconds: how soon a revoked token stops working
    token_refresh: Annotated[float, Field(gt=0)] = 5.0
    # seconds a request waits for its commit, then 503
    commit_deadline: Annotated[float, Field(gt=0)] = DEADLINE
    # records waiting for the store, at most; then 503
    max_pending: Annotated[int, Field(ge=1)] = MAX_PENDING
    # bytes of bodies read and parsed at once; then 503
    body_memory: Annotated[int, Field(ge=1)] = 64 * 1024 * 1024
    # seconds to receive a whole body; then 408
    body_timeout: Annotated[float, Field(gt=0)] = 30.0


@dataclass
class PushApi:
    registry: Registry
    tokens: TokenCache
    limits: RateLimit
    commits: GroupCommit
    clock: Callable[[], float]
    document: bytes
    options: PushOptions
    bodies: BodyBudget


class BodyBudget:
    """The bytes of request bodies being read and parsed at once, bounded."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0

    def take(self, size: int) -> bool:
        if self.used + size > self.limit:
            return False
        self.used += size
        return True

    def give_back(self, size: int) -> None:
        self.used -= size


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
    order: CommitOrder | None = None,
) -> PushApi:
    """Mount the push API (at /api/v1) and its OpenAPI document on the service's app;
    `order` numbers its commits for `on_written` (shared with the probes' recorder)."""
    commits = GroupCommit(
        store,
        registry.timezone,
        deadline=options.commit_deadline,
        max_pending=options.max_pending,
        order=order,
    )
    commits.listeners.append(on_written)
    api = PushApi(
        registry=registry,
        tokens=TokenCache(store),
        limits=RateLimit(options.rate, options.burst),
        commits=commits,
        clock=clock,
        document=json.dumps(openapi_document(registry), ensure_ascii=False, indent=1).encode(),
        options=options,
        bodies=BodyBudget(options.body_memory),
    )
    v1 = web.Application()
    v1[PUSH] = api
    v1.router.add_post("/transactions", push_handler)
    v1.router.add_get("/openapi.json", openapi_handler)
    add_excusals(v1, store)  # POST /api/v1/excusals: a department's own explanation
    v1.cleanup_ctx.append(push_context)
    # Everything under /api/ answers JSON, whichever version or path was asked for.
    root = web.Application(middlewares=[api_errors])
    root.add_subapp(PREFIX.removeprefix("/api"), v1)
    app.add_subapp("/api", root)
    return api


@web.middleware
async def api_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every error is JSON: the router's 404 and 405, and anything unforeseen."""
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
        log.exception(N_("%s %s failed"), request.method, request.path)
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
    # Bodies held at once are bounded: a full budget is "busy, retry", not memory growth.
    reserved = min(request.content_length or MAX_BODY, MAX_BODY)
    if not api.bodies.take(reserved):
        return error(
            503,
            "too many large requests at once: retry shortly",
            headers={"Retry-After": str(RETRY_SECONDS)},
        )
    try:
        checked = await _read_and_check(request, api, token)
    finally:
        api.bodies.give_back(reserved)
    if isinstance(checked, web.Response):
        return checked
    try:
        result = await api.commits.submit(checked)
    except (CommitFailed, CommitClosed) as e:
        if isinstance(e, CommitClosed):
            reason = "shutting down"
        elif isinstance(e, CommitTimeout):
            reason = "the store is not answering"
        elif isinstance(e, CommitBusy):
            reason = "too many records are waiting for the store"
        else:
            reason = "the store failed"
        return error(
            503,
            f"not stored ({reason}): send the same batch again",
            headers={"Retry-After": str(RETRY_SECONDS)},
        )
    return web.json_response(
        {"accepted": result.accepted, "duplicates": result.duplicates}, status=202
    )


async def _read_and_check(
    request: web.Request, api: PushApi, token: PushToken
) -> list[Transaction] | web.Response:
    """The request's validated batch, or the answer refusing it."""
    try:
        async with asyncio.timeout(api.options.body_timeout):
            body = await _read_body(request)
    except TimeoutError:
        late = error(408, f"the body did not arrive within {api.options.body_timeout:g} s")
        late.force_close()  # the rest of the body is not waited for
        return late
    except (HttpProcessingError, web.RequestPayloadError) as e:
        # A body that does not decode as its Content-Encoding says: the client's error.
        # The connection is closed after the answer: the rest of the body is unreadable.
        reason = e.message if isinstance(e, HttpProcessingError) else str(e)
        answer = error(400, f"the body cannot be read: {' '.join(reason.split())}")
        answer.force_close()
        return answer
    if body is None:
        return error(413, f"the body is larger than {MAX_BODY:,} bytes: split the batch")
    items, problem = _decode(body)
    del body
    if problem is not None:
        return problem
    if len(items) > MAX_RECORDS:
        return error(
            400, f"{len(items):,} records in one request; at most {MAX_RECORDS:,}: split the batch"
        )
    foreign = _outside_scope(items, token)
    if foreign:
        return errors(403, _first(foreign))
    batch, invalid = _validate(items, api)
    if invalid:
        return errors(400, _first(invalid))
    return batch


def _first(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The first MAX_LISTED errors, and a last one counting the others (as `ingest` does)."""
    if len(found) <= MAX_LISTED:
        return found
    records = len({e["index"] for e in found})
    more = len(found) - MAX_LISTED
    return [
        *found[:MAX_LISTED],
        {
            "index": None,
            "field": None,
            "message": f"… and {more:,} more errors ({records:,} invalid records in all)",
        },
    ]


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
        async with asyncio.timeout(api.options.commit_deadline):
            token = await api.tokens.find(secret)
    except (SQLAlchemyError, TimeoutError, LookupsBusy) as e:
        if isinstance(e, SQLAlchemyError):
            log.error(N_("token look-up failed: %s"), first_line(e))
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
    """Records this token may not send: another department's, or a source not its own."""
    allowed = GATEWAY_SOURCES if token.department is None else DEPARTMENT_SOURCES
    found: list[dict[str, Any]] = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        department, source = item.get("department"), item.get("source")
        if (
            token.department is not None
            and isinstance(department, str)
            and department != token.department
        ):
            found.append(
                {
                    "index": i,
                    "field": "department",
                    "message": f"this token submits records of {token.department} only",
                }
            )
        if isinstance(source, str) and source not in allowed:
            found.append(
                {
                    "index": i,
                    "field": "source",
                    "message": f"this token submits {' or '.join(allowed)} records only,"
                    f" not {source}",
                }
            )
    return found


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
        await asyncio.sleep(api.options.token_refresh)
        try:
            await api.tokens.refresh()
        except SQLAlchemyError as e:
            log.error(N_("token refresh failed: %s"), first_line(e))
