"""The Grafana dashboards, built with grafana-foundation-sdk from the registry.

Five dashboards with stable uids (`lienthong-<province code>-<name>`) and Vietnamese
titles. Every panel reads the exporter's metrics filtered to the registry's province;
rows of tables and grids come from the series themselves, so an obligation added to
the registry appears on the next scrape without re-rendering.
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
    """One dashboard: its uid (file name) and how to build it."""

    slug: str
    title: str


OVERVIEW = Board("tong-quan", "Tổng quan")
DEPARTMENT = Board("so-nganh", "Theo sở, ngành")
SYSTEM = Board("he-thong", "Theo hệ thống quốc gia")
COMPLIANCE = Board("tuan-thu", "Tuân thủ tháng")
ENGINE = Board("may-tham-do", "Máy thăm dò")
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
    return [
        ValueMap(
            options={
                str(k): ValueMappingResult(text=text, color=color, index=i)
                for i, (k, (text, color)) in enumerate(values.items())
            }
        )
    ]


STATUS_TEXT = {
    FAILING: ("Lỗi", "red"),
    PENDING: ("Chưa có giao dịch hôm nay", "orange"),
    OK: ("Bình thường", "green"),
}
CIRCUIT_TEXT = {
    0: ("Đóng (bình thường)", "green"),
    1: ("Mở (tạm dừng)", "red"),
    2: ("Nửa mở", "orange"),
}
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
_NAMES = {
    "department": "Mã sở",
    "department_name": "Sở, ngành",
    "system": "Mã hệ thống",
    "system_name": "Hệ thống quốc gia",
    "owner": "Đơn vị chủ quản",
    "kind": "Loại",
    "basis": "Căn cứ",
}


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


def _base(registry: Registry, board: Board) -> Dashboard:
    title = f"Liên thông dữ liệu {registry.province.name} — {board.title}"
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
            .label("Nguồn dữ liệu")
            .type("prometheus")
            .current(
                VariableOption(selected=True, text="Prometheus (lienthong)", value=DATASOURCE_UID)
            )
        )
        .link(
            DashboardLink("Các bảng điều khiển khác")
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
    return (
        _base(registry, OVERVIEW)
        .description("Mỗi sở, ngành với từng hệ thống quốc gia: hôm nay, đang lỗi, tuân thủ tháng.")
        .with_row(Row("Hôm nay"))
        .with_panel(_stat("Nhiệm vụ được theo dõi", f"count({q.info})"))
        .with_panel(
            _stat("Đang lỗi", f"count(({status}) == {FAILING}) or vector(0)").thresholds(
                _thresholds((None, "green"), (1, "red"))
            )
        )
        .with_panel(
            _stat(
                "Chưa có giao dịch thành công hôm nay",
                f"count(({status}) == {PENDING}) or vector(0)",
            ).thresholds(_thresholds((None, "green"), (1, "orange")))
        )
        .with_panel(
            _stat(
                "Hệ thống quốc gia đang ngắt mạch",
                f"count({q.of(m.CIRCUIT_STATE.series)} > 0) or vector(0)",
                "Bộ ngắt mạch mở hoặc nửa mở: lienthong đang tạm dừng thăm dò hệ thống đó.",
            ).thresholds(_thresholds((None, "green"), (1, "red")))
        )
        .with_panel(
            table.Panel()
            .title("Trạng thái: sở, ngành × hệ thống quốc gia")
            .description("Hàng: sở, ngành; cột: mã hệ thống quốc gia. Ô trống: không có nhiệm vụ.")
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
            .title("Đang lỗi")
            .description(
                "Nhiệm vụ đã lỡ ngày, có thăm dò thất bại, hoặc hôm nay chưa có giao dịch."
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
                _organize(
                    {**_NAMES, "Value #A": "Trạng thái", "Value #B": "Thành công gần nhất"},
                    ("province",),
                )
            )
            .override_by_name("Trạng thái", [_mappings_property(STATUS_TEXT)])
            .override_by_name("Thành công gần nhất", [_unit_property("dateTimeAsLocal")])
            .height(8)
            .span(24)
        )
        .with_row(Row("Tháng này"))
        .with_panel(
            bargauge.Panel()
            .title("Tuân thủ tháng đến nay")
            .description("Số ngày đạt / số ngày làm việc phải có giao dịch, từ đầu tháng đến nay.")
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
                "Còn đạt được mục tiêu tháng",
                f"count({q.of(m.MONTH_MISSABLE_DAYS.series)} >= 0) or vector(0)",
                "Số nhiệm vụ duy trì mà tỷ lệ cả tháng vẫn còn có thể đạt mục tiêu.",
            )
            .height(6)
            .span(8)
        )
        .with_panel(
            _series("Giao dịch mỗi giây theo kết quả (mọi nguồn)", "reqps", 6, 8).with_target(
                _query(
                    f"sum by (outcome) (rate({q.of(m.TRANSACTIONS.series)}[$__rate_interval]))",
                    "{{outcome}}",
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
    return (
        _base(registry, DEPARTMENT)
        .description("Các nhiệm vụ của một sở, ngành: trạng thái, giao dịch, thăm dò, tuân thủ.")
        .with_variable(
            _variable(
                "department",
                "Sở, ngành",
                f'label_values({m.OBLIGATION_INFO.series}{{province="{code}"}}, department)',
                first,
            )
        )
        .with_panel(
            table.Panel()
            .title("Nhiệm vụ của sở, ngành")
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
                    {
                        **_NAMES,
                        "Value #A": "Trạng thái",
                        "Value #B": "Thành công hôm nay",
                        "Value #C": "Tuân thủ tháng",
                        "Value #D": "Thành công gần nhất",
                    },
                    ("province", "department"),
                )
            )
            .override_by_name("Trạng thái", [_mappings_property(STATUS_TEXT)])
            .override_by_name("Tuân thủ tháng", [_unit_property("percentunit")])
            .override_by_name("Thành công gần nhất", [_unit_property("dateTimeAsLocal")])
            .height(8)
            .span(24)
        )
        .with_panel(
            _series("Giao dịch mỗi giây theo hệ thống và kết quả", "reqps").with_target(
                _query(
                    f"sum by (system, outcome) (rate({q.of(m.TRANSACTIONS.series)}[$__rate_interval]))",
                    "{{system}} {{outcome}}",
                )
            )
        )
        .with_panel(
            # Durations are per national system by default (no `department` label):
            # the systems the department owes, through its obligations' info series.
            _series("Thời gian thăm dò các hệ thống sở kết nối (bách phân vị 95)", "s").with_target(
                _query(
                    "histogram_quantile(0.95, sum by (system, le) (rate("
                    f'{m.PROBE_DURATION.series}_bucket{{province="{code}"}}[$__rate_interval])'
                    f" * on (province, system) group_left () group by (province, system) ({q.info})))",
                    "{{system}}",
                )
            )
        )
        .with_panel(
            _series("Giao dịch thành công từ đầu ngày", "short").with_target(
                _query(f"max by (system) ({q.of(m.SUCCESSES_TODAY.series)})", "{{system}}")
            )
        )
        .with_panel(
            _series("Ngày làm việc liên tiếp không có giao dịch", "short").with_target(
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
    return (
        _base(registry, SYSTEM)
        .description("Lưu lượng của mọi sở, ngành tới một hệ thống quốc gia.")
        .with_variable(
            _variable(
                "system",
                "Hệ thống quốc gia",
                f'label_values({m.OBLIGATION_INFO.series}{{province="{code}"}}, system)',
                first,
            )
        )
        .with_panel(
            table.Panel()
            .title("Các sở, ngành kết nối tới hệ thống")
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
                    {**_NAMES, "Value #A": "Thành công hôm nay", "Value #B": "Thành công gần nhất"},
                    ("province", "system"),
                )
            )
            .override_by_name("Thành công gần nhất", [_unit_property("dateTimeAsLocal")])
            .height(7)
            .span(24)
        )
        .with_panel(
            _series("Giao dịch thành công mỗi giây theo sở, ngành", "reqps").with_target(
                _query(
                    f"sum by ({by}) (rate({q.of(m.TRANSACTIONS.series, SUCCESS)}[$__rate_interval]))",
                    "{{department}}",
                )
            )
        )
        .with_panel(
            _series("Giao dịch thất bại mỗi giây theo sở, ngành", "reqps").with_target(
                _query(
                    f"sum by ({by}) (rate({q.of(m.TRANSACTIONS.series, FAILURE)}[$__rate_interval]))",
                    "{{department}}",
                )
            )
        )
        .with_panel(
            _series("Tỷ lệ thăm dò thất bại (15 phút)", "percentunit").with_target(
                _query(q.failure_ratio(by=by), "{{department}}")
            )
        )
        .with_panel(
            _series("Thời gian thăm dò của hệ thống (bách phân vị 95)", "s").with_target(
                _query(
                    "histogram_quantile(0.95, sum by (system, le)"
                    f" (rate({q.of(m.PROBE_DURATION.series + '_bucket')}[$__rate_interval])))",
                    "{{system}}",
                )
            )
        )
        .with_panel(
            statetimeline.Panel()
            .title("Bộ ngắt mạch của hệ thống")
            .datasource(DATASOURCE)
            .with_target(_query(f"max({q.of(m.CIRCUIT_STATE.series)})", "Bộ ngắt mạch"))
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
    columns = [
        ("B", value(m.MONTH_MET_DAYS.series), "Ngày đạt"),
        ("C", value(m.MONTH_REQUIRED_DAYS.series), "Ngày làm việc trong tháng"),
        ("D", value(m.MONTH_REMAINING_DAYS.series), "Ngày còn lại"),
        ("E", value(m.COMPLIANCE_RATIO.series), "Tỷ lệ đến nay"),
        ("F", best, "Tỷ lệ tối đa còn đạt được"),
    ]
    panel = (
        table.Panel()
        .title("Tuân thủ tháng đến nay, từng nhiệm vụ")
        .description(
            "Ngày đạt: ngày làm việc có đủ giao dịch thành công. Tỷ lệ tối đa: nếu mọi ngày"
            " còn lại đều đạt. Số liệu chính thức: lienthong report --month YYYY-MM."
        )
        .datasource(DATASOURCE)
        .with_target(
            _query(
                f"max by ({OB}, department_name, system_name, owner, kind, target) ({q.info})",
                instant=True,
            )
        )
    )
    for ref, expr, _ in columns:
        panel = panel.with_target(_query(expr, instant=True, ref=ref))
    rename = {
        **_NAMES,
        "target": "Mục tiêu",
        **{f"Value #{ref}": title for ref, _, title in columns},
    }
    return (
        _base(registry, COMPLIANCE)
        .description("Bảng tuân thủ tháng: ngày đạt, ngày phải có giao dịch, tỷ lệ và mục tiêu.")
        .time("now-30d", "now")
        .with_panel(
            panel.with_transformation(_MERGE)
            # The target is a label of the info series (text): a number, to show as %.
            .with_transformation(_TARGET_AS_NUMBER)
            .with_transformation(_organize(rename, ("province", "Value #A")))
            .override_by_name("Tỷ lệ đến nay", [_unit_property("percentunit")])
            .override_by_name("Tỷ lệ tối đa còn đạt được", [_unit_property("percentunit")])
            .override_by_name("Mục tiêu", [_unit_property("percentunit")])
            .height(20)
            .span(24)
        )
        .with_panel(
            _series("Tỷ lệ tuân thủ tháng đến nay", "percentunit", 10, 24).with_target(
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
        .description("Sức khỏe của máy thăm dò: trễ lịch, số thăm dò đang chạy, bộ ngắt mạch.")
        .with_panel(
            _stat("lienthong đang chạy", f'min(up{{job="{m.JOB}"}})').mappings(
                _mapping({0: ("Ngừng", "red"), 1: ("Đang chạy", "green")})
            )
        )
        .with_panel(_stat("Thăm dò đang chạy", f"sum({m.PROBES_IN_FLIGHT.series})"))
        .with_panel(
            _stat(
                "Hệ thống đang ngắt mạch", f"count({q.of(m.CIRCUIT_STATE.series)} > 0) or vector(0)"
            ).thresholds(_thresholds((None, "green"), (1, "red")))
        )
        .with_panel(
            _stat(
                "Thời gian đọc /metrics",
                f'max(scrape_duration_seconds{{job="{m.JOB}"}})',
            ).unit("s")
        )
        .with_panel(
            _series("Trễ lịch thăm dò", "s")
            .with_target(_query(f"histogram_quantile(0.5, {lag})", "trung vị", "A"))
            .with_target(_query(f"histogram_quantile(0.99, {lag})", "bách phân vị 99", "B"))
        )
        .with_panel(
            _series("Thăm dò đang chạy theo hệ thống").with_target(
                _query(f"sum by (system) ({m.PROBES_IN_FLIGHT.series})", "{{system}}")
            )
        )
        .with_panel(
            statetimeline.Panel()
            .title("Bộ ngắt mạch theo hệ thống quốc gia")
            .datasource(DATASOURCE)
            .with_target(_query(f"max by (system) ({q.of(m.CIRCUIT_STATE.series)})", "{{system}}"))
            .mappings(_mapping(CIRCUIT_TEXT))
            .height(10)
            .span(24)
        )
        .with_panel(
            _series("Thời gian thăm dò theo hệ thống (bách phân vị 95)", "s").with_target(
                _query(
                    "histogram_quantile(0.95, sum by (system, le)"
                    f" (rate({q.of(m.PROBE_DURATION.series + '_bucket')}[$__rate_interval])))",
                    "{{system}}",
                )
            )
        )
        .with_panel(
            _series("Lần thăm dò mỗi giây theo kết quả", "reqps").with_target(
                _query(
                    f"sum by (outcome) (rate({q.of(m.TRANSACTIONS.series, PROBE)}[$__rate_interval]))",
                    "{{outcome}}",
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
    """Every dashboard as Grafana JSON (a dict), in a stable order."""
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
