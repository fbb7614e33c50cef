"""/metrics in the forms a scraper asks for: gzip, OpenMetrics, and the plain text format."""

from __future__ import annotations

import gzip

import aiohttp
from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as openmetrics_families,
)
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine

from exporter.app import create_app
from registry import Registry
from tests.harness import serving
from tests.test_metrics_service import passive, seed

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
