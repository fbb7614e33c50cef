"""The Grafana dashboards, built with grafana-foundation-sdk from the registry.

Five dashboards with stable uids (`lienthong-<province code>-<name>`), whatever their language:
every word a person reads (titles, descriptions, legends, value mappings, column names) is an
English msgid translated when the dashboards are built, into the current language (the
command's `--lang`; Vietnamese in i18n/locale/vi/LC_MESSAGES/dashboards.po). Every panel
reads the exporter's metrics filtered to the registry's province; rows of tables and grids
come from the series themselves, so an obligation added to the registry appears on the next
scrape without re-rendering.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from grafana_foundation_sdk.builders import bargauge, stat, statetimeline, table, timeseries
from grafana_foundation_sdk.builders.dashboard import (
    Dashboard,
    DashboardLink,
    DatasourceVariable,
    QueryVariable,
    Row,
    ThresholdsConfig,
)
from grafana_foundation_sdk.builders.prometheus import Dataquery
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.common import (
    BigValueGraphMode,
    DataSourceRef,
    TableColoredBackgroundCellOptions,
)
from grafana_foundation_sdk.models.dashboard import (
    DashboardLinkType,
    DataTransformerConfig,
    DynamicConfigValue,
    Threshold,
    ThresholdsMode,
    ValueMap,
    ValueMapping,
    ValueMappingResult,
    VariableOption,
    VariableRefresh,
    VariableSort,
)
from grafana_foundation_sdk.models.prometheus import PromQueryFormat

from exporter import families as m
from i18n import N_, _
from i18n.glossary import DAY_STATES, STATUSES
from registry import Registry

DATASOURCE_UID = "lienthong-prometheus"  # the provisioned data source
DATASOURCE = DataSourceRef(type_val="prometheus", uid="${datasource}")
OB = m.OBLIGATION
TAG = "lienthong"

SUCCESS, FAILURE, PROBE = 'outcome="success"', 'outcome="failure"', 'source="probe"'

# Obligation status in the overview grid.
FAILING, PENDING, OK = 0, 1, 2


@dataclass(frozen=True)
class Board:
    """One dashboard: its uid (file name, the same in every language) and its title's msgid."""

    slug: str
    title: str


OVERVIEW = Board("tong-quan", N_("Overview"))
DEPARTMENT = Board("so-nganh", N_("By department"))
SYSTEM = Board("he-thong", N_("By national system"))
COMPLIANCE = Board("tuan-thu", N_("Monthly compliance"))
ENGINE = Board("may-tham-do", N_("Probe engine"))
BOARDS = (OVERVIEW, DEPARTMENT, SYSTEM, COMPLIANCE, ENGINE)


def uid(registry: Registry, board: Board) -> str:
    return f"lienthong-{registry.province.code}-{board.slug}"


class Queries:
    """PromQL for one province, with an optional extra selector (e.g. one department)."""

    def __init__(self, province: str, extra: str = "") -> None:
        self.sel = f'province="{province}"' + (f",{extra}" if extra else "")

    def of(self, metric: str, more: str = "") -> str:
        return f"{metric}{{{self.sel}{',' + more if more else ''}}}"

    @property
    def info(self) -> str:
        return self.of(m.OBLIGATION_INFO.series)

    def named(self, expr: str, labels: str = "department_name, system_name") -> str:
        """`expr` with the obligation's names joined from lienthong_obligation_info."""
        return f"({expr})\n* on ({OB}) group_left ({labels}) {self.info}"

    def _or_zero(self, expr: str) -> str:
        return f"(({expr}) or on ({OB}) (0 * group by ({OB}) ({self.info})))"

    def failure_ratio(self, window: str = "15m", by: str = OB) -> str:
        probe = self.of(m.TRANSACTIONS.series, 'source="probe"')
        failed = self.of(m.TRANSACTIONS.series, 'source="probe",outcome="failure"')
        return (
            f"sum by ({by}) (rate({failed}[{window}]))\n/ sum by ({by}) (rate({probe}[{window}]))"
        )

    @property
    def status(self) -> str:
        """2 fine, 1 required today and no success yet, 0 days missed or probes failing."""
        missed = f"2 * (max by ({OB}) ({self.of(m.MISSED_REQUIRED_DAYS.series)}) >= bool 1)"
        pending = (
            f"(max by ({OB}) ({self.of(m.SUCCESSES_TODAY.series)}) == bool 0)"
            f" * on (province) group_left max by (province) ({self.of(m.WORKING_DAY.series)})"
        )
        probes = f"2 * ({self.failure_ratio()} > bool 0.5)"
        return (
            f"clamp_min(\n  2 * group by ({OB}) ({self.info})\n"
            f"  - on ({OB}) {self._or_zero(missed)}\n"
            f"  - on ({OB}) {self._or_zero(pending)}\n"
            f"  - on ({OB}) {self._or_zero(probes)},\n  0\n)"
        )


def _query(expr: str, legend: str = "", ref: str = "A", instant: bool = False) -> Dataquery:
    q = Dataquery().expr(expr).ref_id(ref)
    if legend:
        q = q.legend_format(legend)
    if instant:
        return q.instant().format(PromQueryFormat.TABLE)
    return q.range()


def _thresholds(*steps: tuple[float | None, str]) -> ThresholdsConfig:
    return (
        ThresholdsConfig()
        .mode(ThresholdsMode.ABSOLUTE)
        .steps([Threshold(value=v, color=c) for v, c in steps])
    )


def _mapping(values: dict[int, tuple[str, str]]) -> list[ValueMapping]:
    """Value mappings: each value's text (a msgid, translated now) and colour."""
    return [
        ValueMap(
            options={
                str(k): ValueMappingResult(text=_(text), color=color, index=i)
                for i, (k, (text, color)) in enumerate(values.items())
            }
        )
    ]


# An obligation's state in the status grid, named and coloured as the status pages name
# today's state (exporter/words.py, from the glossary): the colour is the cell's background.
STATUS_TEXT = {
    FAILING: (N_("Failing"), STATUSES["non_compliant"].background),
    PENDING: (DAY_STATES["open"].name, DAY_STATES["open"].background),
    OK: (N_("Normal"), DAY_STATES["met"].background),
}
CIRCUIT_TEXT = {
    0: (N_("Closed (normal)"), "green"),
    1: (N_("Open (probes paused)"), "red"),
    2: (N_("Half-open"), "orange"),
}
RUNNING_TEXT = {0: (N_("Stopped"), "red"), 1: (N_("Running"), "green")}
RATIO_STEPS = ((None, "red"), (0.8, "orange"), (0.9, "green"))


def _organize(rename: dict[str, str], hide: tuple[str, ...] = ()) -> DataTransformerConfig:
    excluded = {name: True for name in ("Time", "__name__", "job", "instance", *hide)}
    return DataTransformerConfig(
        id_val="organize", options={"excludeByName": excluded, "renameByName": rename}
    )


_MERGE = DataTransformerConfig(id_val="merge", options={})
_TARGET_AS_NUMBER = DataTransformerConfig(
    id_val="convertFieldType",
    options={"conversions": [{"targetField": "target", "destinationType": "number"}]},
)
# The info series' labels as table columns (msgids).
_NAMES = {
    "department": N_("Department code"),
    "department_name": N_("Department"),
    "system": N_("System code"),
    "system_name": N_("National system"),
    "owner": N_("Owner"),
    "kind": N_("Kind"),
    "basis": N_("Basis"),
}
# Columns of the query results (msgids).
STATE = N_("State")
SUCCESSES_TODAY = N_("Successes today")
LAST_SUCCESS = N_("Last success")
MONTH_COMPLIANCE = N_("Monthly compliance")


def _columns(values: dict[str, str]) -> dict[str, str]:
    """The info labels' columns and `values` (field -> msgid), in the current language."""
    return {field: _(title) for field, title in {**_NAMES, **values}.items()}


def _stat(title: str, expr: str, description: str = "") -> stat.Panel:
    panel = (
        stat.Panel()
        .title(title)
        .datasource(DATASOURCE)
        .with_target(_query(expr, instant=True))
        .graph_mode(BigValueGraphMode.NONE)
        .height(4)
        .span(6)
    )
    if description:
        panel = panel.description(description)
    return panel


def _series(title: str, unit: str = "short", height: int = 8, span: int = 12) -> timeseries.Panel:
    return (
        timeseries.Panel().title(title).datasource(DATASOURCE).unit(unit).height(height).span(span)
    )


# The values of the `outcome` label, which are also their msgids.
OUTCOMES = (N_("success"), N_("failure"))


def _outcome_words(panel: timeseries.Panel, after: bool = False) -> timeseries.Panel:
    """A legend's `outcome` (success, failure) in the reader's words: Grafana renames the series
    it drew, the query and its labels stay as they are. Grafana anchors the regex: it is the
    whole name, `{{outcome}}`, or `{{system}} {{outcome}}` when the outcome comes `after`. (A
    space follows `$1`: Grafana reads `$name` in the pattern as a dashboard variable.)"""
    for outcome in OUTCOMES:
        regex, pattern = (f"(.+) {outcome}", "$1 " + _(outcome)) if after else (outcome, _(outcome))
        panel = panel.with_transformation(
            DataTransformerConfig(
                id_val="renameByRegex", options={"regex": regex, "renamePattern": pattern}
            )
        )
    return panel


def _base(registry: Registry, board: Board) -> Dashboard:
    title = _("{province} data connections — {board}").format(
        province=registry.province.name, board=_(board.title)
    )
    return (
        Dashboard(title)
        .uid(uid(registry, board))
        .tags([TAG, registry.province.code])
        .timezone(registry.timezone)
        .time("now-24h", "now")
        .refresh("1m")
        .readonly()
        .with_variable(
            DatasourceVariable("datasource")
            .label(_("Data source"))
            .type("prometheus")
            .current(
                VariableOption(selected=True, text="Prometheus (lienthong)", value=DATASOURCE_UID)
            )
        )
        .link(
            DashboardLink(_("Other dashboards"))
            .type(DashboardLinkType.DASHBOARDS)
            .tags([TAG, registry.province.code])
            .as_dropdown(True)
            .include_vars(False)
            .keep_time(True)
        )
    )


def _variable(name: str, label: str, query: str, default: str) -> QueryVariable:
    # No `.definition(query)`: Grafana's published dashboard schema has no such key (its
    # variables list shows the query itself).
    return (
        QueryVariable(name)
        .label(label)
        .datasource(DATASOURCE)
        .query(query)
        .refresh(VariableRefresh.ON_DASHBOARD_LOAD)
        .sort(VariableSort.ALPHABETICAL_ASC)
        .current(VariableOption(selected=True, text=default, value=default))
    )


def overview(registry: Registry) -> Dashboard:
    q = Queries(registry.province.code)
    status = q.status
    state = _(STATE)
    last_success = _(LAST_SUCCESS)
    return (
        _base(registry, OVERVIEW)
        .description(
            _("Each department with each national system: today, failing, monthly compliance.")
        )
        .with_row(Row(_("Today")))
        .with_panel(_stat(_("Obligations monitored"), f"count({q.info})"))
        .with_panel(
            _stat(_("Failing"), f"count(({status}) == {FAILING}) or vector(0)").thresholds(
                _thresholds((None, "green"), (1, "red"))
            )
        )
        .with_panel(
            _stat(
                _("No successful transaction today yet"),
                f"count(({status}) == {PENDING}) or vector(0)",
            ).thresholds(_thresholds((None, "green"), (1, "orange")))
        )
        .with_panel(
            _stat(
                _("National systems with an open circuit breaker"),
                f"count({q.of(m.CIRCUIT_STATE.series)} > 0) or vector(0)",
                _(
                    "Circuit breaker open or half-open: lienthong is pausing its probes of that"
                    " system."
                ),
            ).thresholds(_thresholds((None, "green"), (1, "red")))
        )
        .with_panel(
            table.Panel()
            .title(_("State: department × national system"))
            .description(
                _("Rows: departments; columns: national system codes. Empty cell: no obligation.")
            )
            .datasource(DATASOURCE)
            .with_target(_query(q.named(status), instant=True))
            .with_transformation(
                DataTransformerConfig(
                    id_val="groupingToMatrix",
                    options={
                        "columnField": "system",
                        "rowField": "department_name",
                        "valueField": "Value",
                        "emptyValue": "empty",
                    },
                )
            )
            .mappings(_mapping(STATUS_TEXT))
            .cell_options(TableColoredBackgroundCellOptions())
            .height(10)
            .span(24)
        )
        .with_panel(
            table.Panel()
            .title(_("Failing"))
            .description(
                _("Obligations with missed days, failing probes, or no transaction yet today.")
            )
            .datasource(DATASOURCE)
            .with_target(_query(q.named(f"({status}) < {OK}"), instant=True, ref="A"))
            .with_target(
                _query(
                    f"1000 * max by ({OB}) ({q.of(m.LAST_SUCCESS.series)})\nand on ({OB}) (({status}) < {OK})",
                    instant=True,
                    ref="B",
                )
            )
            .with_transformation(_MERGE)
            .with_transformation(
                _organize(_columns({"Value #A": STATE, "Value #B": LAST_SUCCESS}), ("province",))
            )
            .override_by_name(state, [_mappings_property(STATUS_TEXT)])
            .override_by_name(last_success, [_unit_property("dateTimeAsLocal")])
            .height(8)
            .span(24)
        )
        .with_row(Row(_("This month")))
        .with_panel(
            bargauge.Panel()
            .title(_("Monthly compliance so far"))
            .description(
                _(
                    "Days met / working days that need a transaction, from the start of the"
                    " month until now."
                )
            )
            .datasource(DATASOURCE)
            .with_target(
                _query(
                    q.named(q.of(m.COMPLIANCE_RATIO.series)),
                    "{{department_name}} — {{system_name}}",
                    instant=True,
                )
            )
            .unit("percentunit")
            .min(0)
            .max(1)
            .thresholds(_thresholds(*RATIO_STEPS))
            .height(12)
            .span(16)
        )
        .with_panel(
            _stat(
                _("Month's target still reachable"),
                f"count({q.of(m.MONTH_MISSABLE_DAYS.series)} >= 0) or vector(0)",
                _("Obligations to maintain whose whole month can still reach its target."),
            )
            .height(6)
            .span(8)
        )
        .with_panel(
            _outcome_words(
                _series(
                    _("Transactions per second by outcome (all sources)"), "reqps", 6, 8
                ).with_target(
                    _query(
                        f"sum by (outcome) (rate({q.of(m.TRANSACTIONS.series)}[$__rate_interval]))",
                        "{{outcome}}",
                    )
                )
            )
        )
    )


def _mappings_property(values: dict[int, tuple[str, str]]) -> DynamicConfigValue:
    return DynamicConfigValue(id_val="mappings", value=_mapping(values))


def _unit_property(unit: str) -> DynamicConfigValue:
    return DynamicConfigValue(id_val="unit", value=unit)


def department(registry: Registry) -> Dashboard:
    code = registry.province.code
    q = Queries(code, 'department="$department"')
    first = registry.departments[0].code if registry.departments else ""
    state, compliance, last_success = _(STATE), _(MONTH_COMPLIANCE), _(LAST_SUCCESS)
    return (
        _base(registry, DEPARTMENT)
        .description(_("A department's obligations: state, transactions, probes, compliance."))
        .with_variable(
            _variable(
                "department",
                _("Department"),
                f'label_values({m.OBLIGATION_INFO.series}{{province="{code}"}}, department)',
                first,
            )
        )
        .with_panel(
            table.Panel()
            .title(_("The department's obligations"))
            .datasource(DATASOURCE)
            .with_target(
                _query(q.named(q.status, "system_name, kind, basis"), instant=True, ref="A")
            )
            .with_target(
                _query(f"max by ({OB}) ({q.of(m.SUCCESSES_TODAY.series)})", instant=True, ref="B")
            )
            .with_target(
                _query(f"max by ({OB}) ({q.of(m.COMPLIANCE_RATIO.series)})", instant=True, ref="C")
            )
            .with_target(
                _query(
                    f"1000 * max by ({OB}) ({q.of(m.LAST_SUCCESS.series)})", instant=True, ref="D"
                )
            )
            .with_transformation(_MERGE)
            .with_transformation(
                _organize(
                    _columns(
                        {
                            "Value #A": STATE,
                            "Value #B": SUCCESSES_TODAY,
                            "Value #C": MONTH_COMPLIANCE,
                            "Value #D": LAST_SUCCESS,
                        }
                    ),
                    ("province", "department"),
                )
            )
            .override_by_name(state, [_mappings_property(STATUS_TEXT)])
            .override_by_name(compliance, [_unit_property("percentunit")])
            .override_by_name(last_success, [_unit_property("dateTimeAsLocal")])
            .height(8)
            .span(24)
        )
        .with_panel(
            _outcome_words(
                _series(_("Transactions per second by system and outcome"), "reqps").with_target(
                    _query(
                        f"sum by (system, outcome) (rate({q.of(m.TRANSACTIONS.series)}[$__rate_interval]))",
                        "{{system}} {{outcome}}",
                    )
                ),
                after=True,
            )
        )
        .with_panel(
            # Durations are per national system by default (no `department` label):
            # the systems the department owes, through its obligations' info series.
            _series(
                _("Probe duration of the systems the department connects to (95th percentile)"),
                "s",
            ).with_target(
                _query(
                    "histogram_quantile(0.95, sum by (system, le) (rate("
                    f'{m.PROBE_DURATION.series}_bucket{{province="{code}"}}[$__rate_interval])'
                    f" * on (province, system) group_left () group by (province, system) ({q.info})))",
                    "{{system}}",
                )
            )
        )
        .with_panel(
            _series(_("Successful transactions since the start of the day"), "short").with_target(
                _query(f"max by (system) ({q.of(m.SUCCESSES_TODAY.series)})", "{{system}}")
            )
        )
        .with_panel(
            _series(_("Working days in a row without a transaction"), "short").with_target(
                # The streak's gauge is absent while there is none: 0 for those.
                _query(
                    f"max by (system) ({q.of(m.MISSED_REQUIRED_DAYS.series)}"
                    f" or 0 * {q.of(m.SUCCESSES_TODAY.series)})",
                    "{{system}}",
                )
            )
        )
    )


def system(registry: Registry) -> Dashboard:
    code = registry.province.code
    q = Queries(code, 'system="$system"')
    used = {o.system for o in registry.obligations}
    first = next((s.code for s in registry.systems if s.code in used), "")
    by = "department"
    last_success = _(LAST_SUCCESS)
    return (
        _base(registry, SYSTEM)
        .description(_("The traffic of every department to one national system."))
        .with_variable(
            _variable(
                "system",
                _("National system"),
                f'label_values({m.OBLIGATION_INFO.series}{{province="{code}"}}, system)',
                first,
            )
        )
        .with_panel(
            table.Panel()
            .title(_("Departments connecting to the system"))
            .datasource(DATASOURCE)
            .with_target(
                _query(
                    q.named(
                        f"max by ({OB}) ({q.of(m.SUCCESSES_TODAY.series)})",
                        "department_name, owner",
                    ),
                    instant=True,
                    ref="A",
                )
            )
            .with_target(
                _query(
                    f"1000 * max by ({OB}) ({q.of(m.LAST_SUCCESS.series)})", instant=True, ref="B"
                )
            )
            .with_transformation(_MERGE)
            .with_transformation(
                _organize(
                    _columns({"Value #A": SUCCESSES_TODAY, "Value #B": LAST_SUCCESS}),
                    ("province", "system"),
                )
            )
            .override_by_name(last_success, [_unit_property("dateTimeAsLocal")])
            .height(7)
            .span(24)
        )
        .with_panel(
            _series(_("Successful transactions per second by department"), "reqps").with_target(
                _query(
                    f"sum by ({by}) (rate({q.of(m.TRANSACTIONS.series, SUCCESS)}[$__rate_interval]))",
                    "{{department}}",
                )
            )
        )
        .with_panel(
            _series(_("Failed transactions per second by department"), "reqps").with_target(
                _query(
                    f"sum by ({by}) (rate({q.of(m.TRANSACTIONS.series, FAILURE)}[$__rate_interval]))",
                    "{{department}}",
                )
            )
        )
        .with_panel(
            _series(_("Share of failed probes (15 minutes)"), "percentunit").with_target(
                _query(q.failure_ratio(by=by), "{{department}}")
            )
        )
        .with_panel(
            _series(_("Probe duration of the system (95th percentile)"), "s").with_target(
                _query(
                    "histogram_quantile(0.95, sum by (system, le)"
                    f" (rate({q.of(m.PROBE_DURATION.series + '_bucket')}[$__rate_interval])))",
                    "{{system}}",
                )
            )
        )
        .with_panel(
            statetimeline.Panel()
            .title(_("The system's circuit breaker"))
            .datasource(DATASOURCE)
            .with_target(_query(f"max({q.of(m.CIRCUIT_STATE.series)})", _("Circuit breaker")))
            .mappings(_mapping(CIRCUIT_TEXT))
            .height(5)
            .span(24)
        )
    )


def compliance(registry: Registry) -> Dashboard:
    q = Queries(registry.province.code)

    def value(metric: str) -> str:
        return f"max by ({OB}) ({q.of(metric)})"

    best = (
        f"({value(m.MONTH_MET_DAYS.series)} + on ({OB}) {value(m.MONTH_REMAINING_DAYS.series)})"
        f"\n/ on ({OB}) ({value(m.MONTH_REQUIRED_DAYS.series)} > 0)"
    )
    ratio, best_ratio, target = _("Ratio so far"), _("Best ratio still reachable"), _("Target")
    columns = [
        ("B", value(m.MONTH_MET_DAYS.series), _("Days met")),
        ("C", value(m.MONTH_REQUIRED_DAYS.series), _("Working days in the month")),
        ("D", value(m.MONTH_REMAINING_DAYS.series), _("Days left")),
        ("E", value(m.COMPLIANCE_RATIO.series), ratio),
        ("F", best, best_ratio),
    ]
    panel = (
        table.Panel()
        .title(_("Monthly compliance so far, per obligation"))
        .description(
            _(
                "Days met: working days with enough successful transactions. Best ratio: if"
                " every remaining day is met. Official figures: lienthong report --month YYYY-MM."
            )
        )
        .datasource(DATASOURCE)
        .with_target(
            _query(
                f"max by ({OB}, department_name, system_name, owner, kind, target) ({q.info})",
                instant=True,
            )
        )
    )
    for ref, expr, _title in columns:
        panel = panel.with_target(_query(expr, instant=True, ref=ref))
    rename = {
        **_columns({}),
        "target": target,
        **{f"Value #{ref}": title for ref, _expr, title in columns},
    }
    return (
        _base(registry, COMPLIANCE)
        .description(
            _(
                "The month's compliance table: days met, days that need a transaction, ratio"
                " and target."
            )
        )
        .time("now-30d", "now")
        .with_panel(
            panel.with_transformation(_MERGE)
            # The target is a label of the info series (text): a number, to show as %.
            .with_transformation(_TARGET_AS_NUMBER)
            .with_transformation(_organize(rename, ("province", "Value #A")))
            .override_by_name(ratio, [_unit_property("percentunit")])
            .override_by_name(best_ratio, [_unit_property("percentunit")])
            .override_by_name(target, [_unit_property("percentunit")])
            .height(20)
            .span(24)
        )
        .with_panel(
            _series(_("Monthly compliance ratio so far"), "percentunit", 10, 24).with_target(
                _query(
                    q.named(q.of(m.COMPLIANCE_RATIO.series)),
                    "{{department_name}} — {{system_name}}",
                )
            )
        )
    )


def engine(registry: Registry) -> Dashboard:
    q = Queries(registry.province.code)
    lag = f"sum by (le) (rate({m.SCHEDULE_LAG.series}_bucket[$__rate_interval]))"
    return (
        _base(registry, ENGINE)
        .description(
            _("The probe engine's health: schedule lag, probes in flight, circuit breakers.")
        )
        .with_panel(
            _stat(_("lienthong running"), f'min(up{{job="{m.JOB}"}})').mappings(
                _mapping(RUNNING_TEXT)
            )
        )
        .with_panel(_stat(_("Probes in flight"), f"sum({m.PROBES_IN_FLIGHT.series})"))
        .with_panel(
            _stat(
                _("Systems with an open circuit breaker"),
                f"count({q.of(m.CIRCUIT_STATE.series)} > 0) or vector(0)",
            ).thresholds(_thresholds((None, "green"), (1, "red")))
        )
        .with_panel(
            _stat(
                _("Time to read /metrics"),
                f'max(scrape_duration_seconds{{job="{m.JOB}"}})',
            ).unit("s")
        )
        .with_panel(
            _series(_("Probe schedule lag"), "s")
            .with_target(_query(f"histogram_quantile(0.5, {lag})", _("median"), "A"))
            .with_target(_query(f"histogram_quantile(0.99, {lag})", _("99th percentile"), "B"))
        )
        .with_panel(
            _series(_("Probes in flight by system")).with_target(
                _query(f"sum by (system) ({m.PROBES_IN_FLIGHT.series})", "{{system}}")
            )
        )
        .with_panel(
            statetimeline.Panel()
            .title(_("Circuit breakers by national system"))
            .datasource(DATASOURCE)
            .with_target(_query(f"max by (system) ({q.of(m.CIRCUIT_STATE.series)})", "{{system}}"))
            .mappings(_mapping(CIRCUIT_TEXT))
            .height(10)
            .span(24)
        )
        .with_panel(
            _series(_("Probe duration by system (95th percentile)"), "s").with_target(
                _query(
                    "histogram_quantile(0.95, sum by (system, le)"
                    f" (rate({q.of(m.PROBE_DURATION.series + '_bucket')}[$__rate_interval])))",
                    "{{system}}",
                )
            )
        )
        .with_panel(
            _outcome_words(
                _series(_("Probes per second by outcome"), "reqps").with_target(
                    _query(
                        f"sum by (outcome) (rate({q.of(m.TRANSACTIONS.series, PROBE)}[$__rate_interval]))",
                        "{{outcome}}",
                    )
                )
            )
        )
    )


BUILDERS = {
    OVERVIEW: overview,
    DEPARTMENT: department,
    SYSTEM: system,
    COMPLIANCE: compliance,
    ENGINE: engine,
}


def dashboards(registry: Registry) -> list[dict[str, Any]]:
    """Every dashboard as Grafana JSON (a dict), in a stable order, in the current language."""
    encoder = JSONEncoder(sort_keys=True)
    found: list[dict[str, Any]] = []
    for board in BOARDS:
        document: dict[str, Any] = json.loads(encoder.encode(BUILDERS[board](registry).build()))
        _number_panels(document)
        _drop_interval_settings(document)
        found.append(document)
    return found


INTERVAL_ONLY = ("auto", "auto_count", "auto_min")


def _drop_interval_settings(document: dict[str, Any]) -> None:
    # The SDK writes an interval variable's `auto*` settings on every variable; they mean
    # nothing elsewhere, and Grafana's published Dashboard type refuses them there.
    for variable in document.get("templating", {}).get("list", []):
        if variable.get("type") != "interval":
            for key in INTERVAL_ONLY:
                variable.pop(key, None)


def _number_panels(document: dict[str, Any]) -> None:
    # Stable panel ids: Grafana links and "view panel" URLs use them.
    for i, panel in enumerate(_panels(document), start=1):
        panel["id"] = i


def _panels(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in document.get("panels", []):
        yield panel
        yield from panel.get("panels", [])


def expressions(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(panel title, target) of every query in a dashboard, for tests and tools."""
    return [
        (panel.get("title", ""), target)
        for panel in _panels(document)
        for target in panel.get("targets", [])
    ]
