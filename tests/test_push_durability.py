"""Nothing answered 202 is ever lost: a real `lienthong serve` killed with SIGKILL, or stopped with SIGTERM."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import Engine, text

from store.tokens import issue_token
from tests.servers import free_port, lienthong_serve

FAST = "[push]\nrate = 100000\nburst = 100000\n"


class Pusher:
    """Clients pushing batches in a loop; remembers every id the server acknowledged."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url + "/api/v1/transactions"
        self.headers = {"Authorization": f"Bearer {token}"}
        self.acknowledged: set[str] = set()
        self.refused: list[int] = []
        self.batches = 0
        self.progress = asyncio.Event()

    async def loop(self, client: aiohttp.ClientSession, worker: int, limit: int) -> None:
        for n in range(limit):
            ids = [f"w{worker}-b{n}-r{k}" for k in range(20)]
            batch = [
                {
                    "department": "so-khdt",
                    "system": "csdl-dkdn",
                    "ts": "2026-10-05T09:00:00+07:00",
                    "outcome": "success",
                    "id": i,
                    "detail": "Tra cứu doanh nghiệp",
                }
                for i in ids
            ]
            try:
                async with client.post(self.url, json=batch, headers=self.headers) as answer:
                    await answer.read()
                    if answer.status == 202:
                        self.acknowledged.update(ids)
                        self.batches += 1
                        self.progress.set()
                    else:
                        self.refused.append(answer.status)
            except aiohttp.ClientError:
                return  # the server is gone


def stored_ids(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return {r for (r,) in conn.execute(text("SELECT record_id FROM transactions"))}


def start_pushing(pusher: Pusher, workers: int = 4) -> asyncio.Task[None]:
    """Several clients pushing until the server goes away."""

    async def run() -> None:
        async with aiohttp.ClientSession() as client:
            await asyncio.gather(*(pusher.loop(client, w, 10_000) for w in range(workers)))

    return asyncio.create_task(run())


async def wait_batches(pusher: Pusher, n: int) -> None:
    async with asyncio.timeout(60):
        while pusher.batches < n:
            pusher.progress.clear()
            await pusher.progress.wait()


async def test_kill_9_loses_nothing_acknowledged(
    engine: Engine, store_url: str, tmp_path: Path
) -> None:
    token = issue_token(engine, "so-khdt")
    port = free_port()
    with lienthong_serve(tmp_path, store_url, FAST, port) as (process, url):
        pusher = Pusher(url, token)
        pushing = start_pushing(pusher)
        await wait_batches(pusher, 100)
        process.send_signal(signal.SIGKILL)  # mid-stream: requests are in flight
        await pushing
        assert process.wait() == -signal.SIGKILL
    acknowledged = set(pusher.acknowledged)
    assert len(acknowledged) >= 2000
    # Restarted on the same store: every acknowledged record is there, and it serves again.
    with lienthong_serve(tmp_path, store_url, FAST, port) as (process, url):
        async with aiohttp.ClientSession() as client:
            again = Pusher(url, token)
            await again.loop(client, 99, 3)
        assert again.batches == 3
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    stored = stored_ids(engine)
    assert acknowledged <= stored
    assert again.acknowledged <= stored


@pytest.mark.usefixtures("english")  # its words checked are English ones
async def test_sigterm_finishes_what_is_in_flight_and_exits_0(
    engine: Engine, store_url: str, tmp_path: Path
) -> None:
    token = issue_token(engine, "so-khdt")
    with lienthong_serve(tmp_path, store_url, FAST) as (process, url):
        pusher = Pusher(url, token)
        pushing = start_pushing(pusher)
        await wait_batches(pusher, 50)
        process.send_signal(signal.SIGTERM)
        await pushing
        code = await asyncio.to_thread(process.wait, 30)
        assert process.stdout is not None
        output = process.stdout.read()
    assert code == 0, output
    assert "lienthong serve: stopped" in output
    assert "Traceback" not in output
    assert set(pusher.refused) <= {503}  # at most "stopping, send it again"
    assert pusher.acknowledged <= stored_ids(engine)
