"""Probes against hostile targets on loopback: no credential leaves the probe's origin,
none is written into a failure reason."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from probes.auth import CredentialStore
from probes.engine import ProbeSettings, client_session
from probes.http import ProbeTarget, run_probe
from registry.model import HttpProbe
from tests.harness import serving

KEY = "k3y-Secret-0xA1"


class Seen:
    """What a loopback server received: the API key header of each request."""

    def __init__(self) -> None:
        self.keys: list[str | None] = []


def app_of(seen: Seen, routes: dict[str, Any]) -> web.Application:
    app = web.Application()

    def handler_for(answer: Any) -> Any:
        async def handler(request: web.Request) -> web.StreamResponse:
            seen.keys.append(request.headers.get("apikey"))
            result = answer(request)
            if isinstance(result, web.HTTPException):
                raise result
            return web.json_response(result)

        return handler

    for path, answer in routes.items():
        app.router.add_get(path, handler_for(answer))
    return app


def target(url: str, **spec: Any) -> ProbeTarget:
    probe = HttpProbe.model_validate(
        {
            "url": url,
            "timeout": 2,
            "expect_json": {"error_code": 0},
            "auth": {"type": "api_key", "key_env": "HOSTILE_KEY"},
            **spec,
        }
    )
    credentials = CredentialStore(time.time, lambda u: u).for_auth(probe.auth)
    return ProbeTarget("so-khdt", "csdl-dkdn", probe, url, credentials)


@pytest.fixture
async def session(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[aiohttp.ClientSession]:
    monkeypatch.setenv("HOSTILE_KEY", KEY)
    async with client_session(ProbeSettings()) as s:
        yield s


async def test_redirects_are_not_followed_by_default_nor_ever_to_another_origin(
    session: aiohttp.ClientSession,
) -> None:
    elsewhere_seen, home_seen = Seen(), Seen()
    elsewhere = app_of(elsewhere_seen, {"/steal": lambda r: {"error_code": 0}})
    async with serving(elsewhere) as other:
        home = app_of(
            home_seen,
            {
                "/away": lambda r: web.HTTPFound(other + "/steal"),
                "/moved": lambda r: web.HTTPFound("/ok"),
                "/ok": lambda r: {"error_code": 0},
            },
        )
        async with serving(home) as url:
            # Not followed by default: the 302 is judged as an answer, and fails.
            outcome = await run_probe(session, target(url + "/away"))
            assert not outcome.success and outcome.detail is not None
            assert "302" in outcome.detail
            # Followed when asked, within the probe's origin only.
            outcome = await run_probe(session, target(url + "/moved", follow_redirects=True))
            assert outcome.success
            outcome = await run_probe(session, target(url + "/away", follow_redirects=True))
            assert not outcome.success
            assert outcome.detail == f"redirected to another origin ({other}): not followed"
    assert elsewhere_seen.keys == []  # the other host never got a request, let alone the key
    assert home_seen.keys == [KEY] * 4


async def test_a_target_echoing_the_credential_does_not_get_it_into_the_reason(
    session: aiohttp.ClientSession,
) -> None:
    seen = Seen()
    echo = app_of(seen, {"/echo": lambda r: {"error_code": r.headers["apikey"]}})
    async with serving(echo) as url:
        outcome = await run_probe(session, target(url + "/echo"))
    assert seen.keys == [KEY]
    assert not outcome.success and outcome.detail is not None
    assert KEY not in outcome.detail
    assert outcome.detail == 'body error_code is "***" (expected 0)'
