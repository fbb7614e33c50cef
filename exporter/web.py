"""The people's side of the service: the overview, the department pages, sign-in with a
department's `explain` token, explanations filed from the page, and the JSON status API.

Sessions are server-side (a random id in an HttpOnly, SameSite=Strict cookie, Secure when
the request came over TLS); a signed-in session holds only the department and the token's
id, never the token. Every form carries a CSRF token derived from the session id with a
per-process key, checked on every POST. Sign-in attempts are rate-limited per client
address. With `[web] require_login`, the pages and the status API need signing in (the
API: a bearer token of any scope).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from html import escape
from typing import Any

from aiohttp import web
from pydantic import ConfigDict, with_config
from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError

from compliance.day_evidence import EvidenceError, day_evidence, obligation_on
from compliance.periods import Month
from compliance.rules import counting, covers
from exporter import words
from exporter.duties import DutyStatus, duty_statuses, read_view
from exporter.source_lines import source_lines, sources_html
from exporter.status_page import (
    Viewer,
    day_page,
    department_page,
    overview_page,
    signin_page,
)
from intake.push.rate_limit import RateLimit, retry_after
from intake.sources.common import SourceStatus
from probes.health import ProbeHealth
from registry import Registry
from store.excusals import Excusal, check_excusal, propose_excusal
from store.schema import push_tokens
from store.tokens import PushToken, find_token

log = logging.getLogger("lienthong.web")

COOKIE = "lienthong_phien"
SESSION_SECONDS = 8 * 3600  # a working day
MAX_SESSIONS = 10_000  # signed-in sessions kept; the oldest go first
SIGNIN_RATE = 1 / 12  # attempts per second per client address (5 a minute)
SIGNIN_BURST = 5
# The figures of a page are read again at most this often, and at once after this process
# wrote records or an explanation: many officers reloading cost one read of the store.
CACHE_SECONDS = 2.0
FIELD_WORDS = {
    "system": "Hệ thống không thuộc nghĩa vụ của đơn vị.",
    "department": "Đơn vị không có nghĩa vụ với hệ thống này.",
    "first_day": "Ngày bắt đầu không hợp lệ.",
    "last_day": "Ngày kết thúc không hợp lệ hoặc trước ngày bắt đầu.",
    "reason": "Lý do trống hoặc dài quá 2.000 ký tự.",
}


@with_config(ConfigDict(extra="forbid"))
@dataclass(frozen=True)
class WebOptions:
    """Who may read the pages, declared once: also the `[web]` config table."""

    require_login: bool = False  # on a province intranet the pages are open to read


@dataclass
class Session:
    department: str
    department_name: str
    token_id: int
    token_prefix: str
    token_label: str | None
    expires: float


@dataclass(frozen=True)
class _Cached:
    at: float  # time.monotonic(): real time, whatever the service's clock says
    writes: int
    today: date
    rows: list[DutyStatus]
    excusals: list[Excusal]


@dataclass
class Web:
    """What the pages need from the running service."""

    registry: Registry
    store: Engine
    clock: Callable[[], float]
    health: Callable[[], ProbeHealth | None]
    last_success: Callable[[], dict[tuple[str, str], float]]
    writes: Callable[[], int]  # changes whenever this process commits records
    refresh: int
    options: WebOptions
    key: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    sessions: dict[str, Session] = field(default_factory=dict)
    signin_limits: RateLimit = field(default_factory=lambda: RateLimit(SIGNIN_RATE, SIGNIN_BURST))
    cache_seconds: float = CACHE_SECONDS
    cache: dict[str | None, _Cached] = field(default_factory=dict)
    reading: asyncio.Lock = field(default_factory=asyncio.Lock)
    sources: Callable[[], Sequence[SourceStatus]] = lambda: ()  # those running in `serve`


WEB = web.AppKey("web", Web)


def add_pages(app: web.Application, pages: Web) -> None:
    app[WEB] = pages
    app.router.add_get("/", overview_handler)
    app.router.add_get("/don-vi/{code}", department_handler)
    app.router.add_post("/don-vi/{code}/giai-trinh", explain_handler)
    app.router.add_get("/don-vi/{code}/{system}/{day:[0-9]{4}-[0-9]{2}-[0-9]{2}}", day_handler)
    app.router.add_get("/dang-nhap", signin_form_handler)
    app.router.add_post("/dang-nhap", signin_handler)
    app.router.add_post("/dang-xuat", signout_handler)
    # Every method reaches the handler: under /api/ even a 405 is JSON, never the router's
    # (nor the /api sub-application's 404). Any code, empty or with a slash, likewise.
    app.router.add_route("*", "/api/v1/status", status_api_handler)
    app.router.add_route("*", "/api/v1/status/{code:.*}", status_api_handler)


# -- sessions and CSRF ---------------------------------------------------------------


def _session_id(request: web.Request) -> str | None:
    value = request.cookies.get(COOKIE)
    return value if value and len(value) <= 64 else None


def _session(pages: Web, request: web.Request) -> Session | None:
    sid = _session_id(request)
    found = pages.sessions.get(sid) if sid else None
    if found is not None and found.expires < pages.clock():
        del pages.sessions[sid]  # type: ignore[arg-type]
        return None
    return found


def _csrf(pages: Web, sid: str) -> str:
    return hmac.new(pages.key, sid.encode(), hashlib.sha256).hexdigest()


def _set_cookie(response: web.StreamResponse, request: web.Request, sid: str) -> None:
    response.set_cookie(
        COOKIE,
        sid,
        httponly=True,
        secure=request.secure,
        samesite="Strict",
        path="/",
    )


def _viewer(pages: Web, request: web.Request) -> tuple[Viewer, str]:
    """Who is looking, and the session id (a new one when the request had none)."""
    sid = _session_id(request) or secrets.token_urlsafe(32)
    session = _session(pages, request)
    if session is None:
        return Viewer(_csrf(pages, sid)), sid
    return Viewer(_csrf(pages, sid), session.department, session.department_name), sid


async def _form(pages: Web, request: web.Request) -> dict[str, str] | None:
    """The POSTed form when its CSRF token matches the session's, else None."""
    if request.content_length is not None and request.content_length > 16_000:
        return None
    data = await request.post()
    sid = _session_id(request)
    given = data.get("csrf")
    if sid is None or not isinstance(given, str):
        return None
    if not hmac.compare_digest(given.encode(), _csrf(pages, sid).encode()):
        return None
    return {k: v for k, v in data.items() if isinstance(v, str)}


def _html(text: str, request: web.Request, sid: str, status: int = 200) -> web.Response:
    response = web.Response(text=text, content_type="text/html", charset="utf-8", status=status)
    response.headers["Cache-Control"] = "no-store"
    # CSP, framing, sniffing and referrer headers: the app's middleware, on every answer.
    if _session_id(request) != sid:
        _set_cookie(response, request, sid)
    return response


def _refused(request: web.Request, sid: str, status: int, text: str) -> web.Response:
    pages = request.app[WEB]
    viewer = Viewer(_csrf(pages, sid))
    body = signin_page(pages.registry.province.name, viewer, _standing(pages), text)
    return _html(body, request, sid, status)


# -- reading -------------------------------------------------------------------------


def _today(pages: Web) -> datetime:
    return datetime.fromtimestamp(pages.clock(), pages.registry.tz)


async def _duties(
    pages: Web, now: datetime, department: str | None
) -> tuple[list[DutyStatus], list[Excusal]]:
    """The page's figures: read from the store, or from the last read when it is fresh."""
    async with pages.reading:  # one read at a time; those waiting take its result
        writes, today = pages.writes(), now.date()
        hit = pages.cache.get(department)
        fresh = hit is not None and time.monotonic() - hit.at < pages.cache_seconds
        if hit is not None and fresh and hit.writes == writes and hit.today == today:
            return hit.rows, hit.excusals
        view = await asyncio.to_thread(read_view, pages.store, pages.registry, today, department)
        rows = duty_statuses(pages.registry, view, pages.health(), pages.last_success(), department)
        excusals = list(view.excusals)
        pages.cache[department] = _Cached(time.monotonic(), writes, today, rows, excusals)
        return rows, excusals


def _own_excusals(excusals: list[Excusal], code: str, systems: set[str]) -> list[Excusal]:
    return [
        e
        for e in excusals
        if e.department == code or (e.department is None and e.system in systems)
    ]


def _login_needed(pages: Web, viewer: Viewer) -> bool:
    return pages.options.require_login and viewer.department is None


async def overview_handler(request: web.Request) -> web.StreamResponse:
    pages = request.app[WEB]
    viewer, sid = _viewer(pages, request)
    if _login_needed(pages, viewer):
        raise web.HTTPSeeOther("/dang-nhap")
    now = _today(pages)
    rows, _ = await _duties(pages, now, None)
    sources = sources_html(source_lines(pages.sources(), pages.registry.tz))
    page = overview_page(pages.registry.province.name, rows, now, pages.refresh, viewer, sources)
    return _html(page, request, sid)


async def department_handler(request: web.Request) -> web.StreamResponse:
    return await _department(request, None, 200)


def _standing(pages: Web) -> str:
    """Who issues tokens and approves explanations: the standing department in force today."""
    today = _today(pages).date()
    return pages.registry.standing_department_name_on(today) or words.STANDING_GENERIC


async def _department(
    request: web.Request, message: tuple[str, bool] | None, status: int
) -> web.StreamResponse:
    pages = request.app[WEB]
    code = request.match_info["code"]
    viewer, sid = _viewer(pages, request)
    if _login_needed(pages, viewer):
        raise web.HTTPSeeOther("/dang-nhap")
    if not pages.registry.has_department(code):
        return _html(
            "<!doctype html><html lang='vi'><meta charset='utf-8'><p>Không có đơn vị"
            f" mã {escape(code)}.</p><p><a href='/'>Tất cả đơn vị</a></p></html>",
            request,
            sid,
            404,
        )
    now = _today(pages)
    rows, excusals = await _duties(pages, now, code)
    own = _own_excusals(excusals, code, {r.system for r in rows})
    name = pages.registry.department(code).name
    page = department_page(
        pages.registry.province.name,
        code,
        name,
        rows,
        own,
        now,
        pages.refresh,
        viewer,
        _standing(pages),
        message,
    )
    return _html(page, request, sid, status)


async def day_handler(request: web.Request) -> web.StreamResponse:
    """One duty's day: why it is met, missed, excused or not required, with its records."""
    pages = request.app[WEB]
    code, system = request.match_info["code"], request.match_info["system"]
    viewer, sid = _viewer(pages, request)
    if _login_needed(pages, viewer):
        raise web.HTTPSeeOther("/dang-nhap")
    try:
        day = date.fromisoformat(request.match_info["day"])
        evidence = await asyncio.to_thread(
            day_evidence, pages.store, pages.registry, code, system, day
        )
    except (ValueError, EvidenceError):
        return _html(
            "<!doctype html><html lang='vi'><meta charset='utf-8'><p>Không có nhiệm vụ hay"
            " ngày này.</p><p><a href='/'>Tất cả đơn vị</a></p></html>",
            request,
            sid,
            404,
        )
    registry = pages.registry
    obligation = obligation_on(registry, code, system, day)
    counted = counting(evidence.by_source, registry.evidence_for(obligation)).successes
    why = words.day_why(
        str(evidence.state),
        counted,
        evidence.min_daily_successes,
        sum(c.failures for c in evidence.by_source.values()),
        day.weekday() >= 5,
        registry.in_force_on(obligation, day),
        [e.id for e in evidence.excusals if covers(e, obligation, day)],
    )
    page = day_page(
        registry.province.name,
        registry.department(code).name,
        registry.system(system).name,
        code,
        evidence,
        why,
        registry.tz,
        viewer,
    )
    return _html(page, request, sid)


# -- sign-in -------------------------------------------------------------------------


async def signin_form_handler(request: web.Request) -> web.StreamResponse:
    pages = request.app[WEB]
    viewer, sid = _viewer(pages, request)
    return _html(signin_page(pages.registry.province.name, viewer, _standing(pages)), request, sid)


async def signin_handler(request: web.Request) -> web.StreamResponse:
    pages = request.app[WEB]
    _, sid = _viewer(pages, request)
    wait = pages.signin_limits.take(request.remote or "?")
    if wait > 0:
        response = _refused(request, sid, 429, "Đăng nhập sai quá nhiều lần: vui lòng thử lại sau.")
        response.headers["Retry-After"] = retry_after(wait)
        return response
    form = await _form(pages, request)
    if form is None:
        return _refused(request, sid, 403, "Biểu mẫu đã hết hạn: vui lòng đăng nhập lại.")
    secret = form.get("token", "").strip()
    try:
        token = await asyncio.to_thread(find_token, pages.store, secret) if secret else None
    except SQLAlchemyError:
        log.exception("token look-up failed")
        return _refused(request, sid, 503, "Hệ thống tạm thời không đọc được dữ liệu: thử lại sau.")
    if token is None or token.scope != "explain" or token.department is None:
        # Logged without the token: its prefix only when one was found.
        log.warning("sign-in refused from %s", request.remote)
        return _refused(request, sid, 401, "Mã đăng nhập không đúng hoặc đã bị thu hồi.")
    return _signed_in(pages, request, token)


def _signed_in(pages: Web, request: web.Request, token: PushToken) -> web.StreamResponse:
    assert token.department is not None
    if len(pages.sessions) >= MAX_SESSIONS:
        oldest = min(pages.sessions, key=lambda k: pages.sessions[k].expires)
        del pages.sessions[oldest]
    old = _session_id(request)
    if old is not None:
        pages.sessions.pop(old, None)
    sid = secrets.token_urlsafe(32)  # a new id on sign-in: a planted cookie is worth nothing
    pages.sessions[sid] = Session(
        department=token.department,
        department_name=pages.registry.department(token.department).name,
        token_id=token.id,
        token_prefix=token.prefix,
        token_label=token.label,
        expires=pages.clock() + SESSION_SECONDS,
    )
    log.info("signed in for %s with token %s…", token.department, token.prefix)
    response = web.HTTPSeeOther(f"/don-vi/{token.department}")
    _set_cookie(response, request, sid)
    raise response


async def signout_handler(request: web.Request) -> web.StreamResponse:
    pages = request.app[WEB]
    _, sid = _viewer(pages, request)
    if await _form(pages, request) is None:
        return _refused(request, sid, 403, "Biểu mẫu không hợp lệ.")
    pages.sessions.pop(sid, None)
    response = web.HTTPSeeOther("/")
    _set_cookie(response, request, secrets.token_urlsafe(32))
    raise response


# -- explanations --------------------------------------------------------------------


def _token_active(engine: Engine, token_id: int) -> bool:
    c = push_tokens.c
    with engine.connect() as conn:
        row = conn.execute(select(c.id).where(c.id == token_id, c.revoked_us.is_(None))).first()
    return row is not None


async def explain_handler(request: web.Request) -> web.StreamResponse:
    """A department's explanation from its page: the same proposal as POST /api/v1/excusals."""
    pages = request.app[WEB]
    code = request.match_info["code"]
    _, sid = _viewer(pages, request)
    form = await _form(pages, request)
    if form is None:
        return _refused(request, sid, 403, "Biểu mẫu không hợp lệ hoặc đã hết hạn.")
    session = _session(pages, request)
    if session is None:
        return _refused(request, sid, 401, "Vui lòng đăng nhập để gửi giải trình.")
    if session.department != code:
        return _html(
            "<!doctype html><html lang='vi'><meta charset='utf-8'><p>Bạn không được gửi giải"
            " trình thay cho đơn vị khác.</p></html>",
            request,
            sid,
            403,
        )
    if not await asyncio.to_thread(_token_active, pages.store, session.token_id):
        pages.sessions.pop(sid, None)
        return _refused(request, sid, 401, "Mã đăng nhập đã bị thu hồi.")
    parsed = _parse(pages.registry, code, form)
    if isinstance(parsed, str):
        return await _department(request, (parsed, False), 400)
    system, first, last, reason = parsed
    by = f"{code} (explain token {session.token_prefix}…"
    by += f", {session.token_label})" if session.token_label else ")"
    try:
        new_id = await asyncio.to_thread(
            propose_excusal,
            pages.store,
            pages.registry,
            system=system,
            department=code,
            first=first,
            last=last,
            reason=reason,
            by=by,
            origin="api",
        )
    except SQLAlchemyError:
        log.exception("explanation not stored")
        return await _department(request, ("Chưa lưu được giải trình: thử lại sau.", False), 503)
    log.info("explanation %d proposed by %s", new_id, code)
    pages.cache.clear()  # the page shows it at once
    text = f"Đã gửi giải trình số {new_id}: chờ {_standing(pages)} duyệt."
    return await _department(request, (text, True), 201)


def _parse(
    registry: Registry, code: str, form: dict[str, str]
) -> tuple[str, date, date, str] | str:
    """The explanation's fields, or a Vietnamese sentence saying what is wrong."""
    system = form.get("system", "")
    days = []
    for key in ("first_day", "last_day"):
        try:
            days.append(date.fromisoformat(form.get(key, "")))
        except ValueError:
            return FIELD_WORDS[key]
    first, last = days
    reason = form.get("reason", "")
    problem = check_excusal(registry, system, code, first, last, reason)
    if problem is not None:
        return FIELD_WORDS.get(problem[0], problem[1])
    return system, first, last, reason


# -- the JSON status API -------------------------------------------------------------


def _json(body: Any, status: int = 200) -> web.Response:
    return web.json_response(body, status=status, dumps=lambda v: json.dumps(v, ensure_ascii=False))


async def _api_allowed(pages: Web, request: web.Request) -> bool:
    if not pages.options.require_login or _session(pages, request) is not None:
        return True
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return False
    return await asyncio.to_thread(find_token, pages.store, secret.strip()) is not None


async def status_api_handler(request: web.Request) -> web.Response:
    """GET /api/v1/status[/CODE]: the pages' figures as JSON."""
    if request.method not in ("GET", "HEAD"):
        message = f"{request.method} is not allowed here: GET only"
        answer = _json({"errors": [{"index": None, "field": None, "message": message}]}, 405)
        answer.headers["Allow"] = "GET, HEAD"
        return answer
    pages = request.app[WEB]
    if not await _api_allowed(pages, request):
        return _json(
            {"errors": [{"index": None, "field": None, "message": "sign in or send a token"}]},
            401,
        )
    code = request.match_info.get("code")
    if code is not None and not pages.registry.has_department(code):
        message = f"unknown department {code!r}"
        return _json({"errors": [{"index": None, "field": "department", "message": message}]}, 404)
    now = _today(pages)
    rows, excusals = await _duties(pages, now, code)
    body: dict[str, Any] = {
        "province": pages.registry.province.code,
        "generated_at": now.isoformat(),
        "month": str(Month.of(now.date())),
        "obligations": [r.as_json() for r in rows],
    }
    if code is not None:
        own = _own_excusals(excusals, code, {r.system for r in rows})
        body["department"] = code
        body["excusals"] = [_excusal_json(e) for e in own]
        body["days"] = {
            r.system: [{"day": d.isoformat(), "state": s} for d, s in r.strip] for r in rows
        }
    return _json(body)


# The fields the status API shows of an excusal (its OpenAPI schema's, no more).
STATUS_EXCUSAL_FIELDS = (
    "id",
    "system",
    "department",
    "first_day",
    "last_day",
    "reason",
    "state",
    "proposed_by",
)


def _excusal_json(e: Excusal) -> dict[str, Any]:
    full = e.as_json()
    return {k: full[k] for k in STATUS_EXCUSAL_FIELDS}
