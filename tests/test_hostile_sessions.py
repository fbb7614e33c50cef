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
from exporter.web import COOKIE, WebOptions
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
            # Sent by hand: a Secure cookie is the proxy's to carry over TLS, not ours.
            cookie = {"Cookie": f"{COOKIE}={answer.cookies[COOKIE].value}"}
        form = {"csrf": csrf, "token": token}
        async with client.post(
            url + "/dang-nhap", data=form, allow_redirects=False, headers=cookie
        ) as answer:
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


async def _signin_failures(url: str, addresses: list[str]) -> list[bool]:
    """For each attempt (a wrong token, from each address behind the proxy): whether it
    was refused by the sign-in limit (429)."""
    statuses = []
    async with aiohttp.ClientSession() as client:
        for address in addresses:
            headers = {"X-Forwarded-For": f"198.51.100.9, {address}"}
            async with client.post(
                url + "/dang-nhap", data={"token": "lt_sai"}, headers=headers
            ) as answer:
                statuses.append(answer.status == 429)
    return statuses


async def test_behind_a_trusted_proxy_the_client_and_tls_are_the_forwarded_ones(
    bac_ninh: Registry, engine: Engine
) -> None:
    explain = issue_token(engine, "so-taichinh", scope="explain")
    # The proxy is 127.0.0.1 (nginx on the same machine, as docs/operating.md shows).
    app = create_app(
        bac_ninh, engine, options=options(trusted_proxies=("127.0.0.1/32",)), clock=lambda: NOW
    )
    async with serving(app) as url:
        tls = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
        async with signed_in(url, explain, tls) as (_, answer):
            assert answer.status == 303
            assert "Secure" in answer.headers["Set-Cookie"]
        # One person's failures lock that person out, not every officer behind the proxy.
        assert await _signin_failures(url, ["203.0.113.5"] * 6) == [False] * 5 + [True]
        assert await _signin_failures(url, ["203.0.113.6"]) == [False]


async def test_forwarded_headers_from_anyone_else_are_ignored(
    bac_ninh: Registry, engine: Engine
) -> None:
    explain = issue_token(engine, "so-taichinh", scope="explain")
    trusting_others = options(trusted_proxies=("10.0.0.0/8",))
    app = create_app(bac_ninh, engine, options=trusting_others, clock=lambda: NOW)
    async with serving(app) as url:
        tls = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
        async with signed_in(url, explain, tls) as (_, answer):
            assert answer.status == 303
            assert "Secure" not in answer.headers["Set-Cookie"]
    app = create_app(bac_ninh, engine, options=trusting_others, clock=lambda: NOW)
    async with serving(app) as url:
        # A client naming a new address each time is still one client: limited.
        addresses = [f"203.0.113.{n}" for n in range(10, 16)]
        assert await _signin_failures(url, addresses) == [False] * 5 + [True]


def test_trusted_proxies_are_addresses_or_networks() -> None:
    import pytest
    from pydantic import TypeAdapter, ValidationError

    read = TypeAdapter(WebOptions).validate_python
    assert read({"trusted_proxies": ["10.0.0.5", "fd00::/8"]}).trusted_proxies
    with pytest.raises(ValidationError, match="'nginx' không phải một địa chỉ hay một dải mạng"):
        read({"trusted_proxies": ["nginx"]})
