"""Sessions and the proxy in front: a revoked token's sessions end for reads too, and
forwarded headers are believed from the trusted proxies only (issue 33, findings 4, 7)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
from sqlalchemy import Engine

from api.push import PushOptions
from exporter.app import SERVICE, ExcusalOptions, ServiceOptions, create_app
from exporter.web import WebOptions
from registry import Registry
from store.tokens import issue_token, revoke_token
from tests.harness import serving
from tests.test_push_api import NOW


def options(**web_options: object) -> ServiceOptions:
    return ServiceOptions(
        probes_enabled=False,
        excusals=ExcusalOptions(detect=False),
        push=PushOptions(token_refresh=3600),  # refreshed by the test, as the refresher does
        web=WebOptions(**web_options),  # type: ignore[arg-type]
    )


@asynccontextmanager
async def signed_in(
    url: str, token: str, headers: dict[str, str] | None = None
) -> AsyncIterator[tuple[aiohttp.ClientSession, aiohttp.ClientResponse]]:
    jar = aiohttp.CookieJar(unsafe=True)  # cookies of an IP address too
    async with aiohttp.ClientSession(cookie_jar=jar, headers=headers) as client:
        async with client.get(url + "/dang-nhap") as answer:
            (csrf,) = re.findall(r'name="csrf" value="([0-9a-f]+)"', await answer.text())
        form = {"csrf": csrf, "token": token}
        async with client.post(url + "/dang-nhap", data=form, allow_redirects=False) as answer:
            yield client, answer


async def test_a_revoked_token_ends_its_sessions_for_reads_too(
    bac_ninh: Registry, engine: Engine
) -> None:
    explain = issue_token(engine, "so-taichinh", scope="explain")
    app = create_app(bac_ninh, engine, options=options(require_login=True), clock=lambda: NOW)
    async with serving(app) as url, signed_in(url, explain) as (client, answer):
        assert answer.status == 303
        async with client.get(url + "/", allow_redirects=False) as page:
            assert page.status == 200
        async with client.get(url + "/api/v1/status") as status:
            assert status.status == 200
        revoke_token(engine, explain[:11])
        await app[SERVICE].api.gate.tokens.refresh()  # what the refresher does every few seconds  # type: ignore[union-attr]
        async with client.get(url + "/", allow_redirects=False) as page:
            assert page.status == 303 and page.headers["Location"] == "/dang-nhap"
        async with client.get(url + "/api/v1/status") as status:
            assert status.status == 401
        async with client.get(
            url + "/don-vi/so-taichinh/csdl-dkdn/2026-10-05", allow_redirects=False
        ) as page:
            assert page.status == 303
