"""A load generator for the push API, run in its own process: `python -m bench._load`.

Keeps CONNECTIONS requests in flight for DURATION seconds, each a batch of
SIZE new records (unique ids), and prints one JSON line: requests answered
202, records accepted, other answers, seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time

import aiohttp


def body(worker: int, n: int, size: int, prefix: str) -> bytes:
    records = [
        {
            "department": "so-taichinh",
            "system": "csdl-dkdn",
            "ts": "2026-10-05T09:00:00+07:00",
            "outcome": "success" if k % 9 else "failure",
            "latency_ms": 35,
            "id": f"{prefix}-{worker}-{n}-{k}",
        }
        for k in range(size)
    ]
    return json.dumps(records[0] if size == 1 else records).encode()


async def main(
    url: str, token: str, size: int, connections: int, duration: float, prefix: str
) -> None:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    stats = {"requests": 0, "records": 0, "other": 0}
    deadline = time.monotonic() + duration
    connector = aiohttp.TCPConnector(limit=connections)

    async with aiohttp.ClientSession(connector=connector) as client:

        async def worker(w: int) -> None:
            n = 0
            while time.monotonic() < deadline:
                data = body(w, n, size, prefix)
                n += 1
                async with client.post(url, data=data, headers=headers) as answer:
                    document = await answer.read()
                    if answer.status == 202:
                        stats["requests"] += 1
                        stats["records"] += json.loads(document)["accepted"]
                    else:
                        stats["other"] += 1

        started = time.monotonic()
        await asyncio.gather(*(worker(w) for w in range(connections)))
        seconds = time.monotonic() - started
    print(json.dumps({**stats, "seconds": seconds}))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("token")
    parser.add_argument("--size", type=int, default=500)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--prefix", default="bench")
    a = parser.parse_args()
    asyncio.run(main(a.url, a.token, a.size, a.connections, a.duration, a.prefix))
    sys.exit(0)
