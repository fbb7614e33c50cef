"""The API's OpenAPI 3.1 document, exactly what the `api` package's handlers do.

Written out by hand rather than derived, so that every status, header and
limit it states can be read against the handler; a Schemathesis test checks
the served API against it.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from api.excusals import NO_CONTROL, excusal_openapi
from api.push import MAX_BODY, MAX_RECORDS
from api.status_openapi import status_openapi
from registry import Registry
from registry.model import PLATFORMS

DOCUMENT = web.AppKey("openapi", bytes)

TS_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$"


def _record(registry: Registry) -> dict[str, Any]:
    return {
        "type": "object",
        "description": "One transaction, as the contract pins it.",
        "additionalProperties": False,
        "required": ["department", "system", "ts", "outcome"],
        "properties": {
            "department": {
                "type": "string",
                "enum": sorted(d.code for d in registry.departments),
                "description": "Department code in the registry; a department token may only"
                " send its own (403 otherwise).",
            },
            "system": {
                "type": "string",
                "enum": sorted(s.code for s in registry.systems),
                "description": "National system code; (department, system) must be an"
                " obligation in the registry (400 otherwise).",
            },
            "ts": {
                "type": "string",
                "format": "date-time",
                "pattern": TS_PATTERN,
                "description": "RFC 3339 with an offset, e.g. 2026-10-05T09:12:00+07:00; not more"
                " than an hour ahead of the server's clock.",
            },
            "outcome": {"type": "string", "enum": ["success", "failure"]},
            "latency_ms": {"type": ["number", "null"], "minimum": 0},
            "id": {
                "type": ["string", "null"],
                "minLength": 1,
                "maxLength": 128,
                "pattern": "^[^\\u0000]*$",
                "description": "Idempotency key: a record whose id is already stored for its"
                " department counts as a duplicate.",
            },
            "source": {
                "type": ["string", "null"],
                "enum": ["probe", "push", "gateway", "import", None],
                "description": "Default: push.",
            },
            "detail": {"type": ["string", "null"], "maxLength": 1000, "pattern": NO_CONTROL},
            "platform": {
                "type": ["string", "null"],
                "enum": [*PLATFORMS, None],
                "description": "The data-sharing platform that carried the exchange (contract"
                " 1.2; Nghị định 278/2025/NĐ-CP requires NDOP by 2026-12-31).",
            },
        },
    }


ERROR = {
    "type": "object",
    "additionalProperties": False,
    "required": ["errors"],
    "properties": {
        "errors": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["index", "field", "message"],
                "properties": {
                    "index": {
                        "type": ["integer", "null"],
                        "minimum": 0,
                        "description": "The record's position in the array (0 for a single"
                        " record); null when the error is about the whole request.",
                    },
                    "field": {"type": ["string", "null"]},
                    "message": {"type": "string"},
                },
            },
        }
    },
}

ACCEPTED = {
    "type": "object",
    "additionalProperties": False,
    "required": ["accepted", "duplicates"],
    "properties": {
        "accepted": {"type": "integer", "minimum": 0, "description": "records newly stored"},
        "duplicates": {
            "type": "integer",
            "minimum": 0,
            "description": "records whose id was already stored (or repeated in the batch)",
        },
    },
}

SECONDS = {"type": "string", "pattern": "^[1-9][0-9]*$"}


def _error(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    if headers:
        answer["headers"] = headers
    return answer


def openapi_document(registry: Registry) -> dict[str, Any]:
    """The OpenAPI 3.1 document served at /api/v1/openapi.json."""
    retry = {"Retry-After": {"required": True, "schema": SECONDS, "description": "seconds"}}
    challenge = {"WWW-Authenticate": {"required": True, "schema": {"type": "string"}}}
    excusal_paths, excusal_schemas = excusal_openapi(registry)
    status_paths, status_schemas = status_openapi(registry)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "lienthong push API",
            "version": "1",
            "description": "Departments (and the provincial gateway) push the transactions"
            f" they make with national systems ({registry.province.name}).",
        },
        "paths": {
            "/api/v1/transactions": {
                "post": {
                    "operationId": "pushTransactions",
                    "summary": "Store one record or a batch of up to 10,000, atomically",
                    "security": [{"bearerToken": []}],
                    "requestBody": {
                        "required": True,
                        "description": f"At most {MAX_BODY:,} bytes.",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "oneOf": [
                                        {"$ref": "#/components/schemas/TransactionRecord"},
                                        {
                                            "type": "array",
                                            "maxItems": MAX_RECORDS,
                                            "items": {
                                                "$ref": "#/components/schemas/TransactionRecord"
                                            },
                                        },
                                    ]
                                }
                            }
                        },
                    },
                    "responses": {
                        "202": {
                            "description": "Committed to the store (and only then answered).",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Accepted"}
                                }
                            },
                        },
                        "400": _error(
                            "Malformed JSON, a body that does not decode, more than 10,000"
                            " records, or invalid records: the bad indices and fields are listed"
                            " (the first 100 errors, then one with index null counting the"
                            " rest), and nothing of the batch is stored."
                        ),
                        "401": _error("No token, or an unknown or revoked one.", challenge),
                        "403": _error(
                            "Records of another department than the token's, or of a source the"
                            " token may not send (a department's token: push; the gateway"
                            " token: push and gateway): their indices are listed; or a token"
                            " whose scope is not push. Nothing is stored."
                        ),
                        "408": _error("The body did not arrive in time; nothing is stored."),
                        "413": _error(f"A body over {MAX_BODY:,} bytes; nothing is stored."),
                        "415": _error("The body is not application/json (UTF-8)."),
                        "429": _error("Too many requests with this token.", retry),
                        "503": _error(
                            "Not stored (the store failed or did not commit in time, too much"
                            " is waiting for it, or the server is stopping): send the same"
                            " batch again.",
                            retry,
                        ),
                    },
                }
            },
            **excusal_paths,
            **status_paths,
            "/api/v1/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This document",
                    "security": [],
                    "responses": {
                        "200": {
                            "description": "The OpenAPI 3.1 document of this API.",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        }
                    },
                }
            },
        },
        "components": {
            "securitySchemes": {
                "bearerToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A token from `lienthong tokens issue`.",
                }
            },
            "schemas": {
                "TransactionRecord": _record(registry),
                "Accepted": ACCEPTED,
                "Error": ERROR,
                **excusal_schemas,
                **status_schemas,
            },
        },
    }


def add_openapi(v1: web.Application, registry: Registry) -> None:
    """Serve the document at /api/v1/openapi.json, rendered once."""
    v1[DOCUMENT] = json.dumps(openapi_document(registry), ensure_ascii=False, indent=1).encode()
    v1.router.add_get("/openapi.json", openapi_handler)


async def openapi_handler(request: web.Request) -> web.Response:
    return web.Response(body=request.app[DOCUMENT], content_type="application/json")
