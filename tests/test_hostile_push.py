"""The push API under hostile clients and a failing store, on SQLite and PostgreSQL:
no department fails another, nothing hangs, every refusal is JSON."""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from api.push import PushOptions
from exporter.app import SECURITY_HEADERS, SERVICE, ServiceOptions, create_app
from lienthong import server
from registry import Registry
from store.database import first_line
from store.group_commit import CommitRefused, GroupCommit
from store.health import StoreWatch
from store.records import Transaction
from store.tokens import issue_token
from store.writer import WriteResult
from tests.harness import serving
from tests.test_push_api import NOW, URL, Api, record, stored


@contextmanager
def write_locked(engine: Engine) -> Iterator[None]:
    """Another client holds the store's write lock (SQLite) or table locks (PostgreSQL)."""
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if engine.dialect.name == "sqlite":
            cursor.execute("BEGIN IMMEDIATE")
        else:
            cursor.execute("LOCK TABLE transactions, store_meta IN EXCLUSIVE MODE")
        yield
    finally:
        raw.rollback()
        raw.close()


@asynccontextmanager
async def push_api(registry: Registry, engine: Engine, **push: Any) -> AsyncIterator[Api]:
    options = ServiceOptions(
        probes_enabled=False,
        push=PushOptions(rate=1000, burst=1000, token_refresh=3600, **push),
    )
    app = create_app(registry, engine, options=options, clock=lambda: NOW)
    app[SERVICE].watch = StoreWatch(engine, timeout=0.5, max_age=0)
    async with serving(app) as url, aiohttp.ClientSession() as client:
        yield Api(url, client, app)


@pytest.fixture
async def api(bac_ninh: Registry, engine: Engine) -> AsyncIterator[Api]:
    async with push_api(bac_ninh, engine) as running:
        yield running


def transactions(prefix: str, n: int, ts: datetime | None = None) -> list[Transaction]:
    at = ts or datetime(2026, 10, 5, 2, tzinfo=UTC)
    return [
        Transaction("so-khdt", "csdl-dkdn", at, True, "push", record_id=f"{prefix}{k}")
        for k in range(n)
    ]


async def test_a_batch_failing_on_its_own_does_not_fail_its_group(
    engine: Engine, bac_ninh: Registry
) -> None:
    # Past validation (a bug, or a record the database refuses), one batch's failure
    # used to roll back every batch of its group.
    commits = GroupCommit(engine, bac_ninh.timezone)
    year_one = datetime.fromisoformat("0001-01-01T00:00:00+14:00")
    batches = [transactions("a", 5), transactions("bad", 2, year_one), transactions("b", 3)]
    # Submitted together, before the writer runs: one group.
    outcomes = await asyncio.gather(*(commits.submit(b) for b in batches), return_exceptions=True)
    await commits.close()
    assert isinstance(outcomes[0], WriteResult) and outcomes[0].accepted == 5
    assert isinstance(outcomes[1], CommitRefused)
    assert isinstance(outcomes[2], WriteResult) and outcomes[2].accepted == 3
    assert sorted(r[3] for r in stored(engine)) == [*(f"a{k}" for k in range(5)), "b0", "b1", "b2"]


async def test_a_time_no_calendar_holds_is_a_400_naming_ts(api: Api, engine: Engine) -> None:
    token = issue_token(engine, "so-khdt")
    for ts in ("0001-01-01T00:00:00+14:00", "1999-12-31T23:59:59Z"):
        status, document, _ = await api.post([record(1), record(2, ts=ts)], token)
        assert status == 400
        assert document["errors"] == [
            {
                "index": 1,
                "field": "ts",
                "message": f"{ts.replace('Z', '+00:00')} is before 2000-01-01",
            }
        ]
    assert stored(engine) == []


async def test_a_token_pushes_only_the_sources_it_may(api: Api, engine: Engine) -> None:
    department = issue_token(engine, "so-khdt")
    gateway = issue_token(engine, None, "LGSP")
    for source in ("probe", "gateway", "import"):
        status, document, _ = await api.post([record(1), record(2, source=source)], department)
        assert status == 403
        assert document["errors"] == [
            {
                "index": 1,
                "field": "source",
                "message": f"this token submits push records only, not {source}",
            }
        ]
    status, document, _ = await api.post([record(3, source="probe")], gateway)
    assert status == 403 and document["errors"][0]["field"] == "source"
    assert (await api.post([record(4, source="push")], department))[0] == 202
    assert (await api.post([record(5, source="gateway")], gateway))[0] == 202
    assert {(r[3], r[4]) for r in stored(engine)} == {("r4", "push"), ("r5", "gateway")}


async def test_a_frozen_store_is_a_503_at_the_deadline_and_the_batch_never_lands(
    bac_ninh: Registry, engine: Engine
) -> None:
    token = issue_token(engine, "so-khdt")
    province = bac_ninh.province.code
    async with push_api(bac_ninh, engine, commit_deadline=2, max_pending=15) as api:
        with write_locked(engine):
            commits = api.app[SERVICE].push.commits
            first = asyncio.create_task(api.post([record(k) for k in range(10)], token))
            async with asyncio.timeout(10):
                while commits.writing < 10:  # the writer is stuck on it
                    await asyncio.sleep(0.01)
            second = asyncio.create_task(api.post([record(k) for k in range(10, 20)], token))
            async with asyncio.timeout(10):
                while commits.pending < 10:  # queued behind it
                    await asyncio.sleep(0.01)
            # The queue is bounded: beyond it a batch is refused at once, not queued.
            status, document, headers = await api.post([record(k) for k in range(20, 30)], token)
            assert status == 503 and headers["Retry-After"] == "1"
            assert "too many records are waiting" in document["errors"][0]["message"]
            for answer in await asyncio.gather(first, second):
                status, document, headers = answer
                assert status == 503 and headers["Retry-After"] == "1"
                message = document["errors"][0]["message"]
                assert message.startswith("not stored (") and message.endswith(
                    "send the same batch again"
                )
            # The health check tells the truth meanwhile, and so does the metric.
            async with api.client.get(api.url + "/healthz") as answer:
                assert answer.status == 503
                health = await answer.json()
            assert health["status"] == "failing"
            assert health["store"].startswith("the store did not answer a write")
            async with api.client.get(api.url + "/metrics") as answer:
                assert f'lienthong_store_up{{province="{province}"}} 0\n' in await answer.text()
        # Unlocked: the next batch commits; the withdrawn ones were not committed by surprise.
        assert (await api.post([record(99)], token))[:2] == (202, {"accepted": 1, "duplicates": 0})
        async with api.client.get(api.url + "/healthz") as answer:
            assert answer.status == 200 and (await answer.json())["store"] == "ok"
        async with api.client.get(api.url + "/metrics") as answer:
            assert f'lienthong_store_up{{province="{province}"}} 1\n' in await answer.text()
    assert [r[3] for r in stored(engine)] == ["r99"]


async def test_a_big_bad_batch_gets_a_short_answer(api: Api, engine: Engine) -> None:
    token = issue_token(engine, "so-khdt")
    batch = [record(k, outcome="ok") for k in range(5000)]
    status, document, _ = await api.post(batch, token)
    assert status == 400
    errors = document["errors"]
    assert len(errors) == 101
    assert errors[99]["index"] == 99
    assert errors[100] == {
        "index": None,
        "field": None,
        "message": "… and 4,900 more errors (5,000 invalid records in all)",
    }


async def test_protocol_errors_under_api_are_json_400s(api: Api, engine: Engine) -> None:
    token = issue_token(engine, "so-khdt")
    # A body that claims gzip and is not: the client's error, in JSON.
    status, document, _ = await api.post(
        None, token, raw=b'[{"a": 1}]', **{"Content-Encoding": "gzip"}
    )
    assert status == 400
    assert document["errors"][0]["message"].startswith("the body cannot be read")
    # A real gzip body is read as such.
    body = gzip.compress(
        b'[{"department": "so-khdt", "system": "csdl-dkdn",'
        b' "ts": "2026-10-05T09:00:00+07:00", "outcome": "success", "id": "z"}]'
    )
    status, document, _ = await api.post(None, token, raw=body, **{"Content-Encoding": "gzip"})
    assert (status, document) == (202, {"accepted": 1, "duplicates": 0})
    # Anywhere under /api/, a missing path is JSON too.
    async with api.client.get(api.url + "/api/nothing") as answer:
        assert answer.status == 404 and answer.content_type == "application/json"


async def test_the_status_page_sends_security_headers(api: Api) -> None:
    async with api.client.get(api.url + "/") as answer:
        assert answer.status == 200
        for name, value in SECURITY_HEADERS.items():
            assert answer.headers[name] == value
    assert "frame-ancestors 'none'" in SECURITY_HEADERS["Content-Security-Policy"]
    assert URL.startswith("/api/v1/")


async def raw_request(url: str, head: bytes, body: bytes = b"") -> tuple[bytes, bytes]:
    """Send bytes as they are; the answer's status line with headers, and its body."""
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(head + b"\r\n" + body)
    answer = await reader.read()
    writer.close()
    headers, _, content = answer.partition(b"\r\n\r\n")
    return headers, content


async def test_an_overlong_header_is_a_json_400_that_repeats_no_token(
    api: Api, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    token = issue_token(engine, "so-khdt")
    secret = token + "Q" * 9000
    head = (
        f"POST {URL} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {secret}\r\n"
        "Content-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n"
    ).encode()
    headers, content = await raw_request(api.url, head, b"[]")
    assert headers.split(b" ")[1] == b"400"
    assert b"application/json" in headers
    assert json.loads(content)["errors"][0]["message"] == "a request line or header is too long"
    assert token.encode() not in content
    assert token not in caplog.text and "QQQQ" not in caplog.text
    # An encoding the server cannot decode: a JSON 400 too.
    head = (
        f"POST {URL} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
        "Content-Type: application/json\r\nContent-Encoding: br\r\nContent-Length: 2\r\n"
        "Connection: close\r\n"
    ).encode()
    headers, content = await raw_request(api.url, head, b"[]")
    assert headers.split(b" ")[1] == b"400" and b"application/json" in headers
    assert json.loads(content)["errors"][0]["index"] is None


async def test_bodies_in_memory_are_bounded_and_a_trickling_body_times_out(
    bac_ninh: Registry, engine: Engine
) -> None:
    token = issue_token(engine, "so-khdt")
    async with push_api(bac_ninh, engine, body_memory=6_000_000, body_timeout=2) as api:
        assert (await api.post([record(0)], token))[0] == 202
        host, port = api.url.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(
            (
                f"POST {URL} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
                "Content-Type: application/json\r\nContent-Length: 5000000\r\n\r\n[{"
            ).encode()
        )
        await writer.drain()
        bodies = api.app[SERVICE].push.bodies
        async with asyncio.timeout(10):
            while bodies.used == 0:  # the slow body has taken its share of the budget
                await asyncio.sleep(0.01)
        # No room for another large body: refused at once, before anything is read.
        status, document, headers = await api.post(
            None, token, raw=b" " * 2_000_000 + json.dumps([record(1)]).encode()
        )
        assert status == 503 and headers["Retry-After"] == "1"
        assert document["errors"][0]["message"] == "too many large requests at once: retry shortly"
        # A small one still fits.
        assert (await api.post([record(2)], token))[0] == 202
        # The trickling client is cut off at the body timeout, and its share comes back.
        answer = await reader.read()
        writer.close()
        assert answer.split(b" ")[1] == b"408"
        assert bodies.used == 0
        assert (await api.post(None, token, raw=b" " * 2_000_000 + b"[]"))[0] == 202
    assert [r[3] for r in stored(engine)] == ["r0", "r2"]


async def test_a_client_trickling_its_headers_is_cut_off(
    api: Api, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(server, "HEAD_TIMEOUT", 0.5)
    host, port = api.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(f"POST {URL} HTTP/1.1\r\nHost: x\r\nX-Slow: ".encode())
    await writer.drain()
    async with asyncio.timeout(10):  # closed by the server, without an answer
        assert await reader.read() == b""
    writer.close()
    # A client that sends its head at once is served as ever.
    token = issue_token(engine, "so-khdt")
    assert (await api.post([record(1)], token))[0] == 202


def test_an_error_without_a_message_is_named_not_an_index_error() -> None:
    # The refresh loops log database errors in one line: an empty message used to
    # raise IndexError there, which silently ended the loop.
    assert first_line(OperationalError("SELECT 1", {}, Exception(""))) == "OperationalError"
    assert first_line(OperationalError("SELECT 1", {}, Exception("disk full\nmore"))) == "disk full"
    assert first_line(ValueError("")) == "ValueError"


def refuse_detail(engine: Engine, word: str) -> None:
    """A real database refusal of one record: a trigger aborts the insert of `word`."""
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql(
                f"CREATE TRIGGER refuse BEFORE INSERT ON transactions WHEN NEW.detail = '{word}'"
                " BEGIN SELECT RAISE(ABORT, 'refused'); END"
            )
        else:
            conn.exec_driver_sql(
                "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                f" IF NEW.detail = '{word}' THEN RAISE EXCEPTION 'refused'; END IF;"
                " RETURN NEW; END $$"
            )
            conn.exec_driver_sql(
                "CREATE TRIGGER refuse BEFORE INSERT ON transactions"
                " FOR EACH ROW EXECUTE FUNCTION refuse()"
            )


async def test_one_departments_refused_batch_leaves_the_others_committed(
    api: Api, engine: Engine
) -> None:
    refuse_detail(engine, "boom")
    operator = issue_token(engine, None, "LGSP")
    pairs = [("so-khdt", "csdl-dkdn"), ("so-tuphap", "ho-tich")]

    async def push(n: int) -> int:
        d, s = pairs[n % 2]
        batch = [record(n * 10 + k, department=d, system=s) for k in range(10)]
        if n == 7:
            batch[3]["detail"] = "boom"
        return (await api.post(batch, operator))[0]

    statuses = await asyncio.gather(*(push(n) for n in range(40)))
    assert statuses[7] == 503
    assert [s for n, s in enumerate(statuses) if n != 7] == [202] * 39
    assert len(stored(engine)) == 390
    commits = api.app[SERVICE].push.commits
    assert commits.refused == 1 and commits.failed_groups == 0


async def test_unknown_tokens_cannot_hang_requests_nor_take_every_thread(
    bac_ninh: Registry, engine: Engine
) -> None:
    if engine.dialect.name == "sqlite":
        pytest.skip("SQLite's readers never wait for a lock")
    known = issue_token(engine, "so-khdt")
    async with push_api(bac_ninh, engine, commit_deadline=0.5) as api:
        tokens = api.app[SERVICE].api.gate.tokens
        raw = engine.raw_connection()
        try:
            raw.cursor().execute("LOCK TABLE push_tokens IN ACCESS EXCLUSIVE MODE")
            # Random tokens while the store does not answer: each answered 503 in time.
            async with asyncio.timeout(10):
                answers = await asyncio.gather(
                    *(api.post([record(n)], f"lt_random{n}") for n in range(6))
                )
            assert {status for status, _, _ in answers} == {503}
            assert all(headers["Retry-After"] == "1" for _, _, headers in answers)
            assert tokens.lookups <= 2  # the stuck look-ups hold two threads, not six
        finally:
            raw.rollback()
            raw.close()
        assert (await api.post([record(1)], known))[0] == 202
