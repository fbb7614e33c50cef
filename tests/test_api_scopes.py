"""Every route of the service × every kind of token: the status each gets (issue 33,
finding 3). The table is checked against the app's router: a route added without a line
here fails the test, so no route ships without its scope decided."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
from aiohttp import web
from sqlalchemy import Engine

from api.push import PushOptions
from exporter.app import ServiceOptions
from exporter.web import WebOptions
from lienthong.service import create_service
from registry import Registry
from store.tokens import issue_token
from tests.harness import serving
from tests.test_push_api import NOW

RECORD = {
    "department": "so-taichinh",
    "system": "csdl-dkdn",
    "ts": "2026-10-05T09:00:00+07:00",
    "outcome": "success",
}
EXPLANATION = {
    "system": "csdl-dkdn",
    "first_day": "2026-10-05",
    "last_day": "2026-10-05",
    "reason": "Mất điện",
}
# Who asks: no token, or a token of each scope (a department's push and explain tokens,
# the ministry's read token).
WHO = (None, "read", "push", "explain")

# (method, route as the router names it) → (a request's path, its JSON body, the status
# for each of WHO). `read` reads, `push` pushes, `explain` explains; the status API is
# read by every scope (a department's tools hold push tokens) once `require_login` asks
# for a token; the reports API by read tokens only (the others are refused as unknown,
# as contract 1.1 pinned it).
API: dict[tuple[str, str], tuple[str, Any, tuple[int, int, int, int]]] = {
    ("POST", "/api/v1/transactions"): ("/api/v1/transactions", RECORD, (401, 403, 202, 403)),
    ("POST", "/api/v1/excusals"): ("/api/v1/excusals", EXPLANATION, (401, 403, 201, 201)),
    ("*", "/api/v1/status"): ("/api/v1/status", None, (401, 200, 200, 200)),
    ("*", "/api/v1/status/{code}"): ("/api/v1/status/so-taichinh", None, (401, 200, 200, 200)),
    ("GET", "/api/v1/openapi.json"): ("/api/v1/openapi.json", None, (200, 200, 200, 200)),
    ("GET", "/api/v1/reports/{month}"): ("/api/v1/reports/2026-09", None, (401, 200, 401, 401)),
}
# The routes that take no bearer token: the pages (a signed-in session), the scrape and
# the health check.
NO_TOKEN = {
    ("GET", "/"),
    ("GET", "/don-vi/{code}"),
    ("GET", "/don-vi/{code}/giai-trinh"),  # a redirect to the department page
    ("POST", "/don-vi/{code}/giai-trinh"),
    ("GET", "/don-vi/{code}/{system}/{day}"),
    ("GET", "/dang-nhap"),
    ("POST", "/dang-nhap"),
    ("POST", "/dang-xuat"),
    ("GET", "/metrics"),
    ("GET", "/healthz"),
}


def routes(app: web.Application) -> set[tuple[str, str]]:
    """Every (method, route) of the app and its sub-applications (HEAD goes with GET); a
    sub-application's routes carry its prefix already."""
    found: set[tuple[str, str]] = set()
    for resource in app.router.resources():
        if isinstance(resource, web.PrefixedSubAppResource):
            found |= routes(resource._app)
            continue
        path = resource.canonical.replace("{day:[0-9]{4}-[0-9]{2}-[0-9]{2}}", "{day}")
        found |= {(route.method, path) for route in resource if route.method != "HEAD"}
    return found


async def test_every_route_checks_the_tokens_scope(bac_ninh: Registry, engine: Engine) -> None:
    tokens: dict[str | None, str | None] = {
        None: None,
        "read": issue_token(engine, None, scope="read"),
        "push": issue_token(engine, "so-taichinh"),
        "explain": issue_token(engine, "so-taichinh", scope="explain"),
    }
    options = ServiceOptions(
        probes_enabled=False,
        push=PushOptions(rate=1000, burst=1000),
        web=WebOptions(require_login=True),
    )
    app = create_service(bac_ninh, engine, options=options, clock=lambda: NOW)
    listed = set(API) | NO_TOKEN
    assert routes(app) == listed, "a route without its line in this table"
    got: dict[tuple[str, str], tuple[int, ...]] = {}
    async with serving(app) as url, aiohttp.ClientSession() as session:
        for key, (path, body, _) in API.items():
            statuses = []
            for who in WHO:
                headers = {"Content-Type": "application/json"}
                if tokens[who] is not None:
                    headers["Authorization"] = f"Bearer {tokens[who]}"
                method = "GET" if key[0] == "*" else key[0]
                data = None if body is None else json.dumps(body)
                async with session.request(method, url + path, data=data, headers=headers) as r:
                    statuses.append(r.status)
            got[key] = tuple(statuses)
    assert got == {key: expected for key, (_, _, expected) in API.items()}
