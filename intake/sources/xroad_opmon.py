"""`xroad-opmon`: pulls getSecurityServerOperationalData from an X-Road security server.

As the X-Road operational monitoring protocol (PR-OPMON) gives it: a SOAP
request whose `searchCriteria` ask for the records stored from `recordsFrom`
to `recordsTo` (Unix seconds, inclusive); the answer is a MIME
multipart/related message, the SOAP response (`recordsCount`, `records` the
cid of the attachment, `nextRecordsFrom` when the records did not all fit)
then the records as gzipped JSON. The position is the next `recordsFrom`,
committed with the records of the page that brings the source to it; the
records are read by intake.xroad (paired per page, exactly as a file).

The request goes to the security server the client's information system
uses, over TLS with a client certificate when the server's connection type is
HTTPS. A first pull starts `keep_records_for_days` back: all the server
still keeps. `recordsTo` stays `records_to_offset` seconds behind now: the
server's own default offset is 60 s, records younger may not be committed.
"""

from __future__ import annotations

import asyncio
import functools
import gzip
import io
import re
import ssl
import time
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, Annotated, Literal, cast
from xml.sax.saxutils import escape

import aiohttp
from pydantic import Field, field_validator
from sqlalchemy import Engine

from i18n import _
from intake.files import FileFormatError, Malformed, Unmapped, Viewed
from intake.gateway_map import GatewayMap
from intake.ingest import UNREADABLE
from intake.sources.common import (
    SourceBase,
    SourceDown,
    SourceStatus,
    commit,
    in_thread,
    log,
    stamped,
)
from intake.xroad import PairingCounts, xroad_records
from registry import Registry
from store.records import FUTURE_TOLERANCE, RecordParser, Transaction
from store.sources import load_position

KIND = "xroad-opmon"
DAY = 86_400
MAX_RESPONSE = 64 << 20  # bytes: a page of 10,000 records is a few MB
# Records committed together (with the position after their last page), at least.
COMMIT_RECORDS = 50_000
SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
OM = "http://x-road.eu/xsd/op-monitoring.xsd"


def _identifier(value: str, parts: int, what: str) -> str:
    pieces = value.split("/")
    if len(pieces) != parts or not all(pieces):
        raise ValueError(
            _("{what} must be {parts} parts joined by '/', like {example}").format(
                what=what, parts=parts, example=_EXAMPLES[what]
            )
        )
    return value


_EXAMPLES = {
    "client": "VN/GOV/000-00-000001/lienthong",
    "server": "VN/GOV/000-00-000001/ss1",
}


class XroadOpmonConfig(SourceBase):
    kind: Literal["xroad-opmon"]
    url: Annotated[str, Field(pattern=r"^https?://")]
    client: str  # instance/memberClass/memberCode/subsystemCode (or 3 parts: a member)
    server: str  # instance/memberClass/memberCode/serverCode
    interval: Annotated[float, Field(gt=0, le=86_400)] = 300.0
    timeout: Annotated[float, Field(gt=0, le=3600)] = 60.0
    tls_cert: str | None = None  # PEM: the client certificate (and its key, or tls_key)
    tls_key: str | None = None
    tls_ca: str | None = None  # PEM: the security server's certificate or its CA
    keep_records_for_days: Annotated[int, Field(ge=1, le=3650)] = 7  # the server's setting
    records_to_offset: Annotated[int, Field(ge=0, le=3600)] = 60
    max_response: Annotated[int, Field(ge=1024)] = MAX_RESPONSE

    @field_validator("client")
    @classmethod
    def _client(cls, value: str) -> str:
        pieces = value.split("/")
        if len(pieces) == 3 and all(pieces):
            return value
        return _identifier(value, 4, "client")

    @field_validator("server")
    @classmethod
    def _server(cls, value: str) -> str:
        return _identifier(value, 4, "server")


def soap_request(config: XroadOpmonConfig, records_from: int, records_to: int, id_: str) -> bytes:
    """The request of PR-OPMON's Annex C.1, for this client, server and period."""
    client = config.client.split("/")
    server = config.server.split("/")
    client_type = "SUBSYSTEM" if len(client) == 4 else "MEMBER"
    client_parts = "".join(
        f"<id:{tag}>{escape(value)}</id:{tag}>"
        for tag, value in zip(
            ("xRoadInstance", "memberClass", "memberCode", "subsystemCode"), client, strict=False
        )
    )
    owner = "".join(
        f"<id:{tag}>{escape(value)}</id:{tag}>"
        for tag, value in zip(("xRoadInstance", "memberClass", "memberCode"), server, strict=False)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<SOAP-ENV:Envelope xmlns:SOAP-ENV="{SOAP}" xmlns:xroad="http://x-road.eu/xsd/xroad.xsd"'
        f' xmlns:om="{OM}" xmlns:id="http://x-road.eu/xsd/identifiers">'
        "<SOAP-ENV:Header>"
        f'<xroad:client id:objectType="{client_type}">{client_parts}</xroad:client>'
        f'<xroad:service id:objectType="SERVICE">{owner}'
        "<id:serviceCode>getSecurityServerOperationalData</id:serviceCode></xroad:service>"
        f'<xroad:securityServer id:objectType="SERVER">{owner}'
        f"<id:serverCode>{escape(server[3])}</id:serverCode></xroad:securityServer>"
        f"<xroad:id>{escape(id_)}</xroad:id>"
        "<xroad:protocolVersion>4.0</xroad:protocolVersion>"
        "</SOAP-ENV:Header>"
        "<SOAP-ENV:Body><om:getSecurityServerOperationalData><om:searchCriteria>"
        f"<om:recordsFrom>{records_from}</om:recordsFrom>"
        f"<om:recordsTo>{records_to}</om:recordsTo>"
        "</om:searchCriteria></om:getSecurityServerOperationalData></SOAP-ENV:Body>"
        "</SOAP-ENV:Envelope>"
    ).encode()


@dataclass
class Batch:
    """Pages read and not committed yet: their records, and what was not stored of them."""

    records: list[Transaction] = field(default_factory=list)
    unmapped: int = 0
    invalid: list[tuple[int, int, str]] = field(default_factory=list)  # (page, line, reason)


@dataclass(frozen=True)
class Page:
    records_count: int
    next_records_from: int | None
    payload: bytes  # the gzipped JSON attachment


def _media_type(content_type: str) -> tuple[str, dict[str, str]]:
    kind, _sep, rest = content_type.partition(";")
    params: dict[str, str] = {}
    for m in re.finditer(r'\s*([\w-]+)\s*=\s*("([^"]*)"|[^;\s]*)\s*;?', rest):
        params[m.group(1).lower()] = m.group(3) if m.group(3) is not None else m.group(2)
    return kind.strip().lower(), params


def _parts(body: bytes, boundary: str) -> list[tuple[dict[str, str], bytes]]:
    """The parts of a MIME multipart body: (headers in lower case, content)."""
    delimiter = b"--" + boundary.encode()
    pieces = body.split(delimiter)
    found: list[tuple[dict[str, str], bytes]] = []
    for piece in pieces[1:]:
        if piece.startswith(b"--"):
            return found
        piece = piece.removeprefix(b"\r\n").removeprefix(b"\n")
        head, sep, content = piece.partition(b"\r\n\r\n")
        if not sep:
            head, sep, content = piece.partition(b"\n\n")
        if not sep:
            raise SourceDown(_("malformed answer: a MIME part without headers"))
        headers: dict[str, str] = {}
        for line in head.decode("latin-1").splitlines():
            name, colon, value = line.partition(":")
            if colon:
                headers[name.strip().lower()] = value.strip()
        # The line break before the next delimiter belongs to the delimiter.
        content = content.removesuffix(b"\r\n") if content.endswith(b"\r\n") else content
        found.append((headers, content.removesuffix(b"\n")))
    raise SourceDown(_("malformed answer: the MIME message has no closing boundary"))


def _soap(xml: bytes) -> ET.Element:
    if b"<!DOCTYPE" in xml.upper() or b"<!ENTITY" in xml.upper():
        # X-Road messages never declare entities: refused before the parser expands any.
        raise SourceDown(_("malformed answer: a SOAP message with a DOCTYPE"))
    try:
        return ET.fromstring(xml)
    except ET.ParseError as e:
        raise SourceDown(_("malformed answer: not XML ({reason})").format(reason=e)) from None


def _fault(envelope: ET.Element) -> str | None:
    fault = envelope.find(f"{{{SOAP}}}Body/{{{SOAP}}}Fault")
    if fault is None:
        return None
    code = (fault.findtext("faultcode") or "").strip()
    text = (fault.findtext("faultstring") or "").strip()
    return ": ".join(x for x in (code, text) if x) or "SOAP fault"


def parse_response(status: int, content_type: str, body: bytes) -> Page:
    """A getSecurityServerOperationalData answer → its page; SourceDown if it is not one."""
    media, params = _media_type(content_type)
    if media in ("text/xml", "application/soap+xml") or body.lstrip().startswith(b"<?xml"):
        envelope = _soap(body) if media != "multipart/related" else None
        if envelope is not None:
            fault = _fault(envelope)
            if fault is not None:
                raise SourceDown(
                    _("the security server answered a SOAP fault (HTTP {status}): {fault}").format(
                        status=status, fault=fault
                    )
                )
    if media == "text/html" or body.lstrip()[:15].lower().startswith((b"<!doctype html", b"<html")):
        raise SourceDown(
            _(
                "the security server answered an HTML page (HTTP {status}), not a SOAP message"
            ).format(status=status)
        )
    if status != 200:
        raise SourceDown(
            _("the security server answered HTTP {status} ({what})").format(
                status=status, what=media or _("no content type")
            )
        )
    if media != "multipart/related" or "boundary" not in params:
        raise SourceDown(
            _("malformed answer: {what} instead of multipart/related").format(
                what=media or _("no content type")
            )
        )
    parts = _parts(body, params["boundary"])
    if not parts:
        raise SourceDown(_("malformed answer: an empty multipart message"))
    envelope = _soap(parts[0][1])
    fault = _fault(envelope)
    if fault is not None:
        raise SourceDown(
            _("the security server answered a SOAP fault: {fault}").format(fault=fault)
        )
    answer = envelope.find(f"{{{SOAP}}}Body/{{{OM}}}getSecurityServerOperationalDataResponse")
    if answer is None:
        raise SourceDown(_("malformed answer: no getSecurityServerOperationalDataResponse"))
    try:
        count = int((answer.findtext(f"{{{OM}}}recordsCount") or "").strip())
        cid = (answer.findtext(f"{{{OM}}}records") or "").strip()
        following = answer.findtext(f"{{{OM}}}nextRecordsFrom")
        next_from = int(following.strip()) if following is not None else None
    except ValueError:
        raise SourceDown(
            _("malformed answer: recordsCount or nextRecordsFrom is not a number")
        ) from None
    if not cid.startswith("cid:"):
        raise SourceDown(_("malformed answer: records is not a cid: reference"))
    wanted = "<" + cid[4:] + ">"
    for headers, content in parts[1:]:
        if headers.get("content-id", "").strip() in (wanted, cid[4:]):
            return Page(count, next_from, content)
    raise SourceDown(_("malformed answer: no attachment {cid}").format(cid=cid))


def tls_context(config: XroadOpmonConfig) -> ssl.SSLContext | None:
    if not config.url.startswith("https://"):
        return None
    context = ssl.create_default_context(cafile=config.tls_ca)
    if config.tls_cert:
        context.load_cert_chain(config.tls_cert, config.tls_key)
    return context


class XroadOpmon:
    """One pulled security server."""

    def __init__(
        self,
        config: XroadOpmonConfig,
        registry: Registry,
        store: Engine,
        status: SourceStatus,
    ) -> None:
        self.config = config
        self.registry = registry
        self.store = store
        self.status = status
        self.gateway = GatewayMap(registry)
        self.parser = RecordParser(registry, "gateway")
        self.records_from: int | None = None
        self.loaded = False
        status.retention = config.keep_records_for_days * DAY

    async def read(self) -> None:
        """Pull every page from the position to now (less the offset)."""
        if not self.loaded:
            data = await asyncio.to_thread(self._load)
            self.records_from = None if data is None else int(data)
            self.loaded = True
        now = int(time.time())
        if self.records_from is None:
            self.records_from = now - self.config.keep_records_for_days * DAY
        self.status.unread_since = float(self.records_from)
        records_to = now - self.config.records_to_offset - 1
        try:
            context = tls_context(self.config)
        except (OSError, ssl.SSLError) as e:
            raise SourceDown(_("TLS files cannot be read: {reason}").format(reason=e)) from None
        timeout = aiohttp.ClientTimeout(total=self.config.timeout)
        async with aiohttp.ClientSession(
            timeout=timeout, connector=aiohttp.TCPConnector(ssl=context if context else False)
        ) as session:
            cursor = self.records_from
            batch = Batch()
            while cursor <= records_to:
                page = await self._fetch(session, cursor, records_to)
                following = page.next_records_from
                if following is not None and following <= cursor:
                    raise SourceDown(
                        _("malformed answer: nextRecordsFrom {n} does not move forward").format(
                            n=following
                        )
                    )
                cursor = following if following is not None else records_to + 1
                await in_thread(functools.partial(self._parse, page, cursor, batch))
                # Several pages a transaction: a commit per page of 10,000 records cost the
                # pull half the time of the file import again (the rollup and an fsync each).
                if len(batch.records) >= COMMIT_RECORDS or following is None:
                    await in_thread(functools.partial(self._commit, batch, cursor))
                    batch = Batch()
                if following is None:
                    break

    def _load(self) -> int | None:
        with self.store.connect() as conn:
            data = load_position(conn, self.config.name)
        return None if data is None else int(data["records_from"])

    async def _fetch(self, session: aiohttp.ClientSession, start: int, end: int) -> Page:
        body = soap_request(self.config, start, end, uuid.uuid4().hex)
        headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'}
        cap = self.config.max_response
        try:
            async with session.post(self.config.url, data=body, headers=headers) as response:
                if (response.content_length or 0) > cap:
                    raise SourceDown(self._too_large())
                chunks: list[bytes] = []
                size = 0
                async for chunk in response.content.iter_chunked(1 << 16):
                    size += len(chunk)
                    if size > cap:
                        raise SourceDown(self._too_large())
                    chunks.append(chunk)
                answer = b"".join(chunks)
                status, content_type = response.status, response.headers.get("Content-Type", "")
        except TimeoutError:
            raise SourceDown(
                _("no answer within {seconds:g} s").format(seconds=self.config.timeout)
            ) from None
        except aiohttp.ClientError as e:
            raise SourceDown(
                _("cannot reach the security server: {reason}").format(reason=e)
            ) from None
        return parse_response(status, content_type, answer)

    def _too_large(self) -> str:
        return _("the answer is larger than {mib:g} MiB: not read").format(
            mib=self.config.max_response / (1 << 20)
        )

    def _parse(self, page: Page, next_from: int, batch: Batch) -> None:
        """The page's records added to the batch (nothing, if the page is malformed)."""
        counts = PairingCounts()
        invalid: list[tuple[int, str]] = []
        unmapped = 0
        records: list[Transaction] = []
        self.parser.latest = datetime.now(UTC) + FUTURE_TOLERANCE
        platform = self.config.platform
        name = _("{source} (records before {n})").format(source=self.config.name, n=next_from)
        malformed = 0
        try:
            for line, raw in xroad_records(
                cast(IO[bytes], gzip.GzipFile(fileobj=io.BytesIO(page.payload))),
                name,
                counts,
                self.gateway,
            ):
                if isinstance(raw, Unmapped):
                    unmapped += 1
                elif isinstance(raw, Malformed):
                    malformed += 1  # one record of the page
                    invalid.append((line, f"{raw.field}: {raw.message}".lstrip(": ")))
                elif isinstance(raw, Viewed):
                    parsed = self.parser.parse(raw.record, raw.view)
                    if isinstance(parsed, list):
                        invalid.append((line, "; ".join(map(str, parsed))))
                    else:
                        records.append(stamped(parsed, platform))
        except (FileFormatError, *UNREADABLE) as e:
            raise SourceDown(
                _("malformed answer: the records attachment cannot be read ({reason})").format(
                    reason=e
                )
            ) from None
        read = counts.records + counts.incomplete + malformed
        if read != page.records_count:
            raise SourceDown(
                _("malformed answer: recordsCount says {said}, the attachment holds {held}").format(
                    said=page.records_count, held=read
                )
            )
        batch.records.extend(records)
        batch.unmapped += unmapped
        batch.invalid.extend((next_from, line, reason) for line, reason in invalid)

    def _commit(self, batch: Batch, next_from: int) -> None:
        """The batch's records and the position after its last page, in one transaction."""
        written = commit(
            self.store,
            self.registry.timezone,
            self.config,
            KIND,
            batch.records,
            {"records_from": next_from},
        )
        self.records_from = next_from
        self.status.unread_since = float(next_from)
        for page, line, reason in batch.invalid:
            log.warning(
                _("%s: the record at line %d of the page before recordsFrom %d: %s"),
                self.config.name,
                line,
                page,
                reason,
            )
        self.status.count(
            stored=written.accepted,
            duplicate=written.duplicates,
            no_obligation=batch.unmapped,
            invalid=len(batch.invalid),
        )
        self.status.position = {"records_from": next_from}
