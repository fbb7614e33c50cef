"""`[report]` in the configuration: what only the province knows, for the filed document."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ReportSettings(BaseModel):
    """The filed document's number code, signer and recipients (contract 1.2).

    Absent, the document leaves a dotted blank where each goes, for the office to fill in.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    document_code: str = ""  # after "Số: …/BC-", e.g. "SKHCN"
    signer_title: str = ""  # may span lines: "KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC"
    signer_name: str = ""
    recipients: tuple[str, ...] | None = None  # the "Nơi nhận" lines; None: the usual three
