"""The API's app factory: an /api application whose middleware makes every answer JSON,
and inside it the /api/v1 sub-application with its routes and cleanup contexts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web
from sqlalchemy import Engine

from api.errors import api_errors
from api.excusals import add_excusals
from api.openapi import add_openapi
from api.push import PushApi, PushOptions, add_push
from api.rate_limit import RateLimit
from api.status import StatusApi, add_status
from api.tokens import GATE, Gate, TokenCache, tokens_context
from registry import Registry
from store.group_commit import CommitOrder, Listener

PREFIX = "/api/v1"


@dataclass
class Api:
    """The running API's parts the service reads (health, sessions)."""

    gate: Gate
    push: PushApi | None  # None: `[push] enabled = false`


def add_api(
    app: web.Application,
    registry: Registry,
    store: Engine,
    options: PushOptions,
    clock: Callable[[], float],
    status: StatusApi,
    on_written: Listener,
    order: CommitOrder | None = None,
) -> Api:
    """Mount the API at /api/v1 on the service's app. The status API is always served;
    pushing, excusals and the OpenAPI document when `options.enabled`."""
    gate = Gate(
        tokens=TokenCache(store),
        limits=RateLimit(options.rate, options.burst),
        deadline=options.commit_deadline,
        refresh=options.token_refresh,
    )
    v1 = web.Application()
    v1[GATE] = gate
    v1.cleanup_ctx.append(tokens_context)  # before the writer: it stops after it
    add_status(v1, status)
    push = None
    if options.enabled:
        # Its writer stops after the probes and the metrics refresher (the parent's cleanup
        # contexts), and commits what it holds before the process exits.
        push = add_push(v1, registry, store, options, clock, on_written, order)
        add_excusals(v1, registry, store, clock)  # a department's own explanation
        add_openapi(v1, registry)
    root = web.Application(middlewares=[api_errors])
    root.add_subapp(PREFIX.removeprefix("/api"), v1)
    app.add_subapp("/api", root)
    return Api(gate=gate, push=push)
