"""The engine under load: records made without the parser are the parser's, overload sheds,
and `serve` leaves its heap to a collector sized for probe runs."""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from i18n import gettext_in
from lienthong.cli_serve import YOUNG_THRESHOLDS, settle_heap
from probes.auth import CredentialStore
from probes.engine import SKIP_OVERLOAD, ProbeEngine, ProbeSettings, client_session, probe_targets
from probes.recorder import TransactionRecorder
from registry import Registry
from store import open_store
from store.records import parse_record
from tests.harness import serving


def small_registry(obligations: int, base: str) -> Registry:
    """`obligations` departments owing one system, each probed at `base`."""
    document: dict[str, Any] = {
        "province": {"code": "24", "name": "Bắc Ninh"},
        "systems": [{"code": "he-thong", "name": "Hệ thống thử", "owner": "Bộ Thử nghiệm"}],
        "departments": [{"code": f"so-{d}", "name": f"Sở {d}"} for d in range(obligations)],
        "obligations": [
            {
                "department": f"so-{d}",
                "system": "he-thong",
                "kind": "maintain",
                "basis": "Điều thử nghiệm",
                "probe": {"url": f"{base}/probe?id={d}", "interval": 60, "timeout": 10},
            }
            for d in range(obligations)
        ],
    }
    return Registry.model_validate(document)


@pytest.mark.parametrize(
    ("success", "latency", "detail"),
    [(True, 12.3456789, None), (False, 10000.0, "HTTP status 503 (3 attempts)")],
)
def test_a_probe_record_is_what_the_contracts_parser_makes_of_it(
    tmp_path: Path, success: bool, latency: float, detail: str | None
) -> None:
    registry = small_registry(1, "http://127.0.0.1:1")
    recorder = TransactionRecorder(open_store(f"sqlite:///{tmp_path}/s.db"), registry)
    ts = datetime(2026, 11, 2, 3, 4, 5, 678901, tzinfo=UTC)
    recorder.record("so-0", "he-thong", ts, success, latency, detail)
    raw = {
        "department": "so-0",
        "system": "he-thong",
        "ts": ts.isoformat(),
        "outcome": "success" if success else "failure",
        "latency_ms": round(latency, 3),
        "id": "probe:so-0:he-thong:20261102T030405.678Z",  # the slot, to the millisecond
        "source": "probe",
        "detail": detail,
    }
    assert recorder._buffer == [parse_record(raw, registry, "probe", now=ts)]


def test_a_nul_in_a_probe_detail_does_not_lose_the_record(tmp_path: Path) -> None:
    registry = small_registry(1, "http://127.0.0.1:1")
    recorder = TransactionRecorder(open_store(f"sqlite:///{tmp_path}/s.db"), registry)
    recorder.record("so-0", "he-thong", datetime.now(UTC), False, 1.0, "body is a\x00b")
    assert [t.detail for t in recorder._buffer] == ["body is a\ufffdb"]


@pytest.fixture
def collector() -> Iterator[None]:
    """The test process's collector settings, put back afterwards."""
    thresholds, enabled = gc.get_threshold(), gc.isenabled()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)
    (gc.enable if enabled else gc.disable)()


def test_serve_settles_its_heap_frozen_with_young_generations_sized_for_probe_runs(
    collector: None,
) -> None:
    gc.disable()  # as `serve` starts
    settle_heap(reloaded=False)
    assert gc.isenabled()
    assert gc.get_freeze_count() > 0  # start-up's heap, out of the collector's sight
    # A run's objects die in the young generations instead of setting off full collections.
    assert gc.get_threshold()[:2] == YOUNG_THRESHOLDS
    assert YOUNG_THRESHOLDS[0] * YOUNG_THRESHOLDS[1] >= 100_000


# The engine's overload warning as logged (in Vietnamese, the default language).
OVERLOADED = gettext_in(
    "vi",
    "probe engine overloaded ({waiting} runs waiting for a slot, a start {late:.1f} s late):"
    " skipping starts until it catches up (lienthong_probe_starts_skipped_total)",
).split("{")[0]


class _ShedLog(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.overloaded: list[str] = []
        self.event = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith(OVERLOADED):
            self.overloaded.append(record.getMessage())
            self.event.set()


@pytest.fixture
async def hanging() -> AsyncIterator[tuple[str, asyncio.Event]]:
    """A target that answers only once released."""
    release = asyncio.Event()

    async def handler(_request: web.Request) -> web.Response:
        await release.wait()
        return web.json_response({"error_code": 0})

    app = web.Application()
    app.router.add_get("/probe", handler)
    async with serving(app) as url:
        yield url, release
        release.set()


async def test_an_overloaded_engine_sheds_counts_and_logs_once(
    tmp_path: Path, hanging: tuple[str, asyncio.Event]
) -> None:
    url, release = hanging
    registry = small_registry(12, url)
    # One slot, two runs may wait for it; every probe falls due within 0.3 s.
    settings = ProbeSettings(total=1, per_system=1, backlog=2, interval=0.3, grace=0.1)
    store = open_store(f"sqlite:///{tmp_path}/s.db")
    recorder = TransactionRecorder(store, registry)
    session = client_session(settings)
    targets = probe_targets(registry, settings, CredentialStore(time.time, settings.rewrite))
    engine = ProbeEngine(registry, targets, recorder, session, settings)
    shed = _ShedLog()
    logging.getLogger("lienthong.probes").addHandler(shed)
    try:
        engine.start()
        await asyncio.wait_for(shed.event.wait(), 10)
        async with asyncio.timeout(10):
            while engine.skipped[SKIP_OVERLOAD] < 10:  # many starts shed, …
                await asyncio.sleep(0.05)
        # … never more runs than the slot and the backlog, and one warning for the episode.
        assert len(engine._running) <= 3
        assert len(shed.overloaded) == 1
        assert engine.running
    finally:
        logging.getLogger("lienthong.probes").removeHandler(shed)
        release.set()
        await engine.stop()
        await recorder.close()
        await session.close()
        store.dispose()
