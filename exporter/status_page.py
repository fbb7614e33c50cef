"""The status pages: Jinja2 templates (exporter/templates/, autoescaped, translated through
`jinja2.ext.i18n` with the request's language) and what they are given. The overview at `/`,
one page per department at `/don-vi/CODE`, one per duty's day, the sign-in page, the error
pages. Operator links (/metrics) stay off these pages: they are the civil servants' view.

The web handlers render through aiohttp-jinja2 (`setup_templates`); `render` renders the same
templates without a request (tests, and anything else that wants a page as text)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web
from markupsafe import Markup

from compliance.platforms import PLATFORM_NAMES, duty_line, platform_names
from exporter import words
from exporter.duties import DutyStatus
from exporter.source_lines import SourceLine, source_state
from i18n import N_, _, current_lang, ngettext
from i18n.glossary import Term
from registry.calendar import calendar_note

TEMPLATES = "templates"

BASE_STYLE = """
*{box-sizing:border-box}
body{font-family:"Noto Sans","DejaVu Sans",Arial,sans-serif;margin:1rem;color:#1b1f24;
 line-height:1.4;overflow-wrap:break-word}
h1{font-size:1.35rem;margin:0 0 .3rem}h2{font-size:1.1rem;margin:1.2rem 0 .4rem}
p.meta{color:#57606a;margin:0 0 .6rem}
nav{margin:0 0 .8rem}nav form{display:inline}
table{border-collapse:collapse;width:100%}
th,td{border-bottom:1px solid #d0d7de;padding:.35rem .45rem;text-align:left;vertical-align:top}
th{background:#f6f8fa;font-size:.9rem}
.badge{display:inline-block;padding:.1rem .5rem;border-radius:.8rem;font-weight:600}
.when{white-space:nowrap}
.risk{background:#ffebe9;color:#a40e26}
.up{background:#dafbe1;color:#116329}
.down{background:#ffebe9;color:#a40e26}
.paused{background:#fff8c5;color:#7d4e00}
.waiting,.passive{background:#eaeef2;color:#57606a}
small,.note{color:#57606a}
abbr{text-decoration:none;cursor:help}
table.duties{font-size:.9rem;table-layout:fixed}
.c-dep{width:15%}.c-sys{width:12%}.c-today{width:18%}.c-ok{width:10%}.c-fail{width:17%}
.c-ratio{width:10%}.c-budget{width:11%}.c-exc{width:7%}
.clamp{display:-webkit-box;-webkit-line-clamp:2;-webkit-box-orient:vertical;overflow:hidden}
.strip{display:flex;flex-wrap:wrap;gap:2px;margin:.3rem 0}
.strip span{width:1.6rem;height:1.6rem;font-size:.7rem;display:flex;align-items:center;
 justify-content:center;border-radius:3px;border:1px solid transparent}
.d-after_as_of,.d-before_records{border-color:#d0d7de !important}
.strip a{color:inherit;text-decoration:none;display:block;width:100%;text-align:center}
.legend span{display:inline-block;margin-right:.6rem}
.legend i{display:inline-block;width:.9rem;height:.9rem;vertical-align:middle;margin-right:.2rem;
 border:1px solid #d0d7de}
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
 body{overflow-wrap:anywhere}
 table.duties{table-layout:auto}
}
"""


def _colour(selector: str, term: Term) -> str:
    return f"{selector}{{background:{term.background};color:{term.text}}}"


def style() -> Markup:
    """The pages' one stylesheet: the layout, and each state in the glossary's colours."""
    days = "".join(_colour(f".d-{k}", t) for k, t in words.PAGE_DAY_STATES.items())
    today = "".join(_colour(f".t-{k}", t) for k, t in words.TODAY_COLOURS.items())
    return Markup(BASE_STYLE + days + today)  # our own text, not a person's


@dataclass(frozen=True)
class Viewer:
    """Who is looking: signed in for a department or not, and the CSRF token of the page's forms."""

    csrf: str
    department: str | None = None
    department_name: str | None = None


# -- the order of the overview -------------------------------------------------------

# Worst first: the tier of a row (lower is worse), then its month ratio (lowest first); the
# registry's order breaks ties. The overview says this sentence above its table.
WORST_FIRST = N_(
    "Worst first: failing today, the month's target out of reach or not connected; then at"
    " risk or probes failing; then no transaction yet today; within each group the lowest"
    " month ratio first."
)


def tier(r: DutyStatus) -> int:
    if r.today in ("failing", "not_connected") or (r.missable is not None and r.missable < 0):
        return 0
    if r.at_risk or r.probe in ("down", "paused"):
        return 1
    if r.today == "waiting":
        return 2
    return 3


def worst_first(rows: Sequence[DutyStatus]) -> list[DutyStatus]:
    return sorted(rows, key=lambda r: (tier(r), 1.0 if r.ratio is None else r.ratio))


# -- the templates' environment ------------------------------------------------------


def tr(msgid: str) -> str:
    """A table's msgid (exporter.words, the glossary) in the page's language."""
    return _(msgid)


def _day_state(state: str) -> str:
    return _(words.PAGE_DAY_STATES[state].name)


def _tally(rows: Sequence[DutyStatus]) -> str:
    counts = {s: sum(r.today == s for r in rows) for s in words.TODAY_STATES}
    shown = [f"{n} {_(words.TODAY_STATES[s]).lower()}" for s, n in counts.items() if n]
    at_risk = sum(r.at_risk for r in rows)
    if at_risk:
        shown.append(f"{at_risk} {_(words.AT_RISK).lower()}")
    duties = ngettext("{n} duty", "{n} duties", len(rows)).format(n=len(rows))
    return " · ".join([*shown, duties])


def configure(env: jinja2.Environment) -> jinja2.Environment:
    """The pages' helpers; gettext reads the language of the moment (a request sets it)."""
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=_, ngettext=ngettext, newstyle=True
    )
    env.globals.update(
        tr=tr,
        lang=current_lang,
        words=words,
        day_state=_day_state,
        day_states=words.PAGE_DAY_STATES,
        when=words.when,
        day=words.day,
        clock=words.clock,
        percent=words.percent,
        reason=words.reason,
        tally=_tally,
        style=style(),
        worst_first_text=WORST_FIRST,
        platform_line=_platform_line,
        source_state=source_state,
        platform_short=_platform_short,
        platform_deadline=_platform_deadline,
        calendar_line=_calendar_line,
        strip_state=_strip_state,
    )
    return env


def _strip_state(r: DutyStatus, d: date, state: str) -> str:
    """The page's name of a strip day: a day missed before lienthong held any record of the
    duty is "before lienthong's first record", as the live figures count it (the status
    API keeps the contract's codes)."""
    if state == "missed" and (r.first_record is None or d < r.first_record):
        return "before_records"
    return state


def _calendar_line(now: datetime) -> str:
    """Which calendar this month's working days come from (contract 1.2): official, or
    provisional where the Government has not yet announced the year's days off."""
    note = calendar_note(now.date().replace(day=1), now.date())
    if note.official:
        return _("Working days: the official calendar of {year} (lienthong calendar show).").format(
            year=now.year
        )
    return _(
        "Working days: PROVISIONAL calendar of {year}, computed from the Labour Code until"
        " the Government announces its days off."
    ).format(year=now.year)


def _platform_short(r: DutyStatus) -> str:
    """The overview's few words: the platforms, and how many successes went through the
    required one ("LGSP, NDOP · NDOP 1/3"); the full line is the cell's hover text."""
    if not r.platforms and r.required_platform is None:
        return ""
    names = platform_names(r.platforms, current_lang())
    required = r.required_platform
    if required is None:
        return names
    carried = dict(r.platform_successes).get(required.platform, 0)
    name = PLATFORM_NAMES.get(required.platform, required.platform)
    return f"{names} · {name} {carried}/{r.month_successes}"


def _platform_deadline(rows: Sequence[DutyStatus]) -> tuple[str, str] | None:
    """Once above the overview: the requirement in force and the days left to its deadline,
    with its basis (the hover text)."""
    for r in rows:
        if (required := r.required_platform) is not None:
            text = _(
                "Mandatory data connections must go through {platform} by {deadline}:"
                " {days} days left."
            ).format(
                platform=PLATFORM_NAMES.get(required.platform, required.platform),
                deadline=required.deadline.strftime("%d/%m/%Y"),
                days=required.days_left,
            )
            return text, required.basis
    return None


def _platform_line(r: DutyStatus) -> str:
    """Contract 1.2: the platforms that carried this month's successes, and the duty's standing
    with the platform the law requires (NDOP by 31/12/2026); empty when there is nothing to say."""
    return duty_line(
        r.platforms, r.required_platform, r.month_successes, r.platform_successes, current_lang()
    )


def _environment_options() -> dict[str, Any]:
    return {
        "loader": jinja2.PackageLoader("exporter", TEMPLATES),
        "autoescape": True,
        "undefined": jinja2.StrictUndefined,
        "trim_blocks": True,
        "lstrip_blocks": True,
    }


def setup_templates(app: web.Application) -> None:
    """The app's templates, rendered by aiohttp-jinja2 in the handlers."""
    configure(aiohttp_jinja2.setup(app, default_helpers=False, **_environment_options()))


@cache
def environment() -> jinja2.Environment:
    return configure(jinja2.Environment(**_environment_options()))


def render(template: str, context: dict[str, Any]) -> str:
    """A page as text, in the current language (no request needed)."""
    return environment().get_template(template).render(context)


# -- what each page is given -----------------------------------------------------------


def overview_context(
    province: str,
    rows: Sequence[DutyStatus],
    now: datetime,
    refresh: int,
    viewer: Viewer,
    labels: dict[str, str] | None = None,
    sources: Sequence[SourceLine] = (),
) -> dict[str, Any]:
    """Every duty in force today, one row each, worst first, linking to its department.
    `labels`: each system's short name (the registry's `short_name`); the full name on hover.
    `sources`: a line per source running inside `serve` (exporter.source_lines)."""
    return {
        "labels": labels or {},
        "sources": sources,
        "province": province,
        "rows": worst_first(rows),
        "now": now,
        "refresh": refresh,
        "viewer": viewer,
    }


def overview_page(
    province: str,
    rows: Sequence[DutyStatus],
    now: datetime,
    refresh: int,
    viewer: Viewer,
    labels: dict[str, str] | None = None,
) -> str:
    return render("overview.html", overview_context(province, rows, now, refresh, viewer, labels))


@dataclass(frozen=True)
class Message:
    """A sentence at the top of a department's page: a success, or what is wrong with a form."""

    text: str
    ok: bool


def department_context(
    province: str,
    code: str,
    name: str,
    rows: Sequence[DutyStatus],
    excusals: Sequence[Any],
    now: datetime,
    refresh: int,
    viewer: Viewer,
    standing: str,
    message: Message | None = None,
    form: dict[str, str] | None = None,
) -> dict[str, Any]:
    """One department's duties, month strips, explanations and latest failures; its own
    signed-in officer also gets the explanation form (and the page does not reload itself).
    `standing`: who approves explanations; `form`: the fields sent, shown again on an error."""
    own = viewer.department == code
    return {
        "province": province,
        "code": code,
        "name": name,
        "rows": rows,
        "excusals": excusals,
        "systems": {r.system: r.system_name for r in rows},
        "now": now,
        "today": now.date(),
        "refresh": None if own else refresh,
        "viewer": viewer,
        "own": own,
        "standing": standing,
        "message": message,
        "form": form or {},
    }


@dataclass(frozen=True)
class Contact:
    """Whom an officer asks for a sign-in code: the standing department's contact."""

    name: str | None
    email: str | None


def signin_context(
    province: str,
    viewer: Viewer,
    standing: str,
    contacts: Sequence[Contact] = (),
    error: str | None = None,
) -> dict[str, Any]:
    """The sign-in form: the code the department was issued (scope `explain`) by `standing`
    (the standing department's name), and whom there to ask for one."""
    return {
        "province": province,
        "viewer": viewer,
        "standing": standing,
        "contacts": contacts,
        "error": error,
        "refresh": None,
    }


@dataclass(frozen=True)
class DayView:
    """One duty's day as the page names it: `state` is a key of the glossary's DAY_STATES
    (today not yet met is `open`, a day to come is `after_as_of`), with `why` in one
    sentence, and the first day lienthong held a record of the duty (None: none yet)."""

    state: str
    why: str
    first_record: date | None
    before_records: bool


def day_context(
    province: str,
    department_name: str,
    system_name: str,
    code: str,
    evidence: Any,
    view: DayView,
    tz: Any,
    viewer: Viewer,
) -> dict[str, Any]:
    """One duty's day: its state and why, the records behind it (counting or not), excusals."""
    return {
        "province": province,
        "department_name": department_name,
        "system_name": system_name,
        "code": code,
        "e": evidence,
        "view": view,
        "tz": tz,
        "viewer": viewer,
        "systems": {evidence.system: system_name},
        "refresh": None,
    }


def error_context(
    status: int, what: str | None = None, allowed: str | None = None
) -> dict[str, Any]:
    """A 404 (`what` was not found, when known) or a 405 (`allowed`: the methods that are)."""
    return {"status": status, "what": what, "allowed": allowed, "refresh": None}
