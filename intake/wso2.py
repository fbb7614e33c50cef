"""WSO2 API Manager analytics events → transaction records (`lienthong ingest --format wso2`).

Reads the per-request events a WSO2 gateway exports, in any of three forms:

- `apim_metrics.log` lines (API-M 4.x ELK/OpenSearch analytics): a log4j
  prefix, `apimMetrics: apim:response` or `apim:faulty`, then
  `properties :{…JSON…}`;
- JSON lines, one event's properties per line (API-M 3.2's
  `org.wso2.apimgt.statistics.request` and `…fault` streams too);
- CSV with the events' field names as columns.

An event becomes one record (source `gateway`): department from
`applicationName`, system from `apiContext` through the registry's
`gateway:` mapping. A fault event has no `apiContext` (the 4.x publisher's
fault schema has none): its system comes from its `apiId` or `apiName` as the
registry declares them, else from the context that this API's response
events showed (learned, and kept in the store across imports and rotated
files). `requestTimestamp` (any form Java's `OffsetDateTime.toString()`
prints, or epoch milliseconds in 3.2) is `ts`; `correlationId` (3.2: the
`correlationID` inside `meta_clientType`) makes the `id`, so importing the
same log twice counts once. A success is a `proxyResponseCode` (3.2:
`responseCode`) in 2xx and no fault: the log cannot show an error code a
national API carries in a 200 body, so a gateway success is only as good as
the HTTP status. Events of no obligation are counted, never stored.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Connection

from i18n import N_, _
from i18n.numbers import number
from intake.files import (
    MAX_LINE,
    FileFormatError,
    Malformed,
    Raw,
    RecordStream,
    Unmapped,
    csv_rows,
    not_json,
    not_utf8,
    open_binary,
    too_long,
)
from intake.gateway_map import GatewayMap
from registry import Registry
from store.gateway import ApiKey, load_api_contexts, save_api_contexts
from store.records import time_reason
from store.text import escape_controls

EVENT = re.compile(r"apimMetrics:\s*(apim:[A-Za-z_]+)")
PROPERTIES = "properties :"
FAULT_TYPES = {"fault", "faulty", "apim:faulty"}
# What Java's OffsetDateTime.toString() prints: seconds only when not zero, a
# fraction of 3, 6 or 9 digits only when not zero, `Z` or an offset.
JAVA_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,9})?)?"
    r"(?:Z|[+-][0-9]{2}:[0-9]{2}(?::[0-9]{2})?)"
)
# Faults waiting for the end of the file to learn their API's context, at most.
MAX_DEFERRED = 100_000
NUMERIC_FIELDS = (
    "proxyResponseCode",
    "targetResponseCode",
    "responseCode",
    "responseLatency",
    "responseTime",
    "backendLatency",
)


def open_wso2(path: Path, registry: Registry) -> RecordStream:
    """A WSO2 analytics export (log, JSON lines or CSV) as a stream of contract records."""
    raw, binary = open_binary(path)
    size = path.stat().st_size
    skipped: Counter[str] = Counter()
    suffixes = [s.lower() for s in path.suffixes if s.lower() != ".gz"]
    events = (
        _csv_events(binary, str(path))
        if suffixes and suffixes[-1] == ".csv"
        else _line_events(binary, str(path), skipped)
    )
    gateway = GatewayMap(registry)
    known: dict[ApiKey, str] = {}

    def start(conn: Connection) -> None:
        known.update(load_api_contexts(conn))
        gateway.learned.update(known)

    def records() -> Iterator[tuple[int, Raw]]:
        deferred: list[tuple[int, dict[str, Any], str | None]] = []
        with raw, binary:
            for line, event, kind in events:
                if isinstance(event, Malformed):
                    yield line, event
                    continue
                learn(event, gateway)
                record = to_record(event, kind, gateway)
                if isinstance(record, Unmapped) and record.waits and len(deferred) < MAX_DEFERRED:
                    deferred.append((line, event, kind))
                    continue
                yield line, record
        # A fault before the first response of its API in the file: mapped now.
        for line, event, kind in deferred:
            yield line, to_record(event, kind, gateway)

    def finish(conn: Connection) -> None:
        new = {k: v for k, v in gateway.learned.items() if known.get(k) != v}
        save_api_contexts(conn, new, int(datetime.now(UTC).timestamp() * 1_000_000))

    def notes() -> list[str]:
        found = [
            _("{n} {what}, skipped").format(n=number(n), what=_(what))
            for what, n in sorted(skipped.items())
        ]
        found.append(
            _(
                "a 2xx in the gateway log is counted a success: the log cannot show an error"
                " code a national API carries in its response body"
            )
        )
        return found

    return RecordStream(
        records(),
        lambda: size if raw.closed else raw.tell(),
        size,
        notes,
        "events",
        start=start,
        finish=finish,
    )


Event = dict[str, Any] | Malformed


NOT_EVENTS = N_("lines that are not analytics events")  # skipped, counted in the notes


def _line_events(
    binary: IO[bytes], name: str, skipped: Counter[str]
) -> Iterator[tuple[int, Event, str | None]]:
    """apim_metrics.log lines and JSON lines, each with its event type if the line gives one."""
    n = 0
    while line := binary.readline(MAX_LINE + 1):
        n += 1
        if len(line) > MAX_LINE and not line.endswith(b"\n"):
            # An analytics event is a few kB: a longer line is refused before it is held.
            raise FileFormatError(
                f"{name}:{n}: " + too_long(_("the line is longer than {n} bytes"))
            )
        text = _text(line, name, n).strip()
        if not text:
            continue
        event, kind = line_event(text)
        if event is None:
            skipped[NOT_EVENTS] += 1
            continue
        yield n, event, kind


def line_event(text: str) -> tuple[Event | None, str | None]:
    """One stripped, non-empty line → its event (None: not an analytics event) and type."""
    kind = None
    if not text.startswith("{"):
        at = text.find(PROPERTIES)
        if at < 0:
            return None, None
        match = EVENT.search(text, 0, at)
        kind = match.group(1) if match else None
        text = text[at + len(PROPERTIES) :].strip()
    try:
        event = json.loads(text)
    except ValueError as e:
        return Malformed("", not_json(e)), kind
    if not isinstance(event, dict):
        return Malformed("", _("an event must be a JSON object")), kind
    return event, kind


def _text(line: bytes, name: str, n: int) -> str:
    try:
        return line.decode("utf-8-sig" if n == 1 else "utf-8")
    except UnicodeDecodeError as e:
        raise FileFormatError(f"{name}:{n}: " + not_utf8(e)) from None


def _csv_events(binary: IO[bytes], name: str) -> Iterator[tuple[int, Event, str | None]]:
    with io.TextIOWrapper(binary, encoding="utf-8-sig", newline="") as text:
        reader = csv.reader(text)
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            return
        except UnicodeDecodeError as e:
            raise FileFormatError(f"{name}:1: " + not_utf8(e)) from None
        if "requestTimestamp" not in header:
            raise FileFormatError(
                f"{name}:1: " + _("no requestTimestamp column: not a WSO2 analytics export")
            )
        for start, row in csv_rows(reader, header, name):
            yield start, row if isinstance(row, Malformed) else _numbers(dict(row)), None


def _numbers(event: dict[str, Any]) -> dict[str, Any] | Malformed:
    """CSV cells are text: the numeric fields back to numbers."""
    for field in NUMERIC_FIELDS:
        if field in event:
            try:
                event[field] = float(event[field]) if "." in event[field] else int(event[field])
            except ValueError:
                return Malformed(field, _("{value!r} is not a number").format(value=event[field]))
    ts = event.get("requestTimestamp")
    if isinstance(ts, str) and ts.isdigit():
        event["requestTimestamp"] = int(ts)
    return event


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def learn(event: dict[str, Any], gateway: GatewayMap) -> None:
    """A response event shows its API's context: remember it by the API's id and name."""
    context = _str(event.get("apiContext"))
    if context is None:
        return
    api_id, name = _str(event.get("apiId")), _str(event.get("apiName"))
    if api_id:
        gateway.learned[("id", api_id)] = context
    if name:
        version = _str(event.get("apiVersion")) or ""
        gateway.learned[("name", f"{name}\t{version}")] = context


def to_record(event: dict[str, Any], kind: str | None, gateway: GatewayMap) -> Raw:
    """One analytics event → a contract record, Unmapped, or Malformed."""
    application = _str(event.get("applicationName"))
    context, name = _str(event.get("apiContext")), _str(event.get("apiName"))
    version, api_id = _str(event.get("apiVersion")), _str(event.get("apiId"))
    department = gateway.wso2_department(application)
    system = gateway.wso2_system(context, name, version, api_id)
    if department is None or system is None or not gateway.is_obligation(department, system):
        return _unmapped(application, context, name, version, api_id, department, gateway)
    ts = _timestamp(event.get("requestTimestamp"))
    if isinstance(ts, Malformed):
        return ts
    status = event.get("proxyResponseCode", event.get("responseCode"))
    detail: str | None
    if _is_fault(event, kind):
        success, detail = False, _fault(event)
    elif isinstance(status, int) and not isinstance(status, bool):
        success = 200 <= status < 300
        detail = None if success else f"HTTP {status}"
    else:
        return Malformed("proxyResponseCode", _("missing (nor responseCode, nor a fault)"))
    latency = event.get("responseLatency", event.get("responseTime"))
    record: dict[str, Any] = {
        "department": department,
        "system": system,
        "ts": ts,
        "outcome": "success" if success else "failure",
        "source": "gateway",
    }
    if isinstance(latency, int | float) and not isinstance(latency, bool) and latency >= 0:
        record["latency_ms"] = latency
    correlation = _correlation(event)
    if correlation:
        record["id"] = _id(correlation)
    if detail:
        # A gateway's fault text is kept, its control characters escaped: the write path
        # refuses them, and one odd fault must not refuse the whole log.
        record["detail"] = escape_controls(detail, keep="\t\n\r")[:1000]
    return record


def _is_fault(event: dict[str, Any], kind: str | None) -> bool:
    """4.x: the log's `apim:faulty`, `eventType` or `errorType`; 3.2's fault stream: an
    `errorCode` and no response code (its documented attributes have no type field)."""
    return (
        (kind or "").lower() in FAULT_TYPES
        or str(event.get("eventType", "")).lower() in FAULT_TYPES
        or "errorType" in event
        or (
            "errorCode" in event
            and "responseCode" not in event
            and "proxyResponseCode" not in event
        )
    )


def _unmapped(
    application: str | None,
    context: str | None,
    name: str | None,
    version: str | None,
    api_id: str | None,
    department: str | None,
    gateway: GatewayMap,
) -> Unmapped:
    """Why an event maps to no obligation, and for a fault without a context what to declare."""
    shown = context or gateway.learned_context(name, version, api_id)
    if shown or department is None or not (name or api_id):
        return Unmapped(
            _("application {application!r} → API {api!r}").format(
                application=application, api=shown or name
            )
        )
    keys = [
        f"{key}: [{value}]"
        for key, value in (("wso2_apis", name), ("wso2_api_ids", api_id))
        if value
    ]
    declare = f" {_('or')} ".join(keys)
    return Unmapped(
        _(
            "application {application!r} → API {api!r} {version} (apiId {api_id}): an event"
            " without apiContext, and no response event of this API seen to learn it; declare"
            " {declare} on its system in the registry"
        ).format(
            application=application,
            api=name,
            version=version or "",
            api_id=api_id or "?",
            declare=declare,
        ),
        waits=True,
    )


def _timestamp(value: Any) -> str | Malformed:
    """requestTimestamp: as Java's OffsetDateTime prints it (4.x), or epoch milliseconds (3.2)."""
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value / 1000, UTC).isoformat()
        except (OverflowError, OSError, ValueError):
            not_ms = _("{value} is not a time in milliseconds").format(value=value)
            return Malformed("requestTimestamp", not_ms)
    if not isinstance(value, str):
        return Malformed("requestTimestamp", _("is required (ISO time or epoch milliseconds)"))
    if JAVA_TIME.fullmatch(value) is None:
        unlike = _("{value!r} is not a time like 2022-12-15T02:53:07.123Z").format(value=value)
        return Malformed("requestTimestamp", unlike)
    try:
        return datetime.fromisoformat(value).astimezone(UTC).isoformat()
    except ValueError as e:
        invalid = _("{value!r} is not a valid time ({error})").format(
            value=value, error=time_reason(e)
        )
        return Malformed("requestTimestamp", invalid)


def _correlation(event: dict[str, Any]) -> str | None:
    """4.x `correlationId`; 3.2 has none but `meta_clientType`, a JSON text with `correlationID`."""
    found = _str(event.get("correlationId"))
    if found is not None:
        return found
    meta = event.get("meta_clientType")
    if isinstance(meta, str) and meta.startswith("{"):
        try:
            meta = json.loads(meta)
        except ValueError:
            return None
    return _str(meta.get("correlationID")) if isinstance(meta, dict) else None


def _fault(event: dict[str, Any]) -> str:
    parts = [str(event[k]) for k in ("errorType", "errorCode") if event.get(k) not in (None, "")]
    message = event.get("errorMessage")
    head = " ".join(parts) or "fault"
    return f"{head}: {message}" if message else head


def _id(correlation: str) -> str:
    # Prefixed, so a gateway's ids never meet a department's own ids.
    if len(correlation) <= 120:
        return "wso2:" + correlation
    return "wso2:sha256:" + hashlib.sha256(correlation.encode()).hexdigest()
