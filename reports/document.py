"""The filed document's words, the same for the PDF and the DOCX: a report under Nghị định
30/2020/NĐ-CP (Phụ lục I) — heading, number, place and date, title and summary line, the
assessment written from the figures, proposals, "Nơi nhận", signer — and its method annex.

Pure: text from a Filing, in the filing's language; the writers only lay it out.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from compliance.periods import parse_period
from compliance.platforms import duty_line, requirements_line
from compliance.quarterly import QuarterReport
from compliance.report import Report
from compliance.rules import ComplianceRow, DayState
from i18n import N_, Lang, gettext_in
from registry import Registry
from registry.model import ALL_SOURCES
from reports.excused import excusal_lines, sorted_sources, sources_text
from reports.filing import Filing, Line, status_counts
from reports.words import MONTH_NAMES_EN, Labels, Phrases, text

BLANK = "……"  # a dotted blank the office fills in by hand
# Points within a section, as Vietnamese documents letter them ("điểm a, b, c, d, đ, …").
POINTS = tuple("abcdđeghiklmn")
SHORT = ("partial", "non_compliant")  # a duty to maintain transactions that fell short

DEFAULT_RECIPIENTS = (  # after the People's Committee (for its information)
    N_("- The departments and agencies (for action);"),
    N_("- Archive: VT."),
)


# The tables' words, the same in the PDF and the DOCX.
PHRASES: dict[str, str] = {
    "nation": N_("SOCIALIST REPUBLIC OF VIETNAM"),
    "motto": N_("Independence - Freedom - Happiness"),
    "recipients": N_("Recipients:"),
    "result": N_("Status"),
    "count": N_("Duties"),
    "whole_quarter": N_("Quarter"),
    "total": N_("All duties"),
    "by_department": N_("By department"),
    "obligations": N_("Duties"),
    "legend": N_("Strip of days under each duty:"),
    "no_rows": N_("No duty in the period."),
    "no": N_("#"),
    "threshold": N_("target {target}, ≥ {n} successes/day"),
    "derived": N_("derived"),
    "required_short": N_("Days required"),
    "met_short": N_("Met days"),
    "successes_short": N_("Successful"),
    "failures_short": N_("Failed"),
    "last_short": N_("Latest success"),
    "probe_only": N_("Days met only by the monitoring system's own probe calls: {n}."),
    "excused": N_("Excused days: {n}."),
    "excusal": N_(
        "Excusal no. {id} ({first} – {last}, excused days: {days}): {reason} — proposed by"
        " {by}; approved by {approver}."
    ),
}


@dataclass(frozen=True)
class Section:
    """A numbered heading and its paragraphs (each a sentence or a "- " list item)."""

    heading: str
    paragraphs: tuple[str, ...]


def parent_body(filing: Filing) -> str:
    """The issuing body's parent: "ỦY BAN NHÂN DÂN TỈNH BẮC NINH" / "… THÀNH PHỐ HUẾ"."""
    province = filing.report.province
    if province.kind == "city":
        message = gettext_in(filing.lang, "PEOPLE'S COMMITTEE OF {name} CITY")
    else:
        message = gettext_in(filing.lang, "PEOPLE'S COMMITTEE OF {name} PROVINCE")
    return message.format(name=text(province.name).upper())


def parent_short(filing: Filing) -> str:
    """The People's Committee as a recipient names it: "UBND tỉnh Bắc Ninh"."""
    province = filing.report.province
    if province.kind == "city":
        message = gettext_in(filing.lang, "the People's Committee of {name} city")
    else:
        message = gettext_in(filing.lang, "the People's Committee of {name} province")
    return message.format(name=text(province.name))


def issuing_body(filing: Filing) -> str:
    """The standing department that issues the report, in capitals (a blank without one)."""
    d = filing.standing_department
    return text(d.name).upper() if d is not None else BLANK


def _issuer_name(filing: Filing) -> str:
    d = filing.standing_department
    return text(d.name) if d is not None else BLANK


def number(filing: Filing) -> str:
    """`Số: ……/BC-SKHCN`: the clerk writes the number when the document is issued."""
    code = filing.document.document_code.strip() or BLANK
    return gettext_in(filing.lang, "No.: {number}/BC-{code}").format(number=BLANK, code=code)


def place_date(filing: Filing) -> str:
    """`Bắc Ninh, ngày 02 tháng 11 năm 2026` (days below 10 and months 1, 2 with a zero)."""
    day: date = filing.report.generated_at.date()
    return gettext_in(filing.lang, "{place}, {month_name} {day}, {year}").format(
        place=text(filing.report.province.name),
        day=day.day,
        dd=f"{day.day:02d}",
        month=f"{day.month:02d}" if day.month < 3 else str(day.month),
        month_name=MONTH_NAMES_EN[day.month - 1],
        year=day.year,
    )


def title(filing: Filing) -> str:
    return gettext_in(filing.lang, "REPORT")


def _period_in_text(filing: Filing) -> str:
    """`tháng 9 năm 2026` inside a Vietnamese sentence; `September 2026` in English."""
    period = filing.labels.period(filing.period)
    return period[0].lower() + period[1:] if filing.lang == "vi" else period


def summary_line(filing: Filing) -> str:
    """The title's summary: what the report is about, and its period."""
    period = _period_in_text(filing)
    line = gettext_in(
        filing.lang,
        "On the connections and transactions with the national information systems, {period}",
    ).format(period=period)
    if filing.report.department is not None:
        line += f" ({text(filing.report.department.name)})"
    return line


def _figures_intro(filing: Filing) -> list[str]:
    labels = filing.labels
    report = filing.report
    rows = [line.row for line in filing.lines]
    maintain = sum(1 for r in rows if r.kind == "maintain")
    found = [
        gettext_in(
            filing.lang,
            "From the transactions that the monitoring system recorded up to the end of"
            " {as_of}, the situation of the departments' connections and transactions with the"
            " national information systems is as follows.",
        ).format(as_of=labels.date(report.as_of)),
        gettext_in(
            filing.lang,
            "Duties: {n} ({m} to maintain transactions, {c} to establish a connection);"
            " departments: {d}.",
        ).format(
            n=labels.integer(len(rows)),
            d=labels.integer(len(filing.departments)),
            m=labels.integer(maintain),
            c=labels.integer(len(rows) - maintain),
        ),
    ]
    if filing.period.deadline is not None:
        found.append(
            gettext_in(
                filing.lang,
                "Quarterly report deadline: before the 25th of the quarter's last month, so"
                " {deadline} at the latest (operating rules, Art. 10).",
            ).format(deadline=labels.date(filing.period.deadline))
        )
    return found


def situation(filing: Filing) -> Section:
    """I. The figures in a few sentences (the counts table follows it)."""
    return Section(gettext_in(filing.lang, "I. SITUATION"), tuple(_figures_intro(filing)))


def _missed(row: ComplianceRow) -> int:
    """Required days not met (excused days are no longer required)."""
    return row.required_days - row.met_days


def _short_rows(filing: Filing) -> dict[str, list[ComplianceRow]]:
    """Each department's duties that fell short, by department name, in registry order."""
    found: dict[str, list[ComplianceRow]] = defaultdict(list)
    for line in filing.lines:
        row = line.row
        if row.status in SHORT or row.status == "not_connected":
            found[text(row.department_name)].append(row)
    return found


def assessment(filing: Filing) -> Section:
    """II. Which departments fell short, for how many days, and what was excused."""
    labels = filing.labels
    rows = [line.row for line in filing.lines]
    counts = status_counts(rows)
    maintain = [r for r in rows if r.kind == "maintain"]
    connect = [r for r in rows if r.kind == "connect"]
    paragraphs: list[str] = []
    if maintain:
        paragraphs.append(
            gettext_in(
                filing.lang,
                "Duties to maintain transactions: {compliant} of {n} compliant, {partial}"
                " partial, {non_compliant} non-compliant, {not_applicable} not applicable.",
            ).format(
                n=labels.integer(len(maintain)),
                **{s: labels.integer(counts[s]) for s in (*SHORT, "compliant", "not_applicable")},
            )
        )
    if connect:
        paragraphs.append(
            gettext_in(filing.lang, "Duties to connect: {connected} of {n} connected.").format(
                n=labels.integer(len(connect)), connected=labels.integer(counts["connected"])
            )
        )
    short = _short_rows(filing)
    if not short:
        paragraphs.append(gettext_in(filing.lang, "Every department met its duties in the period."))
    else:
        paragraphs.append(
            gettext_in(filing.lang, "Departments that fell short ({n}):").format(
                n=labels.integer(len(short))
            )
        )
        for department, department_rows in short.items():
            parts = []
            for row in department_rows:
                if row.kind == "connect":
                    parts.append(
                        gettext_in(filing.lang, "not yet connected to {system}").format(
                            system=text(row.system_name)
                        )
                    )
                    continue
                part = gettext_in(
                    filing.lang,
                    "{system}: {met} of {required} required days met ({ratio}); days without"
                    " the required successful transactions: {missed}",
                ).format(
                    system=text(row.system_name),
                    met=labels.integer(row.met_days),
                    required=labels.integer(row.required_days),
                    ratio=labels.percent(row.ratio),
                    missed=labels.integer(_missed(row)),
                )
                if row.excused_days:
                    part += gettext_in(filing.lang, "; excused days: {n}").format(
                        n=labels.integer(row.excused_days)
                    )
                parts.append(part)
            paragraphs.append(f"- {department}: {'; '.join(parts)}.")
    excusals = excusal_lines(filing)
    excused = sum(line.row.excused_days for line in filing.lines)
    if excusals:
        paragraphs.append(
            gettext_in(
                filing.lang,
                "Excused days (missed days that were not the department's fault, excusal"
                " approved): {n}, as follows:",
            ).format(n=labels.integer(excused))
        )
        for e in excusals:
            paragraphs.append(
                gettext_in(
                    filing.lang,
                    "- {department}, {system}: {first} – {last}, excused days: {days}; {reason}.",
                ).format(
                    department=text(e.department_name),
                    system=text(e.system_name),
                    days=labels.integer(e.excused_days),
                    first=labels.date(e.excusal.first_day),
                    last=labels.date(e.excusal.last_day),
                    reason=text(e.excusal.reason).rstrip("."),
                )
            )
    else:
        paragraphs.append(gettext_in(filing.lang, "No day was excused in the period."))
    probe_only = sum(line.row.probe_only_days for line in filing.lines)
    if probe_only:
        paragraphs.append(
            gettext_in(
                filing.lang,
                "Days met only by the monitoring system's own probe calls, without a"
                " transaction of the department's own: {n}.",
            ).format(n=labels.integer(probe_only))
        )
    paragraphs += _corrections(filing)
    return Section(gettext_in(filing.lang, "II. ASSESSMENT"), tuple(paragraphs))


# An excusal's change to a filed period: what was decided, and what it does to the days.
CHANGES = {
    "approved": (N_("approved"), N_("the days are now excused")),
    "withdrawn": (N_("withdrawn"), N_("the days are excused no more")),
}


def _corrections(filing: Filing) -> list[str]:
    """Excusals decided after an earlier period was filed: what they change in it, said once
    (reports/corrections.py), in the document that is filed as well as in the workbook."""
    if not filing.corrections:
        return []
    lang, labels, tz = filing.lang, filing.labels, filing.registry.tz
    found = [
        gettext_in(
            lang,
            "Corrections to periods already reported (excusals decided after the report was"
            " sent; the report sent is unchanged, its figures change as follows):",
        )
    ]
    for c in filing.corrections:
        e = c.excusal
        try:
            department = text(filing.registry.department(e.department).name) if e.department else ""
        except KeyError:
            department = e.department or ""
        try:
            system = text(filing.registry.system(e.system).name)
        except KeyError:
            system = e.system
        by = e.withdrawn_by if c.change == "withdrawn" else e.decided_by
        found.append(
            gettext_in(
                lang,
                "- {period} (report sent {filed}): excusal no. {id}, {who}{system}, {first} –"
                " {last} ({days} days of that period), {change} on {changed} (decided by {by}), so"
                " {effect}; reason: {reason}.",
            ).format(
                period=labels.period(parse_period(c.period)),
                filed=labels.datetime(c.filed_at.astimezone(tz)),
                id=e.id,
                who=f"{department}, " if department else "",
                system=system,
                first=labels.date(c.first_day),
                last=labels.date(c.last_day),
                days=labels.integer(c.days),
                change=gettext_in(lang, CHANGES[c.change][0]),
                effect=gettext_in(lang, CHANGES[c.change][1]),
                changed=labels.datetime(c.changed_at.astimezone(tz)),
                by=person(by or "—", filing.registry, lang),
                reason=text(e.reason).rstrip("."),
            )
        )
    return found


def proposals(filing: Filing) -> Section:
    """III. What the office proposes: drafted from the figures, with room for its own words."""
    short = _short_rows(filing)
    paragraphs: list[str] = []
    lagging = [d for d, rows in short.items() if any(r.kind == "maintain" for r in rows)]
    unconnected = [d for d, rows in short.items() if any(r.kind == "connect" for r in rows)]
    if lagging:
        paragraphs.append(
            gettext_in(
                filing.lang,
                "- The departments that fell short ({departments}) should find and remove the"
                " cause, so that every working day has successful transactions; a missed day"
                " that was not their fault should be explained for excusal.",
            ).format(departments=", ".join(lagging))
        )
    if unconnected:
        paragraphs.append(
            gettext_in(
                filing.lang,
                "- {departments}: complete the connection to the national systems they are"
                " assigned.",
            ).format(departments=", ".join(unconnected))
        )
    if not short:
        paragraphs.append(
            gettext_in(
                filing.lang, "- The departments should keep their connections and transactions up."
            )
        )
    paragraphs.append(f"- {BLANK * 12}")
    return Section(gettext_in(filing.lang, "III. PROPOSALS"), tuple(paragraphs))


def closing(filing: Filing) -> str:
    return gettext_in(
        filing.lang,
        "Above is the report on the connections and transactions with the national information"
        " systems, {period}; the details by department and the method are in the annexes./.",
    ).format(period=_period_in_text(filing))


def recipients(filing: Filing) -> list[str]:
    """`Nơi nhận`: the config's lines, or the usual three."""
    configured = filing.document.recipients
    if configured is not None:
        return [text(r) for r in configured]
    committee = parent_short(filing)
    first = gettext_in(filing.lang, "- {committee} (for its information);").format(
        committee=committee[0].upper() + committee[1:]
    )
    return [first, *(gettext_in(filing.lang, r) for r in DEFAULT_RECIPIENTS)]


def signer(filing: Filing) -> tuple[list[str], str]:
    """The signer's authority and title (one line each, capitals) and name; blanks without."""
    title_text = filing.document.signer_title.strip()
    titles = [text(t).strip().upper() for t in title_text.splitlines() if t.strip()]
    return titles or [BLANK * 4], text(filing.document.signer_name.strip()) or BLANK * 4


def annex_heading(filing: Filing, n: int, name: str) -> tuple[str, str, str]:
    """`PHỤ LỤC I`, its name, and `(Kèm theo Báo cáo số ……/BC-… của …)`."""
    roman = ("I", "II", "III")[n - 1]
    return (
        gettext_in(filing.lang, "ANNEX {n}").format(n=roman),
        name,
        gettext_in(filing.lang, "(Attached to report {number} of {issuer})").format(
            number=number(filing).split(" ", 1)[1], issuer=_issuer_name(filing)
        ),
    )


def details_name(filing: Filing) -> str:
    return gettext_in(filing.lang, "DETAILS BY DEPARTMENT")


def method_name(filing: Filing) -> str:
    return gettext_in(filing.lang, "METHOD AND SOURCES OF THE FIGURES")


def method(filing: Filing) -> list[Section]:
    """The annex "Phương pháp và nguồn số liệu": rules, calendar, sources, provenance."""
    labels = filing.labels
    report = filing.report
    rules = tuple(
        f"{point}) {rule}"
        for point, rule in zip(POINTS, labels.rules(filing.is_quarter), strict=False)
    )
    holidays = "; ".join(f"{labels.date(d)} {text(name)}" for d, name in filing.holidays)
    overrides = "; ".join(
        f"{labels.date(d)} ("
        + (
            gettext_in(filing.lang, "made a working day")
            if working
            else gettext_in(filing.lang, "made a day off")
        )
        + ")"
        for d, working in filing.overrides
    )
    none = gettext_in(filing.lang, "none")
    calendar = (
        gettext_in(filing.lang, "Vietnam's public holidays in the period: {days}.").format(
            days=holidays or none
        ),
        gettext_in(filing.lang, "The registry's calendar overrides in the period: {days}.").format(
            days=overrides or none
        ),
        gettext_in(filing.lang, "Days are local days (time zone {zone}).").format(
            zone=zone(report)
        ),
        filing.calendar_note,
    )
    sources = (_sources_line(filing), *_requirements(filing))
    origin = (
        gettext_in(filing.lang, "Figures to the end of {as_of}; report generated at {at}.").format(
            as_of=labels.date(report.as_of), at=labels.datetime(report.generated_at)
        ),
        *filing.provenance.lines(filing.lang),
    )
    return [
        Section(gettext_in(filing.lang, "1. How the figures are computed"), rules),
        Section(gettext_in(filing.lang, "2. Working days"), calendar),
        Section(gettext_in(filing.lang, "3. Sources of the transactions"), sources),
        Section(gettext_in(filing.lang, "4. Where the figures come from"), origin),
    ]


def summary_columns(filing: Filing) -> list[tuple[str, Sequence[ComplianceRow]]]:
    """The status summary's columns, each a name and its duties' rows: a quarter's each
    month, then the whole period."""
    words = Phrases(PHRASES, filing.lang)
    columns: list[tuple[str, Sequence[ComplianceRow]]] = [
        (filing.labels.period_short(m.month), m.rows) for m in filing.months
    ]
    whole = words["whole_quarter"] if filing.is_quarter else words["count"]
    columns.append((whole, [line.row for line in filing.lines]))
    return columns


def detail_headers(filing: Filing) -> list[str]:
    """The detail annex's columns: a quarter has one more, the period of each figures row."""
    words = Phrases(PHRASES, filing.lang)
    labels = filing.labels
    return [
        words["no"],
        labels.column("system_name"),
        labels.column("basis"),
        labels.column("kind"),
        *([labels.column("period")] if filing.is_quarter else []),
        words["required_short"],
        words["met_short"],
        labels.column("ratio"),
        words["successes_short"],
        words["failures_short"],
        words["last_short"],
        labels.column("status"),
    ]


def detail_periods(line: Line, filing: Filing) -> list[tuple[str, ComplianceRow]]:
    """A duty's rows of figures in the detail annex: a quarter's each month, then the quarter;
    a month's, the month alone."""
    labels = filing.labels
    whole = (labels.period_short(filing.period), line.row)
    if not filing.is_quarter:
        return [whole]
    return [(labels.period_short(m), row) for m, row in line.months] + [whole]


def figures(row: ComplianceRow, labels: Labels) -> list[str]:
    """A row's figures as the detail annex prints them, after its period, before its status."""
    return [
        labels.integer(row.required_days),
        labels.integer(row.met_days),
        labels.percent(row.ratio),
        labels.integer(row.successes),
        labels.integer(row.failures),
        labels.datetime(row.last_success) if row.last_success else "—",
    ]


def duty_notes(row: ComplianceRow, filing: Filing) -> list[str]:
    """What the detail annex notes under a duty: its probe-only and excused days, the platforms
    that carried it, each excusal with its reason and authors."""
    words = Phrases(PHRASES, filing.lang)
    labels = filing.labels
    found = []
    if row.probe_only_days:
        found.append(words["probe_only"].format(n=row.probe_only_days))
    if row.excused_days:
        found.append(words["excused"].format(n=row.excused_days))
    if platforms := platform_note(row, filing):
        found.append(platforms)
    excused = [d for d, state in row.days if state == DayState.EXCUSED]
    for e in row.excusals:
        found.append(
            words["excusal"].format(
                id=e.id,
                first=labels.date(e.first_day),
                last=labels.date(e.last_day),
                days=sum(e.first_day <= d <= e.last_day for d in excused),
                reason=e.reason,
                by=person(e.proposed_by, filing.registry, filing.lang),
                approver=person(e.decided_by, filing.registry, filing.lang)
                if e.decided_by
                else "—",
            )
        )
    return found


def platform_note(row: ComplianceRow, filing: Filing) -> str:
    """Contract 1.2, under a duty's figures: the platforms that carried its successes and its
    standing with the one the law requires (empty: nothing to say)."""
    return duty_line(
        row.platforms, row.required_platform, row.successes, row.platform_successes, filing.lang
    )


def _requirements(filing: Filing) -> tuple[str, ...]:
    """The platform requirements in force in the period, with their basis."""
    required = [
        r
        for r in filing.registry.platform_requirements
        if r.since <= filing.period.last and (r.until is None or r.until > filing.period.first)
    ]
    if not required:
        return ()
    line = gettext_in(
        filing.lang,
        "Data-sharing platforms required by law, per duty (shown beside the figures,"
        " which they do not change): {list}.",
    )
    return (line.format(list=requirements_line(required, filing.lang)),)


def zone(report: Report | QuarterReport) -> str:
    """The timezone as people read it: its UTC offset ('UTC+07:00'), not its tz database name."""
    offset = report.generated_at.utcoffset()
    minutes = int(offset.total_seconds()) // 60 if offset is not None else 0
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _sources_line(filing: Filing) -> str:
    """The evidence policy in force: one line when every obligation counts every source."""
    partial = [
        f"{text(t.department_name)} – {text(t.system_name)}:"
        f" {sources_text(sorted_sources(filing, t.obligation), filing.lang)}"
        for t in filing.thresholds
        if len(sorted_sources(filing, t.obligation)) < len(ALL_SOURCES)
    ]
    if not partial:
        return gettext_in(
            filing.lang,
            "Sources that count: all four (probes, the push interface, gateways, file imports)"
            " for every duty.",
        )
    return gettext_in(
        filing.lang, "Sources that count, for duties not counting all four: {list}."
    ).format(list="; ".join(partial))


_EXPLAIN = re.compile(r"^(?P<code>[a-z0-9-]+) \(explain token [^,)]*(?:, (?P<label>.*))?\)$")


def person(by: str, registry: Registry, lang: Lang) -> str:
    """Who proposed or approved an excusal, as a person reads it: an explanation sent from a
    department's page is named by the department (and the person its code was issued to),
    never by the code's prefix."""
    found = _EXPLAIN.match(by)
    if found is None:
        return text(by)
    code, label = found["code"], found["label"]
    try:
        name = text(registry.department(code).name)
    except KeyError:
        name = code
    if label:
        return gettext_in(lang, "{department} (explanation from its page, {person})").format(
            department=name, person=text(label)
        )
    return gettext_in(lang, "{department} (explanation from its page)").format(department=name)
