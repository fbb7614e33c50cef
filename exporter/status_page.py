"""The status page at `/`: server-rendered HTML, in Vietnamese, refreshing itself."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape

from exporter.status import ObligationStatus
from exporter.words import COLUMNS, PROBE_STATES, TITLE, tally, when

STYLE = """
body{font-family:"Noto Sans","DejaVu Sans",Arial,sans-serif;margin:1.5rem;color:#1b1f24}
h1{font-size:1.4rem;margin:0 0 .3rem}
p.meta{color:#57606a;margin:0 0 1rem}
table{border-collapse:collapse;width:100%}
th,td{border-bottom:1px solid #d0d7de;padding:.4rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}
td.state span{padding:.1rem .5rem;border-radius:.8rem;font-weight:600;white-space:nowrap}
.up{background:#dafbe1;color:#116329}.down{background:#ffebe9;color:#a40e26}
.waiting{background:#fff8c5;color:#7d4e00}.passive{background:#eaeef2;color:#57606a}
small{color:#57606a}
"""


def status_page(
    province: str, rows: Sequence[ObligationStatus], now: datetime, refresh: int = 10
) -> str:
    """The page: one row per obligation, with its state, last run and reason for a failure."""
    up = sum(r.state == "up" for r in rows)
    down = sum(r.state == "down" for r in rows)
    body = []
    for r in rows:
        label, css = PROBE_STATES[r.state], r.state
        ratio = "—" if r.compliance_ratio is None else f"{r.compliance_ratio:.1%}"
        body.append(
            "<tr>"
            f"<td>{escape(r.department_name)}<br><small>{escape(r.department)}</small></td>"
            f"<td>{escape(r.system_name)}<br><small>{escape(r.system)}</small></td>"
            f'<td class="state"><span class="{css}">{label}</span></td>'
            f"<td>{when(r.last_run)}</td>"
            f"<td>{escape(r.detail or '')}</td>"
            f"<td>{when(r.last_success)}</td>"
            f"<td>{r.successes_today}</td>"
            f"<td>{ratio}</td>"
            "</tr>"
        )
    return f"""<!doctype html>
<html lang="vi"><head><meta charset="utf-8">
<meta http-equiv="refresh" content="{refresh}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Liên thông dữ liệu — {escape(province)}</title><style>{STYLE}</style></head>
<body>
<h1>{escape(TITLE.format(province=province))}</h1>
<p class="meta">{tally(up, down, len(rows))} · cập nhật lúc {when(now)}
 · <a href="/metrics">/metrics</a></p>
<table>
<thead><tr>{"".join(f"<th>{c}</th>" for c in COLUMNS.values())}</tr></thead>
<tbody>
{"".join(body)}
</tbody></table>
</body></html>
"""
