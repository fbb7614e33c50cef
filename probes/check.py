"""Whether an answer counts as a success: its status and the conditions on its JSON body.

These APIs often answer 200 with an error code in the body, so a probe may
require values at dotted paths of the JSON (`expect_json: {error_code: 0}`).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from typing import Any

_MISSING = object()


def json_value(document: Any, path: str) -> Any:
    """The value at a dotted path (`data.items.0.id`), or a marker when it is absent."""
    node = document
    for part in path.split("."):
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return _MISSING
    return node


def same_value(actual: Any, expected: Any) -> bool:
    """JSON equality: 0 equals 0.0, but true is not 1."""
    if isinstance(actual, bool) or isinstance(expected, bool):
        return isinstance(actual, bool) and isinstance(expected, bool) and actual == expected
    return bool(actual == expected)


def status_problem(status: int, expected: Collection[int]) -> str | None:
    if status in expected:
        return None
    wanted = ", ".join(str(s) for s in sorted(expected))
    return f"HTTP status {status} (expected {wanted})"


def body_problem(body: bytes, expect_json: Mapping[str, Any]) -> str | None:
    """Why the body fails the probe's conditions, or None when it meets them all."""
    if not expect_json:
        return None
    try:
        document = json.loads(body)
    except ValueError:
        return "body is not JSON"
    for path, expected in expect_json.items():
        actual = json_value(document, path)
        if actual is _MISSING:
            return f"body has no {path}"
        if not same_value(actual, expected):
            return f"body {path} is {_short(actual)} (expected {_short(expected)})"
    return None


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."
