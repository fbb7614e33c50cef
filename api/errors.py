"""Every answer under /api/ is JSON in the contract's error shape, whatever went wrong."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from i18n import N_

log = logging.getLogger("lienthong.push")

TRANSACTIONS = "/api/v1/transactions"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


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
    return web.json_response({"errors": found}, status=status, headers=headers, dumps=dumps)


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
