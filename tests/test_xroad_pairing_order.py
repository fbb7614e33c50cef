"""X-Road pairing gives the same stored exchanges whatever the order of the records: within a
file, across files, across pulls; the daily rollups exact after every import.

The records are X-Road Metrics' own test fixtures, unchanged:
nordic-institute/X-Road-Metrics (commit b56e646f),
corrector_module/opmon_corrector/tests/fixtures/raw_messages_batch_1.json and
raw_messages_batch_2.json (MIT licence), the records of its "test_corrector_batch_2":
batch 2 brings two producer records whose client records were in batch 1.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from lienthong.cli import main
from store import open_store
from store.writer import EPOCH
from tests.gateway_samples import LTT_REGISTRY
from tests.test_gateway_ingest import assert_rollup_exact, stored

FIXTURES = Path(__file__).parent / "xroad_metrics"
BATCH_1 = json.loads((FIXTURES / "raw_messages_batch_1.json").read_text(encoding="utf-8"))
BATCH_2 = json.loads((FIXTURES / "raw_messages_batch_2.json").read_text(encoding="utf-8"))
ALL = BATCH_1 + BATCH_2
BY_REQUEST_IN = sorted(ALL, key=lambda r: r["requestInTs"])
# Each way the same records may arrive: one file in the fixtures' order, sorted by
# requestInTs (as a security server's answer is not), reversed, split across two
# imports (the batches, as two pulls; and the later half first), split inside a batch.
ORDERS = {
    "file order": [ALL],
    "by requestInTs": [BY_REQUEST_IN],
    "reversed": [ALL[::-1]],
    "two pulls": [BATCH_1, BATCH_2],
    "two pulls, the later first": [BATCH_2, BATCH_1],
    "sorted, split in the middle": [BY_REQUEST_IN[:9], BY_REQUEST_IN[9:]],
    "producers first, then clients": [
        [r for r in ALL if r.get("securityServerType") == "Producer"],
        [r for r in ALL if r.get("securityServerType") != "Producer"],
    ],
}


def assert_platforms_exact(url: str, timezone: str = "Asia/Ho_Chi_Minh") -> None:
    """The platforms' rollup is what the stored successes that name a platform add up to."""
    tz = ZoneInfo(timezone)
    engine = open_store(url)
    with engine.connect() as conn:
        records = conn.execute(
            text(
                "SELECT department, system, ts_us, source, platform FROM transactions"
                " WHERE success AND platform IS NOT NULL"
            )
        ).all()
        rollup = conn.execute(
            text("SELECT department, system, day, source, platform, successes FROM daily_platforms")
        ).all()
    engine.dispose()
    expected: Counter[tuple[str, ...]] = Counter()
    for d, s, us, src, pf in records:
        day = (EPOCH + timedelta(microseconds=us)).astimezone(tz).date().isoformat()
        expected[(d, s, day, src, pf)] += 1
    assert {(d, s, str(day), src, pf): n for d, s, day, src, pf, n in rollup} == dict(expected)


def import_in_order(
    url: str, registry: Path, parts: list[list[dict[str, Any]]], folder: Path
) -> None:
    for i, records in enumerate(parts):
        path = folder / f"pull-{i}.json"
        path.write_text(json.dumps({"records": records}), encoding="utf-8")
        code = main(
            [
                "ingest", "--format", "xroad-opmon", "--platform", "vdxp", "--db", url,
                "--registry", str(registry), str(path),
            ]
        )  # fmt: skip
        assert code == 0
        assert_rollup_exact(url)
        assert_platforms_exact(url)


def report_figures(url: str, registry: Path, capsys: pytest.CaptureFixture[str]) -> Any:
    capsys.readouterr()
    args = ["report", "--month", "2022-12", "--db", url, "--registry", str(registry)]
    assert main([*args, "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    return {
        r["department"]: (r["successes"], r["failures"], r["first_success"], r["last_success"])
        for r in rows
    } | {"platforms": {r["department"]: r["platforms"] for r in rows}}


def test_the_fixtures_give_the_same_exchanges_in_every_order(
    store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    registry = tmp_path / "registry.yml"
    registry.write_text(LTT_REGISTRY, encoding="utf-8")
    seen: dict[str, tuple[Any, Any]] = {}
    for n, (name, parts) in enumerate(ORDERS.items()):
        if "sqlite" in store_url:
            url = store_url.replace("store.db", f"order-{n}.db")
        elif n:
            break  # PostgreSQL: one order (its own database each would cost a cluster's time)
        else:
            url = store_url
        folder = tmp_path / f"order-{n}"
        folder.mkdir()
        import_in_order(url, registry, parts, folder)
        # What is stored, id by id, without the time it was received.
        exchanges = sorted(stored(url))
        seen[name] = (exchanges, report_figures(url, registry, capsys))
    first = next(iter(seen.values()))
    for name, found in seen.items():
        assert found == first, name
    exchanges, figures = first
    # Batch 2's producer record of xRequestId 3d3969aa has batch 1's client record of that
    # id, but of another client and service (CS1/MANAGEMENT → TEST3's
    # getSecurityServerOperationalData): not the two sides of one exchange, so a failed
    # exchange of its own, seen by its producer. a7351790's producer record meets its client
    # record (TEST1/SUB1 → doesnotexist) and the exchange counts once, as the client saw it.
    assert figures["so-tuphap"][:2] == (5, 2)
    assert figures["so-khdt"][:2] == (1, 0)
    assert figures["platforms"] == {"so-tuphap": "vdxp", "so-khdt": "vdxp"}
    ids = Counter(r[3] for r in exchanges)
    assert ids["xroad:a7351790-8fba-428d-852b-e4b6e8cbcca8"] == 1
    assert ids["xroad:3d3969aa-e7a0-4c91-bcb5-bb86a3000a98"] == 1
    client_view = next(r for r in exchanges if r[3] == "xroad:a7351790-8fba-428d-852b-e4b6e8cbcca8")
    assert client_view[6] == 1671025861977_000  # the client's requestInTs, not the producer's


def test_the_clients_view_brings_its_platform(
    store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A producer's record stored first carries the platform its import said; the client's
    record that replaces it carries its own, and the platforms' rollup follows exactly."""
    registry = tmp_path / "registry.yml"
    registry.write_text(LTT_REGISTRY, encoding="utf-8")
    producers = [r for r in ALL if r.get("securityServerType") == "Producer"]
    clients = [r for r in ALL if r.get("securityServerType") != "Producer"]
    for records, platform in ((producers, "lgsp"), (clients, "vdxp")):
        path = tmp_path / f"{platform}.json"
        path.write_text(json.dumps({"records": records}), encoding="utf-8")
        args = ["--db", store_url, "--registry", str(registry), str(path)]
        assert main(["ingest", "--format", "xroad-opmon", "--platform", platform, *args]) == 0
        assert_rollup_exact(store_url)
        assert_platforms_exact(store_url)
    figures = report_figures(store_url, registry, capsys)
    # so-tuphap: the paired exchanges now as their clients saw them (vdxp); two successes
    # seen by their producer only (getRandom, c29a03c1) keep the producer's import's lgsp.
    assert figures["platforms"] == {"so-tuphap": "lgsp;vdxp", "so-khdt": "vdxp"}
    assert figures["so-tuphap"][:2] == (5, 2)
