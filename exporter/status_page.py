"""The status pages, server-rendered HTML in Vietnamese: the overview at `/`, one page per
department at `/don-vi/CODE` (its duties, month strips, explanations, latest failures and,
for its own signed-in officer, the explanation form), and the sign-in page. Operator links
(/metrics) stay off these pages: they are the civil servants' view."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from html import escape

from compliance.day_evidence import DayEvidence
from exporter import words
from exporter.duties import DutyStatus
from store.excusals import Excusal

STYLE = """
*{box-sizing:border-box}
body{font-family:"Noto Sans","DejaVu Sans",Arial,sans-serif;margin:1rem;color:#1b1f24;
 line-height:1.4;overflow-wrap:break-word}
h1{font-size:1.35rem;margin:0 0 .3rem}h2{font-size:1.1rem;margin:1.2rem 0 .4rem}
p.meta{color:#57606a;margin:0 0 1rem}
nav{margin:0 0 .8rem}nav form{display:inline}
table{border-collapse:collapse;width:100%}
th,td{border-bottom:1px solid #d0d7de;padding:.4rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}
.badge{display:inline-block;padding:.1rem .5rem;border-radius:.8rem;font-weight:600;
 white-space:nowrap}
.when{white-space:nowrap}
.met,.up,.connected{background:#dafbe1;color:#116329}
.failing,.down,.not_connected,.risk{background:#ffebe9;color:#a40e26}
.waiting,.paused{background:#fff8c5;color:#7d4e00}
.passive,.not_required,.excused{background:#eaeef2;color:#57606a}
small,.note{color:#57606a}
.strip{display:flex;flex-wrap:wrap;gap:2px;margin:.3rem 0}
.strip span{width:1.6rem;height:1.6rem;font-size:.7rem;display:flex;align-items:center;
 justify-content:center;border-radius:3px}
.d-met{background:#2da44e;color:#fff}.d-probe_only{background:#8cdb9e}
.d-missed{background:#cf222e;color:#fff}.d-excused{background:#8250df;color:#fff}
.d-not_required{background:#eaeef2;color:#8c959f}.d-after_as_of{background:#fff;
 border:1px solid #d0d7de;color:#8c959f}.d-open{background:#fff8c5;border:1px solid #d4a72c}
.strip a{color:inherit;text-decoration:none;display:block;width:100%;text-align:center}
.legend span{display:inline-block;margin-right:.6rem}
.legend i{display:inline-block;width:.9rem;height:.9rem;vertical-align:middle;margin-right:.2rem}
section.duty{border:1px solid #d0d7de;border-radius:6px;padding:.6rem .8rem;margin:.6rem 0}
form.explain label{display:block;margin:.4rem 0 .1rem;font-weight:600}
form.explain input,form.explain select,form.explain textarea{width:100%;max-width:32rem;
 font:inherit;padding:.3rem}
button{font:inherit;padding:.35rem .9rem}
.message{padding:.5rem .8rem;border-radius:6px;background:#dafbe1}
.message.error{background:#ffebe9}
@media (max-width:700px){
 table,tbody,tr,td{display:block;width:100%}
 thead{display:none}
 tr{border:1px solid #d0d7de;border-radius:6px;margin:0 0 .6rem;padding:.2rem .4rem}
 td{border:none;padding:.2rem 0}
 td::before{content:attr(data-label);display:block;font-size:.8rem;color:#57606a}
 body{overflow-wrap:anywhere}.badge{white-space:normal}
}
"""


@dataclass(frozen=True)
class Viewer:
    """Who is looking: signed in for a department or not, and the CSRF token of the page's forms."""

    csrf: str
    department: str | None = None
    department_name: str | None = None


def _page(title: str, body: str, refresh: int | None) -> str:
    meta = f'<meta http-equiv="refresh" content="{refresh}">\n' if refresh else ""
    return f"""<!doctype html>
<html lang="vi"><head><meta charset="utf-8">
{meta}<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title><style>{STYLE}</style></head>
<body>
{body}
</body></html>
"""


def _nav(viewer: Viewer, back: bool) -> str:
    links = ['<a href="/">← Tất cả đơn vị</a>'] if back else []
    if viewer.department is not None:
        links.append(
            f'Đăng nhập: <a href="/don-vi/{escape(viewer.department)}">'
            f"{escape(viewer.department_name or viewer.department)}</a>"
            f' <form method="post" action="/dang-xuat"><input type="hidden" name="csrf"'
            f' value="{escape(viewer.csrf)}"><button type="submit">Đăng xuất</button></form>'
        )
    else:
        links.append('<a href="/dang-nhap">Đăng nhập để gửi giải trình</a>')
    return f"<nav>{' · '.join(links)}</nav>"


def _when(at: datetime | None) -> str:
    """A time that does not break inside its digits on a wide screen."""
    return f'<span class="when">{words.when(at)}</span>' if at else words.NOTHING


def _badge(css: str, text: str) -> str:
    return f'<span class="badge {css}">{escape(text)}</span>'


def _probe_cell(r: DutyStatus) -> str:
    text = _badge(r.probe, words.PROBE_STATES[r.probe])
    if r.probe == "paused":
        text += (
            f"<br><small>{escape(words.CIRCUIT_OPEN.format(at=words.clock(r.retry_at)))}</small>"
        )
    if r.probe in ("down", "paused") and r.probe_detail:
        text += f"<br><small>{escape(words.reason(r.probe_detail))}</small>"
    if r.probe_at is not None:
        text += f"<br><small>lúc {words.when(r.probe_at)}</small>"
    return text


def _failure_cell(r: DutyStatus) -> str:
    f = r.last_failure
    if f is None:
        return words.NOTHING
    source = escape(words.SOURCES.get(f.source, f.source))
    why = f": {escape(f.reason)}" if f.detail else ""
    return f"{_when(f.at)}<br><small>{source}{why}</small>"


def _ratio_cell(r: DutyStatus) -> str:
    if r.kind == "connect":
        return words.NOTHING
    return f"{words.percent(r.ratio)} / {words.percent(r.target_ratio)}"


def _budget_cell(r: DutyStatus) -> str:
    if r.missable is None:
        return words.NOTHING
    if r.missable < 0:
        return _badge("risk", words.UNREACHABLE)
    text = f"{r.missable} ngày"
    return text + (" " + _badge("risk", words.AT_RISK) if r.at_risk else "")


def _cells(r: DutyStatus, link: bool) -> list[tuple[str, str]]:
    name = escape(r.department_name)
    department = (
        f'<a href="/don-vi/{escape(r.department)}">{name}</a>' if link else name
    ) + f"<br><small>{escape(r.department)}</small>"
    c = words.COLUMNS
    return [
        (c["department"], department),
        (c["system"], f"{escape(r.system_name)}<br><small>{escape(r.system)}</small>"),
        (c["today"], _badge(r.today, words.TODAY_STATES[r.today])),
        (c["state"], _probe_cell(r)),
        (c["last_success"], _when(r.last_success)),
        (c["last_failure"], _failure_cell(r)),
        (c["ratio"], _ratio_cell(r)),
        (c["budget"], _budget_cell(r)),
        (c["excused"], str(r.excused_days) if r.kind != "connect" else words.NOTHING),
    ]


def _table(rows: Sequence[DutyStatus], link: bool) -> str:
    head = "".join(f"<th>{escape(label)}</th>" for label in words.COLUMNS.values())
    body = "".join(
        "<tr>"
        + "".join(
            f'<td data-label="{escape(label)}">{cell}</td>' for label, cell in _cells(r, link)
        )
        + "</tr>"
        for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _tally(rows: Sequence[DutyStatus]) -> str:
    counts = {state: sum(r.today == state for r in rows) for state in words.TODAY_STATES}
    shown = [f"{n} {words.TODAY_STATES[s].lower()}" for s, n in counts.items() if n]
    at_risk = sum(r.at_risk for r in rows)
    if at_risk:
        shown.append(f"{at_risk} {words.AT_RISK.lower()}")
    return " · ".join([*shown, f"{len(rows)} nghĩa vụ"])


def overview_page(
    province: str,
    rows: Sequence[DutyStatus],
    now: datetime,
    refresh: int,
    viewer: Viewer,
    sources: str = "",
) -> str:
    """Every duty in force today, one row each, linking to its department's page; then
    `sources` (exporter.source_lines), a line per source running inside `serve`."""
    title = words.TITLE.format(province=province)
    body = (
        f"<h1>{escape(title)}</h1>\n{_nav(viewer, back=False)}\n"
        f'<p class="meta">{escape(_tally(rows))} · cập nhật lúc {words.when(now)}</p>\n'
        f"{_table(rows, link=True)}{sources}"
    )
    return _page(f"Liên thông dữ liệu — {province}", body, refresh)


def _strip(r: DutyStatus) -> str:
    def box(d: date, state: str) -> str:
        title = f"{words.day(d)}: {words.DAY_STATES[state]}"
        inner = str(d.day)
        if state != "after_as_of":  # a day with records to look at: its own page
            href = f"/don-vi/{escape(r.department)}/{escape(r.system)}/{d.isoformat()}"
            inner = f'<a href="{href}">{inner}</a>'
        return f'<span class="d-{state}" title="{escape(title)}">{inner}</span>'

    days = "".join(box(d, state) for d, state in r.strip)
    return f'<div class="strip" aria-label="Các ngày trong tháng">{days}</div>'


def _legend() -> str:
    items = "".join(
        f'<span><i class="d-{k}"></i>{escape(v)}</span>' for k, v in words.DAY_STATES.items()
    )
    return f'<p class="legend note">{items}</p>'


def _duty_section(r: DutyStatus) -> str:
    lines = [
        f"<h2>{escape(r.system_name)} <small>({escape(r.system)})</small></h2>",
        f"<p>{_badge(r.today, words.TODAY_STATES[r.today])}"
        + ("" if r.probe == "passive" else f" · {words.COLUMNS['state']}: {_probe_cell(r)}")
        + "</p>",
        f"<p>{words.COLUMNS['last_success']}: {words.when(r.last_success)}<br>"
        f"{words.COLUMNS['last_failure']}: {_failure_cell(r)}</p>",
    ]
    if r.kind != "connect":
        lines.append(
            f"<p>{words.COLUMNS['ratio']}: {_ratio_cell(r)} · {words.COLUMNS['budget']}:"
            f" {_budget_cell(r)} · {words.COLUMNS['excused']}: {r.excused_days}</p>"
        )
        lines.append(_strip(r))
    if r.failures:
        items = "".join(
            f"<li>{words.when(f.at)} — {escape(words.SOURCES.get(f.source, f.source))}:"
            f" {escape(f.reason)}</li>"
            for f in r.failures
        )
        lines.append(f"<p>Các lỗi gần nhất:</p><ul>{items}</ul>")
    return f'<section class="duty">{"".join(lines)}</section>'


def _excusals(excusals: Sequence[Excusal], systems: dict[str, str]) -> str:
    if not excusals:
        return '<p class="note">Chưa có giải trình hay miễn trừ nào trong tháng này.</p>'
    head = ("Ngày", "Hệ thống", "Lý do", "Trạng thái", "Người đề nghị")
    rows = "".join(
        "<tr>"
        f'<td data-label="{head[0]}">{words.day(e.first_day)} – {words.day(e.last_day)}</td>'
        f'<td data-label="{head[1]}">{escape(systems.get(e.system, e.system))}</td>'
        f'<td data-label="{head[2]}">{escape(e.reason)}</td>'
        f'<td data-label="{head[3]}">{escape(words.EXCUSAL_STATES[e.state])}</td>'
        f'<td data-label="{head[4]}">{escape(e.proposed_by)}</td>'
        "</tr>"
        for e in excusals
    )
    ths = "".join(f"<th>{h}</th>" for h in head)
    return f"<table><thead><tr>{ths}</tr></thead><tbody>{rows}</tbody></table>"


def _form(code: str, rows: Sequence[DutyStatus], viewer: Viewer, today: date, standing: str) -> str:
    options = "".join(
        f'<option value="{escape(r.system)}">{escape(r.system_name)}</option>'
        for r in rows
        if r.kind != "connect"
    )
    last = today.isoformat()
    return f"""<h2>Gửi giải trình</h2>
<form class="explain" method="post" action="/don-vi/{escape(code)}/giai-trinh">
<input type="hidden" name="csrf" value="{escape(viewer.csrf)}">
<label for="system">Hệ thống</label><select id="system" name="system">{options}</select>
<label for="first_day">Từ ngày</label>
<input id="first_day" name="first_day" type="date" max="{last}" required>
<label for="last_day">Đến ngày</label>
<input id="last_day" name="last_day" type="date" max="{last}" required>
<label for="reason">Lý do</label>
<textarea id="reason" name="reason" rows="4" maxlength="2000" required></textarea>
<p><button type="submit">Gửi giải trình</button></p>
<p class="note">Giải trình được ghi nhận ở trạng thái “{words.EXCUSAL_STATES["proposed"]}”;
chỉ khi {escape(standing)} duyệt, các ngày này mới không bị tính là không đạt.</p>
</form>"""


def department_page(
    province: str,
    code: str,
    name: str,
    rows: Sequence[DutyStatus],
    excusals: Sequence[Excusal],
    now: datetime,
    refresh: int,
    viewer: Viewer,
    standing: str,
    message: tuple[str, bool] | None = None,
) -> str:
    """One department's duties, month strips, explanations and latest failures; its own
    signed-in officer also gets the explanation form (and the page does not reload itself).
    `standing`: who approves explanations (the standing department's name)."""
    own = viewer.department == code
    parts = [
        f"<h1>{escape(name)}</h1>",
        _nav(viewer, back=True),
        f'<p class="meta">{escape(province)} · {escape(_tally(rows))} · cập nhật lúc'
        f" {words.when(now)}</p>",
    ]
    if message is not None:
        text, ok = message
        parts.append(f'<p class="message{"" if ok else " error"}">{escape(text)}</p>')
    parts.extend(_duty_section(r) for r in rows)
    parts.append(_legend())
    parts.append("<h2>Giải trình và miễn trừ trong tháng</h2>")
    parts.append(_excusals(excusals, {r.system: r.system_name for r in rows}))
    if own:
        parts.append(_form(code, rows, viewer, now.date(), standing))
    elif viewer.department is not None:
        parts.append('<p class="note">Bạn đang đăng nhập cho một đơn vị khác.</p>')
    return _page(f"{name} — {province}", "\n".join(parts), None if own else refresh)


def signin_page(province: str, viewer: Viewer, standing: str, error: str | None = None) -> str:
    """The sign-in form: the token the department was issued (scope `explain`) by
    `standing` (the standing department's name)."""
    problem = f'<p class="message error">{escape(error)}</p>' if error else ""
    body = f"""<h1>Đăng nhập — {escape(province)}</h1>
<nav><a href="/">← Tất cả đơn vị</a></nav>
{problem}
<form class="explain" method="post" action="/dang-nhap">
<input type="hidden" name="csrf" value="{escape(viewer.csrf)}">
<label for="token">Mã đăng nhập của đơn vị</label>
<input id="token" name="token" type="password" autocomplete="off" required>
<p><button type="submit">Đăng nhập</button></p>
<p class="note">Mã do {escape(standing)} cấp cho đơn vị
(<code>lienthong tokens issue --department MÃ --scope explain</code>).</p>
</form>"""
    return _page(f"Đăng nhập — {province}", body, None)


def day_page(
    province: str,
    department_name: str,
    system_name: str,
    code: str,
    evidence: DayEvidence,
    why: str,
    tz: tzinfo,
    viewer: Viewer,
) -> str:
    """One duty's day: its state and why, the records behind it (counting or not), excusals."""
    e = evidence
    head = ("Thời điểm", "Nguồn", "Kết quả", "Lý do lỗi", "Được tính")
    rows = "".join(
        "<tr>"
        f'<td data-label="{head[0]}">{_when(r.ts.astimezone(tz))}</td>'
        f'<td data-label="{head[1]}">{escape(words.SOURCES.get(r.source, r.source))}</td>'
        f'<td data-label="{head[2]}">{words.OUTCOMES[r.success]}</td>'
        f'<td data-label="{head[3]}">{escape(words.reason(r.detail)) if r.detail else ""}</td>'
        f'<td data-label="{head[4]}">{"có" if r.source in e.evidence else "không"}</td>'
        "</tr>"
        for r in e.records
    )
    ths = "".join(f"<th>{h}</th>" for h in head)
    shown = len(e.records)
    more = (
        f'<p class="note">{shown} trong số {e.record_count} giao dịch của ngày.</p>'
        if e.record_count > shown
        else ""
    )
    table = (
        f"<table><thead><tr>{ths}</tr></thead><tbody>{rows}</tbody></table>{more}"
        if e.records
        else '<p class="note">Không có giao dịch nào được ghi trong ngày.</p>'
    )
    state = str(e.state)
    body = f"""<h1>{escape(system_name)} — {words.day(e.day)}</h1>
{_nav(viewer, back=True)}
<p class="meta">{escape(department_name)} · {escape(province)}
 · <a href="/don-vi/{escape(code)}">Trang của đơn vị</a></p>
<p>{_badge("d-" + state, words.DAY_STATES[state])} {escape(why)}</p>
<h2>Giao dịch trong ngày</h2>
{table}
<h2>Giải trình và miễn trừ của ngày</h2>
{_excusals(list(e.excusals), {e.system: system_name})}"""
    return _page(f"{system_name} — {words.day(e.day)}", body, None)
