"""The service's metrics, read by a real Prometheus and checked by promtool, against the store."""

from __future__ import annotations

import asyncio
import gzip
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from prometheus_client.exposition import generate_latest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import CollectorRegistry
from sqlalchemy import Engine

from exporter.app import (
    SERVICE,
    MetricsOptions,
    ServiceOptions,
    create_app,
    refresh_interval,
    refresh_totals,
)
from exporter.metrics import CHUNK
from exporter.state import read_totals
from lienthong.service import create_service
from probes.engine import ProbeSettings, UrlRewrite
from registry import Registry
from store import write_transactions
from store.counts import pair_totals_all
from store.group_commit import GroupCommit
from store.records import Transaction
from store.writer import WriteResult
from tests.harness import serving
from tests.servers import chromium_screenshot, prometheus_server
from tests.stores import tx

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
HANOI = "Asia/Ho_Chi_Minh"


def seed(engine: Engine) -> None:
    write_transactions(
        engine,
        HANOI,
        [
            tx("so-taichinh", "csdl-dkdn", "2026-10-05T09:00:00+07:00", record_id="1"),
            tx("so-taichinh", "csdl-dkdn", "2026-10-05T10:30:00.250000+07:00", record_id="2"),
            tx("so-taichinh", "csdl-dkdn", "2026-10-05T11:00:00+07:00", False, "3"),
            tx("so-tuphap", "ho-tich", "2026-10-06T08:00:00+07:00", source="push"),
        ],
    )


def passive(options: ServiceOptions | None = None) -> ServiceOptions:
    return options or ServiceOptions(
        probes_enabled=False, metrics=MetricsOptions(totals_refresh=0.2)
    )


async def metrics_text(url: str) -> str:
    async with aiohttp.ClientSession() as client, client.get(url + "/metrics") as answer:
        assert answer.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        return await answer.text()


async def query(client: aiohttp.ClientSession, prometheus: str, promql: str) -> list[Any]:
    async with client.get(prometheus + "/api/v1/query", params={"query": promql}) as answer:
        document = await answer.json()
    assert document["status"] == "success", document
    result: list[Any] = document["data"]["result"]
    return result


async def test_prometheus_holds_what_the_store_holds(
    bac_ninh: Registry, engine: Engine, tmp_path: Path
) -> None:
    seed(engine)
    app = create_app(bac_ninh, engine, options=passive())
    async with serving(app) as url, aiohttp.ClientSession() as client:
        # A write after start-up, by another writer: seen on the next refresh.
        write_transactions(
            engine,
            HANOI,
            [tx("so-taichinh", "csdl-dkdn", "2026-10-07T09:00:00+07:00", record_id="4")],
        )
        with prometheus_server(tmp_path, [url.removeprefix("http://")], "500ms") as prometheus:
            with engine.connect() as conn:
                totals = pair_totals_all(conn)
            expected = totals[("so-taichinh", "csdl-dkdn", "import")]
            selector = '{job="lienthong",department="so-taichinh",system="csdl-dkdn"}'
            found: dict[str, float] = {}
            async with asyncio.timeout(60):
                while len(found) < 3 or found.get("success") != expected.successes:
                    for r in await query(
                        client, prometheus, f"lienthong_transactions_total{selector}"
                    ):
                        if r["metric"]["source"] == "import":
                            found[r["metric"]["outcome"]] = float(r["value"][1])
                    last = await query(
                        client, prometheus, f"lienthong_last_success_timestamp_seconds{selector}"
                    )
                    if last:
                        found["last"] = float(last[0]["value"][1])
                    await asyncio.sleep(0.3)  # Prometheus has no event to await
    assert found["success"] == expected.successes == 3
    assert found["failure"] == expected.failures == 1
    assert expected.last_success_us is not None
    assert found["last"] == pytest.approx(expected.last_success_us / 1e6, abs=1e-6)


async def test_counters_continue_across_restarts(bac_ninh: Registry, engine: Engine) -> None:
    seed(engine)
    for _ in range(2):
        async with serving(create_app(bac_ninh, engine, options=passive())) as url:
            text = await metrics_text(url)
        assert (
            'lienthong_transactions_total{province="24",department="so-taichinh",system="csdl-dkdn",'
            'outcome="success",source="import"} 2\n' in text
        )


async def test_promtool_finds_nothing_and_the_collector_agrees(
    bac_ninh: Registry, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(engine)
    monkeypatch.setenv("BACNINH_LGSP_CLIENT_ID", "x")
    monkeypatch.setenv("BACNINH_LGSP_CLIENT_SECRET", "y")
    app = create_service(
        bac_ninh, engine, options=ServiceOptions(metrics=MetricsOptions(totals_refresh=0.2))
    )
    async with serving(app) as url:
        text = await metrics_text(url)
        registry = CollectorRegistry()
        registry.register(app[SERVICE].collector)
        generic = generate_latest(registry).decode()
    check = subprocess.run(
        ["promtool", "check", "metrics"],
        input=text,
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0 and check.stdout + check.stderr == ""
    # Every family of the contract and of the agreed list is there.
    names = {f.name for f in text_string_to_metric_families(text)}
    assert {
        "lienthong_transactions",
        "lienthong_last_success_timestamp_seconds",
        "lienthong_probe_duration_seconds",
        "lienthong_compliance_ratio",
        "lienthong_obligation_info",
        "lienthong_working_day",
        "lienthong_successes_today",
        "lienthong_local_hour",
        "lienthong_probe_schedule_lag_seconds",
        "lienthong_probes_in_flight",
        "lienthong_circuit_state",
    } <= names

    def samples(exposition: str) -> set[tuple[str, tuple[tuple[str, str], ...], float]]:
        return {
            (s.name, tuple(sorted(s.labels.items())), s.value)
            for f in text_string_to_metric_families(exposition)
            for s in f.samples
            if s.name != "lienthong_local_hour"  # read from the clock a moment apart
        }

    assert samples(text) == samples(generic)
    info = [
        s
        for f in text_string_to_metric_families(text)
        if f.name == "lienthong_obligation_info"
        for s in f.samples
        if s.labels["department"] == "so-tuphap" and s.labels["system"] == "ho-tich"
    ]
    assert info[0].labels["department_name"] == "Sở Tư pháp"
    assert info[0].labels["owner"] == "Bộ Tư pháp"
    assert info[0].labels["target"] == "0.9"  # the registry's default target


async def test_status_page_in_chromium(bac_ninh: Registry, engine: Engine, tmp_path: Path) -> None:
    seed(engine)
    app = create_app(bac_ninh, engine, options=passive())
    async with serving(app) as url:
        ARTIFACTS.mkdir(exist_ok=True)
        shot = ARTIFACTS / "status-page.png"
        dom = await asyncio.to_thread(chromium_screenshot, url + "/", shot, tmp_path / "chromium")
    assert shot.stat().st_size > 10_000
    assert "Tình trạng kết nối với các hệ thống quốc gia — Bắc Ninh" in dom
    assert "Sở Tài chính" in dom
    assert "Cơ sở dữ liệu quốc gia về Đăng ký doanh nghiệp" in dom
    assert '<meta http-equiv="refresh"' in dom


def test_a_slow_read_of_the_totals_waits_longer_before_the_next() -> None:
    # A quick read keeps the configured interval; one that took 0.5 s (100,000 pairs)
    # waits 10 s, so reading the store takes at most 5 % of the service's time.
    assert refresh_interval(5.0, 0.05) == 5.0
    assert refresh_interval(5.0, 0.5) == 10.0
    assert refresh_interval(0.2, 0.5) == 10.0


async def test_changed_obligations_are_rendered_ahead_of_the_scrape(
    bac_ninh: Registry, engine: Engine
) -> None:
    # The service renders what changed in the background, so that a scrape finds nothing
    # (or little) left to render.
    options = ServiceOptions(
        probes_enabled=False, metrics=MetricsOptions(totals_refresh=60, render_ahead=0.05)
    )
    app = create_app(bac_ninh, engine, options=options)
    async with serving(app):
        service = app[SERVICE]
        rendered: list[int] = []
        original = service.exposition.catch_up

        def catch_up(budget: int | None = None) -> bool:
            rendered.append(len(service.state.dirty))
            return original(budget)

        service.exposition.catch_up = catch_up  # type: ignore[method-assign]
        write = tx("so-tuphap", "ho-tich", "2026-10-06T08:00:00+07:00", source="push")
        service.state.on_written(
            [write], WriteResult(1, 0, added={("so-tuphap", "ho-tich", "push", True): 1})
        )
        async with asyncio.timeout(10):
            while not (rendered and rendered[-1] == 0 and not service.state.dirty):
                await asyncio.sleep(0.05)  # the renderer's own period: nothing to await
    assert 1 in rendered  # the changed pair was taken by the renderer, with no scrape


async def test_a_write_told_of_after_a_read_that_holds_it_is_counted_once(
    bac_ninh: Registry, engine: Engine
) -> None:
    # Under load the event loop can run a read of the store's totals, taken after a
    # commit, before the metrics are told of that commit: its records are counted once.
    now = datetime(2026, 10, 14, 3, 0, tzinfo=UTC)  # 10:00 in Hà Nội
    app = create_app(bac_ninh, engine, options=passive(), clock=now.timestamp)
    service = app[SERVICE]
    state = service.state
    pair, key = ("so-tuphap", "ho-tich"), ("so-tuphap", "ho-tich", "push", True)
    # A writer numbering its commits as the service's do, told of nothing by itself.
    commits = GroupCommit(engine, bac_ninh.timezone, order=state.commit_order)

    def batch(*ids: str) -> list[Transaction]:
        return [tx(*pair, "2026-10-14T09:00:00+07:00", record_id=i, source="push") for i in ids]

    # Told of before the next read, as usual.
    first = batch("1", "2")
    told = await commits.submit(first)
    state.on_written(first, told)
    await refresh_totals(service)
    assert (state.counters[key], state.successes_today[pair]) == (2, 2)
    # Read between the commit and the telling: the read holds it, the telling adds nothing.
    second = batch("3")
    late = await commits.submit(second)
    await refresh_totals(service)
    assert state.absorbed_through == late.commit == told.commit + 1
    state.on_written(second, late)
    assert (state.counters[key], state.successes_today[pair]) == (3, 3)
    # A read from before a commit does not hold it: its telling still counts.
    third = batch("4")
    (before, _, _), through = read_totals(engine, state.today, state.commit_order)
    newest = await commits.submit(third)
    assert through < newest.commit
    state.on_written(third, newest)
    state.absorb_totals(before)
    assert (state.counters[key], state.successes_today[pair]) == (4, 4)
    await commits.close()
    with engine.connect() as conn:
        assert pair_totals_all(conn)[(*pair, "push")].successes == 4


async def test_the_first_gzip_scrape_finds_its_blocks_compressed_at_start(
    bac_ninh: Registry, engine: Engine
) -> None:
    """`serve` renders and compresses /metrics before its probes start, so the first scrape
    (a gzip one, as Prometheus asks) compresses only what changed since."""
    refused = ProbeSettings(
        rewrites=(UrlRewrite("https://lgsp.bacninh.example", "http://127.0.0.1:9"),)
    )
    app = create_service(bac_ninh, engine, refused, ServiceOptions())
    async with serving(app) as url:
        service = app[SERVICE]
        exposition = service.exposition
        blocks = -(-len(exposition.obligations()) // CHUNK)
        kept = {(f, b) for f, b, _version in service.gzip._kept}
        assert kept == {(f, b) for f in range(len(exposition.families)) for b in range(blocks)}
        headers = {"Accept-Encoding": "gzip"}
        async with (
            aiohttp.ClientSession(auto_decompress=False) as client,
            client.get(url + "/metrics", headers=headers) as answer,
        ):
            assert answer.headers["Content-Encoding"] == "gzip"
            text = gzip.decompress(await answer.read()).decode()
    assert 'lienthong_obligation_info{province="24",department="so-taichinh"' in text
