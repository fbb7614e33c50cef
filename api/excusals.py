"""`POST /api/v1/excusals`: a department's own explanation (giải trình) for missed days.

With its push token a department proposes an excusal for itself: `{"system",
"first_day", "last_day", "reason"}` (`department` optional, and only its own).
It is stored `proposed`; only a person approving it with `lienthong excuse
approve` makes it change a figure. Checked in the push API's order: token
(401), scope (403: `push` or `explain`), rate (429), content type (415), size
(413), JSON (400), department (403), fields (400); then `201 {"id": N}` once it
is committed.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from aiohttp import web
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from api.errors import dumps as _dumps
from api.tokens import admit
from i18n import use_lang
from registry import Registry
from store.excusals import MAX_REASON, check_excusal, history_begins, propose_excusal
from store.tokens import EXPLAIN, PUSH

PATH = "/excusals"  # within the /api/v1 sub-application
EXCUSALS = "/api/v1" + PATH
MAX_EXCUSAL_BODY = 64_000
FIELDS = ("system", "department", "first_day", "last_day", "reason")
DAY_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
# Text a person writes holds no control character but tab and line ends (store.text).
NO_CONTROL = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f]*$"
# A department explains with its push token (the contract) or its explain token.
SCOPES = (PUSH, EXPLAIN)


@dataclass(frozen=True)
class Excusals:
    registry: Registry
    store: Engine
    clock: Callable[[], float]

    def today(self) -> date:
        """The registry's local day: no excusal starts after it."""
        return datetime.fromtimestamp(self.clock(), self.registry.tz).date()


EXCUSALS_KEY = web.AppKey("excusals", Excusals)


def add_excusals(
    app: web.Application, registry: Registry, store: Engine, clock: Callable[[], float]
) -> None:
    """Mount the handler on the /api/v1 sub-application (whose gate checks tokens)."""
    app[EXCUSALS_KEY] = Excusals(registry, store, clock)
    app.router.add_post(PATH, excusal_handler)


def _error(status: int, message: str, field: str | None = None, **kw: Any) -> web.Response:
    index = 0 if field is not None else None
    body = {"errors": [{"index": index, "field": field, "message": message}]}
    return web.json_response(body, status=status, dumps=_dumps, **kw)


async def excusal_handler(request: web.Request) -> web.Response:
    api = request.app[EXCUSALS_KEY]
    token = await admit(request, SCOPES, "propose excusals")
    if isinstance(token, web.Response):
        return token
    if request.content_type != "application/json" or (
        request.charset is not None and request.charset.lower() not in ("utf-8", "utf8")
    ):
        return _error(415, "the body must be JSON: Content-Type: application/json (UTF-8)")
    body = await _read_body(request)
    if body is None:
        return _error(413, f"the body is larger than {MAX_EXCUSAL_BODY:,} bytes")
    try:
        data = json.loads(body.decode("utf-8"), parse_constant=_not_json)
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        return _error(400, f"not valid JSON: {e}")
    if not isinstance(data, dict):
        return _error(400, "the body must be one JSON object")
    department = data.get("department")
    if token.department is not None and department not in (None, token.department):
        return _error(403, f"this token proposes excusals of {token.department} only", "department")
    today = api.today()
    parsed = parse_excusal(data, api.registry, token.department, today)
    if isinstance(parsed, web.Response):
        return parsed
    system, department, first, last, reason = parsed
    try:
        new_id = await propose_with_token(
            api.store,
            api.registry,
            system=system,
            department=department,
            first=first,
            last=last,
            reason=reason,
            author=f"{department or 'all departments'} (push token {token.prefix}…",
            label=token.label,
            today=today,
        )
    except SQLAlchemyError:
        return _error(
            503, "not stored (the store failed): send it again", headers={"Retry-After": "1"}
        )
    return web.json_response({"id": new_id}, status=201)


async def propose_with_token(
    store: Engine,
    registry: Registry,
    *,
    system: str,
    department: str | None,
    first: date,
    last: date,
    reason: str,
    author: str,
    label: str | None,
    today: date,
) -> int:
    """Store a proposal sent with a token (the push API's, or a department's sign-in on its
    page), off the event loop; its author is `author` and the token's label, if any."""
    by = f"{author}, {label})" if label else f"{author})"
    return await asyncio.to_thread(
        propose_excusal,
        store,
        registry,
        system=system,
        department=department,
        first=first,
        last=last,
        reason=reason,
        by=by,
        origin="api",
        today=today,
    )


async def _read_body(request: web.Request) -> bytes | None:
    """The whole body, or None once it is over MAX_EXCUSAL_BODY."""
    if request.content_length is not None and request.content_length > MAX_EXCUSAL_BODY:
        return None
    chunks, size = [], 0
    while chunk := await request.content.readany():
        size += len(chunk)
        if size > MAX_EXCUSAL_BODY:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _not_json(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def parse_excusal(
    data: dict[str, Any], registry: Registry, own: str | None, today: date
) -> tuple[str, str | None, date, date, str] | web.Response:
    """The excusal's fields, or the 400 naming the first bad one."""
    for key in data:
        if key not in FIELDS:
            return _error(400, f"unknown field {key!r}", str(key))
    for key in ("system", "first_day", "last_day", "reason"):
        if not isinstance(data.get(key), str):
            return _error(400, "required, a string", key)
    department = data.get("department")
    if department is not None and not isinstance(department, str):
        return _error(400, "a department code (a string) or null", "department")
    days = []
    for key in ("first_day", "last_day"):
        try:
            days.append(date.fromisoformat(data[key]))
        except ValueError:
            return _error(400, f"{data[key]!r} is not a date YYYY-MM-DD", key)
        if len(data[key]) != 10:
            return _error(400, f"{data[key]!r} is not a date YYYY-MM-DD", key)
    first, last = days
    reason: str = data["reason"]
    department = department or own
    with use_lang("en"):  # the API's answers are read by programs (contract 1.2)
        problem = check_excusal(registry, data["system"], department, first, last, reason, today)
    if problem is not None:
        field, message = problem
        return _error(400, message, field)
    return data["system"], department, first, last, reason


def _example(registry: Registry) -> dict[str, Any]:
    """A proposal valid on any day: the first day of a system's duties (never after today,
    never before their history), when the registry dates it."""
    for system in sorted(s.code for s in registry.systems):
        begins = history_begins(registry, system, None)
        if begins is not None:
            day = begins.isoformat()
            example = {"system": system, "first_day": day, "last_day": day}
            return {"example": {**example, "reason": "Mất điện tại phòng máy chủ"}}
    return {}


def excusal_openapi(registry: Registry) -> tuple[dict[str, Any], dict[str, Any]]:
    """This endpoint's OpenAPI fragment: (its paths, its component schemas)."""

    def answer(description: str) -> dict[str, Any]:
        return {
            "description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }

    retry = {
        "Retry-After": {
            "required": True,
            "schema": {"type": "string", "pattern": "^[1-9][0-9]*$"},
        }
    }
    proposal = {
        "type": "object",
        "description": "A department's explanation of missed days: stored as proposed; a person"
        " approves it with `lienthong excuse approve`.",
        "additionalProperties": False,
        "required": ["system", "first_day", "last_day", "reason"],
        "properties": {
            "system": {"type": "string", "enum": sorted(s.code for s in registry.systems)},
            "department": {
                "type": ["string", "null"],
                "enum": [*sorted(d.code for d in registry.departments), None],
                "description": "Default: the token's department; a department token may only"
                " name its own (403 otherwise).",
            },
            "first_day": {
                "type": "string",
                "format": "date",
                "pattern": DAY_PATTERN,
                "description": "Not after today, nor before the history of the duties it"
                " concerns (400).",
            },
            "last_day": {
                "type": "string",
                "format": "date",
                "pattern": DAY_PATTERN,
                "description": "Inclusive; not before first_day.",
            },
            "reason": {
                "type": "string",
                "minLength": 1,
                "maxLength": MAX_REASON,
                "pattern": NO_CONTROL,
            },
        },
    }
    created = {
        "type": "object",
        "additionalProperties": False,
        "required": ["id"],
        "properties": {"id": {"type": "integer", "minimum": 1}},
    }
    paths = {
        EXCUSALS: {
            "post": {
                "operationId": "proposeExcusal",
                "summary": "Propose an excusal of missed days (a department's explanation)",
                "security": [{"bearerToken": []}],
                "requestBody": {
                    "required": True,
                    "description": f"At most {MAX_EXCUSAL_BODY:,} bytes.",
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/ExcusalProposal"},
                            **_example(registry),
                        }
                    },
                },
                "responses": {
                    "201": {
                        "description": "Stored as proposed.",
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/ExcusalCreated"}
                            }
                        },
                    },
                    "400": answer(
                        "Malformed JSON, an unknown field or code, a department without an"
                        " obligation towards the system, last_day before first_day, first_day"
                        " after today or before the duty's history, a control character in"
                        " the reason."
                    ),
                    "401": {
                        **answer("No token, or an unknown or revoked one."),
                        "headers": {
                            "WWW-Authenticate": {"required": True, "schema": {"type": "string"}}
                        },
                    },
                    "403": answer(
                        "Another department than the token's, or a token whose scope is"
                        " neither push nor explain."
                    ),
                    "413": answer(f"A body over {MAX_EXCUSAL_BODY:,} bytes."),
                    "415": answer("The body is not application/json (UTF-8)."),
                    "429": {**answer("Too many requests with this token."), "headers": retry},
                    "503": {**answer("Not stored: send it again."), "headers": retry},
                },
            }
        }
    }
    return paths, {"ExcusalProposal": proposal, "ExcusalCreated": created}
