"""The scheduled exports, with an injected clock: due on the 1st at 07:00 and on the quarter's
deadline, never twice (even after a restart), caught up after the service was down."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from docx import Document
from sqlalchemy import Engine

from compliance.periods import Month, Quarter
from compliance.report import build_report
from lienthong.cli import main
from registry import Registry
from reports import FORMATS, scheduled
from reports.due import due_exports, next_due_at
from reports.manifest import ManifestError, folder_lock, read_manifest
from reports.scheduled import ExportsSettings, exports_schedule, run_due
from reports.settings import ReportSettings
from reports.tabular import report_as_dict
from tests.readback import json_row_as_xlsx, pdf_text, xlsx_rows

# Their messages checked word for word are the English ones (Vietnamese: test_languages.py).
pytestmark = pytest.mark.usefixtures("english")

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


def at(text: str) -> datetime:
    """A local time in Hanoi, e.g. at('2026-11-01 07:00')."""
    return datetime.fromisoformat(text).replace(tzinfo=HANOI)


def keys(now: datetime, written: set[str], **kw: int) -> list[str]:
    return [d.key for d in due_exports(now, HANOI, written, **kw)]


# The schedule itself: pure.


def test_a_month_is_due_on_the_first_at_seven() -> None:
    written = {"2026-09", "2026Q3"}
    assert keys(at("2026-11-01 06:59:59"), written) == []
    assert keys(at("2026-11-01 07:00"), written) == ["2026-10"]
    # The same moment given in UTC.
    assert keys(datetime.fromisoformat("2026-11-01T00:00:00+00:00"), written) == ["2026-10"]
    (due,) = due_exports(at("2026-11-01 07:00"), HANOI, written)
    assert (due.period, due.as_of) == (Month(2026, 10), date(2026, 10, 31))
    assert keys(at("2026-11-01 08:00"), written, hour=9) == []


def test_nothing_is_due_twice() -> None:
    written = {"2026-09", "2026-10", "2026Q3"}
    for now in ("2026-11-01 07:00", "2026-11-01 07:05", "2026-11-20 12:00", "2026-11-30 23:59"):
        assert keys(at(now), written) == []


def test_down_over_the_first_catches_up_every_missed_month() -> None:
    written = {"2026-08", "2026Q3"}
    assert keys(at("2026-12-03 10:00"), written) == ["2026-09", "2026-10", "2026-11"]
    assert keys(at("2026-12-03 10:00"), written, catch_up=2) == ["2026-10", "2026-11"]


def test_a_new_folder_starts_with_the_latest_period() -> None:
    assert keys(at("2026-11-15 10:00"), set()) == ["2026Q3", "2026-10"]


def test_a_quarter_is_due_on_its_deadline_day() -> None:
    written = {"2026-11", "2026Q3"}
    assert keys(at("2026-12-24 06:59"), written) == []
    (due,) = due_exports(at("2026-12-24 07:00"), HANOI, written)
    # Members report before the 25th: the 24th's morning, standing at the 23rd.
    assert (due.period, due.as_of, due.key) == (Quarter(2026, 4), date(2026, 12, 23), "2026Q4")
    # Down from the 20th to the 2nd of January: the quarter and December both catch up.
    assert keys(at("2027-01-02 09:00"), written) == ["2026Q4", "2026-12"]


def test_next_due_at() -> None:
    assert next_due_at(at("2026-11-01 07:00"), HANOI) == at("2026-12-01 07:00")
    assert next_due_at(at("2026-12-10 00:00"), HANOI) == at("2026-12-24 07:00")
    assert next_due_at(at("2026-12-24 07:00"), HANOI) == at("2027-01-01 07:00")
    assert next_due_at(at("2026-12-01 06:00"), HANOI, hour=8) == at("2026-12-01 08:00")


# The runner, on both stores.


def settings(folder: Path, **kw: object) -> ExportsSettings:
    return ExportsSettings.model_validate({"dir": folder, **kw})


# The config's [report] table: what the filed document (PDF, DOCX) takes from it.
DOCUMENT = ReportSettings(document_code="SKHCN", signer_title="GIÁM ĐỐC", signer_name="Lê Văn Hòa")


def run(engine: Engine, registry: Registry, folder: Path, now: datetime) -> list[str]:
    result = run_due(
        engine,
        registry,
        settings(folder),
        now=now,
        registry_spec=None,
        database_url="sqlite:///test.db",
        document=DOCUMENT,
    )
    return [w.period for w in result.written]


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(folder)): (p.stat().st_ino, p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_the_first_at_seven_writes_every_format(
    varied: Engine, bac_ninh: Registry, tmp_path: Path
) -> None:
    folder = tmp_path / "exports"
    run(varied, bac_ninh, folder, at("2026-10-01 07:00"))  # September and Q3, as a start
    assert run(varied, bac_ninh, folder, at("2026-11-01 06:59:59")) == []
    assert run(varied, bac_ninh, folder, at("2026-11-01 07:00")) == ["2026-10"]

    files = sorted(p.name for p in (folder / "2026-10").iterdir())
    assert files == [f"lienthong-2026-10.{ext}" for ext in ("csv", "docx", "json", "pdf", "xlsx")]
    document = json.loads((folder / "2026-10" / "lienthong-2026-10.json").read_text())
    expected = build_report(
        varied, bac_ninh, Month(2026, 10), date(2026, 10, 31), at("2026-11-01 07:00")
    )
    assert document == report_as_dict(expected)
    assert xlsx_rows(folder / "2026-10" / "lienthong-2026-10.xlsx") == [
        json_row_as_xlsx(r) for r in document["rows"]
    ]
    filed = pdf_text(folder / "2026-10" / "lienthong-2026-10.pdf")
    assert "tháng 10 năm 2026" in filed
    assert "Số: ……/BC-SKHCN" in filed and "GIÁM ĐỐC Lê Văn Hòa" in filed
    word = Document(str(folder / "2026-10" / "lienthong-2026-10.docx"))
    assert "Số: ……/BC-SKHCN" in [
        p.text for c in word.tables[0].columns[0].cells for p in c.paragraphs
    ]
    record = read_manifest(folder)["2026-10"]
    assert (record.as_of, record.written_at) == ("2026-10-31", "2026-11-01T07:00:00+07:00")
    assert record.files[0] == "2026-10/lienthong-2026-10.json"
    assert not list(folder.rglob("*.partial"))


def test_a_restart_writes_nothing_twice(varied: Engine, bac_ninh: Registry, tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    assert run(varied, bac_ninh, folder, at("2026-11-01 07:00")) == ["2026Q3", "2026-10"]
    before = snapshot(folder)
    manifest = (folder / "manifest.json").read_bytes()
    # The service restarts a minute later, then the next day: nothing is written again.
    assert run(varied, bac_ninh, folder, at("2026-11-01 07:01")) == []
    assert run(varied, bac_ninh, folder, at("2026-11-02 07:00")) == []
    assert snapshot(folder) == before
    assert (folder / "manifest.json").read_bytes() == manifest


def test_down_over_the_first_catches_up(varied: Engine, bac_ninh: Registry, tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    assert run(varied, bac_ninh, folder, at("2026-10-01 07:00")) == ["2026Q3", "2026-09"]
    # Down from 30 October to 2 December: October is written on the way back; November, of
    # which the store holds no record, is not (nor recorded: a later import may fill it).
    assert run(varied, bac_ninh, folder, at("2026-12-02 09:15")) == ["2026-10"]
    records = read_manifest(folder)
    assert sorted(records) == ["2026-09", "2026-10", "2026Q3"]
    assert records["2026-10"].written_at == "2026-12-02T09:15:00+07:00"
    # Then the quarter's deadline, on time.
    assert run(varied, bac_ninh, folder, at("2026-12-24 07:00")) == ["2026Q4"]
    q4 = json.loads((folder / "2026Q4" / "lienthong-2026Q4.json").read_text())
    assert (q4["quarter"], q4["as_of"], q4["deadline"]) == ("2026Q4", "2026-12-23", "2026-12-24")


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_a_run_in_progress_holds_the_folder(
    varied: Engine, bac_ninh: Registry, tmp_path: Path
) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    with folder_lock(folder) as mine:
        assert mine
        result = run_due(
            varied,
            bac_ninh,
            settings(folder),
            now=at("2026-11-01 07:00"),
            registry_spec=None,
            database_url="sqlite://",
        )
    assert result.busy and not result.written
    assert not (folder / "manifest.json").exists()


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_an_unreadable_manifest_is_an_error_not_a_rewrite(
    varied: Engine, bac_ninh: Registry, tmp_path: Path
) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "manifest.json").write_text("{not json")
    with pytest.raises(ManifestError, match="cannot read the exports manifest"):
        run(varied, bac_ninh, folder, at("2026-11-01 07:00"))
    assert (folder / "manifest.json").read_text() == "{not json"


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_run_due_command(
    varied: Engine, store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "exports"
    args = ["exports", "run-due", "--db", store_url, "--exports-dir", str(folder)]
    assert main([*args, "--now", "2026-11-01T07:00:00+07:00"]) == 0
    out = capsys.readouterr().out
    assert (
        f"{folder / '2026-10'}: wrote 2026-10 as of 2026-10-31 (json, csv, xlsx, pdf, docx)" in out
    )
    assert main([*args, "--now", "2026-11-01T08:00:00+07:00"]) == 0
    assert capsys.readouterr().out == f"{folder}: nothing due; next at 2026-12-01T07:00+07:00\n"
    with pytest.raises(SystemExit) as exit_:
        main([*args, "--now", "2026-11-01T08:00:00"])
    assert exit_.value.code == 2  # a malformed option value is bad usage
    assert "argument --now: '2026-11-01T08:00:00' needs an offset" in capsys.readouterr().err
    config = tmp_path / "lienthong.toml"
    config.write_text("[exports]\nhour = 25\n")
    assert main([*args, "--config", str(config)]) == 1
    assert capsys.readouterr().err.startswith(f"lienthong: {config}: exports.hour: ")


# The service's timer: the cleanup context serve starts, with a clock the test drives.


class Clock:
    """Time that moves only when the schedule sleeps; parks it after `passes` sleeps."""

    def __init__(self, now: datetime, passes: int) -> None:
        self.now = now
        self.passes = passes
        self.sleeps: list[float] = []
        self.parked = asyncio.Event()

    def __call__(self) -> datetime:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        if len(self.sleeps) >= self.passes:
            self.parked.set()
            await asyncio.Event().wait()  # until the service stops
        self.now += timedelta(seconds=seconds)


def schedule_context(
    engine: Engine, registry: Registry, folder: Path, clock: Clock
) -> AsyncIterator[None]:
    """The exports' cleanup context as `serve` runs it, on the test's clock."""
    context = exports_schedule(
        engine,
        registry,
        settings(folder),
        registry_spec=None,
        database_url="sqlite:///test.db",
        clock=clock,
        sleep=clock.sleep,
    )
    return context(object())


async def serve_until_parked(
    engine: Engine, registry: Registry, folder: Path, clock: Clock
) -> None:
    running = schedule_context(engine, registry, folder, clock)
    await anext(running)  # the service is up
    await asyncio.wait_for(clock.parked.wait(), timeout=120)
    with contextlib.suppress(StopAsyncIteration):
        await anext(running)  # the service stops: the task is cancelled


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
async def test_the_service_writes_on_the_first_at_seven_then_waits(
    varied: Engine, bac_ninh: Registry, tmp_path: Path
) -> None:
    folder = tmp_path / "exports"
    run(varied, bac_ninh, folder, at("2026-10-01 07:00"))
    clock = Clock(at("2026-11-01 06:30"), passes=2)
    await serve_until_parked(varied, bac_ninh, folder, clock)
    # First pass at 06:30: nothing due, sleep until 07:00; second pass writes October,
    # then the next wait is capped at an hour (until 1 December 07:00 otherwise).
    assert clock.sleeps == [1800.0, 3600.0]
    assert read_manifest(folder)["2026-10"].written_at == "2026-11-01T07:00:00+07:00"

    # A restart at 07:30: the service runs a pass and writes nothing again.
    before = snapshot(folder)
    await serve_until_parked(varied, bac_ninh, folder, Clock(at("2026-11-01 07:30"), passes=1))
    assert snapshot(folder) == before


class SlowPasses(Clock):
    """A clock each reading of which finds a minute gone: a pass that takes its time."""

    def __call__(self) -> datetime:
        now = self.now
        self.now += timedelta(minutes=1)
        return now


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
async def test_an_export_due_while_a_pass_writes_is_written_next_not_an_hour_later(
    varied: Engine, bac_ninh: Registry, tmp_path: Path
) -> None:
    folder = tmp_path / "exports"
    run(varied, bac_ninh, folder, at("2026-10-01 07:00"))
    # A pass begins at 06:59 on the 1st (nothing due) and ends at 07:00, when October
    # falls due: the next pass comes at once (it waited an hour, until 2026-12).
    clock = SlowPasses(at("2026-11-01 06:59"), passes=2)
    await serve_until_parked(varied, bac_ninh, folder, clock)
    assert clock.sleeps[0] == 1.0
    assert read_manifest(folder)["2026-10"].written_at == "2026-11-01T07:01:01+07:00"


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
async def test_the_service_stops_without_waiting_for_a_pass_that_is_writing(
    varied: Engine, bac_ninh: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A pass over 20,000 obligations writes for minutes (its XLSX alone 80 s), longer
    # than systemd waits after SIGTERM: the service stops at once, the pass ends after
    # the file it is writing and records nothing, and the next pass writes it all.
    folder = tmp_path / "exports"
    writing, release = threading.Event(), threading.Event()
    started: list[str] = []
    real = scheduled.write_export_file

    def slow(fmt: str, filing: Any, path: Path) -> None:
        started.append(fmt)
        if len(started) == 1:
            # What a process ending in the middle of a file leaves.
            path.with_name(f".{path.stem}.pdf.partial").write_bytes(b"%PDF-1.4 half")
            writing.set()
            release.wait(60)
        real(fmt, filing, path)

    monkeypatch.setattr(scheduled, "write_export_file", slow)
    clock = Clock(at("2026-11-01 07:00"), passes=1)
    running = schedule_context(varied, bac_ninh, folder, clock)
    await anext(running)  # the service is up
    assert await asyncio.to_thread(writing.wait, 60)
    async with asyncio.timeout(5):  # stopped while the pass is still writing
        with contextlib.suppress(StopAsyncIteration):
            await anext(running)
    assert not clock.sleeps
    (thread,) = (t for t in threading.enumerate() if t.name == "lienthong-exports")
    assert thread.daemon  # the process does not wait for it when it exits
    release.set()
    await asyncio.to_thread(thread.join, 60)
    assert started == [next(iter(FORMATS))]  # nothing more once stopped
    assert read_manifest(folder) == {}  # the quarter, due first, was being written

    monkeypatch.undo()
    assert run(varied, bac_ninh, folder, at("2026-11-01 07:05")) == ["2026Q3", "2026-10"]
    for period in ("2026Q3", "2026-10"):  # whole, and nothing half written left
        assert sorted(p.name for p in (folder / period).iterdir()) == sorted(
            f"lienthong-{period}.{fmt}" for fmt in FORMATS
        )


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_run_due_refuses_a_time_after_the_clock_and_dry_run_records_nothing(
    varied: Engine, store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A --now in the future would file periods not over and record them as done."""
    folder = tmp_path / "exports"
    args = ["exports", "run-due", "--db", store_url, "--exports-dir", str(folder)]
    future = (datetime.now(UTC) + timedelta(days=40)).isoformat(timespec="seconds")
    assert main([*args, "--now", future]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"lienthong: --now {future} is later than the clock")
    assert not folder.exists()
    assert main([*args, "--now", future, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would write" in out and "(dry run)" in out
    assert not folder.exists()  # nothing written, nothing recorded
    assert main([*args, "--now", "2026-11-01T07:00:00+07:00", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert f"{folder / '2026-10'}: would write 2026-10 as of 2026-10-31 (dry run)\n" in out
    assert not folder.exists()
