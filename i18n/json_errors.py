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

# jiter's messages (pydantic-core's JSON parser), without their " at line L column C": the
# ones the catalogs translate.
JITER = frozenset(
    {
        N_("EOF while parsing a list"),
        N_("EOF while parsing an object"),
        N_("EOF while parsing a string"),
        N_("EOF while parsing a value"),
        N_("expected `:`"),
        N_("expected value"),
        N_("expected ident"),
        N_("expected `,` or `]`"),
        N_("expected `,` or `}`"),
        N_("trailing comma"),
        N_("trailing characters"),
        N_("invalid number"),
        N_("number out of range"),
        N_("invalid escape"),
        N_("invalid unicode code point"),
        N_("key must be a string"),
        N_("recursion limit exceeded"),
        N_("control character (\\u0000-\\u001F) found while parsing a string"),
    }
)
# Python's json module's messages (`JSONDecodeError.msg`).
PYTHON = frozenset(
    {
        N_("Expecting value"),
        N_("Expecting property name enclosed in double quotes"),
        N_("Expecting ':' delimiter"),
        N_("Expecting ',' delimiter"),
        N_("Unterminated string starting at"),
        N_("Invalid control character at"),
        N_("Invalid \\escape"),
        N_("Invalid \\uXXXX escape"),
        N_("Extra data"),
        N_("Illegal trailing comma before end of object"),
        N_("Illegal trailing comma before end of array"),
    }
)
_LOCATED = re.compile(r"(.*) at line ([0-9]+) column ([0-9]+)", re.DOTALL)
AT = N_("{reason} at line {line} column {column}")


def jiter_reason(reason: str) -> str:
    """pydantic's reason a text is not JSON ("expected value at line 1 column 2")."""
    if current_lang() == "en":
        return reason
    found = _LOCATED.fullmatch(reason)
    what = found.group(1) if found else reason
    if what not in JITER:
        return reason
    if found is None:
        return _(what)
    return _(AT).format(reason=_(what), line=found.group(2), column=found.group(3))


def decode_reason(error: ValueError) -> str:
    """Python's json module's reason a text is not JSON (its `str` in English)."""
    if current_lang() == "en" or not isinstance(error, json.JSONDecodeError):
        return str(error)
    if error.msg not in PYTHON:
        return str(error)
    return _(AT).format(reason=_(error.msg), line=error.lineno, column=error.colno)
