"""A stand-in X-Road security server answering getSecurityServerOperationalData over loopback.

It answers strictly as the X-Road operational monitoring protocol says
(nordic-institute/X-Road, doc/OperationalMonitoring/Protocols/
pr-opmon_x-road_operational_monitoring_protocol_Y-1096-2.md, version 1.6):
section 2 and Annex A for the request it accepts (the `service` header names
the server's owner and `getSecurityServerOperationalData`, `securityServer`
the server, `searchCriteria` with `recordsFrom` and `recordsTo` in Unix
seconds, `recordsFrom` before now less the offset, `recordsTo` shifted to
now less the offset less 1), and Annex C.2 for the answer: MIME
multipart/related, the SOAP response (`recordsCount`, `records` as
`cid:operational-monitoring-data.json.gz`, `nextRecordsFrom` when the records
did not all fit or `recordsTo` was shifted), then the records as gzipped JSON
(`application/gzip`, `content-transfer-encoding: binary`). Records are kept
and returned by `monitoringDataTs`; a page never splits the records of one
second (the next page starts at that second). TLS with a client certificate,
as a security server whose connection type is HTTPS requires.

Faults for the bad-input tests: `mode` makes it answer an HTML page, a 500,
nothing (a time-out), a body over a size, a malformed SOAP message, or half a
page and then hang (a pull interrupted mid-page; `half-later`: after `half_after` whole pages).
"""

from __future__ import annotations

import asyncio
import gzip
import json
import ssl
import subprocess
import time
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
XROAD = "http://x-road.eu/xsd/xroad.xsd"
ID = "http://x-road.eu/xsd/identifiers"
OM = "http://x-road.eu/xsd/op-monitoring.xsd"
BOUNDARY = "xroadfngEfgBlxyLszDaqXiFfDxVzvvlbhU"  # Annex C.2's
OFFSET = 60  # the server's records-available-timestamp-offset, default 60 s


@dataclass
class Certificates:
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path


def make_certificates(folder: Path) -> Certificates:
    """A CA, the server's certificate for 127.0.0.1 and the client's, made with openssl."""

    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=60)

    ca_key, ca = folder / "ca.key", folder / "ca.pem"
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(ca_key), "-out", str(ca),
        "-days", "2", "-subj", "/CN=Test X-Road CA")  # fmt: skip
    made = {}
    for who, extra in (("server", "subjectAltName=IP:127.0.0.1"), ("client", None)):
        key, csr, cert = folder / f"{who}.key", folder / f"{who}.csr", folder / f"{who}.pem"
        run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(csr),
            "-subj", f"/CN={who}")  # fmt: skip
        ext = folder / f"{who}.ext"
        ext.write_text(extra + "\n" if extra else "basicConstraints=CA:FALSE\n", encoding="ascii")
        run("x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key),
            "-CAcreateserial", "-out", str(cert), "-days", "2", "-extfile", str(ext))  # fmt: skip
        made[who] = (cert, key)
    return Certificates(ca, *made["server"], *made["client"])


@dataclass
class StandIn:
    """The server's operational data and how it behaves."""

    owner: tuple[str, str, str]  # instance, member class, member code
    server_code: str
    records: list[dict[str, Any]] = field(default_factory=list)
    max_records: int = 10_000  # max-records-in-payload, the default
    mode: str = "ok"  # ok, html, error500, hang, huge, malformed, half
    requests: list[tuple[int, int]] = field(default_factory=list)  # (recordsFrom, recordsTo) asked
    half_sent: asyncio.Event = field(default_factory=asyncio.Event)
    answered: int = 0
    half_after: int = 1  # mode "half-later": pages answered whole before the half one

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        if request.content_type != "text/xml":
            return self.fault("Client.InvalidContentType", "expected text/xml")
        try:
            envelope = ET.fromstring(body)
        except ET.ParseError as e:
            return self.fault("Client.InvalidSoap", str(e))
        header = envelope.find(f"{{{SOAP}}}Header")
        if header is None:
            return self.fault("Client.MissingHeader", "no SOAP header")
        service = header.find(f"{{{XROAD}}}service")
        server = header.find(f"{{{XROAD}}}securityServer")
        client = header.find(f"{{{XROAD}}}client")
        if service is None or server is None or client is None:
            return self.fault("Client.MissingHeaderField", "client, service, securityServer")
        if header.findtext(f"{{{XROAD}}}protocolVersion") != "4.0" or not header.findtext(
            f"{{{XROAD}}}id"
        ):
            return self.fault("Client.MissingHeaderField", "id, protocolVersion 4.0")
        owner = tuple(
            service.findtext(f"{{{ID}}}{t}") for t in ("xRoadInstance", "memberClass", "memberCode")
        )
        if (
            owner != self.owner
            or service.findtext(f"{{{ID}}}serviceCode") != "getSecurityServerOperationalData"
            or server.findtext(f"{{{ID}}}serverCode") != self.server_code
        ):
            return self.fault("Server.ServerProxy.UnknownService", "not this server's service")
        criteria = envelope.find(
            f"{{{SOAP}}}Body/{{{OM}}}getSecurityServerOperationalData/{{{OM}}}searchCriteria"
        )
        if criteria is None:
            return self.fault("Client.InvalidRequest", "searchCriteria is mandatory")
        try:
            start = int(criteria.findtext(f"{{{OM}}}recordsFrom") or "")
            end = int(criteria.findtext(f"{{{OM}}}recordsTo") or "")
        except ValueError:
            return self.fault("Client.InvalidRequest", "recordsFrom and recordsTo are mandatory")
        latest = int(time.time()) - OFFSET
        if start >= latest or end < start:
            return self.fault("Server.ServerProxy.OpMonitor.InvalidSearchCriteria", "bad period")
        self.requests.append((start, end))
        shifted = end >= latest
        if shifted:
            end = latest - 1
        found = sorted(
            (r for r in self.records if start <= r["monitoringDataTs"] <= end),
            key=lambda r: r["monitoringDataTs"],
        )
        following: int | None = end + 1 if shifted else None
        if len(found) > self.max_records:
            cut = found[self.max_records]["monitoringDataTs"]
            found = [r for r in found[: self.max_records] if r["monitoringDataTs"] < cut]
            following = cut
        return await self.answer(request, client, service, server, header, found, following)

    def fault(self, code: str, text: str) -> web.Response:
        xml = (
            f'<SOAP-ENV:Envelope xmlns:SOAP-ENV="{SOAP}"><SOAP-ENV:Body><SOAP-ENV:Fault>'
            f"<faultcode>{code}</faultcode><faultstring>{text}</faultstring>"
            "</SOAP-ENV:Fault></SOAP-ENV:Body></SOAP-ENV:Envelope>"
        )
        return web.Response(status=500, body=xml.encode(), content_type="text/xml")

    async def answer(
        self,
        request: web.Request,
        client: ET.Element,
        service: ET.Element,
        server: ET.Element,
        header: ET.Element,
        found: list[dict[str, Any]],
        following: int | None,
    ) -> web.StreamResponse:
        mode = self.mode
        if mode == "html":
            html = "<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>"
            return web.Response(status=502, text=html, content_type="text/html")
        if mode == "error500":
            return web.Response(status=500, text="Internal Server Error")
        if mode == "hang":
            await asyncio.Event().wait()
        ET.register_namespace("SOAP-ENV", SOAP)
        ET.register_namespace("xroad", XROAD)
        ET.register_namespace("id", ID)
        ET.register_namespace("om", OM)
        echoed = (
            "".join(ET.tostring(e, encoding="unicode") for e in (client, service, server))
            + f"<xroad:id>{header.findtext(f'{{{XROAD}}}id')}</xroad:id>"
        )
        following_xml = (
            f"<om:nextRecordsFrom>{following}</om:nextRecordsFrom>" if following is not None else ""
        )
        soap = (
            '<?xml version="1.0" encoding="utf-8"?>\n'
            f'<SOAP-ENV:Envelope xmlns:SOAP-ENV="{SOAP}" xmlns:xroad="{XROAD}"'
            f' xmlns:om="{OM}" xmlns:id="{ID}"><SOAP-ENV:Header>{echoed}'
            "<xroad:protocolVersion>4.0</xroad:protocolVersion></SOAP-ENV:Header>"
            "<SOAP-ENV:Body><om:getSecurityServerOperationalDataResponse>"
            f"<om:recordsCount>{len(found)}</om:recordsCount>"
            "<om:records>cid:operational-monitoring-data.json.gz</om:records>"
            f"{following_xml}</om:getSecurityServerOperationalDataResponse>"
            "</SOAP-ENV:Body></SOAP-ENV:Envelope>"
        )
        if mode == "malformed":
            soap = soap.replace("</om:recordsCount>", "</om:recordsCnt>")
        payload = gzip.compress(json.dumps({"records": found}).encode())
        if mode == "huge":
            payload += b"\0" * (2 << 20)
        body = (
            (
                f"--{BOUNDARY}\r\ncontent-type:text/xml\r\n\r\n{soap}\r\n"
                f"--{BOUNDARY}\r\ncontent-type:application/gzip\r\n"
                "content-transfer-encoding: binary\r\n"
                "content-id: <operational-monitoring-data.json.gz>\r\n\r\n"
            ).encode()
            + payload
            + f"\r\n--{BOUNDARY}--\r\n".encode()
        )
        response = web.StreamResponse(
            headers={
                "Content-Type": f'multipart/related; type="text/xml"; charset=UTF-8;'
                f" boundary={BOUNDARY}"
            }
        )
        response.content_length = len(body)
        await response.prepare(request)
        if mode == "half" or (mode == "half-later" and self.answered >= self.half_after):
            await response.write(body[: len(body) // 2])
            self.half_sent.set()
            await asyncio.Event().wait()  # until the client is killed
        await response.write(body)
        await response.write_eof()
        self.answered += 1
        return response


@asynccontextmanager
async def security_server(stand_in: StandIn, certificates: Certificates) -> AsyncIterator[str]:
    """The stand-in over TLS on loopback, requiring a client certificate; yields its URL."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(certificates.ca))
    context.load_cert_chain(str(certificates.server_cert), str(certificates.server_key))
    context.verify_mode = ssl.CERT_REQUIRED
    app = web.Application()
    app.router.add_post("/", stand_in.handle)
    runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"https://127.0.0.1:{port}/"
    finally:
        await runner.cleanup()
