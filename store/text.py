"""Text a person wrote is data: control characters are refused where it comes in, and
shown escaped wherever it goes out (a terminal, a spreadsheet).

One rule for every door (pushed records, imported files, excusals, the page's form) and
every way out (`excuse list`, XLSX, CSV), so that a department's words can neither stop
an export (openpyxl refuses most C0 characters) nor rewrite what an approver reads (ANSI
and OSC sequences start with ESC, U+001B, or C1's CSI, U+009B).
"""

from __future__ import annotations

import re

from i18n import _

# C0 and C1 controls and DEL; tab, line feed and carriage return are text (a reason may
# have lines).
_REFUSED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Shown escaped on a terminal: every control, line ends and tabs included (a carriage
# return rewrites the line, a line feed a table row).
_SHOWN = re.compile("[\x00-\x1f\x7f-\x9f]")


def control_at(text: str) -> int | None:
    """The position of the first control character a person's text may not hold, or None."""
    found = _REFUSED.search(text)
    return found.start() if found is not None else None


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return {9: "\\t", 10: "\\n", 13: "\\r"}.get(code, f"\\x{code:02x}")


def escape_controls(text: str, keep: str = "") -> str:
    r"""`text` with each control character (but those in `keep`) written as `\xNN`."""
    return _SHOWN.sub(lambda m: m.group() if m.group() in keep else _escaped(m), text)


def control_problem(text: str) -> str | None:
    """One line saying where a control character is, in the current language, or None."""
    at = control_at(text)
    if at is None:
        return None
    return _("must not contain control characters (U+{code} at position {position})").format(
        code=f"{ord(text[at]):04X}", position=at + 1
    )
