"""The push API: `POST /api/v1/transactions`, as the contract pins it.

A route of the /api/v1 sub-application (`api.app`), whose parent makes every
answer under /api/ JSON (404 and 405 included). A request is checked in this
order, each step cheap before the next: the bearer token (401), its scope
(403: `push` only), its rate (429), the content type (415), the body's size
(413, before any parsing), room in the body budget (503), the JSON (400), the
number of records (400), the token's department and the sources it may send
(403), every record through `store.records` (400, the first 100 errors and a
count). Only then is the batch handed to the group commit, and `202` is
answered once the database has committed it; 503 + Retry-After when it could
not within the commit deadline.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from pydantic import ConfigDict, Field, with_config
from sqlalchemy import Engine

from api.errors import error, errors
from api.tokens import admit
from i18n import use_lang
from registry import Registry
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
from store.tokens import PUSH as PUSH_SCOPE
from store.tokens import PushToken

MAX_BODY = 5_000_000
MAX_RECORDS = 10_000
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
    commits: GroupCommit
    clock: Callable[[], float]
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


def add_push(
    v1: web.Application,
    registry: Registry,
    store: Engine,
    options: PushOptions,
    clock: Callable[[], float],
    on_written: Listener,
    order: CommitOrder | None = None,
) -> PushApi:
    """Mount POST /transactions on the /api/v1 sub-application; `order` numbers its commits
    for `on_written` (shared with the probes' recorder)."""
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
        commits=commits,
        clock=clock,
        options=options,
        bodies=BodyBudget(options.body_memory),
    )
    v1[PUSH] = api
    v1.router.add_post("/transactions", push_handler)
    v1.cleanup_ctx.append(push_context)
    return api


async def push_handler(request: web.Request) -> web.Response:
    api = request.app[PUSH]
    token = await admit(request, (PUSH_SCOPE,), "push records")
    if isinstance(token, web.Response):
        return token
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
    # The API's answers are read by programs (contract 1.2: JSON values stay as they are):
    # the records' errors in English, whatever the service's language.
    with use_lang("en"):
        return _validate_in_english(items, api)


def _validate_in_english(
    items: list[Any], api: PushApi
) -> tuple[list[Transaction], list[dict[str, Any]]]:
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
    """The group-commit writer, from start-up to a drained shutdown."""
    api = app[PUSH]
    api.commits.start()
    yield
    # Requests in flight have been answered by now (the server waited for them);
    # whatever is still queued is committed before the process exits.
    await api.commits.close()
