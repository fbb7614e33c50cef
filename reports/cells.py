"""A cell of text a person wrote, made safe for a spreadsheet: never a formula, never a
character the file format refuses.

OWASP's CSV-injection guidance: a cell starting with `=`, `+`, `-`, `@`, a tab or a
carriage return is read by Excel and LibreOffice as a formula (`=HYPERLINK(...)` turns
a department's explanation into a live link); a leading apostrophe makes it text. XLSX
is XML: most C0 characters cannot be written at all (openpyxl raises), so a text stored
before it was refused at the door is written escaped instead of stopping the export.
"""

from __future__ import annotations

from store.text import escape_controls

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell_text(value: str) -> str:
    """`value` as a spreadsheet shows it literally (CSV and XLSX alike)."""
    value = escape_controls(value, keep="\t\n\r")
    return "'" + value if value.startswith(FORMULA_START) else value
