"""A stand-in X-Road security server for `bench.sources`: pages of operational data written
beforehand (gzipped JSON), each answered as PR-OPMON's Annex C.2 shows, chosen by the
request's `recordsFrom`. Plain HTTP on loopback, in its own process (its CPU is not the
puller's): `python -m bench._opmon_server FOLDER PORT`."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from aiohttp import web

BOUNDARY = "xroadfngEfgBlxyLszDaqXiFfDxVzvvlbhU"
RECORDS_FROM = re.compile(rb"<om:recordsFrom>([0-9]+)</om:recordsFrom>")


def answer(count: int, following: int | None, payload: bytes) -> bytes:
    more = f"<om:nextRecordsFrom>{following}</om:nextRecordsFrom>" if following else ""
    soap = (
        '<?xml version="1.0" encoding="utf-8"?>\n<SOAP-ENV:Envelope'
        ' xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"'
        ' xmlns:om="http://x-road.eu/xsd/op-monitoring.xsd"><SOAP-ENV:Body>'
        f"<om:getSecurityServerOperationalDataResponse><om:recordsCount>{count}</om:recordsCount>"
        f"<om:records>cid:operational-monitoring-data.json.gz</om:records>{more}"
        "</om:getSecurityServerOperationalDataResponse></SOAP-ENV:Body></SOAP-ENV:Envelope>"
    )
    head = (
        f"--{BOUNDARY}\r\ncontent-type:text/xml\r\n\r\n{soap}\r\n--{BOUNDARY}\r\n"
        "content-type:application/gzip\r\ncontent-transfer-encoding: binary\r\n"
        "content-id: <operational-monitoring-data.json.gz>\r\n\r\n"
    )
    return head.encode() + payload + f"\r\n--{BOUNDARY}--\r\n".encode()


def main() -> None:
    folder, port = Path(sys.argv[1]), int(sys.argv[2])
    # index.json: [[first second, records, file name], ...] in order
    pages = json.loads((folder / "index.json").read_text())

    async def handle(request: web.Request) -> web.Response:
        found = RECORDS_FROM.search(await request.read())
        start = int(found.group(1)) if found else 0
        for i, (first, count, name) in enumerate(pages):
            nxt = pages[i + 1][0] if i + 1 < len(pages) else None
            if nxt is None or start < nxt:
                if start > first and nxt is None:
                    count, payload = 0, (folder / "empty.gz").read_bytes()
                else:
                    payload = (folder / name).read_bytes()
                return web.Response(
                    body=answer(count, nxt, payload),
                    headers={
                        "Content-Type": f'multipart/related; type="text/xml"; boundary={BOUNDARY}'
                    },
                )
        return web.Response(status=500)

    app = web.Application(client_max_size=1 << 20)
    app.router.add_post("/", handle)
    app.router.add_get("/healthz", lambda _r: web.Response(text="ok"))  # type: ignore[arg-type,return-value]
    web.run_app(app, host="127.0.0.1", port=port, print=None)


if __name__ == "__main__":
    main()
