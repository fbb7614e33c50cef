"""Running aiohttp apps until Ctrl-C or SIGTERM, then shutting them down cleanly."""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import socket
from collections.abc import Iterator
from contextlib import contextmanager

from aiohttp import web
from aiohttp.http_exceptions import LineTooLong
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest

from i18n import N_, _
from i18n.os_errors import describe_os_error
from lienthong.errors import UsageError


def bound_socket(host: str, port: int) -> socket.socket:
    """A listening socket, or a one-line error (port in use, unknown address)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as e:
        raise UsageError(_cannot_listen(host, port, e)) from None
    family, kind, proto, _name, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(1024)
    except OSError as e:
        sock.close()
        raise UsageError(_cannot_listen(host, port, e)) from None
    sock.setblocking(False)
    return sock


def _cannot_listen(host: str, port: int, e: OSError) -> str:
    return _("cannot listen on {host}:{port}: {reason}").format(
        host=host, port=port, reason=describe_os_error(e)
    )


log = logging.getLogger("lienthong.http")
# Seconds a client has to send a request's head once it started: a client that
# trickles its headers (slowloris) is cut off instead of holding a connection.
HEAD_TIMEOUT = 10.0


class _JsonProtocolErrors(RequestHandler):
    """Requests HTTP itself refuses (an overlong header, a bad encoding): a JSON 400.

    aiohttp's own answer is text/plain and quotes the offending line, which may
    hold a token; so does its log. Here neither the answer nor the log repeats
    anything the client sent. A request head must arrive within HEAD_TIMEOUT.
    """

    _head_timer: asyncio.TimerHandle | None = None

    def data_received(self, data: bytes) -> None:
        parsed = self._request_count
        super().data_received(data)
        if self._request_count != parsed:
            self._stop_head_timer()
        elif self._head_timer is None and not self._request_in_progress:
            self._head_timer = asyncio.get_running_loop().call_later(
                HEAD_TIMEOUT, self._head_too_slow
            )

    def _head_too_slow(self) -> None:
        self._head_timer = None
        log.warning(N_("closed a connection: its request head took over %g s"), HEAD_TIMEOUT)
        self.force_close()

    def _stop_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def connection_lost(self, exc: BaseException | None) -> None:
        self._stop_head_timer()
        super().connection_lost(exc)

    def handle_error(
        self,
        request: BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        if status == 500 or request.writer.output_size > 0:
            return super().handle_error(request, status, exc, message)
        # The answer's message is for the client's program (English, as the API's are); the
        # log line is for the operator, in the service's language.
        if isinstance(exc, LineTooLong):
            reason = "a request line or header is too long"
            log.warning(
                N_("refused a request from %s: a request line or header is too long"),
                request.remote,
            )
        else:
            what = type(exc).__name__ if exc else str(status)
            reason = f"malformed HTTP request ({what})"
            log.warning(
                N_("refused a request from %s: malformed HTTP request (%s)"), request.remote, what
            )
        body = {"errors": [{"index": None, "field": None, "message": reason}]}
        response = web.Response(
            status=status, text=json.dumps(body), content_type="application/json"
        )
        response.force_close()
        return response


class _Server(web.Server):
    def __call__(self) -> RequestHandler:
        return _JsonProtocolErrors(self, loop=self._loop, **self._kwargs)


async def start_site(app: web.Application, sock: socket.socket) -> web.AppRunner:
    """Start serving `app` on an already bound socket; runs the app's start-up contexts."""
    # After an early answer (413, 408, 503) the rest of a body is read and dropped
    # for at most a second, not aiohttp's ten: a trickling client holds no connection long.
    runner = web.AppRunner(
        app, handler_cancellation=True, access_log=None, shutdown_timeout=2.0, lingering_time=1.0
    )
    await runner.setup()
    # The only way aiohttp offers to choose the protocol class for its connections.
    assert runner.server is not None
    runner.server.__class__ = _Server
    await web.SockSite(runner, sock).start()
    return runner


@contextmanager
def stop_signals() -> Iterator[asyncio.Event]:
    """An event set by SIGINT or SIGTERM while the block runs (install before announcing)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        yield stop
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    if host in ("0.0.0.0", "::"):
        shown = "127.0.0.1"
    return f"http://{shown}:{port}"
