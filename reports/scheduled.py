"""The scheduled exports: write what `reports.due` says is due into the exports
folder (JSON, CSV, XLSX, PDF), record it in the manifest, and optionally mail it.

`run_due` does one pass (the service's timer and `lienthong exports run-due` both call
it); `exports_schedule` is the aiohttp cleanup context that runs it on time while the
service is up.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import json
import logging
import threading
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any, TypeVar, cast

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine

from compliance.periods import parse_day, parse_period
from compliance.quarterly import QuarterReport, build_period_report
from compliance.report import Report
from i18n import N_, _
from registry import Registry
from reports import FORMATS, Filing, write_export_file
from reports.corrections import corrections
from reports.due import (
    DEFAULT_CATCH_UP,
    DEFAULT_HOUR,
    DueExport,
    due_at,
    due_exports,
    next_due_at,
)
from reports.files import PARTIAL_SUFFIX
from reports.filing import NO_SETTINGS
from reports.mailing import MailError, MailSettings, message, recipients, send
from reports.manifest import ExportRecord, folder_lock, read_manifest, write_manifest
from reports.provenance import provenance
from reports.settings import ReportSettings
from reports.words import Labels, Lang, Phrases
from store.excusals import Excusal, ExcusalState, excusals_between
from store.exported import exported_periods, mark_exported

log = logging.getLogger("lienthong.exports")

PASS_SECONDS = 3600.0  # the longest wait between two passes
BUSY_SECONDS = 60.0  # the wait after a pass that found another one writing


class ExportsSettings(BaseModel):
    """`[exports]` in the service's TOML configuration."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = True  # `lienthong serve` writes the exports by itself
    dir: Path = Path("exports")
    hour: int = Field(default=DEFAULT_HOUR, ge=0, le=23)  # local time, registry timezone
    lang: Lang = "vi"
    catch_up: int = Field(default=DEFAULT_CATCH_UP, ge=1, le=120)
    mail: MailSettings | None = None


@dataclass(frozen=True)
class WrittenExport:
    period: str
    as_of: str
    files: tuple[Path, ...]


@dataclass(frozen=True)
class RunResult:
    written: tuple[WrittenExport, ...] = ()
    mailed: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (period, recipients)
    mail_errors: tuple[str, ...] = ()
    busy: bool = False  # another run held the folder's lock
    stopped: bool = False  # the service stopped it before everything due was written


def run_due(
    engine: Engine,
    registry: Registry,
    settings: ExportsSettings,
    *,
    now: datetime,
    registry_spec: str | None,
    database_url: str,
    stop: threading.Event | None = None,
    document: ReportSettings = NO_SETTINGS,
) -> RunResult:
    """Write every export due at `now` and not yet written; mail what awaits mailing.

    Once `stop` is set, the pass ends after the file it is writing: the period it was
    writing is not recorded, so the next pass writes it whole.
    """
    folder = settings.dir
    folder.mkdir(parents=True, exist_ok=True)
    with folder_lock(folder) as locked:
        if not locked:
            log.info(N_("%s: another export run holds the lock"), folder)
            return RunResult(busy=True)
        _remove_partial(folder)
        records = read_manifest(folder)
        written: list[WrittenExport] = []
        source = provenance(registry_spec, database_url)
        # Written already by this folder or by another instance of the same store.
        done = set(records) | exported_periods(engine)
        for due in due_exports(now, registry.tz, done, settings.hour, settings.catch_up):
            if stop is not None and stop.is_set():
                return RunResult(tuple(written), stopped=True)
            report = _report(engine, registry, due, now)
            if not holds_records(report):
                # Nothing to defend: a first start, or the wrong database. Not recorded, so
                # a pass after the records arrive (an import of the period) writes it.
                log.warning(
                    N_("%s: the database holds no transaction in %s: its exports are not written"),
                    folder,
                    due.key,
                )
                continue
            fixes = corrections(records, _decided_excusals(engine), due.key)
            filing = Filing(report, registry, source, settings.lang, document, fixes)
            try:
                files = _write_period(folder, due, filing, stop)
            except _Stopped:
                log.info(N_("%s: stopped while writing the %s exports"), folder, due.key)
                return RunResult(tuple(written), stopped=True)
            records[due.key] = ExportRecord(
                period=due.key,
                as_of=due.as_of.isoformat(),
                written_at=now.astimezone(registry.tz).isoformat(timespec="seconds"),
                files=[str(f.relative_to(folder)) for f in files],
                mail_pending=settings.mail is not None,
                corrections=list(dict.fromkeys(c.key for c in fixes)),
            )
            write_manifest(folder, records)  # after each period: a crash keeps what is done
            mark_exported(engine, due.key, records[due.key].written_at)
            log.info(N_("%s: wrote the %s exports (as of %s)"), folder, due.key, due.as_of)
            written.append(WrittenExport(due.key, due.as_of.isoformat(), files))
        mailed, errors = _mail_pending(folder, records, registry, settings, now)
    return RunResult(tuple(written), tuple(mailed), tuple(errors))


def holds_records(report: Report | QuarterReport) -> bool:
    """Whether the store holds any record of the report's obligations in its period (up to
    its as-of day): a report of none files every obligation as failing."""
    return any(row.successes or row.failures for row in report.rows)


def _decided_excusals(engine: Engine) -> list[Excusal]:
    states = (ExcusalState.APPROVED, ExcusalState.WITHDRAWN)
    with engine.connect() as conn:
        return excusals_between(conn, states=states)


def _report(
    engine: Engine, registry: Registry, due: DueExport, now: datetime
) -> Report | QuarterReport:
    return build_period_report(engine, registry, due.period, due.as_of, now)


class _Stopped(Exception):
    """The service is stopping: a pass ends between two files."""


def _write_period(
    folder: Path, due: DueExport, filing: Filing, stop: threading.Event | None = None
) -> tuple[Path, ...]:
    target = folder / due.key
    target.mkdir(exist_ok=True)
    files = []
    for fmt in FORMATS:
        if stop is not None and stop.is_set():
            raise _Stopped
        path = target / f"lienthong-{due.key}.{fmt}"
        write_export_file(fmt, filing, path)
        files.append(path)
    return tuple(files)


def _remove_partial(folder: Path) -> None:
    """The files a pass was writing when its process ended (they are written again)."""
    for partial in folder.glob(f"*/.*{PARTIAL_SUFFIX}"):
        partial.unlink(missing_ok=True)


MAIL_TEXT: dict[str, str] = {
    "subject": N_("Connections and transactions with the national systems — {province} — {period}"),
    "body": N_(
        "To {recipient},\n\n"
        "Attached is the {period} report of {province} on connections and transactions with"
        " the national information systems, with figures to the end of {as_of}.\n\n"
        "{counts}\n\n"
        "The PDF, DOCX and XLSX files are for people (the DOCX to edit before signing); JSON"
        " and CSV for software.\n"
        "This message was sent automatically by lienthong.\n"
    ),
}


def _mail_pending(
    folder: Path,
    records: dict[str, ExportRecord],
    registry: Registry,
    settings: ExportsSettings,
    now: datetime,
) -> tuple[list[tuple[str, tuple[str, ...]]], list[str]]:
    mail = settings.mail
    pending = [r for r in records.values() if r.mail_pending]
    if mail is None or not pending:
        return [], []
    to = recipients(mail, registry)
    if not to:
        return [], [
            _(
                "no one to mail the exports to: set exports.mail.to or the standing department's"
                " contacts"
            )
        ]
    mailed: list[tuple[str, tuple[str, ...]]] = []
    errors: list[str] = []
    # In the order they fell due, as they were written.
    pending.sort(key=lambda r: due_at(parse_period(r.period), registry.tz, settings.hour))
    for record in pending:
        try:
            send(mail, _message(folder, record, registry, settings.lang, mail, to))
        except MailError as e:
            log.warning(N_("%s: %s exports not mailed: %s"), folder, record.period, e)
            errors.append(str(e))
            break  # the server is down or refusing: the next pass tries again
        record.mail_pending = False
        record.mailed_at = now.astimezone(registry.tz).isoformat(timespec="seconds")
        record.mailed_to = list(to)
        write_manifest(folder, records)
        log.info(N_("%s: mailed the %s exports to %s"), folder, record.period, ", ".join(to))
        mailed.append((record.period, to))
    return mailed, errors


def _message(
    folder: Path,
    record: ExportRecord,
    registry: Registry,
    lang: Lang,
    mail: MailSettings,
    to: tuple[str, ...],
) -> EmailMessage:
    labels = Labels(lang)
    words = Phrases(MAIL_TEXT, lang)
    shown_period = labels.period(parse_period(record.period))
    files = [folder / f for f in record.files]
    counts = _status_line(folder / record.files[0], labels) if record.files else ""
    standing = registry.standing_department
    recipient = registry.department(standing).name if standing else ", ".join(to)
    province = registry.province.name
    return message(
        mail,
        to,
        words["subject"].format(province=province, period=shown_period),
        words["body"].format(
            recipient=recipient,
            period=shown_period.lower() if lang == "vi" else shown_period,
            province=province,
            as_of=labels.date(parse_day(record.as_of)),
            counts=counts,
        ),
        files,
    )


def _status_line(json_file: Path, labels: Labels) -> str:
    """'18 nhiệm vụ: 5 Đạt, 4 Đạt một phần, …' from the export's own JSON."""
    try:
        rows = json.loads(json_file.read_text(encoding="utf-8"))["rows"]
    except (OSError, ValueError, KeyError):
        return ""
    counts = Counter(r["status"] for r in rows)
    parts = ", ".join(f"{n} {labels.status(s)}" for s, n in sorted(counts.items()))
    return labels(N_("{n} duties: {statuses}")).format(n=len(rows), statuses=parts)


Clock = Callable[[], datetime]
Sleep = Callable[[float], Awaitable[None]]


def utc_now() -> datetime:
    return datetime.now(UTC)


async def run_schedule(
    engine: Engine,
    registry: Registry,
    settings: ExportsSettings,
    *,
    registry_spec: str | None,
    database_url: str,
    clock: Clock = utc_now,
    sleep: Sleep = asyncio.sleep,
    document: ReportSettings = NO_SETTINGS,
) -> None:
    """Forever: run what is due, then sleep until the next export falls due.

    A pass runs at least hourly: it retries mail that could not be sent and a pass that
    failed, and a clock that jumped (a suspended machine) is noticed within the hour.
    """
    stop = threading.Event()
    try:
        while True:
            busy = False
            started = clock()
            try:
                result = await in_daemon_thread(
                    functools.partial(
                        run_due,
                        engine,
                        registry,
                        settings,
                        now=started,
                        registry_spec=registry_spec,
                        database_url=database_url,
                        document=document,
                        stop=stop,
                    )
                )
                busy = result.busy
            except Exception:
                # The service stays up whatever one pass meets (database down, disk full…):
                # the error is logged and the next pass tries again.
                log.exception(N_("scheduled exports failed; trying again within the hour"))
            now = clock()
            # From the pass's start: an export that fell due while it wrote (a pass that
            # began at 23:59 on the 31st) is written next, not an hour later.
            upcoming = next_due_at(started, registry.tz, settings.hour)
            log.info(N_("scheduled exports: pass done, next due %s"), upcoming.isoformat())
            wait = (upcoming - now).total_seconds()
            # A pass of the service before a reload may still be ending: soon again.
            await sleep(max(1.0, min(wait, BUSY_SECONDS if busy else PASS_SECONDS)))
    finally:
        stop.set()  # a pass still writing ends after its current file


T = TypeVar("T")


async def in_daemon_thread(work: Callable[[], T]) -> T:
    """`work()` in a daemon thread: unlike `asyncio.to_thread`, a process that is stopping
    does not wait for it. A pass over 20,000 obligations writes for minutes (its XLSX
    alone 80 s), more than systemd waits after SIGTERM; what it leaves half written is
    written again by the next pass."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[T] = loop.create_future()

    def settle(result: T | None, error: BaseException | None) -> None:
        if done.cancelled():
            return
        if error is not None:
            done.set_exception(error)
        else:
            done.set_result(cast(T, result))

    def run() -> None:
        try:
            result, error = work(), None
        except BaseException as e:  # handed to the awaiting task, which logs it
            result, error = None, e
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody awaits it
            loop.call_soon_threadsafe(settle, result, error)

    # In the caller's context: its language is the one the pass's messages are said in.
    context = contextvars.copy_context()
    threading.Thread(target=context.run, args=(run,), name="lienthong-exports", daemon=True).start()
    return await done


def exports_schedule(
    engine: Engine,
    registry: Registry,
    settings: ExportsSettings,
    *,
    registry_spec: str | None,
    database_url: str,
    clock: Clock = utc_now,
    sleep: Sleep = asyncio.sleep,
    document: ReportSettings = NO_SETTINGS,
) -> Callable[[Any], AsyncIterator[None]]:
    """An aiohttp cleanup context: `app.cleanup_ctx.append(exports_schedule(...))`."""

    async def scheduled_exports(_app: Any) -> AsyncIterator[None]:
        task = asyncio.create_task(
            run_schedule(
                engine,
                registry,
                settings,
                registry_spec=registry_spec,
                database_url=database_url,
                clock=clock,
                sleep=sleep,
                document=document,
            ),
            name="lienthong-exports",
        )
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    return scheduled_exports
