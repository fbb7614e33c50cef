"""The people's side of the service: the overview, the department pages, sign-in with a
department's `explain` token, explanations filed from the page, and the figures the JSON
status API (`api.status`) serves. Pages are rendered from templates (exporter/status_page.py)
in the service's language; a form that changes something answers with a redirect to a page
(POST-redirect-GET), and a wrong address or method gets a page in that language, not the
router's English.

Sessions are server-side (a random id in an HttpOnly, SameSite=Strict cookie, Secure when
the request came over TLS); a signed-in session holds only the department and the token's
id, never the token. Every form carries a CSRF token derived from the session id with a
per-process key, checked on every POST. Sign-in attempts are rate-limited per client
address. With `[web] require_login`, the pages and the status API need signing in (the
API: a bearer token).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Annotated, Any

import aiohttp_jinja2
from aiohttp import web
from pydantic import AfterValidator, ConfigDict, with_config
from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError

from api.excusals import propose_with_token
from api.rate_limit import RateLimit, retry_after
from api.status import StatusApi, StatusFigures
from api.tokens import TokenCache
from compliance.day_evidence import EvidenceError, day_evidence, obligation_on
from compliance.rules import counting, covers
from exporter import words
from exporter.duties import DutyStatus, duty_statuses, read_view
from exporter.proxies import parse_networks
from exporter.source_lines import source_lines
from exporter.status_page import (
    Contact,
    DayView,
    Message,
    Viewer,
    day_context,
    department_context,
    error_context,
    overview_context,
    setup_templates,
    signin_context,
)
from i18n import N_, Lang, _, current_lang, use_lang
from intake.sources.common import SourceStatus
from probes.health import ProbeHealth
from registry import Registry
from store.counts import first_record_days
from store.excusals import Excusal, check_excusal
from store.schema import push_tokens
from store.text import control_at
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
    "system": N_("The system is not one of the department's duties."),
    "department": N_("The department has no duty towards this system."),
    "first_day": N_("The first day is not a date written dd/mm/yyyy."),
    "last_day": N_("The last day is not a date written dd/mm/yyyy, or is before the first."),
    "reason": N_("The reason is empty or longer than 2,000 characters."),
}
# A day in the explanation form: day first, as Vietnamese offices write it (an ISO date, as
# older forms and scripts sent, is read too).
DAY_FIRST = re.compile(r"\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\s*")


def _networks(entries: tuple[str, ...]) -> tuple[str, ...]:
    parse_networks(entries)  # its ValueError names the bad entry
    return entries


@with_config(ConfigDict(extra="forbid"))
@dataclass(frozen=True)
class WebOptions:
    """Who may read the pages, declared once: also the `[web]` config table."""

    require_login: bool = False  # on a province intranet the pages are open to read
    # Addresses or networks of the reverse proxies whose X-Forwarded-For and
    # X-Forwarded-Proto are believed (client address, sign-in limit, Secure cookie).
    trusted_proxies: Annotated[tuple[str, ...], AfterValidator(_networks)] = ()


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
    lang: Lang = field(default_factory=current_lang)  # the pages' language: the service's
    tokens: TokenCache | None = None  # the API's: which tokens are active
    sources: Callable[[], Sequence[SourceStatus]] = lambda: ()  # those running in `serve`


WEB = web.AppKey("web", Web)


def add_pages(app: web.Application, pages: Web) -> None:
    app[WEB] = pages
    setup_templates(app)
    app.middlewares.append(page_language_and_errors)
    app.router.add_get("/", overview_handler)
    app.router.add_get("/don-vi/{code}", department_handler)
    app.router.add_post("/don-vi/{code}/giai-trinh", explain_handler)
    # The form's address opened again (a bookmark, the history): its page, not a 405.
    app.router.add_get("/don-vi/{code}/giai-trinh", explain_form_handler)
    app.router.add_get("/don-vi/{code}/{system}/{day:[0-9]{4}-[0-9]{2}-[0-9]{2}}", day_handler)
    app.router.add_get("/dang-nhap", signin_form_handler)
    app.router.add_post("/dang-nhap", signin_handler)
    app.router.add_post("/dang-xuat", signout_handler)


# -- language and error pages --------------------------------------------------------

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# Where programs, not people, read the answers: their errors stay as they are (JSON, text).
MACHINE_PATHS = ("/api/", "/metrics", "/healthz")


@web.middleware
async def page_language_and_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Each request in the pages' language; a 404 or 405 of a page is a page in it."""
    pages = request.app[WEB]
    with use_lang(pages.lang):
        try:
            return await handler(request)
        except web.HTTPException as e:
            machine = request.path == "/api" or request.path.startswith(MACHINE_PATHS)
            if e.status not in (404, 405) or machine:
                raise
            allowed = e.headers.get("Allow") if e.status == 405 else None
            response = _render(request, "error.html", error_context(e.status, None, allowed))
            response.set_status(e.status)
            if allowed:
                response.headers["Allow"] = allowed
            return response


def _render(
    request: web.Request, template: str, context: dict[str, Any], status: int = 200
) -> web.Response:
    response = aiohttp_jinja2.render_template(template, request, context, status=status)
    response.headers["Cache-Control"] = "no-store"
    # CSP, framing, sniffing and referrer headers: the app's middleware, on every answer.
    return response


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
    # A revoked token ends its sessions at the token cache's next refresh, for every
    # request (reads too), not only when the session next posts.
    if found is not None and pages.tokens is not None and not pages.tokens.active(found.token_id):
        log.info(N_("session of %s ended: token %s… revoked"), found.department, found.token_prefix)
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


def _html(
    request: web.Request, sid: str, template: str, context: dict[str, Any], status: int = 200
) -> web.Response:
    response = _render(request, template, context, status)
    if _session_id(request) != sid:
        _set_cookie(response, request, sid)
    return response


def _not_found(request: web.Request, sid: str, what: str) -> web.Response:
    return _html(request, sid, "error.html", error_context(404, what), 404)


def _refused(request: web.Request, sid: str, status: int, text: str) -> web.Response:
    pages = request.app[WEB]
    viewer = Viewer(_csrf(pages, sid))
    return _html(request, sid, "signin.html", _signin(pages, viewer, text), status)


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
    rows, _excusals = await _duties(pages, now, None)
    labels = {s.code: s.label for s in pages.registry.systems}
    sources = source_lines(pages.sources(), pages.registry.tz)
    context = overview_context(
        pages.registry.province.name, rows, now, pages.refresh, viewer, labels, sources
    )
    return _html(request, sid, "overview.html", context)


# The query a redirect after an explanation adds: the page says it was received.
SENT = "da-gui"


async def department_handler(request: web.Request) -> web.StreamResponse:
    return await _department(request, None, 200)


def _standing(pages: Web) -> str:
    """Who issues tokens and approves explanations: the standing department in force today."""
    today = _today(pages).date()
    return pages.registry.standing_department_name_on(today) or _(words.STANDING_GENERIC)


def _signin(pages: Web, viewer: Viewer, error: str | None = None) -> dict[str, Any]:
    """The sign-in page's figures: whom to ask for a code is the standing department's contacts."""
    registry = pages.registry
    code = registry.standing_department_on(_today(pages).date())
    contacts = []
    if code is not None and registry.has_department(code):
        contacts = [Contact(c.name, c.email) for c in registry.department(code).contacts if c.email]
    return signin_context(registry.province.name, viewer, _standing(pages), contacts, error)


def _sent_message(pages: Web, request: web.Request, own: list[Excusal]) -> Message | None:
    """After the redirect that follows an explanation: which one was received, when it is
    this department's (a number in the address alone says nothing)."""
    number = request.query.get(SENT, "")
    if not number.isdigit() or not any(e.id == int(number) for e in own):
        return None
    text = _("Explanation {id} sent: awaiting approval by {standing}.")
    return Message(text.format(id=number, standing=_standing(pages)), True)


async def _department(
    request: web.Request,
    message: Message | None,
    status: int,
    form: dict[str, str] | None = None,
) -> web.StreamResponse:
    pages = request.app[WEB]
    code = request.match_info["code"]
    viewer, sid = _viewer(pages, request)
    if _login_needed(pages, viewer):
        raise web.HTTPSeeOther("/dang-nhap")
    if not pages.registry.has_department(code):
        return _not_found(request, sid, _("There is no department {code}.").format(code=code))
    now = _today(pages)
    rows, excusals = await _duties(pages, now, code)
    own = _own_excusals(excusals, code, {r.system for r in rows})
    name = pages.registry.department(code).name
    context = department_context(
        pages.registry.province.name,
        code,
        name,
        rows,
        own,
        now,
        pages.refresh,
        viewer,
        _standing(pages),
        message or _sent_message(pages, request, own),
        form,
    )
    return _html(request, sid, "department.html", context, status)


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
        first = await asyncio.to_thread(_first_record, pages.store, code, system)
    except (ValueError, EvidenceError):
        return _not_found(request, sid, _("There is no such duty or day."))
    registry = pages.registry
    obligation = obligation_on(registry, code, system, day)
    state = page_day_state(str(evidence.state), day, _today(pages).date())
    before = state in ("missed", "open") and (first is None or day < first)
    if before and state == "missed":
        state = "before_records"  # nothing is known of the day: nothing is said against it
    counted = counting(evidence.by_source, registry.evidence_for(obligation)).successes
    why = words.day_why(
        state,
        counted,
        evidence.min_daily_successes,
        sum(c.failures for c in evidence.by_source.values()),
        day.weekday() >= 5,
        registry.in_force_on(obligation, day),
        [e.id for e in evidence.excusals if covers(e, obligation, day)],
    )
    context = day_context(
        registry.province.name,
        registry.department(code).name,
        registry.system(system).name,
        code,
        evidence,
        DayView(state, why, first, before),
        registry.tz,
        viewer,
    )
    return _html(request, sid, "day.html", context)


def page_day_state(state: str, day: date, today: date) -> str:
    """A day as the page names it on `today`: a day not yet over is never missed. Today
    without its successes yet is `open`; a day to come is not yet due (`after_as_of`)."""
    if state != "missed":
        return state
    if day == today:
        return "open"
    return "after_as_of" if day > today else state


def _first_record(engine: Engine, code: str, system: str) -> date | None:
    """The first day lienthong held any record of the pair (None: none yet)."""
    with engine.connect() as conn:
        return first_record_days(conn, [(code, system)]).get((code, system))


# -- sign-in -------------------------------------------------------------------------


async def signin_form_handler(request: web.Request) -> web.StreamResponse:
    pages = request.app[WEB]
    viewer, sid = _viewer(pages, request)
    return _html(request, sid, "signin.html", _signin(pages, viewer))


async def signin_handler(request: web.Request) -> web.StreamResponse:
    pages = request.app[WEB]
    _who, sid = _viewer(pages, request)
    wait = pages.signin_limits.take(request.remote or "?")
    if wait > 0:
        response = _refused(request, sid, 429, _("Too many failed sign-ins: try again later."))
        response.headers["Retry-After"] = retry_after(wait)
        return response
    form = await _form(pages, request)
    if form is None:
        return _refused(request, sid, 403, _("The form has expired: please sign in again."))
    secret = form.get("token", "").strip()
    try:
        token = await asyncio.to_thread(find_token, pages.store, secret) if secret else None
    except SQLAlchemyError:
        log.exception(N_("token look-up failed"))
        return _refused(request, sid, 503, _("The data cannot be read just now: try again later."))
    if token is None or token.scope != "explain" or token.department is None:
        # Logged without the token: its prefix only when one was found.
        log.warning(N_("sign-in refused from %s"), request.remote)
        return _refused(request, sid, 401, _("The sign-in code is wrong or has been revoked."))
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
    if pages.tokens is not None:
        pages.tokens.remember(token)  # issued since the cache's last refresh, maybe
    pages.sessions[sid] = Session(
        department=token.department,
        department_name=pages.registry.department(token.department).name,
        token_id=token.id,
        token_prefix=token.prefix,
        token_label=token.label,
        expires=pages.clock() + SESSION_SECONDS,
    )
    log.info(N_("signed in for %s with token %s…"), token.department, token.prefix)
    response = web.HTTPSeeOther(f"/don-vi/{token.department}")
    _set_cookie(response, request, sid)
    raise response


async def signout_handler(request: web.Request) -> web.StreamResponse:
    pages = request.app[WEB]
    _who, sid = _viewer(pages, request)
    if await _form(pages, request) is None:
        return _refused(request, sid, 403, _("The form is not valid."))
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


async def explain_form_handler(request: web.Request) -> web.StreamResponse:
    """GET of the form's address: the department's page, where the form is."""
    raise web.HTTPSeeOther(f"/don-vi/{request.match_info['code']}#giai-trinh")


async def explain_handler(request: web.Request) -> web.StreamResponse:
    """A department's explanation from its page: the same proposal as POST /api/v1/excusals.
    Received, it answers with a redirect to the department's page saying so (F5 there
    sends nothing again); refused, with the page and the form as sent, and what is wrong."""
    pages = request.app[WEB]
    code = request.match_info["code"]
    _who, sid = _viewer(pages, request)
    form = await _form(pages, request)
    if form is None:
        return _refused(request, sid, 403, _("The form is not valid or has expired."))
    session = _session(pages, request)
    if session is None:
        return _refused(request, sid, 401, _("Please sign in to send an explanation."))
    if session.department != code:
        text = _("You may not send an explanation for another department.")
        return _html(request, sid, "error.html", error_context(403, text), 403)
    if not await asyncio.to_thread(_token_active, pages.store, session.token_id):
        pages.sessions.pop(sid, None)
        return _refused(request, sid, 401, _("The sign-in code has been revoked."))
    today = _today(pages).date()
    parsed = _parse(pages.registry, code, form, today)
    if isinstance(parsed, str):
        return await _department(request, Message(parsed, False), 400, form)
    system, first, last, reason = parsed
    try:
        new_id = await propose_with_token(
            pages.store,
            pages.registry,
            system=system,
            department=code,
            first=first,
            last=last,
            reason=reason,
            author=f"{code} (explain token {session.token_prefix}…",
            label=session.token_label,
            today=today,
        )
    except SQLAlchemyError:
        log.exception(N_("explanation not stored"))
        text = _("The explanation could not be stored: try again later.")
        return await _department(request, Message(text, False), 503, form)
    log.info(N_("explanation %d proposed by %s"), new_id, code)
    pages.cache.clear()  # the page shows it at once
    raise web.HTTPSeeOther(f"/don-vi/{code}?{SENT}={new_id}")


def parse_day(text: str) -> date:
    """A day written dd/mm/yyyy (or d/m/yyyy, with . or - between), or an ISO date."""
    m = DAY_FIRST.fullmatch(text)
    if m is None:
        return date.fromisoformat(text.strip())
    return date(int(m[3]), int(m[2]), int(m[1]))


def _parse(
    registry: Registry, code: str, form: dict[str, str], today: date
) -> tuple[str, date, date, str] | str:
    """The explanation's fields, or a sentence saying what is wrong (the page's language)."""
    system = form.get("system", "")
    days = []
    for key in ("first_day", "last_day"):
        try:
            days.append(parse_day(form.get(key, "")))
        except ValueError:
            return _(FIELD_WORDS[key])
    first, last = days
    reason = form.get("reason", "")
    at = control_at(reason)
    if at is not None:
        return _(
            "The reason holds a control character (U+{code:04X}, character {at}): remove it."
        ).format(code=ord(reason[at]), at=at + 1)
    problem = check_excusal(registry, system, code, first, last, reason, today)
    if problem is not None:
        return _(FIELD_WORDS[problem[0]]) if problem[0] in FIELD_WORDS else problem[1]
    return system, first, last, reason


# -- the JSON status API's figures --------------------------------------------------


def status_api(pages: Web) -> StatusApi:
    """What `api.status` serves: the pages' figures, and whether a request is signed in."""

    async def figures(code: str | None) -> StatusFigures:
        now = _today(pages)
        rows, excusals = await _duties(pages, now, code)
        own = _own_excusals(excusals, code, {r.system for r in rows}) if code else []
        days = {r.system: [(d.isoformat(), s) for d, s in r.strip] for r in rows}
        return StatusFigures(now, [r.as_json() for r in rows], own, days if code else {})

    return StatusApi(
        registry=pages.registry,
        figures=figures,
        signed_in=lambda request: _session(pages, request) is not None,
        require_login=pages.options.require_login,
    )
