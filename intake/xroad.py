"""X-Road operational monitoring records → exchanges → transaction records.

`lienthong ingest --format xroad-opmon` reads the records of
getSecurityServerOperationalData (the `{"records": [...]}` document, or JSON
lines of records). Each exchange leaves a record on the client's security
server and one on the producer's; as X-Road Metrics does, the two are paired
by `messageId` (same client and service, `requestInTs` within ±60 s) so that
the exchange counts once. Its transaction: department from the client
(instance/class/member[/subsystem]), system from the service
(…[/subsystem[/service code]]) through the registry's `gateway:` mapping;
`ts` the client's `requestInTs`, outcome `succeeded`, `faultCode` and
`faultString` in `detail`. The client's view is preferred: it saw the end
to end result.

Memory stays bounded: a record waits for its partner only while the
newest `requestInTs` read is within 60 s of its own. A record whose partner
comes later, or in another file, is written alone; its `id` is derived
from `messageId` (`xroad:<messageId>`), so the partner's arrival later is a
duplicate and the exchange still counts once.
"""

from __future__ import annotations

import hashlib
import heapq
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from intake.files import Malformed, Raw, RecordStream, Unmapped, open_binary
from intake.gateway_map import GatewayMap
from intake.json_stream import json_values
from registry import Registry

WINDOW_MS = 60_000
SIDES = ("Client", "Producer")


@dataclass(slots=True)
class OpRecord:
    """The fields of one operational monitoring record that make a transaction."""

    line: int
    side: str
    message_id: str | None
    client: tuple[str, ...]
    service: tuple[str, ...]
    request_in: int  # ms since the epoch
    response_out: int | None
    succeeded: bool
    fault: str | None
    paired: bool = False
    gone: bool = False  # written, or dropped as a duplicate


@dataclass
class PairingCounts:
    records: int = 0
    exchanges: int = 0
    paired: int = 0
    client_only: int = 0
    producer_only: int = 0
    duplicate_records: int = 0
    without_message_id: int = 0

    def notes(self) -> list[str]:
        return [
            f"{self.records:,} X-Road records → {self.exchanges:,} exchanges: {self.paired:,}"
            f" paired (client and producer record), {self.client_only:,} client record only,"
            f" {self.producer_only:,} producer record only;"
            f" {self.duplicate_records:,} duplicate records dropped;"
            f" {self.without_message_id:,} records without messageId (not paired)"
        ]


def open_xroad(path: Path, registry: Registry) -> RecordStream:
    """An X-Road operational data file as a stream of contract records, one per exchange."""
    raw, binary = open_binary(path)
    size = path.stat().st_size
    counts = PairingCounts()
    gateway = GatewayMap(registry)

    def records() -> Iterator[tuple[int, Raw]]:
        with raw, binary:
            pairing = Pairing(counts)
            for line, value in json_values(binary, str(path)):
                if isinstance(value, Malformed):
                    yield line, value
                    continue
                parsed = op_record(line, value)
                if isinstance(parsed, Malformed):
                    yield line, parsed
                    continue
                counts.records += 1
                for exchange in pairing.add(parsed):
                    yield exchange[0].line, to_record(exchange, gateway)
            for exchange in pairing.finish():
                yield exchange[0].line, to_record(exchange, gateway)

    return RecordStream(
        records(),
        lambda: size if raw.closed else raw.tell(),
        size,
        counts.notes,
        "exchanges",
        shared_ids=True,
    )


def _text(value: Any) -> str:
    return value if value.__class__ is str else ""


def op_record(line: int, value: Any) -> OpRecord | Malformed:
    """The fields we use, checked; a record without them is malformed."""
    if not isinstance(value, dict):
        return Malformed("", "an operational monitoring record must be a JSON object")
    side = value.get("securityServerType")
    if side not in SIDES:
        return Malformed("securityServerType", f"must be Client or Producer, not {side!r}")
    request_in = value.get("requestInTs")
    if not isinstance(request_in, int) or isinstance(request_in, bool) or request_in < 0:
        return Malformed("requestInTs", "must be milliseconds since the epoch")
    succeeded = value.get("succeeded")
    if not isinstance(succeeded, bool):
        return Malformed("succeeded", "must be true or false")
    response_out = value.get("responseOutTs")
    if not isinstance(response_out, int) or isinstance(response_out, bool):
        response_out = None
    fault = None
    if not succeeded:
        code, text = value.get("faultCode"), value.get("faultString")
        fault = ": ".join(str(x) for x in (code, text) if x not in (None, "")) or None
    message_id = value.get("messageId")
    get = value.get
    # Spelled out: this runs for every record of an import that may hold millions.
    return OpRecord(
        line,
        side,
        message_id if isinstance(message_id, str) and message_id else None,
        (
            _text(get("clientXRoadInstance")),
            _text(get("clientMemberClass")),
            _text(get("clientMemberCode")),
            _text(get("clientSubsystemCode")),
        ),
        (
            _text(get("serviceXRoadInstance")),
            _text(get("serviceMemberClass")),
            _text(get("serviceMemberCode")),
            _text(get("serviceSubsystemCode")),
            _text(get("serviceCode")),
        ),
        request_in,
        response_out,
        succeeded,
        fault,
    )


Exchange = tuple[OpRecord, ...]  # the preferred record first


class Pairing:
    """Pairs client and producer records of one exchange within the ±60 s window."""

    def __init__(self, counts: PairingCounts) -> None:
        self.counts = counts
        self._waiting: dict[str, list[OpRecord]] = {}
        self._expiry: list[tuple[int, int, OpRecord]] = []  # (request_in, n, record)
        self._order = itertools.count()
        self._newest = 0

    def add(self, record: OpRecord) -> Iterator[Exchange]:
        """The exchanges this record completes or pushes out of the window."""
        if record.message_id is None:
            self.counts.without_message_id += 1
            yield from self._emit((record,))
        else:
            yield from self._match(record)
        if record.request_in > self._newest:
            self._newest = record.request_in
        yield from self._expire(self._newest - WINDOW_MS)

    def _match(self, record: OpRecord) -> Iterator[Exchange]:
        assert record.message_id is not None
        candidates = self._waiting.setdefault(record.message_id, [])
        for other in candidates:
            if (
                other.client != record.client
                or other.service != record.service
                or abs(other.request_in - record.request_in) > WINDOW_MS
            ):
                continue
            if other.side == record.side or other.paired:
                # The same record again (overlapping exports), or a third one.
                self.counts.duplicate_records += 1
                return
            other.paired = record.paired = True
            self.counts.paired += 1
            yield from self._emit((other, record) if other.side == "Client" else (record, other))
            break
        candidates.append(record)
        heapq.heappush(self._expiry, (record.request_in, next(self._order), record))

    def _expire(self, before: int) -> Iterator[Exchange]:
        while self._expiry and self._expiry[0][0] < before:
            _, _, record = heapq.heappop(self._expiry)
            yield from self._drop(record)

    def _drop(self, record: OpRecord) -> Iterator[Exchange]:
        assert record.message_id is not None
        waiting = self._waiting[record.message_id]
        waiting.remove(record)
        if not waiting:
            del self._waiting[record.message_id]
        if not record.paired:
            if record.side == "Client":
                self.counts.client_only += 1
            else:
                self.counts.producer_only += 1
            yield from self._emit((record,))

    def _emit(self, exchange: Exchange) -> Iterator[Exchange]:
        self.counts.exchanges += 1
        yield exchange

    def finish(self) -> Iterator[Exchange]:
        """The records still waiting at the end of the file, written alone."""
        while self._expiry:
            _, _, record = heapq.heappop(self._expiry)
            yield from self._drop(record)


def _id(record: OpRecord) -> str:
    if record.message_id is not None:
        if len(record.message_id) <= 120:
            return "xroad:" + record.message_id
        return "xroad:sha256:" + hashlib.sha256(record.message_id.encode()).hexdigest()
    # No messageId: the record's own identity, so importing it again is still idempotent.
    key = "|".join((record.side, *record.client, *record.service, str(record.request_in)))
    return "xroad:record:" + hashlib.sha256(key.encode()).hexdigest()[:40]


def _name(parts: tuple[str, ...]) -> str:
    return "/".join(p for p in parts if p)


def to_record(exchange: Exchange, gateway: GatewayMap) -> Raw:
    """One exchange → a contract record, or Unmapped."""
    first = exchange[0]
    department = gateway.xroad_department(first.client)
    system = gateway.xroad_system(first.service)
    if department is None or system is None or not gateway.is_obligation(department, system):
        return Unmapped(f"client {_name(first.client)!r} → service {_name(first.service)!r}")
    record: dict[str, Any] = {
        "department": department,
        "system": system,
        "ts": datetime.fromtimestamp(first.request_in / 1000, UTC).isoformat(),
        "outcome": "success" if first.succeeded else "failure",
        "id": _id(first),
        "source": "gateway",
    }
    if first.response_out is not None and first.response_out >= first.request_in:
        record["latency_ms"] = first.response_out - first.request_in
    if first.fault:
        record["detail"] = first.fault[:1000]
    return record
