"""The push API case by case, against a real server on loopback and both stores."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from sqlalchemy import Engine, text

from api.push import PushOptions
from exporter.app import SERVICE, ServiceOptions, create_app
from registry import Registry
from store.tokens import issue_token, revoke_token
from tests.harness import serving

NOW = datetime(2026, 10, 6, 12, 0, tzinfo=UTC).timestamp()
URL = "/api/v1/transactions"


def record(n: int = 0, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "department": "so-khdt",
        "system": "csdl-dkdn",
        "ts": "2026-10-05T09:00:00+07:00",
        "outcome": "success",
        "id": f"r{n}",
    }
    return {**base, **fields}


def stored(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT department, system, success, record_id, source, detail, latency_ms"
                " FROM transactions ORDER BY id"
            )
        ).all()
    return [tuple(r) for r in rows]


class Api:
    """A running service with the push API, and a client for it."""

    def __init__(self, url: str, client: aiohttp.ClientSession, app: Any) -> None:
        self.url = url
        self.client = client
        self.app = app

    async def post(
        self, body: Any, token: str | None, raw: bytes | None = None, **headers: str
    ) -> tuple[int, Any, Any]:
        sent = {"Content-Type": "application/json", **headers}
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        data = raw if raw is not None else json.dumps(body, ensure_ascii=False).encode()
        async with self.client.post(self.url + URL, data=data, headers=sent) as answer:
            document = await answer.json(content_type=None)
            return answer.status, document, answer.headers


@pytest.fixture
async def api(bac_ninh: Registry, engine: Engine) -> AsyncIterator[Api]:
    options = ServiceOptions(
        probes_enabled=False, push=PushOptions(rate=1000, burst=1000, token_refresh=3600)
    )
    app = create_app(bac_ninh, engine, options=options, clock=lambda: NOW)
    async with serving(app) as url, aiohttp.ClientSession() as client:
        yield Api(url, client, app)


@pytest.fixture
def khdt_token(engine: Engine) -> str:
    return issue_token(engine, "so-khdt", "Sở Kế hoạch và Đầu tư")


async def test_a_department_pushes_its_records_once(
    api: Api, engine: Engine, khdt_token: str
) -> None:
    batch = [
        record(1),
        record(2, outcome="failure", latency_ms=41.5, detail="Lỗi kết nối — hết thời gian chờ"),
        record(3, ts="2026-10-05T02:00:00Z"),
    ]
    status, document, _ = await api.post(batch, khdt_token)
    assert (status, document) == (202, {"accepted": 3, "duplicates": 0})
    rows = stored(engine)
    assert [r[3] for r in rows] == ["r1", "r2", "r3"]
    assert {r[4] for r in rows} == {"push"}
    assert rows[1][5] == "Lỗi kết nối — hết thời gian chờ"  # Vietnamese intact
    assert rows[1][6] == 41.5
    # A replayed batch: all duplicates, nothing new.
    status, document, _ = await api.post(batch, khdt_token)
    assert (status, document) == (202, {"accepted": 0, "duplicates": 3})
    assert len(stored(engine)) == 3
    # One record alone (not an array) is a batch of one; the counters moved at once.
    status, document, _ = await api.post(record(4), khdt_token)
    assert (status, document) == (202, {"accepted": 1, "duplicates": 0})
    counters = api.app[SERVICE].state.counters
    assert counters[("so-khdt", "csdl-dkdn", "push", True)] == 3
    assert counters[("so-khdt", "csdl-dkdn", "push", False)] == 1


async def test_no_token_or_a_wrong_or_revoked_one_is_401(
    api: Api, engine: Engine, khdt_token: str
) -> None:
    status, document, headers = await api.post([record()], None)
    assert status == 401
    assert headers["WWW-Authenticate"].startswith("Bearer")
    assert document["errors"][0]["message"].startswith("missing token")
    status, _, headers = await api.post([record()], khdt_token[:-2] + "xx")
    assert status == 401 and "invalid_token" in headers["WWW-Authenticate"]
    status, _, _ = await api.post([record()], None, Authorization=f"Basic {khdt_token}")
    assert status == 401
    # Bytes that are not UTF-8 in the header: still a plain 401.
    host, port = api.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(
        b"POST /api/v1/transactions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer lt_\xff\xfe\r\n"
        b"Content-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n[]"
    )
    assert (await reader.readline()).startswith(b"HTTP/1.1 401")
    writer.close()
    assert (await api.post([record(1)], khdt_token))[0] == 202
    revoke_token(engine, khdt_token[:11])
    await api.app[SERVICE].api.gate.tokens.refresh()  # what the refresher does every few seconds
    status, document, _ = await api.post([record(2)], khdt_token)
    assert (status, document["errors"][0]["message"]) == (401, "unknown or revoked token")
    assert [r[3] for r in stored(engine)] == ["r1"]
    # A token issued while the server runs works at once.
    fresh = issue_token(engine, "so-khdt")
    assert (await api.post([record(3)], fresh))[0] == 202


async def test_another_departments_records_are_403_and_nothing_is_stored(
    api: Api, engine: Engine, khdt_token: str
) -> None:
    batch = [record(1), record(2, department="so-tuphap", system="ho-tich"), record(3)]
    status, document, _ = await api.post(batch, khdt_token)
    assert status == 403
    assert document == {
        "errors": [
            {
                "index": 1,
                "field": "department",
                "message": "this token submits records of so-khdt only",
            }
        ]
    }
    assert stored(engine) == []
    # The provincial gateway operator's token may send every department's records.
    operator = issue_token(engine, None, "LGSP")
    status, document, _ = await api.post(batch, operator)
    assert (status, document) == (202, {"accepted": 3, "duplicates": 0})


async def test_a_partly_invalid_batch_names_every_bad_record_and_stores_nothing(
    api: Api, engine: Engine, khdt_token: str
) -> None:
    batch = [
        record(0),
        record(1, ts="2026-10-05T09:00:00"),  # naive
        record(2, system="csdl-xyz"),  # unknown code
        record(3, system="ho-tich"),  # no such obligation
        record(4, outcome="ok", latency_ms=-1),
        "not an object",
        record(6, colour="red"),
        record(7, ts="2026-10-06T21:00:00+07:00"),  # two hours past the server's clock
        record(8, latency_ms="12", id=""),  # text is not a number; an empty id
        record(9, ts=1760000000),
        record(10, ts="2026-10-05 09:00:00+07:00"),
    ]
    status, document, _ = await api.post(batch, khdt_token)
    assert status == 400
    found = {(e["index"], e["field"]): e["message"] for e in document["errors"]}
    assert found[(1, "ts")] == "2026-10-05T09:00:00 has no offset: add one, like +07:00 or Z"
    assert found[(2, "system")] == "unknown system code 'csdl-xyz'"
    assert found[(3, "system")] == "so-khdt has no obligation towards ho-tich in the registry"
    assert (4, "outcome") in found and (4, "latency_ms") in found
    assert found[(5, None)] == "a record must be a JSON object"
    assert found[(6, "colour")] == "is not a field of a transaction record"
    assert "in the future" in found[(7, "ts")]
    assert (8, "latency_ms") in found and (8, "id") in found
    assert found[(9, "ts")].startswith("must be an RFC 3339 time")
    assert found[(10, "ts")].startswith("must be an RFC 3339 time")
    assert {i for i, _ in found} == set(range(1, 11))
    assert stored(engine) == []


async def test_limits_and_malformed_bodies(api: Api, engine: Engine, khdt_token: str) -> None:
    big = json.dumps([record(0, detail="x" * 990)] * 5100).encode()
    assert len(big) > 5_000_000
    status, document, _ = await api.post(None, khdt_token, raw=big)
    assert status == 413 and "5,000,000 bytes" in document["errors"][0]["message"]
    many = [{"department": "so-khdt"}] * 10_001
    status, document, _ = await api.post(many, khdt_token)
    assert status == 400 and "at most 10,000" in document["errors"][0]["message"]
    for raw, message in [
        (b'[{"department": "so-khdt",', "not valid JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b'{"a": ' * 50_000 + b"1" + b"}" * 50_000, "nested too deeply"),
        (b'[{"latency_ms": NaN}]', "not valid JSON"),
        (b'"a string"', "the body must be one record"),
        (b"\xff\xfe[]", "not UTF-8"),
        (b"", "not valid JSON"),
    ]:
        status, document, _ = await api.post(None, khdt_token, raw=raw)
        assert status == 400, raw[:20]
        assert message in document["errors"][0]["message"]
        assert document["errors"][0]["index"] is None
    status, _, _ = await api.post([record()], khdt_token, **{"Content-Type": "text/plain"})
    assert status == 415
    status, _, _ = await api.post(
        [record()], khdt_token, **{"Content-Type": "application/json; charset=latin-1"}
    )
    assert status == 415
    assert stored(engine) == []
    # An empty array is an empty batch.
    assert (await api.post([], khdt_token))[:2] == (202, {"accepted": 0, "duplicates": 0})


async def test_errors_under_api_are_json(api: Api, khdt_token: str) -> None:
    async with api.client.get(api.url + URL) as answer:
        assert answer.status == 405
        assert "POST" in answer.headers["Allow"]
        assert (await answer.json())["errors"][0]["message"].startswith("GET is not allowed")
    async with api.client.post(api.url + "/api/v2/transactions") as answer:
        assert answer.status == 404
        assert answer.content_type == "application/json"
    async with api.client.get(api.url + "/api/v1/openapi.json") as answer:
        document = await answer.json()
    assert document["openapi"].startswith("3.1")
    assert (
        "so-khdt"
        in document["components"]["schemas"]["TransactionRecord"]["properties"]["department"][
            "enum"
        ]
    )


async def test_rate_limit_answers_429_with_retry_after(
    bac_ninh: Registry, engine: Engine, khdt_token: str
) -> None:
    options = ServiceOptions(probes_enabled=False, push=PushOptions(rate=0.5, burst=2))
    app = create_app(bac_ninh, engine, options=options, clock=lambda: NOW)
    async with serving(app) as url, aiohttp.ClientSession() as client:
        api = Api(url, client, app)
        assert (await api.post([record(1)], khdt_token))[0] == 202
        assert (await api.post([record(2)], khdt_token))[0] == 202
        status, document, headers = await api.post([record(3)], khdt_token)
        assert status == 429
        assert headers["Retry-After"] == "2"
        assert document["errors"][0]["message"].startswith("more than 0.5 requests per second")
        # Another token has its own bucket.
        other = issue_token(engine, "so-khdt")
        assert (await api.post([record(3)], other))[0] == 202


async def test_concurrent_requests_share_commits_and_each_gets_its_own_answer(
    api: Api, engine: Engine
) -> None:
    operator = issue_token(engine, None)
    departments = [("so-khdt", "csdl-dkdn"), ("so-tuphap", "ho-tich")]

    async def push(n: int) -> tuple[int, Any, Any]:
        d, s = departments[n % 2]
        batch = [record(n * 10 + k, department=d, system=s) for k in range(10)]
        if n % 5 == 0:
            batch.append(batch[0])  # repeated inside the batch: counted once
        return await api.post(batch, operator)

    answers = await asyncio.gather(*(push(n) for n in range(60)))
    assert all(status == 202 for status, _, _ in answers)
    assert all(
        document == {"accepted": 10, "duplicates": 1 if n % 5 == 0 else 0}
        for n, (_, document, _) in enumerate(answers)
    )
    assert len(stored(engine)) == 600
    commits = api.app[SERVICE].push.commits
    assert commits.groups < 60  # requests that arrived together were committed together


async def test_a_failed_commit_is_503_and_stores_nothing(
    api: Api, engine: Engine, khdt_token: str
) -> None:
    # A real database error: a trigger refuses one record's insert.
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(
                text(
                    "CREATE TRIGGER refuse BEFORE INSERT ON transactions WHEN NEW.detail = 'boom'"
                    " BEGIN SELECT RAISE(ABORT, 'refused'); END"
                )
            )
        else:
            conn.execute(
                text(
                    "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                    " IF NEW.detail = 'boom' THEN RAISE EXCEPTION 'refused'; END IF;"
                    " RETURN NEW; END $$"
                )
            )
            conn.execute(
                text(
                    "CREATE TRIGGER refuse BEFORE INSERT ON transactions"
                    " FOR EACH ROW EXECUTE FUNCTION refuse()"
                )
            )
    status, document, headers = await api.post([record(1), record(2, detail="boom")], khdt_token)
    assert status == 503 and headers["Retry-After"] == "1"
    assert document["errors"][0]["message"].startswith("not stored")
    assert stored(engine) == []
    # The writer goes on with the next batches.
    assert (await api.post([record(1)], khdt_token))[:2] == (202, {"accepted": 1, "duplicates": 0})


async def test_records_say_which_platform_carried_them(
    api: Api, engine: Engine, khdt_token: str
) -> None:
    # Contract 1.2: `platform` is optional, one of lgsp|ndxp|ndop|vdxp|other.
    status, document, _ = await api.post(
        [record(1, platform="ndop"), record(2, platform="lgsp"), record(3)], khdt_token
    )
    assert (status, document) == (202, {"accepted": 3, "duplicates": 0})
    with engine.connect() as conn:
        platforms = conn.execute(text("SELECT platform FROM transactions ORDER BY id")).scalars()
        assert list(platforms) == ["ndop", "lgsp", None]
    # An unknown platform is a 400 naming the record and the field; nothing of the batch stored.
    status, document, _ = await api.post(
        [record(4, platform="ndop"), record(5, platform="ngsp")], khdt_token
    )
    assert status == 400
    [error] = document["errors"]
    assert (error["index"], error["field"]) == (1, "platform")
    assert "'lgsp', 'ndxp', 'ndop', 'vdxp' or 'other'" in error["message"]
    assert len(stored(engine)) == 3
