"""Stored text printed on a terminal: its control characters shown, never obeyed.

A department writes the reason an approver reads in `excuse list`; an ANSI or OSC
sequence in it could recolour, hide or rewrite the lines around it.
"""

from __future__ import annotations

from store.text import escape_controls


def shown(text: str | None) -> str:
    r"""`text` with every control character written as `\xNN` (`\n`, `\t`, `\r` too)."""
    return escape_controls(text or "")
