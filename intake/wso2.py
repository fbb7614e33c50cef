"""WSO2 API Manager analytics events → transaction records (`lienthong ingest --format wso2`).

Reads the per-request events a WSO2 gateway exports, in any of three forms:

- `apim_metrics.log` lines (API-M 4.x ELK/OpenSearch analytics): a log4j
  prefix, `apimMetrics: apim:response` or `apim:faulty`, then
  `properties :{…JSON…}`;
- JSON lines, one event's properties per line (API-M 3.2 streams too);
- CSV with the events' field names as columns.

An event becomes one record (source `gateway`): department from
`applicationName`, system from `apiContext` (else `apiName`), both through
the registry's `gateway:` mapping; `requestTimestamp` (UTC text, or epoch
milliseconds in 3.2) is `ts`; `correlationId` makes the `id`, so importing
the same log twice counts once. A success is a `proxyResponseCode` (3.2:
`responseCode`) in 2xx and no fault: the log cannot show an error code a
national API carries in a 200 body, so a gateway success is only as good
as the HTTP status. Events of no obligation are counted, never stored.
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

from intake.files import (
    FileFormatError,
    Malformed,
    Raw,
    RecordStream,
    Unmapped,
    csv_rows,
    open_binary,
)
from intake.gateway_map import GatewayMap
from registry import Registry

EVENT = re.compile(r"apimMetrics:\s*(apim:[A-Za-z_]+)")
PROPERTIES = "properties :"
FAULT_TYPES = {"fault", "faulty", "apim:faulty"}
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

    def records() -> Iterator[tuple[int, Raw]]:
        with raw, binary:
            for line, event, kind in events:
                yield (
                    line,
                    event if isinstance(event, Malformed) else to_record(event, kind, gateway),
                )

    def notes() -> list[str]:
        found = [f"{n:,} {what}, skipped" for what, n in sorted(skipped.items())]
        found.append(
            "a 2xx in the gateway log is counted a success: the log cannot show an error"
            " code a national API carries in its response body"
        )
        return found

    return RecordStream(
        records(), lambda: size if raw.closed else raw.tell(), size, notes, "events"
    )


Event = dict[str, Any] | Malformed


def _line_events(
    binary: IO[bytes], name: str, skipped: Counter[str]
) -> Iterator[tuple[int, Event, str | None]]:
    """apim_metrics.log lines and JSON lines, each with its event type if the line gives one."""
    for n, line in enumerate(binary, start=1):
        text = _text(line, name, n).strip()
        if not text:
            continue
        kind = None
        if not text.startswith("{"):
            at = text.find(PROPERTIES)
            if at < 0:
                skipped["lines that are not analytics events"] += 1
                continue
            match = EVENT.search(text, 0, at)
            kind = match.group(1) if match else None
            text = text[at + len(PROPERTIES) :].strip()
        try:
            event = json.loads(text)
        except ValueError as e:
            yield n, Malformed("", f"not valid JSON ({e})"), kind
            continue
        if not isinstance(event, dict):
            yield n, Malformed("", "an event must be a JSON object"), kind
            continue
        yield n, event, kind


def _text(line: bytes, name: str, n: int) -> str:
    try:
        return line.decode("utf-8-sig" if n == 1 else "utf-8")
    except UnicodeDecodeError as e:
        raise FileFormatError(f"{name}:{n}: not UTF-8 text ({e.reason})") from None


def _csv_events(binary: IO[bytes], name: str) -> Iterator[tuple[int, Event, str | None]]:
    with io.TextIOWrapper(binary, encoding="utf-8-sig", newline="") as text:
        reader = csv.reader(text)
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            return
        except UnicodeDecodeError as e:
            raise FileFormatError(f"{name}:1: not UTF-8 text ({e.reason})") from None
        if "requestTimestamp" not in header:
            raise FileFormatError(
                f"{name}:1: no requestTimestamp column: not a WSO2 analytics export"
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
                return Malformed(field, f"{event[field]!r} is not a number")
    ts = event.get("requestTimestamp")
    if isinstance(ts, str) and ts.isdigit():
        event["requestTimestamp"] = int(ts)
    return event


def to_record(event: dict[str, Any], kind: str | None, gateway: GatewayMap) -> Raw:
    """One analytics event → a contract record, Unmapped, or Malformed."""
    application = event.get("applicationName")
    context, name = event.get("apiContext"), event.get("apiName")
    department = gateway.wso2_department(application if isinstance(application, str) else None)
    system = gateway.wso2_system(
        context if isinstance(context, str) else None, name if isinstance(name, str) else None
    )
    if department is None or system is None or not gateway.is_obligation(department, system):
        return Unmapped(f"application {application!r} → API {context or name!r}")
    ts = _timestamp(event.get("requestTimestamp"))
    if isinstance(ts, Malformed):
        return ts
    faulty = (kind or "").lower() in FAULT_TYPES or str(
        event.get("eventType", "")
    ).lower() in FAULT_TYPES
    status = event.get("proxyResponseCode", event.get("responseCode"))
    detail: str | None
    if faulty or "errorType" in event:
        success, detail = False, _fault(event)
    elif isinstance(status, int) and not isinstance(status, bool):
        success = 200 <= status < 300
        detail = None if success else f"HTTP {status}"
    else:
        return Malformed("proxyResponseCode", "missing (nor responseCode, nor a fault)")
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
    correlation = event.get("correlationId")
    if isinstance(correlation, str) and correlation:
        record["id"] = _id(correlation)
    if detail:
        record["detail"] = detail[:1000]
    return record


def _timestamp(value: Any) -> str | Malformed:
    """requestTimestamp: ISO text in UTC (4.x), or epoch milliseconds (3.2)."""
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value / 1000, UTC).isoformat()
        except (OverflowError, OSError, ValueError):
            return Malformed("requestTimestamp", f"{value} is not a time in milliseconds")
    if not isinstance(value, str):
        return Malformed("requestTimestamp", "is required (ISO time or epoch milliseconds)")
    return value


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
