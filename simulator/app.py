"""The simulator's HTTP app: a WSO2-style `/token`, every system's API, and the fault admin.

- `POST /token` (Basic client id:secret, `grant_type=client_credentials`) →
  `{"access_token", "scope", "token_type": "Bearer", "expires_in"}`
- `ANY <system base path>/...` → the system's answer (Bearer token required
  unless the simulator runs open), shaped by the system's current fault
- `GET /admin/faults`, `PUT|DELETE /admin/faults/{system}`, `DELETE /admin/faults`,
  `GET /admin/stats`, `GET /healthz`
"""

from __future__ import annotations

import asyncio
import base64
import json
import random
import secrets
import socket
import struct
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from aiohttp import web
from pydantic import ValidationError

from simulator.apis import base_path, error_body, success_body
from simulator.faults import Answer, Fault, choose_answer

DEMO_CLIENT_ID = "lienthong-demo"
DEMO_CLIENT_SECRET = "demo-secret-not-for-production"


@dataclass
class SystemCounters:
    requests: int = 0
    answers: dict[str, int] = field(default_factory=dict)


@dataclass
class Gateway:
    """The simulator's state: systems, faults, issued tokens, counters."""

    systems: tuple[str, ...]
    client_id: str = DEMO_CLIENT_ID
    client_secret: str = DEMO_CLIENT_SECRET
    token_life: int = 3600
    require_token: bool = True
    faults: dict[str, Fault] = field(default_factory=dict)
    tokens: dict[str, float] = field(default_factory=dict)
    counters: dict[str, SystemCounters] = field(default_factory=dict)
    tokens_issued: int = 0
    rng: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        self.prefixes = sorted(
            ((base_path(s), s) for s in self.systems), key=lambda p: len(p[0]), reverse=True
        )
        self.counters = {s: SystemCounters() for s in self.systems}

    def system_of(self, path: str) -> str | None:
        for prefix, system in self.prefixes:
            if path == prefix or path.startswith(prefix + "/"):
                return system
        return None


GATEWAY = web.AppKey("gateway", Gateway)


def simulator_app(
    systems: Iterable[str],
    faults: Mapping[str, Fault] | None = None,
    *,
    client_id: str = DEMO_CLIENT_ID,
    client_secret: str = DEMO_CLIENT_SECRET,
    token_life: int = 3600,
    require_token: bool = True,
    seed: int | None = None,
) -> web.Application:
    """The simulator for the given national systems, with optional initial faults."""
    gateway = Gateway(
        tuple(systems),
        client_id=client_id,
        client_secret=client_secret,
        token_life=token_life,
        require_token=require_token,
        rng=random.Random(seed),
    )
    for system, fault in (faults or {}).items():
        _known(gateway, system)
        gateway.faults[system] = fault
    app = web.Application()
    app[GATEWAY] = gateway
    app.router.add_post("/token", token)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/admin/faults", list_faults)
    app.router.add_delete("/admin/faults", clear_faults)
    app.router.add_put("/admin/faults/{system}", set_fault)
    app.router.add_delete("/admin/faults/{system}", clear_fault)
    app.router.add_get("/admin/stats", stats)
    app.router.add_route("*", "/{tail:.*}", api)
    return app


def _known(gateway: Gateway, system: str) -> None:
    if system not in gateway.counters:
        raise web.HTTPNotFound(
            text=json.dumps({"error": f"unknown system {system!r}"}),
            content_type="application/json",
        )


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def token(request: web.Request) -> web.Response:
    gateway = request.app[GATEWAY]
    expected = base64.b64encode(f"{gateway.client_id}:{gateway.client_secret}".encode()).decode()
    form = await request.post()
    if request.headers.get("Authorization") != f"Basic {expected}":
        return web.json_response(
            {"error": "invalid_client", "error_description": "Client Authentication failed."},
            status=401,
        )
    if form.get("grant_type") != "client_credentials":
        return web.json_response({"error": "unsupported_grant_type"}, status=400)
    issued = secrets.token_hex(16)
    gateway.tokens[issued] = time.time() + gateway.token_life
    gateway.tokens_issued += 1
    return web.json_response(
        {
            "access_token": issued,
            "scope": "am_application_scope default",
            "token_type": "Bearer",
            "expires_in": gateway.token_life,
        }
    )


async def list_faults(request: web.Request) -> web.Response:
    gateway = request.app[GATEWAY]
    return web.json_response(
        {s: f.model_dump(mode="json", exclude_defaults=True) for s, f in gateway.faults.items()}
    )


async def set_fault(request: web.Request) -> web.Response:
    gateway = request.app[GATEWAY]
    system = request.match_info["system"]
    _known(gateway, system)
    try:
        fault = Fault.model_validate_json(await request.read())
    except ValidationError as e:
        problems = [
            {"field": ".".join(str(p) for p in err["loc"]), "message": err["msg"]}
            for err in e.errors(include_url=False)
        ]
        return web.json_response({"errors": problems}, status=400)
    gateway.faults[system] = fault
    return web.json_response({system: fault.model_dump(mode="json", exclude_defaults=True)})


async def clear_fault(request: web.Request) -> web.Response:
    gateway = request.app[GATEWAY]
    system = request.match_info["system"]
    _known(gateway, system)
    gateway.faults.pop(system, None)
    return web.json_response({})


async def clear_faults(request: web.Request) -> web.Response:
    request.app[GATEWAY].faults.clear()
    return web.json_response({})


async def stats(request: web.Request) -> web.Response:
    gateway = request.app[GATEWAY]
    return web.json_response(
        {
            "tokens_issued": gateway.tokens_issued,
            "systems": {
                s: {"requests": c.requests, "answers": c.answers}
                for s, c in gateway.counters.items()
            },
        }
    )


def _authorised(gateway: Gateway, request: web.Request) -> bool:
    if not gateway.require_token:
        return True
    header = request.headers.get("Authorization", "")
    expiry = gateway.tokens.get(header.removeprefix("Bearer "))
    return header.startswith("Bearer ") and expiry is not None and expiry > time.time()


async def api(request: web.Request) -> web.StreamResponse:
    gateway = request.app[GATEWAY]
    system = gateway.system_of(request.path)
    if system is None:
        return web.json_response({"error": "no such API"}, status=404)
    if not _authorised(gateway, request):
        # WSO2's answer to a missing, unknown or expired token.
        return web.json_response(
            {"fault": {"code": 900901, "message": "Invalid Credentials", "description": ""}},
            status=401,
        )
    counters = gateway.counters[system]
    fault = gateway.faults.get(system, Fault())
    answer = choose_answer(fault, counters.requests, gateway.rng)
    counters.requests += 1
    counters.answers[answer.value] = counters.answers.get(answer.value, 0) + 1
    if fault.latency:
        await asyncio.sleep(fault.latency)
    if answer is Answer.HANG:
        await asyncio.sleep(24 * 3600)  # cancelled when the caller gives up
    if answer is Answer.RESET:
        _reset(request)
        return web.Response()
    if answer is Answer.ERROR:
        return web.json_response({"error_code": 500, "message": "Internal error"}, status=500)
    if answer is Answer.OUTAGE:
        return web.json_response(
            {"fault": {"code": 101503, "message": "Runtime Error", "description": "Error"}},
            status=503,
        )
    body = error_body() if answer is Answer.ERROR_BODY else success_body(system, request.path)
    data = json.dumps(body, ensure_ascii=False).encode()
    if fault.oversized > len(data):
        # Padding inside the JSON keeps the body valid: only its size is wrong.
        body["padding"] = ""
        data = json.dumps(body, ensure_ascii=False).encode()
        body["padding"] = "x" * (fault.oversized - len(data))
        data = json.dumps(body, ensure_ascii=False).encode()
    if fault.slow_body:
        return await _slow(request, data, fault.slow_body)
    return web.Response(body=data, content_type="application/json", charset="utf-8")


def _reset(request: web.Request) -> None:
    """Close the connection with a TCP reset (SO_LINGER 0), as a crashed backend would."""
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


async def _slow(request: web.Request, data: bytes, pause: float) -> web.StreamResponse:
    answer = web.StreamResponse(headers={"Content-Type": "application/json; charset=utf-8"})
    answer.content_length = len(data)
    await answer.prepare(request)
    step = max(1, len(data) // 10)
    for start in range(0, len(data), step):
        await answer.write(data[start : start + step])
        await asyncio.sleep(pause)
    await answer.write_eof()
    return answer
