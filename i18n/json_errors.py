"""Why a text is not JSON, in the user's language: the parsers' own reasons, one table each.

Records come through two parsers: pydantic's (jiter: "expected value at line 1 column 2")
and Python's `json` ("Expecting value: line 1 column 1 (char 0)"). English keeps the
parser's words exactly; another language translates the reason and says where. A reason not
in the tables keeps the parser's English (rare: the tables hold what a bad line trips).
"""

from __future__ import annotations

import json
import re

from i18n import N_, _, current_lang

# jiter's messages (pydantic-core's JSON parser), without their " at line L column C".
JITER = {
    "EOF while parsing a list": N_("EOF while parsing a list"),
    "EOF while parsing an object": N_("EOF while parsing an object"),
    "EOF while parsing a string": N_("EOF while parsing a string"),
    "EOF while parsing a value": N_("EOF while parsing a value"),
    "expected `:`": N_("expected `:`"),
    "expected value": N_("expected value"),
    "expected ident": N_("expected ident"),
    "expected `,` or `]`": N_("expected `,` or `]`"),
    "expected `,` or `}`": N_("expected `,` or `}`"),
    "trailing comma": N_("trailing comma"),
    "trailing characters": N_("trailing characters"),
    "invalid number": N_("invalid number"),
    "number out of range": N_("number out of range"),
    "invalid escape": N_("invalid escape"),
    "invalid unicode code point": N_("invalid unicode code point"),
    "key must be a string": N_("key must be a string"),
    "recursion limit exceeded": N_("recursion limit exceeded"),
    "control character (\\u0000-\\u001F) found while parsing a string": N_(
        "control character (\\u0000-\\u001F) found while parsing a string"
    ),
}
# Python's json module's messages (`JSONDecodeError.msg`).
PYTHON = {
    "Expecting value": N_("Expecting value"),
    "Expecting property name enclosed in double quotes": N_(
        "Expecting property name enclosed in double quotes"
    ),
    "Expecting ':' delimiter": N_("Expecting ':' delimiter"),
    "Expecting ',' delimiter": N_("Expecting ',' delimiter"),
    "Unterminated string starting at": N_("Unterminated string starting at"),
    "Invalid control character at": N_("Invalid control character at"),
    "Invalid \\escape": N_("Invalid \\escape"),
    "Invalid \\uXXXX escape": N_("Invalid \\uXXXX escape"),
    "Extra data": N_("Extra data"),
    "Illegal trailing comma before end of object": N_(
        "Illegal trailing comma before end of object"
    ),
    "Illegal trailing comma before end of array": N_("Illegal trailing comma before end of array"),
}
_LOCATED = re.compile(r"(.*) at line ([0-9]+) column ([0-9]+)", re.DOTALL)
AT = N_("{reason} at line {line} column {column}")


def jiter_reason(reason: str) -> str:
    """pydantic's reason a text is not JSON ("expected value at line 1 column 2")."""
    if current_lang() == "en":
        return reason
    found = _LOCATED.fullmatch(reason)
    what = found.group(1) if found else reason
    template = JITER.get(what)
    if template is None:
        return reason
    if found is None:
        return _(template)
    return _(AT).format(reason=_(template), line=found.group(2), column=found.group(3))


def decode_reason(error: ValueError) -> str:
    """Python's json module's reason a text is not JSON (its `str` in English)."""
    if current_lang() == "en" or not isinstance(error, json.JSONDecodeError):
        return str(error)
    template = PYTHON.get(error.msg)
    if template is None:
        return str(error)
    return _(AT).format(reason=_(template), line=error.lineno, column=error.colno)
