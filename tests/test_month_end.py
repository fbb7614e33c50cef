"""A `serve` running across a month's, a quarter's deadline and a year's end, on a simulated clock.

The service is built as `lienthong serve` builds it (`cli_serve.service_app`), on a real
PostgreSQL, probing the simulator every second, with a clock set a few seconds before
midnight (it then runs at the real pace: the probes, the metrics' refresh and the exports
all live in it). Nothing depends on today's date.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from prometheus_client.parser import text_string_to_metric_families

from exporter.app import SERVICE
from lienthong.cli_serve import service_app
from lienthong.demo import BAC_NINH_GATEWAY, CLIENT_ID_ENV, CLIENT_SECRET_ENV
from lienthong.serve_config import load_config
from registry import is_working_day, load_registry
from reports.manifest import read_manifest
from simulator.app import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
from store import open_store, sync_registry
from tests.harness import serving
from tests.instances import simulator
from tests.stores import new_postgres_database

pytestmark = pytest.mark.postgres

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
BAC_NINH = load_registry("bac-ninh")


class _Passes(logging.Handler):
    """The scheduled exports' passes, as the service logs them: a test awaits the next one."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.done = 0
        self._event = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("scheduled exports: pass done"):
            self.done += 1
            self._event.set()

    async def until(self, condition: Callable[[], bool], timeout: float = 60) -> None:
        """Until `condition()` holds after a pass (checked after each one)."""
        async with asyncio.timeout(timeout):
            while True:
                self._event.clear()
                if condition():
                    return
                await self._event.wait()


@pytest.fixture
def passes() -> Iterator[_Passes]:
    handler = _Passes()
    logger = logging.getLogger("lienthong.exports")
    level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(level)


def gauges(text: str, name: str) -> dict[tuple[str, str], float]:
    """One per-obligation family's samples, by (department, system)."""
    return {
        (s.labels["department"], s.labels["system"]): s.value
        for f in text_string_to_metric_families(text)
        for s in f.samples
        if s.name == name and "department" in s.labels
    }


def required_days(first: date) -> int:
    """The working days of `first`'s month by the registry's calendar (holidays included)."""
    day, n = first, 0
    while day.month == first.month:
        n += is_working_day(day, BAC_NINH.calendar)
        day += timedelta(days=1)
    return n


# Probed obligations in force over both months around the crossing: their figures must move.
def _probed(first: date, last: date) -> set[tuple[str, str]]:
    return {
        o.key
        for o in BAC_NINH.obligations
        if o.probe is not None and BAC_NINH.in_force(o, first, last)
    }


@pytest.fixture
async def running(
    postgres_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> AsyncIterator[tuple[str, Path, object]]:
    """`serve`, its clock starting at `request.param` (local), its exports folder, its app."""
    start: datetime = request.param
    monkeypatch.setenv(CLIENT_ID_ENV, DEMO_CLIENT_ID)
    monkeypatch.setenv(CLIENT_SECRET_ENV, DEMO_CLIENT_SECRET)
    database = new_postgres_database(postgres_url)
    exports = tmp_path / "exports"
    with simulator(tmp_path) as sim:
        settings = tmp_path / "serve.toml"
        settings.write_text(
            f"""
[probes]
interval = 1.0
url_rewrite = {{from = "{BAC_NINH_GATEWAY}", to = "{sim}"}}
[metrics]
totals_refresh = 0.2
[exports]
dir = "{exports}"
hour = 0
""",
            encoding="utf-8",
        )
        config = load_config(settings)
        store = open_store(database)
        sync_registry(store, BAC_NINH)
        offset = start.timestamp() - time.time()
        started = asyncio.Event()
        app = service_app(
            config,
            BAC_NINH,
            store,
            "bac-ninh",
            database,
            started,
            clock=lambda: time.time() + offset,
        )
        try:
            async with serving(app) as url:
                started.set()
                yield url, exports, app
        finally:
            store.dispose()


async def metrics(url: str) -> str:
    def read() -> str:
        import urllib.request

        with urllib.request.urlopen(f"{url}/metrics", timeout=10) as answer:
            return str(answer.read().decode())

    return await asyncio.to_thread(read)


async def eventually(condition: object, timeout: float, what: str) -> None:
    """Poll the service's own refresh (no event to await: it runs on its interval)."""
    async with asyncio.timeout(timeout):
        while not await condition():  # type: ignore[operator]
            await asyncio.sleep(0.1)


def exported_once(folder: Path) -> dict[str, int]:
    """Each period written, and how many JSON files it has (one: written once)."""
    return {p.name: len(list(p.glob("lienthong-*.json"))) for p in folder.iterdir() if p.is_dir()}


@pytest.mark.parametrize(
    "running", [datetime(2026, 12, 31, 23, 59, 50, tzinfo=HANOI)], indirect=True
)
async def test_across_the_years_end_the_month_closes_and_its_export_is_written_once(
    running: tuple[str, Path, object], passes: _Passes
) -> None:
    url, folder, app = running
    service = app[SERVICE]  # type: ignore[index]
    midnight = datetime(2027, 1, 1, tzinfo=HANOI).timestamp()
    probed = _probed(date(2026, 12, 1), date(2027, 1, 31))
    assert probed
    # Before midnight: December's figures, and the exports due then (November, 2026Q4).
    text = await metrics(url)
    assert service.clock() < midnight, "started too slowly to see December"
    # The store's first record is of 31 December: the month's days before it are held
    # against no one (contract 1.2), so December requires that one day.
    assert all(gauges(text, "lienthong_month_required_workdays")[p] == 1 for p in probed)
    # After midnight: the first pass that began after it wrote December, once.
    await passes.until(lambda: "2026-12" in read_manifest(folder))
    assert service.clock() >= midnight
    # November and 2026Q4 were due too, but the store holds nothing of them: not filed.
    assert exported_once(folder) == {"2026-12": 1}
    assert set(read_manifest(folder)) == {"2026-12"}
    # The December export is the month that closed: the probes' successes of its last
    # seconds, and none of the new year's.
    report = json.loads((folder / "2026-12" / "lienthong-2026-12.json").read_text(encoding="utf-8"))
    assert report["as_of"] == "2026-12-31"
    rows = {(r["department"], r["system"]): r for r in report["rows"]}
    for pair in probed:
        assert rows[pair]["successes"] > 0, pair
        last = datetime.fromisoformat(rows[pair]["last_success"])
        assert last.timestamp() < midnight, (pair, last)
    # The gauges closed December: January's required days by 2027's calendar (1 January
    # is a holiday), nothing met yet, today's successes counted from midnight.
    january = required_days(date(2027, 1, 1))
    assert not is_working_day(date(2027, 1, 1), BAC_NINH.calendar)
    assert january == 20  # 21 weekdays less New Year's Day

    async def january_shown() -> bool:
        text = await metrics(url)
        required = gauges(text, "lienthong_month_required_workdays")
        met = gauges(text, "lienthong_month_met_workdays")
        return all(required[p] == january and met[p] == 0 for p in probed)

    await eventually(january_shown, 30, "January's figures")
    # Today's successes start again at midnight: at most one probe a second since then.
    text = await metrics(url)
    since_midnight = service.clock() - midnight
    today = gauges(text, "lienthong_successes_today")
    assert all(today.get(p, 0) <= since_midnight + 1 for p in probed), (today, since_midnight)


@pytest.mark.parametrize(
    "running", [datetime(2027, 3, 23, 23, 59, 50, tzinfo=HANOI)], indirect=True
)
async def test_on_a_quarters_deadline_its_export_is_written_once(
    running: tuple[str, Path, object], passes: _Passes
) -> None:
    _url, folder, app = running
    service = app[SERVICE]  # type: ignore[index]
    midnight = datetime(2027, 3, 24, tzinfo=HANOI).timestamp()
    await passes.until(lambda: "2027Q1" in read_manifest(folder))
    assert service.clock() >= midnight  # not before its deadline day
    # February and 2026Q4 were due too, but the store holds nothing of them: not filed.
    assert exported_once(folder) == {"2027Q1": 1}
    assert set(read_manifest(folder)) == {"2027Q1"}
    report = json.loads((folder / "2027Q1" / "lienthong-2027Q1.json").read_text(encoding="utf-8"))
    assert report["as_of"] == "2027-03-23"  # the last whole day before the deadline
    probed = _probed(date(2027, 1, 1), date(2027, 3, 31))
    rows = {(r["department"], r["system"]): r for r in report["rows"]}
    for pair in probed:
        assert rows[pair]["successes"] > 0, pair
        assert datetime.fromisoformat(rows[pair]["last_success"]).timestamp() < midnight
