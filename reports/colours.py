"""The colours of statuses, shared by the XLSX and the PDF so both read alike."""

from __future__ import annotations

# Excel's own "good / neutral / bad" cell styles, and grey for not applicable.
STATUS_COLOURS: dict[str, tuple[str, str]] = {  # background, text
    "compliant": ("#C6EFCE", "#006100"),
    "connected": ("#C6EFCE", "#006100"),
    "partial": ("#FFEB9C", "#9C5700"),
    "non_compliant": ("#FFC7CE", "#9C0006"),
    "not_connected": ("#FFC7CE", "#9C0006"),
    "not_applicable": ("#EDEDED", "#404040"),
}
