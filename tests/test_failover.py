"""Failover of the probes: a new leader runs the slots it inherits once each, as no overload,
and real overload is still shed, counted and logged."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from exporter.app import ServiceOptions
from i18n import gettext_in
from lienthong.demo import BAC_NINH_GATEWAY
from lienthong.service import create_service
from probes.auth import CredentialStore
from probes.engine import (
    SKIP_OVERLAP,
    SKIP_OVERLOAD,
    ProbeEngine,
    ProbeSettings,
    UrlRewrite,
    client_session,
    probe_targets,
)
from probes.health import LAG_BUCKETS
from probes.recorder import TransactionRecorder, probe_record_id
from probes.schedule import first_due
from probes.takeover import slots_between, unstored
from registry import Registry
from store import open_store
from tests.harness import Flushes, serving
from tests.test_probe_load import small_registry

OVERLOADED = gettext_in("vi", "probe engine overloaded ({waiting} runs waiting for a slot, a start"
                        " {late:.1f} s late): skipping starts until it catches up"
                        " (lienthong_probe_starts_skipped_total)").split("{")[0]  # fmt: skip


class _Overloads(logging.Handler):
    """The engine's overload warnings, as they are logged (in Vietnamese, the default)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []
        self.event = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith(OVERLOADED):
            self.lines.append(record.getMessage())
            self.event.set()


@pytest.fixture
def overloads() -> Iterator[_Overloads]:
    handler = _Overloads()
    logging.getLogger("lienthong.probes").addHandler(handler)
    yield handler
    logging.getLogger("lienthong.probes").removeHandler(handler)


@pytest.fixture
async def target() -> AsyncIterator[tuple[str, list[str], asyncio.Event]]:
    """A national system that counts its calls (by `id`) and answers once `open` is set,
    taking 50 ms."""
    calls: list[str] = []
    open_ = asyncio.Event()
    open_.set()

    async def handler(request: web.Request) -> web.Response:
        calls.append(request.query["id"])
        await open_.wait()
        await asyncio.sleep(0.05)  # a national system's answer takes a while
        return web.json_response({"error_code": 0})

    app = web.Application()
    app.router.add_get("/probe", handler)
    async with serving(app) as url:
        yield url, calls, open_
        open_.set()


_writers: dict[int, asyncio.Task[None]] = {}


def _engine(registry: Registry, settings: ProbeSettings, path: Path) -> ProbeEngine:
    """An engine over a SQLite store, its recorder writing every 50 ms."""
    store = open_store(f"sqlite:///{path}/s.db")
    recorder = TransactionRecorder(store, registry, flush_interval=0.05)
    targets = probe_targets(registry, settings, CredentialStore(time.time, settings.rewrite))
    engine = ProbeEngine(registry, targets, recorder, client_session(settings), settings)
    _writers[id(engine)] = asyncio.create_task(recorder.run())
    return engine


async def _close(engine: ProbeEngine) -> None:
    await engine.stop()
    writer = _writers.pop(id(engine))
    writer.cancel()
    await asyncio.gather(writer, return_exceptions=True)
    await engine.recorder.close()
    await engine._session.close()


def _slot_id(engine: ProbeEngine, index: int, due: float) -> str:
    t = engine.targets[index]
    return probe_record_id(t.department, t.system, datetime.fromtimestamp(due, UTC))


async def test_inherited_slots_run_once_each_before_the_next_and_are_no_overload(
    tmp_path: Path,
    target: tuple[str, list[str], asyncio.Event],
    overloads: _Overloads,
) -> None:
    url, calls, _open = target
    registry = small_registry(5, url)
    # A start reached 1 s after its due time is shed as overload: the fifteen inherited
    # slots, 8-10 s old, would all be shed (as before 2026-12) if they counted as such.
    interval = 1.0
    settings = ProbeSettings(max_lateness=1.0, interval=interval)
    engine = _engine(registry, settings, tmp_path)
    flushes = Flushes(engine.recorder)
    now = time.time()
    inherited = {
        t.key: [first_due(t.key, interval, now - 10) + k * interval for k in range(3)]
        for t in engine.targets
    }
    # Each probe's first regular slot: it follows the inherited ones, never skipped.
    regular = {t.key: first_due(t.key, interval, now) for t in engine.targets}
    wanted = {
        _slot_id(engine, i, due) for i, t in enumerate(engine.targets) for due in inherited[t.key]
    }
    wanted |= {_slot_id(engine, i, regular[t.key]) for i, t in enumerate(engine.targets)}
    try:
        engine.start(since=now, inherited=inherited)
        await flushes.until(lambda written: wanted <= {w.record_id for w in written})
        assert engine.inherited_runs == 15
        assert engine.skipped[SKIP_OVERLOAD] == 0
        assert not overloads.lines
        # Inherited slots are late by nature (8-10 s): not in the lateness histogram,
        # where every start is under 5 s late.
        assert (
            engine.lag.observed and engine.lag.counts[LAG_BUCKETS.index(5.0)] == engine.lag.observed
        )
    finally:
        await _close(engine)
    ids = [w.record_id for w in flushes.written]
    assert len(ids) == len(set(ids))  # no slot run twice
    inherited_calls = len(calls) - (len(flushes.written) - 15)
    assert inherited_calls == 15


async def test_the_first_start_after_inherited_slots_waits_for_them_instead_of_being_skipped(
    tmp_path: Path, target: tuple[str, list[str], asyncio.Event]
) -> None:
    url, calls, open_ = target
    registry = small_registry(1, url)
    interval = 0.3
    settings = ProbeSettings(interval=interval, max_lateness=1.0, grace=0.1)
    engine = _engine(registry, settings, tmp_path)
    flushes = Flushes(engine.recorder)
    key = engine.targets[0].key
    now = time.time()
    old = first_due(key, interval, now - 5)
    first = first_due(key, interval, now)
    open_.clear()  # the inherited slot's call hangs past the first regular start
    try:
        engine.start(since=now, inherited={key: [old]})
        async with asyncio.timeout(10):
            while engine.skipped[SKIP_OVERLAP] == 0:  # a later start, while both wait
                await asyncio.sleep(0.05)
        open_.set()
        wanted = {_slot_id(engine, 0, old), _slot_id(engine, 0, first)}
        await flushes.until(lambda written: wanted <= {w.record_id for w in written})
    finally:
        await _close(engine)
    # The inherited slot ran first, then the first regular one: never both at once.
    ids = [w.record_id for w in flushes.written]
    assert ids.index(_slot_id(engine, 0, old)) < ids.index(_slot_id(engine, 0, first))
    assert calls


async def test_real_overload_is_still_shed_counted_and_logged_after_a_takeover(
    tmp_path: Path,
    target: tuple[str, list[str], asyncio.Event],
    overloads: _Overloads,
) -> None:
    url, _calls, open_ = target
    registry = small_registry(12, url)
    interval = 0.3
    settings = ProbeSettings(total=1, per_system=1, backlog=2, interval=interval, grace=0.1)
    engine = _engine(registry, settings, tmp_path)
    first = engine.targets[0]
    open_.clear()  # the national system stops answering: runs pile up
    try:
        engine.start(
            since=time.time(),
            inherited={first.key: [first_due(first.key, interval, time.time() - 3)]},
        )
        await asyncio.wait_for(overloads.event.wait(), 10)
        async with asyncio.timeout(10):
            while engine.skipped[SKIP_OVERLOAD] < 10:
                await asyncio.sleep(0.05)
        assert len(overloads.lines) == 1  # one warning for the episode
    finally:
        open_.set()
        await _close(engine)


async def test_a_new_leader_runs_the_slots_after_the_last_stored_or_else_the_latest_only(
    tmp_path: Path,
) -> None:
    registry = small_registry(2, "http://127.0.0.1:9")
    settings = ProbeSettings(interval=1.0)
    store = open_store(f"sqlite:///{tmp_path}/s.db")
    recorder = TransactionRecorder(store, registry)
    targets = probe_targets(registry, settings, CredentialStore(time.time, settings.rewrite))
    stored, never = targets
    interval = lambda _t: 1.0  # noqa: E731
    now = 1_800_000_000.0
    slots = slots_between(targets, interval, now - 6, now)
    dues = [due for t, due in slots if t is stored]
    assert len(dues) == 6 and all(t is not stored for t, _ in slots[6:])
    # The old leader stored the 1st and 3rd of the window's slots (the 2nd it shed), then died.
    for due in (dues[0], dues[2]):
        at = datetime.fromtimestamp(due, UTC)
        recorder.record(stored.department, stored.system, at, True, 5.0, None, slot=at)
    await recorder.close()
    missing = unstored(store, slots, interval)
    store.dispose()
    # After the last one stored: the slots its death lost, once each; the shed one stays
    # its decision. A probe with none stored (none ran in the window): the latest only.
    assert missing == {stored.key: dues[3:], never.key: [slots[-1][1]]}


@pytest.mark.parametrize(
    ("probes_enabled", "role", "roles"),
    [(True, "leader", {"probes 0/1": "leader"}), (False, "none", {})],
)
async def test_healthz_says_the_role_beside_its_fields(
    tmp_path: Path, bac_ninh: Registry, probes_enabled: bool, role: str, roles: dict[str, str]
) -> None:
    """One instance on SQLite leads its probes (one host, one writer); with probes disabled it
    takes no part in leadership."""
    store = open_store(f"sqlite:///{tmp_path}/s.db")
    # Probes aimed at a closed port: only the role matters here.
    settings = ProbeSettings(rewrites=(UrlRewrite(BAC_NINH_GATEWAY, "http://127.0.0.1:9"),))
    app = create_service(bac_ninh, store, settings, ServiceOptions(probes_enabled=probes_enabled))
    async with (
        serving(app) as url,
        aiohttp.ClientSession() as client,
        client.get(url + "/healthz") as answer,
    ):
        health = await answer.json()
    store.dispose()
    assert (health["role"], health["roles"]) == (role, roles)
    assert health["status"] == "ok" and "probe_engine" in health and "pending_records" in health
    assert all(v.isascii() for v in (health["role"], *health["roles"], *health["roles"].values()))


async def test_starts_waiting_for_inherited_slots_are_no_backlog(
    tmp_path: Path,
    target: tuple[str, list[str], asyncio.Event],
    overloads: _Overloads,
) -> None:
    """Every probe inherits a slot and the national system hangs: each probe's first regular
    start waits for its inherited run, and that fills no backlog (one run may wait here)."""
    url, _calls, open_ = target
    registry = small_registry(5, url)
    interval = 0.3
    settings = ProbeSettings(total=1, per_system=1, backlog=1, interval=interval, grace=0.1)
    engine = _engine(registry, settings, tmp_path)
    now = time.time()
    open_.clear()
    try:
        engine.start(
            since=now,
            inherited={t.key: [first_due(t.key, interval, now - 3)] for t in engine.targets},
        )
        async with asyncio.timeout(10):
            # A later start of each probe finds its first regular one still waiting: skipped.
            while engine.skipped[SKIP_OVERLAP] < 5:
                await asyncio.sleep(0.05)
        assert engine.skipped[SKIP_OVERLOAD] == 0
        assert not overloads.lines
    finally:
        open_.set()
        await _close(engine)
