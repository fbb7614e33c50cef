"""The words of the status pages, the status API's labels and the demo's live table: English
msgids (translated through the catalogs, i18n/locale/vi/LC_MESSAGES/pages.po), the number and
date formats of the page's language, failure reasons by code. The names and colours of a day's
states are the glossary's (i18n/glossary.py); the tables here name what only the live view has.

A table holds msgids: show an entry through `i18n._` (or the pages' `tr`) at the moment it is
read, so that each request gets its own language."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime

from i18n import N_, _, current_lang, ngettext
from i18n.glossary import DAY_STATES, STATUSES, Term
from i18n.numbers import duration

# A row's probe state (exporter.status.ObligationStatus.state) as people read it.
PROBE_STATES = {
    "up": N_("Up"),
    "down": N_("Connection failing"),
    "waiting": N_("Waiting for a probe"),
    "passive": N_("Not probed"),
    "paused": N_("Probes paused"),
}
# What today looks like for a duty, from its records of every source (exporter.duties).
TODAY_STATES = {
    "met": N_("Met today"),
    "failing": N_("Failing"),
    "waiting": N_("No transaction yet"),
    "excused": N_("Excused"),
    "not_required": N_("Not required"),
    "connected": N_("Connected"),
    "not_connected": N_("Not connected"),
}
# Today's states in the glossary's colours: the nearest state of a day or of a period.
TODAY_COLOURS: dict[str, Term] = {
    "met": DAY_STATES["met"],
    "failing": STATUSES["non_compliant"],
    "waiting": DAY_STATES["open"],
    "excused": DAY_STATES["excused"],
    "not_required": DAY_STATES["not_required"],
    "connected": STATUSES["connected"],
    "not_connected": STATUSES["not_connected"],
}
# A day as the pages name it: the glossary's states, and a day before lienthong held any
# record of the duty (the day page: nothing is known of it, so nothing is said against it).
PAGE_DAY_STATES: dict[str, Term] = {
    **DAY_STATES,
    "before_records": Term(N_("Before lienthong's first record"), "#F6F8FA", "#57606A"),
}
EXCUSAL_STATES = {
    "proposed": N_("Awaiting approval"),
    "approved": N_("Approved"),
    "rejected": N_("Rejected"),
    "withdrawn": N_("Withdrawn"),
}
# The record sources, named as the reports name them (reports/excused.py).
SOURCES = {
    "probe": N_("probe"),
    "push": N_("push (API)"),
    "gateway": N_("gateway (LGSP, X-Road)"),
    "import": N_("file import"),
}
COLUMNS = {
    "department": N_("Department"),
    "system": N_("National system"),
    "today": N_("Today"),
    "state": N_("Probe"),
    "last_success": N_("Last success"),
    "last_failure": N_("Last failure"),
    "ratio": N_("Month ratio / target"),
    "budget": N_("Days that may still be missed"),
    "excused": N_("Excused days"),
}
# The demo's live table still names these (exporter.status.ObligationStatus).
LIVE_COLUMNS = {
    "department": N_("Department"),
    "system": N_("National system"),
    "state": N_("State"),
    "last_run": N_("Last probe"),
    "detail": N_("Failure reason"),
    "last_success": N_("Last success"),
    "successes_today": N_("Successes today"),
    "ratio": N_("Month ratio"),
}
TITLE = N_("Connections to the national systems — {province}")
AT_RISK = N_("At risk of missing the target")
UNREACHABLE = N_("The month's target can no longer be met")
CIRCUIT_OPEN = N_("Probes paused (circuit open), next try at {at}")
NOTHING = "—"
# Who issues tokens and approves explanations when the registry names no standing department.
STANDING_GENERIC = N_("the standing department")
OUTCOMES = {True: N_("Success"), False: N_("Failure")}


def tally(up: int, down: int, total: int) -> str:
    """'3 hoạt động · 1 lỗi kết nối · 18 nhiệm vụ'."""
    return _("{up} up · {down} failing · {total} duties").format(up=up, down=down, total=total)


def when(value: datetime | None) -> str:
    """A local time as Vietnamese readers write it: 09:05:00 02/12/2026."""
    return value.strftime("%H:%M:%S %d/%m/%Y") if value else NOTHING


def day(value: date | None) -> str:
    """02/12/2026."""
    return value.strftime("%d/%m/%Y") if value else NOTHING


def clock(value: datetime | None) -> str:
    """09:05."""
    return value.strftime("%H:%M") if value else NOTHING


def number(value: float, places: int = 1) -> str:
    """A decimal number in the page's language: 1.234,5 in Vietnamese, 1,234.5 in English."""
    text = f"{value:,.{places}f}"
    if current_lang() == "en":
        return text
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def percent(value: float | None) -> str:
    """A ratio: 0.5 -> '50,0 %' (Vietnamese), '50.0 %' (English)."""
    return NOTHING if value is None else f"{number(value * 100)} %"


# A failure reason's code, the pattern that recognises it in a stored English detail (the
# probes write English: stored records keep the contract's free-text `detail` as written, so
# records stored before and pushed details are shown the same way), its msgid, and the
# fields the msgid is filled with.
Fields = Callable[[re.Match[str]], dict[str, str]]
_Reason = tuple[str, re.Pattern[str], str, Fields]


def _groups(m: re.Match[str]) -> dict[str, str]:
    return {k: v for k, v in m.groupdict().items() if v is not None}


def _r(code: str, pattern: str, msgid: str, fields: Fields = _groups) -> _Reason:
    return code, re.compile(pattern + r"\Z"), msgid, fields


REASONS: tuple[_Reason, ...] = (
    _r(
        "retried",
        r"(?P<last>.+) \((?P<n>\d+) attempts\)",
        N_("{last} (after {n} attempts)"),
        lambda m: {"last": reason(m["last"]), "n": m["n"]},
    ),
    _r(
        "timeout_retried",
        r"timed out after (?P<s>[\d.]+) s \((?P<n>\d+) attempts; last: (?P<last>.+)\)",
        N_("Timed out after {duration} (after {n} attempts; last: {last})"),
        lambda m: {"duration": duration(float(m["s"])), "n": m["n"], "last": reason(m["last"])},
    ),
    _r(
        "timeout",
        r"timed out after (?P<s>[\d.]+) s",
        N_("Timed out after {duration}"),
        lambda m: {"duration": duration(float(m["s"]))},
    ),
    _r(
        "http_expected",
        r"HTTP status (?P<code>\d+) \(expected (?P<want>.+)\)",
        N_("The server answered HTTP {code} (expected {want})"),
    ),
    _r("http_status", r"HTTP status (?P<code>\d+)", N_("The server answered HTTP {code}")),
    _r("cannot_connect", r"cannot connect: (?P<why>.+)", N_("Cannot connect ({why})")),
    _r("connection_error", r"connection error: (?P<why>.+)", N_("Connection error ({why})")),
    _r("closed", r"connection closed by the server", N_("The server closed the connection midway")),
    _r("connect_timeout", r"connection timed out", N_("Timed out while connecting")),
    _r("redirects", r"too many redirects", N_("Too many redirects")),
    _r("truncated", r"truncated body", N_("The answer was cut short")),
    _r("malformed", r"malformed answer: (?P<why>.+)", N_("Malformed answer ({why})")),
    _r("auth", r"authentication: (?P<why>.+)", N_("Authentication failed ({why})")),
    _r("not_json", r"body is not JSON", N_("The answer is not JSON")),
    _r("no_field", r"body has no (?P<path>.+)", N_("The answer has no field {path}")),
    _r(
        "wrong_field",
        r"body (?P<path>\S+) is (?P<got>.+) \(expected (?P<want>.+)\)",
        N_("Field {path} is {got} (expected {want})"),
    ),
    _r(
        "too_large",
        r"body (?:of (?P<n>\d+) bytes is )?larger than max_body (?P<max>\d+)(?: bytes)?",
        N_("The answer is larger than the limit of {max} bytes"),
        lambda m: {"max": number(int(m["max"]), 0)},
    ),
)


def reason_code(detail: str) -> str | None:
    """The code of a known failure reason, None for a detail written by someone else."""
    return next((code for code, p, _m, _f in REASONS if p.match(detail)), None)


def reason(detail: str | None) -> str:
    """A failure reason in the page's language; a detail no pattern knows (a department's
    own text) is shown as written."""
    if not detail:
        return NOTHING
    for _code, pattern, msgid, fields in REASONS:
        m = pattern.match(detail)
        if m is not None:
            return _(msgid).format(**fields(m))
    return detail


def day_why(
    state: str,
    counted: int,
    need: int,
    failures: int,
    weekend: bool,
    in_force: bool,
    excusal_ids: list[int],
) -> str:
    """Why a day is in its state, in one sentence (the day page). `state` is a key of the
    glossary's DAY_STATES: `open` is today before it ends, `after_as_of` a day to come."""
    if state == "not_required":
        if not in_force:
            return _("Not required: outside the duty's period.")
        if weekend:
            return _("Not required: a weekend day.")
        return _("Not required: a holiday or a day off in the province's calendar.")
    if state == "after_as_of":
        return _("This day has not come yet: nothing is due for it.")
    have = _("{counted}/{need} successful transactions from the sources that count").format(
        counted=counted, need=need
    )
    if state in ("met", "probe_only"):
        text = _("Met: {have}.").format(have=have)
        if state == "probe_only":
            text += " " + _("Without the monitoring's own probes this day would not be met.")
        return text
    if state == "excused":
        ids = ", ".join(str(n) for n in excusal_ids)
        return _("Excused (excusal {ids}): {have}.").format(ids=ids, have=have)
    if failures:
        tail = ngettext("{n} failed transaction", "{n} failed transactions", failures)
        tail = tail.format(n=failures)
    else:
        tail = _("no failed transaction recorded")
    if state == "before_records":
        return _("Nothing recorded: {have}.").format(have=have)
    if state == "open":
        return _("The day is not over yet: {have} so far; {tail}.").format(have=have, tail=tail)
    return _("Missed: {have}; {tail}.").format(have=have, tail=tail)
