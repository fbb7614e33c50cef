"""The one glossary: each state's name (a msgid, translated through the catalogs) and colour,
the same on the pages, in the PDF, the DOCX and the XLSX. Codes stay ASCII.

Terms (docs/glossary.md says them in full): an obligation is a "nhiệm vụ" everywhere (never
"nghĩa vụ"); its kind (maintain/connect) is the "loại nhiệm vụ".
"""

from __future__ import annotations

from typing import NamedTuple

from i18n import N_


class Term(NamedTuple):
    name: str  # the English msgid; show it through i18n._ / gettext_in
    background: str  # hex colour
    text: str  # hex colour


# A period's result for one obligation (the report's `status`).
STATUSES: dict[str, Term] = {
    "compliant": Term(N_("Compliant"), "#C6EFCE", "#006100"),
    "connected": Term(N_("Connected"), "#C6EFCE", "#006100"),
    "partial": Term(N_("Partial"), "#FFEB9C", "#9C5700"),
    "non_compliant": Term(N_("Non-compliant"), "#FFC7CE", "#9C0006"),
    "not_connected": Term(N_("Not connected"), "#FFC7CE", "#9C0006"),
    "not_applicable": Term(N_("Not applicable"), "#EDEDED", "#404040"),
}

# A day of an obligation (compliance.rules.DayState values, plus the live view's `open`:
# today, not yet ended and not yet met; and `after_as_of`: not yet due).
DAY_STATES: dict[str, Term] = {
    "met": Term(N_("Met"), "#2DA44E", "#FFFFFF"),
    "probe_only": Term(N_("Met only by probes"), "#8CDB9E", "#1B1F24"),
    "missed": Term(N_("Missed"), "#CF222E", "#FFFFFF"),
    "excused": Term(N_("Excused"), "#8250DF", "#FFFFFF"),
    "not_required": Term(
        N_("Not required (weekend, holiday, outside the duty)"), "#EAEEF2", "#57606A"
    ),
    "after_as_of": Term(N_("Not yet due"), "#FFFFFF", "#8C959F"),
    "open": Term(N_("Today, no transaction yet"), "#FFF8C5", "#7D4E00"),
}
