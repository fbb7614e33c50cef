"""The OpenAPI fragment of `GET /api/v1/status[/CODE]` (served by api.status): the status
pages' figures as JSON, for the departments' own tools and the province portal."""

from __future__ import annotations

from typing import Any

from api.status import STATUS_EXCUSAL_FIELDS
from registry import Registry

_TIME = {"type": ["string", "null"], "format": "date-time"}
_DAY_STATES = ["met", "probe_only", "missed", "excused", "not_required", "after_as_of", "open"]

OBLIGATION_STATUS: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": [
        "department",
        "department_name",
        "system",
        "system_name",
        "kind",
        "today",
        "today_text",
        "successes_today",
        "failures_today",
        "last_success",
        "last_failure",
        "probe",
        "probe_text",
        "probe_at",
        "retry_at",
        "ratio",
        "target_ratio",
        "missable_days",
        "at_risk",
        "missed_streak",
        "excused_days",
    ],
    "properties": {
        "department": {"type": "string"},
        "department_name": {"type": "string"},
        "system": {"type": "string"},
        "system_name": {"type": "string"},
        "kind": {"type": "string", "enum": ["maintain", "connect"]},
        "today": {
            "type": "string",
            "enum": [
                "met",
                "failing",
                "waiting",
                "excused",
                "not_required",
                "connected",
                "not_connected",
            ],
            "description": "Today from the records of every source (the counting ones for met).",
        },
        "today_text": {"type": "string", "description": "The same, in Vietnamese."},
        "successes_today": {"type": "integer", "minimum": 0},
        "failures_today": {"type": "integer", "minimum": 0},
        "last_success": _TIME,
        "last_failure": {
            "type": ["object", "null"],
            "additionalProperties": False,
            "required": ["at", "source", "reason_code", "reason"],
            "properties": {
                "at": {"type": "string", "format": "date-time"},
                "source": {"type": "string"},
                "reason_code": {
                    "type": ["string", "null"],
                    "description": "A probe failure's code; null for a detail written elsewhere.",
                },
                "reason": {"type": "string", "description": "In Vietnamese."},
            },
        },
        "probe": {"type": "string", "enum": ["up", "down", "waiting", "passive", "paused"]},
        "probe_text": {"type": "string"},
        "probe_at": _TIME,
        "retry_at": {**_TIME, "description": "Circuit open: when probes try again."},
        "ratio": {"type": ["number", "null"], "description": "Month to date."},
        "target_ratio": {"type": "number"},
        "missable_days": {
            "type": ["integer", "null"],
            "minimum": -1,
            "description": "More required days that may be missed this month (-1: the target is"
            " out of reach); null for a connect duty.",
        },
        "at_risk": {"type": "boolean"},
        "missed_streak": {"type": "integer", "minimum": 0},
        "excused_days": {"type": "integer", "minimum": 0},
    },
}

STATUS_DOCUMENT: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["province", "generated_at", "month", "obligations"],
    "properties": {
        "province": {"type": "string"},
        "generated_at": {"type": "string", "format": "date-time"},
        "month": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"},
        "obligations": {
            "type": "array",
            "items": {"$ref": "#/components/schemas/ObligationStatus"},
        },
        "department": {"type": "string"},
        "excusals": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": list(STATUS_EXCUSAL_FIELDS),
                "properties": {
                    "id": {"type": "integer"},
                    "system": {"type": "string"},
                    "department": {"type": ["string", "null"]},
                    "first_day": {"type": "string", "format": "date"},
                    "last_day": {"type": "string", "format": "date"},
                    "reason": {"type": "string"},
                    "state": {
                        "type": "string",
                        "enum": ["proposed", "approved", "rejected", "withdrawn"],
                    },
                    "proposed_by": {"type": "string"},
                },
            },
        },
        "days": {
            "type": "object",
            "description": "Per system, the month's days and their state.",
            "additionalProperties": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["day", "state"],
                    "properties": {
                        "day": {"type": "string", "format": "date"},
                        "state": {"type": "string", "enum": _DAY_STATES},
                    },
                },
            },
        },
    },
}


def status_openapi(registry: Registry) -> tuple[dict[str, Any], dict[str, Any]]:
    """The status API's OpenAPI fragment: (its paths, its component schemas)."""
    ok = {
        "description": "The figures of every duty in force today (of one department).",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Status"}}},
    }
    refused = {
        "description": "With `[web] require_login`: no signed-in session and no valid token.",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    unknown = {
        "description": "No department with this code in the registry.",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    note = (
        "Open to read by default; with `[web] require_login` it needs a signed-in session or"
        " a bearer token of any scope."
    )
    paths = {
        "/api/v1/status": {
            "get": {
                "operationId": "status",
                "summary": "Every duty's standing today, as the overview shows it",
                "description": note,
                "security": [],
                "responses": {"200": ok, "401": refused},
            }
        },
        "/api/v1/status/{code}": {
            "get": {
                "operationId": "departmentStatus",
                "summary": "One department's duties, month days and explanations",
                "description": note,
                "security": [],
                "parameters": [
                    {
                        "name": "code",
                        "in": "path",
                        "required": True,
                        "schema": {
                            "type": "string",
                            "examples": sorted(d.code for d in registry.departments)[:3],
                        },
                    }
                ],
                "responses": {"200": ok, "401": refused, "404": unknown},
            }
        },
    }
    return paths, {"Status": STATUS_DOCUMENT, "ObligationStatus": OBLIGATION_STATUS}
