"""The national view: a Prometheus federating the provinces' Prometheus servers, its
recording rules for province-level figures, and a Grafana dashboard ranking the
provinces and the national systems.

The rules read only series every province exports whatever the day (the month's
met and required working days, the obligations' info, the counters), so each
province shows from its first scrape. With one leader per shard (HA pairs), each
per-obligation series comes from one instance: sums over instances count once.
"""

from __future__ import annotations

import json
from typing import Any

from grafana_foundation_sdk.builders import bargauge, table, timeseries
from grafana_foundation_sdk.builders.dashboard import Dashboard, DatasourceVariable, Row
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import DataTransformerConfig, VariableOption

from dashboards.grafana import (
    DATASOURCE,
    DATASOURCE_UID,
    RATIO_STEPS,
    TAG,
    _number_panels,
    _organize,
    _query,
    _stat,
    _thresholds,
)
from exporter import families as m
from i18n import _

FEDERATE_JOB = "lienthong-federate"
UID = "lienthong-toan-quoc"

# Recording rules: name → expression. Each `province…` series has one per province.
# The per-(province, system) sums every national figure is made of:
PS_MET = "province_system:lienthong_month_met_workdays:sum"
PS_REQUIRED = "province_system:lienthong_month_required_workdays:sum"
PS_OBLIGATIONS = "province_system:lienthong_obligations:count"
TRANSACTIONS_RATE = "province:lienthong_transactions:rate1h"
LEADERS = "province:lienthong_leaders:sum"
NAMES = "province:lienthong_province_info:max"  # value 1, with `province_name`
# … and the figures the dashboard reads:
OBLIGATIONS = "province:lienthong_obligations:count"
MET_DAYS = "province:lienthong_month_met_workdays:sum"
REQUIRED_DAYS = "province:lienthong_month_required_workdays:sum"
PROVINCE_RATIO = "province:lienthong_month_met:ratio"
PROVINCE_SYSTEM_RATIO = "province_system:lienthong_month_met:ratio"
SYSTEM_RATIO = "system:lienthong_month_met:ratio"

# Over one province's raw series: in the national Prometheus when it federates
# everything, or in each provincial one (`--aggregates`).
PROVINCIAL_RULES: dict[str, str] = {
    PS_MET: f"sum by (province, system) ({m.MONTH_MET_DAYS.series})",
    PS_REQUIRED: f"sum by (province, system) ({m.MONTH_REQUIRED_DAYS.series})",
    PS_OBLIGATIONS: f"count by (province, system) ({m.OBLIGATION_INFO.series})",
    TRANSACTIONS_RATE: f"sum by (province) (rate({m.TRANSACTIONS.series}[1h]))",
    LEADERS: f"sum by (province) ({m.LEADER.series})",
    # One series per province however many instances it runs.
    NAMES: f"max by (province, province_name) ({m.PROVINCE_INFO.series})",
}
# Over the provincial sums only: a few series per province and system.
NATIONAL_RULES: dict[str, str] = {
    OBLIGATIONS: f"sum by (province) ({PS_OBLIGATIONS})",
    MET_DAYS: f"sum by (province) ({PS_MET})",
    REQUIRED_DAYS: f"sum by (province) ({PS_REQUIRED})",
    # The share of this month's required working days met so far (all obligations).
    PROVINCE_RATIO: f"{MET_DAYS}\n/\n({REQUIRED_DAYS} > 0)",
    PROVINCE_SYSTEM_RATIO: f"{PS_MET}\n/\n({PS_REQUIRED} > 0)",
    SYSTEM_RATIO: f"sum by (system) ({PS_MET})\n/\n(sum by (system) ({PS_REQUIRED}) > 0)",
}
RULES = {**PROVINCIAL_RULES, **NATIONAL_RULES}
# What the national Prometheus federates from each province.
FEDERATE_ALL = f'{{job="{m.JOB}"}}'
FEDERATE_AGGREGATES = '{__name__=~"province(_system)?:lienthong_.+"}'


def named(expr: str) -> str:
    """`expr` (by province) with each province's name joined, for people to read."""
    return f"({expr})\n* on (province) group_left (province_name) {NAMES}"


def _rule_file(name: str, rules: dict[str, str]) -> dict[str, Any]:
    # Rules of one group run in order: each reads those before it, same evaluation.
    return {
        "groups": [{"name": name, "rules": [{"record": k, "expr": v} for k, v in rules.items()]}]
    }


def national_rules(aggregates: bool = False) -> dict[str, Any]:
    """The national Prometheus's rule file (only the national rules when the provinces
    send their aggregates, all of them when it federates every series)."""
    return _rule_file("lienthong-national", NATIONAL_RULES if aggregates else RULES)


def provincial_rules() -> dict[str, Any]:
    """The rule file each provincial Prometheus loads when only aggregates are federated."""
    return _rule_file("lienthong-provincial", PROVINCIAL_RULES)


def federation_config(
    provinces: list[str],
    interval: str = "1m",
    rule_file: str = "rules.yml",
    aggregates: bool = False,
) -> dict[str, Any]:
    """The national Prometheus's configuration: federate the provinces' lienthong series.

    `provinces` are the provincial Prometheus servers (HOST:PORT). `honor_labels`
    keeps each series' own `province`; the provinces' external labels are not needed.
    With `aggregates`, only the provincial recording rules' series are federated.
    """
    return {
        "global": {"scrape_interval": interval, "evaluation_interval": interval},
        "rule_files": [rule_file],
        "scrape_configs": [
            {
                "job_name": FEDERATE_JOB,
                "honor_labels": True,
                "metrics_path": "/federate",
                "params": {"match[]": [FEDERATE_AGGREGATES if aggregates else FEDERATE_ALL]},
                "scrape_interval": interval,
                # A province's whole exposition in one answer: allow it time.
                "scrape_timeout": "50s" if interval == "1m" else interval,
                "static_configs": [{"targets": list(provinces)}],
            }
        ],
    }


def national_dashboard() -> dict[str, Any]:
    """The ranking dashboard, as Grafana JSON, in the current language (its uid in every one)."""
    matrix = DataTransformerConfig(
        id_val="groupingToMatrix",
        options={"columnField": "system", "rowField": "province_name", "valueField": "Value"},
    )
    board = (
        Dashboard(_("Data connections — nationwide"))
        .uid(UID)
        .tags([TAG, "toan-quoc"])
        .timezone("Asia/Ho_Chi_Minh")
        .time("now-7d", "now")
        .refresh("5m")
        .readonly()
        .description(
            _(
                "The provinces and the national systems: the share of working days met this"
                " month so far. Official figures: lienthong national report."
            )
        )
        .with_variable(
            DatasourceVariable("datasource")
            .label(_("Data source"))
            .type("prometheus")
            .current(
                VariableOption(
                    selected=True, text=_("Prometheus (nationwide)"), value=DATASOURCE_UID
                )
            )
        )
        .with_row(Row(_("This month")))
        .with_panel(_stat(_("Provinces reporting"), f"count({OBLIGATIONS})"))
        .with_panel(_stat(_("Obligations monitored"), f"sum({OBLIGATIONS})"))
        .with_panel(
            _stat(_("Nationwide share of days met"), f"sum({MET_DAYS}) / sum({REQUIRED_DAYS})")
            .unit("percentunit")
            .thresholds(_thresholds(*RATIO_STEPS))
        )
        .with_panel(
            _stat(
                _("Provinces with a leading instance"),
                f"count({LEADERS} > 0)",
                _("Provinces with at least one lienthong instance leading a probe shard."),
            )
        )
        .with_panel(
            bargauge.Panel()
            .title(_("Provinces ranked"))
            .description(
                _(
                    "Working days met / days that need a transaction, since the start of the"
                    " month, every obligation."
                )
            )
            .datasource(DATASOURCE)
            .with_target(
                _query(f"sort_desc({named(PROVINCE_RATIO)})", "{{province_name}}", instant=True)
            )
            .unit("percentunit")
            .min(0)
            .max(1)
            .thresholds(_thresholds(*RATIO_STEPS))
            .height(14)
            .span(12)
        )
        .with_panel(
            bargauge.Panel()
            .title(_("National systems ranked"))
            .description(_("The same ratio, by national system, over every province."))
            .datasource(DATASOURCE)
            .with_target(_query(f"sort_desc({SYSTEM_RATIO})", "{{system}}", instant=True))
            .unit("percentunit")
            .min(0)
            .max(1)
            .thresholds(_thresholds(*RATIO_STEPS))
            .height(14)
            .span(12)
        )
        .with_panel(
            table.Panel()
            .title(_("Province × national system"))
            .description(
                _(
                    "Rows: provinces; columns: national system codes; cells: the share of days"
                    " met this month."
                )
            )
            .datasource(DATASOURCE)
            .with_target(_query(named(PROVINCE_SYSTEM_RATIO), instant=True))
            .with_transformation(matrix)
            .unit("percentunit")
            .height(14)
            .span(24)
        )
        .with_row(Row(_("Activity")))
        .with_panel(
            timeseries.Panel()
            .title(_("Transactions per second, by province"))
            .datasource(DATASOURCE)
            .with_target(_query(named(TRANSACTIONS_RATE), "{{province_name}}"))
            .unit("reqps")
            .height(8)
            .span(24)
        )
        .with_panel(
            table.Panel()
            .title(_("Obligations by province"))
            .datasource(DATASOURCE)
            .with_target(_query(named(OBLIGATIONS), instant=True))
            .with_transformation(
                _organize(
                    {
                        "province": _("Province code"),
                        "province_name": _("Province or city"),
                        "Value": _("Duties"),
                    }
                )
            )
            .height(8)
            .span(24)
        )
    )
    document: dict[str, Any] = json.loads(JSONEncoder(sort_keys=True).encode(board.build()))
    _number_panels(document)
    return document
