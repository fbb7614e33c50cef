"""Probes against every fault of the simulator, over loopback, with the real HTTP stack."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import pytest
from sqlalchemy import Engine, func, select

from exporter.app import SERVICE, RecorderOptions, ServiceOptions
from lienthong.service import create_service
from probes.auth import CredentialStore
from probes.engine import ProbeSettings, UrlRewrite, client_session
from probes.http import ProbeTarget, run_probe
from registry import Registry
from registry.model import HttpProbe
from simulator.app import GATEWAY, Gateway, simulator_app
from simulator.faults import Answer, Fault
from store.schema import transactions
from tests.harness import Flushes, serving

SECRET = "sim-secret-Zq81"


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BACNINH_LGSP_CLIENT_ID", "probe-client")
    monkeypatch.setenv("BACNINH_LGSP_CLIENT_SECRET", SECRET)


@pytest.fixture
async def simulator(bac_ninh: Registry, credentials: None) -> AsyncIterator[tuple[str, Gateway]]:
    app = simulator_app(
        [s.code for s in bac_ninh.systems], client_id="probe-client", client_secret=SECRET
    )
    async with serving(app) as url:
        yield url, app[GATEWAY]


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with client_session(ProbeSettings()) as s:
        yield s


def target(url: str, path: str, **spec: Any) -> ProbeTarget:
    probe = HttpProbe.model_validate(
        {
            "url": url + path,
            "timeout": 1,
            "expect_json": {"error_code": 0},
            "auth": {
                "type": "oauth2_client_credentials",
                "token_url": url + "/token",
                "client_id_env": "BACNINH_LGSP_CLIENT_ID",
                "client_secret_env": "BACNINH_LGSP_CLIENT_SECRET",
            },
            **spec,
        }
    )
    store = CredentialStore(time.time, lambda u: u)
    return ProbeTarget("so-khdt", "csdl-dkdn", probe, url + path, store.for_auth(probe.auth))


DKDN = "/apiCSDLDKDN/chiTietDoanhNghiep?msdn=2300100530"


async def test_a_healthy_system_succeeds_with_one_token(
    simulator: tuple[str, Gateway], session: aiohttp.ClientSession
) -> None:
    url, gateway = simulator
    t = target(url, DKDN)
    outcomes = [await run_probe(session, t) for _ in range(5)]
    assert all(o.success for o in outcomes)
    assert gateway.tokens_issued == 1  # cached between runs


async def test_a_revoked_token_is_refreshed_once(
    simulator: tuple[str, Gateway], session: aiohttp.ClientSession
) -> None:
    url, gateway = simulator
    t = target(url, DKDN)
    assert (await run_probe(session, t)).success
    gateway.tokens.clear()  # the gateway forgets every token: the API answers 401
    outcome = await run_probe(session, t)
    assert outcome.success and gateway.tokens_issued == 2


async def test_wrong_credentials_fail_without_showing_the_secret(
    simulator: tuple[str, Gateway], session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, _ = simulator
    monkeypatch.setenv("BACNINH_LGSP_CLIENT_SECRET", "wrong-secret-77")
    outcome = await run_probe(session, target(url, DKDN))
    assert not outcome.success
    assert outcome.detail == "authentication: token endpoint answered HTTP 401"
    assert "wrong-secret-77" not in (outcome.detail or "")


async def test_a_hang_fails_at_the_time_out(
    simulator: tuple[str, Gateway], session: aiohttp.ClientSession
) -> None:
    url, gateway = simulator
    gateway.faults["csdl-dkdn"] = Fault(hang=True)
    outcome = await run_probe(session, target(url, DKDN, timeout=0.5))
    assert not outcome.success
    assert outcome.detail == "timed out after 0.5 s"
    assert 0.5 <= outcome.seconds < 1.0


async def test_a_reset_fails_after_retries(
    simulator: tuple[str, Gateway], session: aiohttp.ClientSession
) -> None:
    url, gateway = simulator
    gateway.faults["csdl-dkdn"] = Fault(reset=True)
    outcome = await run_probe(session, target(url, DKDN, timeout=5))
    assert not outcome.success and outcome.attempts == 3
    assert outcome.detail is not None and "reset" in outcome.detail


async def test_a_200_with_an_error_body_fails_under_expect_json(
    simulator: tuple[str, Gateway], session: aiohttp.ClientSession
) -> None:
    url, gateway = simulator
    gateway.faults["csdl-dkdn"] = Fault(error_body=True)
    outcome = await run_probe(session, target(url, DKDN))
    assert not outcome.success and outcome.attempts == 1  # a final answer: no retry
    assert outcome.detail == "body error_code is 100 (expected 0)"
    # Without the body condition the same answer is a success.
    assert (await run_probe(session, target(url, DKDN, expect_json={}))).success


async def test_an_oversized_body_fails(
    simulator: tuple[str, Gateway], session: aiohttp.ClientSession
) -> None:
    url, gateway = simulator
    gateway.faults["csdl-dkdn"] = Fault(oversized=4096)
    outcome = await run_probe(session, target(url, DKDN, max_body=4095))
    assert not outcome.success
    assert outcome.detail == "body of 4096 bytes is larger than max_body 4095"
    assert (await run_probe(session, target(url, DKDN, max_body=4096))).success


async def test_a_slow_body_fails_at_the_time_out(
    simulator: tuple[str, Gateway], session: aiohttp.ClientSession
) -> None:
    url, gateway = simulator
    gateway.faults["csdl-dkdn"] = Fault(slow_body=0.2)
    outcome = await run_probe(session, target(url, DKDN, timeout=0.5))
    assert not outcome.success and outcome.detail == "timed out after 0.5 s"


async def test_an_outage_fails_after_jittered_retries(
    simulator: tuple[str, Gateway], session: aiohttp.ClientSession
) -> None:
    url, gateway = simulator
    gateway.faults["csdl-dkdn"] = Fault(outage=True)
    outcome = await run_probe(session, target(url, DKDN, timeout=5))
    assert not outcome.success
    assert outcome.detail == "HTTP status 503 (3 attempts)"
    assert gateway.counters["csdl-dkdn"].requests == 3


async def test_nothing_listening_fails_as_a_connection_error(
    session: aiohttp.ClientSession,
) -> None:
    from tests.servers import free_port

    t = target(f"http://127.0.0.1:{free_port()}", DKDN, auth=None, timeout=3)
    outcome = await run_probe(session, t)
    assert not outcome.success and outcome.detail is not None
    assert outcome.detail.startswith("cannot connect")


# -- the whole service: engine, recorder, store --------------------------------------


def probe_counts(engine: Engine, system: str) -> dict[bool, int]:
    c = transactions.c
    query = (
        select(c.success, func.count())
        .where(c.system == system, c.source == "probe")
        .group_by(c.success)
    )
    with engine.connect() as conn:
        return {bool(ok): int(n) for ok, n in conn.execute(query)}


@pytest.fixture
def fast_settings() -> Iterator[Any]:
    def make(url: str) -> ProbeSettings:
        return ProbeSettings(
            interval=0.25,
            rewrites=(UrlRewrite("https://lgsp.bacninh.example", url),),
            breaker_failures=1000,
            grace=5.0,
        )

    yield make


async def test_flapping_and_retrying_systems_are_counted_exactly(
    bac_ninh: Registry,
    engine: Engine,
    simulator: tuple[str, Gateway],
    fast_settings: Any,
) -> None:
    url, gateway = simulator
    # csdl-dkdn flaps (a success, then a 200 with an error code); csdl-gia answers
    # every first attempt with a 500 and the retry with a success.
    gateway.faults["csdl-dkdn"] = Fault(sequence=(Answer.OK, Answer.ERROR_BODY))
    gateway.faults["csdl-gia"] = Fault(sequence=(Answer.ERROR, Answer.OK))
    app = create_service(
        bac_ninh,
        engine,
        fast_settings(url),
        ServiceOptions(recorder=RecorderOptions(flush_interval=0.1)),
    )
    async with serving(app):
        service = app[SERVICE]
        assert service.recorder is not None
        flushes = Flushes(service.recorder)
        await flushes.until(
            lambda _: flushes.count("csdl-dkdn") >= 6 and flushes.count("csdl-gia") >= 3
        )
    dkdn = gateway.counters["csdl-dkdn"].answers
    assert probe_counts(engine, "csdl-dkdn") == {True: dkdn["ok"], False: dkdn["error_body"]}
    gia = gateway.counters["csdl-gia"]
    # Each run took two calls (500, then success) and is one success: retries add nothing.
    assert probe_counts(engine, "csdl-gia") == {True: gia.requests // 2}
    assert gia.requests % 2 == 0


async def test_service_stays_responsive_during_a_hang_and_stops_cleanly(
    bac_ninh: Registry,
    engine: Engine,
    simulator: tuple[str, Gateway],
    fast_settings: Any,
) -> None:
    url, gateway = simulator
    gateway.faults["ho-tich"] = Fault(hang=True)  # the bundled probe's time-out is 10 s
    settings = fast_settings(url)
    app = create_service(
        bac_ninh, engine, ProbeSettings(**{**settings.__dict__, "grace": 0.2}), ServiceOptions()
    )
    async with serving(app) as service_url, aiohttp.ClientSession() as client:
        service = app[SERVICE]
        assert service.recorder is not None and service.probes is not None
        flushes = Flushes(service.recorder)
        await flushes.until(lambda _: flushes.count("csdl-dkdn") >= 3)
        assert service.probes.systems()["ho-tich"].in_flight == 1  # still hanging
        started = time.perf_counter()
        async with client.get(service_url + "/healthz") as answer:
            health = await answer.json()
        assert time.perf_counter() - started < 1.0
        assert health["status"] == "ok" and health["in_flight"] >= 1
    # The hung run was cancelled at shutdown: no transaction for it; everything
    # the other probes produced was written before the service stopped.
    assert probe_counts(engine, "ho-tich") == {}
    assert sum(probe_counts(engine, "csdl-dkdn").values()) == flushes.count("csdl-dkdn")
    assert service.recorder.pending == 0
