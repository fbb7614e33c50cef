"""`GET /api/v1/status[/CODE]`: the status pages' figures as JSON.

The figures and who is signed in come from the pages (`exporter.web`), handed in
as functions: this module owns the answer's shape and who may read it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiohttp import web

from api.errors import dumps, error
from api.tokens import GATE, authenticate
from compliance.periods import Month
from registry import Registry
from store.excusals import Excusal
from store.tokens import SCOPES

# Every scope reads the figures (a department's tool holds a push token, its officer an
# explain token, the ministry a read token); a token is asked for only with require_login.
READ_SCOPES = SCOPES


@dataclass(frozen=True)
class StatusFigures:
    """What the pages show, as JSON parts: for one department or all of them."""

    now: datetime
    obligations: list[dict[str, Any]]
    excusals: list[Excusal]  # a department's own (empty for all departments)
    days: dict[str, list[tuple[str, str]]]  # per system: (day, state) of the month


@dataclass(frozen=True)
class StatusApi:
    registry: Registry
    figures: Callable[[str | None], Awaitable[StatusFigures]]
    signed_in: Callable[[web.Request], bool]  # a page session that is still valid
    require_login: bool


STATUS = web.AppKey("status", StatusApi)


def add_status(v1: web.Application, status: StatusApi) -> None:
    v1[STATUS] = status
    # Every method reaches the handler (a 405 says GET only); any code, empty or with a
    # slash, likewise (a 404 naming it).
    v1.router.add_route("*", "/status", status_handler)
    v1.router.add_route("*", "/status/{code:.*}", status_handler)


async def _allowed(request: web.Request, status: StatusApi) -> web.Response | None:
    """None when the request may read; else the answer refusing it."""
    if not status.require_login or status.signed_in(request):
        return None
    if not request.headers.get("Authorization", "").strip():
        return error(401, "sign in or send a token")
    token = await authenticate(request, request.app[GATE])
    if isinstance(token, web.Response):
        return error(401, "sign in or send a token") if token.status == 401 else token
    if token.scope not in READ_SCOPES:
        return error(403, f"this token's scope is {token.scope!r}: it cannot read")
    return None


async def status_handler(request: web.Request) -> web.Response:
    """GET /api/v1/status[/CODE]: the pages' figures as JSON."""
    if request.method not in ("GET", "HEAD"):
        message = f"{request.method} is not allowed here: GET only"
        return error(405, message, headers={"Allow": "GET, HEAD"})
    status = request.app[STATUS]
    refused = await _allowed(request, status)
    if refused is not None:
        return refused
    code = request.match_info.get("code")
    if code is not None and not status.registry.has_department(code):
        return error(404, f"unknown department {code!r}", field="department")
    figures = await status.figures(code)
    body: dict[str, Any] = {
        "province": status.registry.province.code,
        "generated_at": figures.now.isoformat(),
        "month": str(Month.of(figures.now.date())),
        "obligations": figures.obligations,
    }
    if code is not None:
        body["department"] = code
        body["excusals"] = [_excusal_json(e) for e in figures.excusals]
        body["days"] = {
            system: [{"day": d, "state": s} for d, s in days]
            for system, days in figures.days.items()
        }
    return web.json_response(body, dumps=dumps)


# The fields the status API shows of an excusal (its OpenAPI schema's, no more).
STATUS_EXCUSAL_FIELDS = (
    "id",
    "system",
    "department",
    "first_day",
    "last_day",
    "reason",
    "state",
    "proposed_by",
)


def _excusal_json(e: Excusal) -> dict[str, Any]:
    full = e.as_json()
    return {k: full[k] for k in STATUS_EXCUSAL_FIELDS}
