"""/metrics in the forms a scraper asks for: gzip, OpenMetrics, and the plain text format."""

from __future__ import annotations

import asyncio
import gzip
import logging
import socket
import struct
from datetime import UTC, datetime

import aiohttp
from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as openmetrics_families,
)
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine

from bench._support import synthetic_registry
from exporter.app import SERVICE, create_app
from registry import Registry
from store.records import Transaction
from store.writer import WriteResult
from tests.harness import serving
from tests.test_metrics_service import metrics_text, passive, seed

# Prometheus 2.42's Accept header for a scrape (scrape/scrape.go, `acceptHeader`).
PROMETHEUS_ACCEPT = (
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
    "text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
)

Samples = set[tuple[str, tuple[tuple[str, str], ...], float]]


def samples(families: object) -> Samples:
    return {
        (s.name, tuple(sorted(s.labels.items())), s.value)
        for f in families  # type: ignore[attr-defined]
        for s in f.samples
        if s.name != "lienthong_local_hour"  # read from the clock a moment apart
    }


async def fetch(url: str, headers: dict[str, str]) -> tuple[dict[str, str], bytes]:
    async with (
        aiohttp.ClientSession(auto_decompress=False) as client,
        client.get(url + "/metrics", headers=headers) as answer,
    ):
        return dict(answer.headers), await answer.read()


async def test_gzip_openmetrics_and_text_carry_the_same_samples(
    bac_ninh: Registry, engine: Engine
) -> None:
    seed(engine)
    async with serving(create_app(bac_ninh, engine, options=passive())) as url:
        plain_headers, plain = await fetch(url, {"Accept-Encoding": "identity"})
        zipped_headers, zipped = await fetch(url, {"Accept-Encoding": "gzip"})
        om_headers, om = await fetch(url, {"Accept": PROMETHEUS_ACCEPT, "Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in plain_headers
    assert plain_headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert zipped_headers["Content-Encoding"] == "gzip"
    assert om_headers["Content-Type"].startswith("application/openmetrics-text; version=1.0.0")
    text = plain.decode()
    expected = samples(text_string_to_metric_families(text))
    assert len(expected) > 100
    assert samples(text_string_to_metric_families(gzip.decompress(zipped).decode())) == expected
    openmetrics = gzip.decompress(om).decode()
    assert openmetrics.endswith("# EOF\n")
    assert "# TYPE lienthong_transactions counter\n" in openmetrics
    # The strict OpenMetrics parser (it refuses a `_total` TYPE line or a missing EOF).
    assert samples(openmetrics_families(openmetrics)) == expected


async def test_the_gzip_stream_stays_whole_when_some_blocks_change(
    bac_ninh: Registry, engine: Engine
) -> None:
    """Unchanged blocks keep their compressed form; the stream is one valid gzip member
    (gzip.decompress checks the CRC-32 and length) and aiohttp's decoder reads it whole."""
    seed(engine)
    app = create_app(bac_ninh, engine, options=passive())
    state = app[SERVICE].state
    async with serving(app) as url:
        for n in range(3):
            success = Transaction("so-tuphap", "ho-tich", datetime.now(UTC), True, "push")
            state.on_written(
                [success], WriteResult(1, 0, added={("so-tuphap", "ho-tich", "push", True): n})
            )
            _, zipped = await fetch(url, {"Accept-Encoding": "gzip"})
            _, plain = await fetch(url, {"Accept-Encoding": "identity"})
            assert samples(text_string_to_metric_families(gzip.decompress(zipped).decode())) == (
                samples(text_string_to_metric_families(plain.decode()))
            )
            async with aiohttp.ClientSession() as client, client.get(url + "/metrics") as answer:
                assert answer.headers["Content-Encoding"] == "gzip"
                assert (await answer.text()).endswith(plain.decode().rsplit("\n", 2)[-2] + "\n")


class Heard(logging.Handler):
    """Lets a test await a log record of one logger instead of sleeping."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.event = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self.event.set()


async def test_a_scraper_that_gives_up_midway_costs_a_line_not_a_traceback(engine: Engine) -> None:
    # Prometheus closes the connection at its scrape_timeout: the service says so in one
    # line (aiohttp logged "Error handling request" and a traceback).
    app = create_app(synthetic_registry(5_000), engine, options=passive())
    serve_log, aiohttp_log = Heard(), Heard()
    logging.getLogger("lienthong.serve").addHandler(serve_log)
    logging.getLogger("aiohttp.server").addHandler(aiohttp_log)
    try:
        async with serving(app) as url:
            host, port = url.removeprefix("http://").split(":")
            # A small receive window: the body (megabytes) cannot all be sent ahead.
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.connect((host, int(port)))
            reader, writer = await asyncio.open_connection(sock=sock)
            writer.write(b"GET /metrics HTTP/1.1\r\nHost: x\r\nAccept-Encoding: identity\r\n\r\n")
            assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 200")
            # Gone at once, as a timed-out scraper's connection is: a reset.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
            await asyncio.wait_for(serve_log.event.wait(), timeout=30)
            # The service still answers the next scrape whole.
            text = await metrics_text(url)
    finally:
        logging.getLogger("lienthong.serve").removeHandler(serve_log)
        logging.getLogger("aiohttp.server").removeHandler(aiohttp_log)
    (line,) = serve_log.records
    assert line.getMessage().startswith("/metrics: the scraper closed the connection ")
    assert line.levelno == logging.WARNING
    assert not aiohttp_log.records
    assert text.count("lienthong_obligation_info{") == 5_000
