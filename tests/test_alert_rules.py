"""The rendered rules pass `promtool check rules`, and `promtool test rules` proves each
alert fires exactly when it should, with its Vietnamese annotations intact."""

from __future__ import annotations

import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from dashboards import rules
from dashboards.rules import Thresholds, rule_groups
from registry import Registry
from tests.test_source_alerts import source_rule_tests

TODAY = date(2026, 10, 5)
JOB = {"job": "lienthong", "instance": "127.0.0.1:9464"}
PROVINCE = "24"

# (department, system): names and clause as the exporter's lienthong_obligation_info has them.
INFO = {
    ("so-gtvt", "ql-phuong-tien"): (
        "Sở Giao thông vận tải",
        "Hệ thống quản lý phương tiện",
        "Bộ Giao thông vận tải",
        "Điều 6 khoản 3 điểm c",
        "maintain",
    ),
    ("so-khdt", "csdl-dkdn"): (
        "Sở Kế hoạch và Đầu tư",
        "Cơ sở dữ liệu quốc gia về Đăng ký doanh nghiệp",
        "Bộ Kế hoạch và Đầu tư",
        "Điều 6 khoản 5 điểm c",
        "maintain",
    ),
    ("so-tuphap", "ho-tich"): (
        "Sở Tư pháp",
        "Hệ thống thông tin đăng ký và quản lý hộ tịch",
        "Bộ Tư pháp",
        "Điều 6 khoản 12 điểm c",
        "maintain",
    ),
    ("so-noivu", "ho-tich"): (
        "Sở Nội vụ",
        "Hệ thống thông tin đăng ký và quản lý hộ tịch",
        "Bộ Tư pháp",
        "Điều 1 (phái sinh)",
        "maintain",
    ),
    ("so-yte", "so-suc-khoe-dien-tu"): (
        "Sở Y tế",
        "Sổ sức khỏe điện tử",
        "Bảo hiểm xã hội Việt Nam",
        "Điều 6 khoản 15 điểm c",
        "maintain",
    ),
    ("bhxh-tinh", "so-suc-khoe-dien-tu"): (
        "Bảo hiểm xã hội tỉnh",
        "Sổ sức khỏe điện tử",
        "Bảo hiểm xã hội Việt Nam",
        "Điều 6 khoản 18 điểm b",
        "maintain",
    ),
    ("so-tnmt", "csdl-dat-dai"): (
        "Sở Tài nguyên và Môi trường",
        "Cơ sở dữ liệu đất đai quốc gia",
        "Bộ Tài nguyên và Môi trường",
        "Điều 6 khoản 11 điểm b",
        "connect",
    ),
    ("so-taichinh", "csdl-gia"): (
        "Sở Tài chính",
        "Cơ sở dữ liệu quốc gia về giá",
        "Bộ Tài chính",
        "Điều 6 khoản 10 điểm b",
        "maintain",
    ),
}

CHECK_NO_SUCCESS = (
    "Phần mềm nghiệp vụ của đơn vị có còn gửi dữ liệu lên hệ thống quốc gia (qua trục"
    " LGSP/NDXP) không; tài khoản, mã kết nối (client_id, token) còn hiệu lực không; nhật ký"
    " lỗi của trục liên thông."
)
CHECK_PROBES = (
    "Chi tiết lỗi (detail) của các lần thăm dò trong lienthong; mạng và trục LGSP; token"
    " OAuth2 của kết nối; trạng thái của hệ thống quốc gia."
)
CHECK_MONTH = (
    "Rà soát nguyên nhân các ngày không đạt trong tháng (lienthong report --month ...); bảo"
    " đảm mọi ngày làm việc còn lại đều có giao dịch thành công và chuẩn bị giải trình trong"
    " báo cáo tháng."
)
CHECK_EXPORTER = (
    "Dịch vụ lienthong serve có đang chạy không (systemctl status lienthong), cổng /metrics có"
    " truy cập được từ Prometheus không, nhật ký lỗi của dịch vụ."
)


def labels(department: str, system: str, **extra: str) -> dict[str, str]:
    return {"province": PROVINCE, "department": department, "system": system, **JOB, **extra}


def series(metric: str, label_set: dict[str, str], values: str) -> dict[str, str]:
    inner = ",".join(f'{k}="{v}"' for k, v in label_set.items())
    return {"series": f"{metric}{{{inner}}}", "values": values}


def info(department: str, system: str, values: str = "1x120") -> dict[str, str]:
    name, system_name, owner, basis, kind = INFO[(department, system)]
    return series(
        "lienthong_obligation_info",
        labels(
            department,
            system,
            kind=kind,
            department_name=name,
            system_name=system_name,
            owner=owner,
            basis=basis,
            target="0.9",
        ),
        values,
    )


def alert_labels(department: str, system: str, severity: str) -> dict[str, str]:
    return {**labels(department, system), "severity": severity}


def obligation_annotations(department: str, system: str, last: str) -> dict[str, str]:
    name, system_name, _owner, basis, _kind = INFO[(department, system)]
    return {
        "department_name": name,
        "system_name": system_name,
        "basis": basis,
        "last_success": last,
    }


def unit_tests(t: Thresholds) -> list[dict[str, Any]]:
    """Input series and the alerts expected at given times, one block per rule."""
    minute = "1m"
    no_success = {
        "interval": minute,
        "input_series": [
            # 09:30 local at t=0, 10:00 at 30m: the hour gauge the exporter computes.
            series("lienthong_local_hour", {"province": PROVINCE, **JOB}, "9.5+0.0166666667x120"),
            # A working day: a required day for every obligation exported (in force today).
            series("lienthong_working_day", {"province": PROVINCE, **JOB}, "1x120"),
            info("so-gtvt", "ql-phuong-tien"),
            series("lienthong_successes_today", labels("so-gtvt", "ql-phuong-tien"), "0x120"),
            series(
                "lienthong_last_success_timestamp_seconds",
                labels("so-gtvt", "ql-phuong-tien"),
                "60x120",
            ),
            # A success already: fine.
            info("so-khdt", "csdl-dkdn"),
            series("lienthong_successes_today", labels("so-khdt", "csdl-dkdn"), "3x120"),
        ],
        "alert_rule_test": [
            {"eval_time": "25m", "alertname": rules.NO_SUCCESS_TODAY, "exp_alerts": []},
            {"eval_time": "35m", "alertname": rules.NO_SUCCESS_TODAY, "exp_alerts": []},
            {
                "eval_time": "45m",
                "alertname": rules.NO_SUCCESS_TODAY,
                "exp_alerts": [
                    {
                        "exp_labels": alert_labels("so-gtvt", "ql-phuong-tien", "warning"),
                        "exp_annotations": {
                            "summary": "Sở Giao thông vận tải: chưa có giao dịch thành công nào"
                            " với Hệ thống quản lý phương tiện hôm nay",
                            "description": "Hôm nay là ngày làm việc phải phát sinh giao dịch"
                            " thành công, nhưng đến 10 giờ vẫn chưa có giao dịch thành công"
                            " nào của Sở Giao thông vận tải với Hệ thống quản lý phương tiện.",
                            **obligation_annotations(
                                "so-gtvt",
                                "ql-phuong-tien",
                                "07:01 01/01/1970 (UTC+07:00), cách đây 44 phút 0 giây",
                            ),
                            "check": CHECK_NO_SUCCESS,
                        },
                    }
                ],
            },
        ],
    }
    # Not a working day (a weekend, a holiday): nothing is required, no alert.
    no_success_holiday = {
        "interval": minute,
        "input_series": [
            series("lienthong_local_hour", {"province": PROVINCE, **JOB}, "9.5+0.0166666667x120"),
            series("lienthong_working_day", {"province": PROVINCE, **JOB}, "0x120"),
            info("so-tuphap", "ho-tich"),
            series("lienthong_successes_today", labels("so-tuphap", "ho-tich"), "0x120"),
        ],
        "alert_rule_test": [
            {"eval_time": "45m", "alertname": rules.NO_SUCCESS_TODAY, "exp_alerts": []},
            {"eval_time": "110m", "alertname": rules.NO_SUCCESS_TODAY, "exp_alerts": []},
        ],
    }
    no_success_critical = {
        "interval": minute,
        "input_series": [
            # 14:30 local at t=0, 15:00 at 30m.
            series("lienthong_local_hour", {"province": PROVINCE, **JOB}, "14.5+0.0166666667x120"),
            series("lienthong_working_day", {"province": PROVINCE, **JOB}, "1x120"),
            info("so-gtvt", "ql-phuong-tien"),
            series("lienthong_successes_today", labels("so-gtvt", "ql-phuong-tien"), "0x120"),
            # A success came in at 14:50 (t=20m): no critical stage.
            info("so-khdt", "csdl-dkdn"),
            series("lienthong_successes_today", labels("so-khdt", "csdl-dkdn"), "0x20 1x100"),
        ],
        "alert_rule_test": [
            {
                # Before 15:00 the warning alone (the one of 10:00).
                "eval_time": "35m",
                "alertname": rules.NO_SUCCESS_TODAY,
                "exp_alerts": [
                    {
                        "exp_labels": alert_labels("so-gtvt", "ql-phuong-tien", "warning"),
                        "exp_annotations": no_success_annotations("10"),
                    },
                ],
            },
            {
                "eval_time": "45m",
                "alertname": rules.NO_SUCCESS_TODAY,
                "exp_alerts": [
                    {
                        "exp_labels": alert_labels("so-gtvt", "ql-phuong-tien", "warning"),
                        "exp_annotations": no_success_annotations("10"),
                    },
                    {
                        "exp_labels": alert_labels("so-gtvt", "ql-phuong-tien", "critical"),
                        "exp_annotations": no_success_annotations("15"),
                    },
                ],
            },
        ],
    }
    missed = {
        "interval": minute,
        "input_series": [
            info("so-gtvt", "ql-phuong-tien"),
            series(
                "lienthong_missed_required_workdays", labels("so-gtvt", "ql-phuong-tien"), "2x30"
            ),
            series("lienthong_successes_today", labels("so-gtvt", "ql-phuong-tien"), "0x30"),
            # Three days missed, but a success today: the connection is back.
            info("so-khdt", "csdl-dkdn"),
            series("lienthong_missed_required_workdays", labels("so-khdt", "csdl-dkdn"), "3x30"),
            series("lienthong_successes_today", labels("so-khdt", "csdl-dkdn"), "1x30"),
            # One day missed: below the threshold.
            info("so-tuphap", "ho-tich"),
            series("lienthong_missed_required_workdays", labels("so-tuphap", "ho-tich"), "1x30"),
            series("lienthong_successes_today", labels("so-tuphap", "ho-tich"), "0x30"),
        ],
        "alert_rule_test": [
            {"eval_time": "3m", "alertname": rules.MISSED_REQUIRED_DAYS, "exp_alerts": []},
            {
                "eval_time": "10m",
                "alertname": rules.MISSED_REQUIRED_DAYS,
                "exp_alerts": [
                    {
                        "exp_labels": alert_labels("so-gtvt", "ql-phuong-tien", "critical"),
                        "exp_annotations": {
                            "summary": "Sở Giao thông vận tải: 2 ngày làm việc liên tiếp không"
                            " có giao dịch thành công với Hệ thống quản lý phương tiện",
                            "description": "2 ngày làm việc liên tiếp gần nhất (tính đến hôm"
                            " qua) Sở Giao thông vận tải không phát sinh giao dịch thành công"
                            " nào với Hệ thống quản lý phương tiện, và hôm nay cũng chưa có.",
                            **obligation_annotations(
                                "so-gtvt", "ql-phuong-tien", "chưa có giao dịch thành công nào"
                            ),
                            "check": "Kết nối đã gián đoạn nhiều ngày: kiểm tra ngay cấu hình"
                            " kết nối, tài khoản và chứng thư trên trục LGSP; nếu lỗi ở hệ thống"
                            # The standing department in force on TODAY (since 2025-03-01).
                            " quốc gia, liên hệ Bộ Giao thông vận tải và báo Sở Khoa học và"
                            " Công nghệ.",
                        },
                    }
                ],
            },
        ],
    }

    def probes(department: str, system: str, ok: str, failed: str) -> list[dict[str, str]]:
        return [
            info(department, system, "1x60"),
            series(
                "lienthong_transactions_total",
                labels(department, system, outcome="success", source="probe"),
                ok,
            ),
            series(
                "lienthong_transactions_total",
                labels(department, system, outcome="failure", source="probe"),
                failed,
            ),
        ]

    def circuit(system: str, state: str) -> dict[str, str]:
        return series(
            "lienthong_circuit_state", {"province": PROVINCE, "system": system, **JOB}, state
        )

    def system_down(system: str, system_name: str, owner: str, departments: str) -> dict[str, Any]:
        return {
            "exp_labels": {"province": PROVINCE, "system": system, "severity": "critical"},
            "exp_annotations": {
                "summary": f"Hệ thống quốc gia {system_name} không hoạt động: mọi kết nối của"
                " tỉnh tới hệ thống này đều thất bại",
                "description": f"Mọi lần thăm dò tới {system_name} ({owner}) trong 15 phút qua đều"
                " thất bại (hoặc bộ ngắt mạch đã tạm dừng thăm dò). Các sở, ngành phụ thuộc:"
                f" {departments}",
                "system_name": system_name,
                "owner": owner,
                "departments": departments,
                "check": "Sự cố ở phía hệ thống quốc gia hoặc đường truyền chung, không riêng"
                f" một sở: liên hệ {owner}, kiểm tra trục LGSP/NDXP của tỉnh; theo dõi đến khi"
                " khôi phục. Cảnh báo riêng của từng sở về hệ thống này được gộp vào cảnh báo"
                " này.",
            },
        }

    failing = {
        "interval": minute,
        "input_series": [
            # so-tuphap's probes of ho-tich all fail while so-noivu's succeed: one
            # department's problem, not the national system's.
            *probes("so-tuphap", "ho-tich", "0x60", "0+1x60"),
            *probes("so-noivu", "ho-tich", "0+1x60", "0x60"),
            # Both departments on the health-book system fail: the system is down.
            *probes("so-yte", "so-suc-khoe-dien-tu", "5x60", "0+1x60"),
            *probes("bhxh-tinh", "so-suc-khoe-dien-tu", "7x60", "0+2x60"),
            # Exactly half failing: not above the 50 % threshold.
            *probes("so-khdt", "csdl-dkdn", "0+1x60", "0+1x60"),
            # No probe ran lately (breaker open): down by the circuit state.
            *probes("so-taichinh", "csdl-gia", "4x60", "9x60"),
            circuit("csdl-gia", "1x60"),
            circuit("ho-tich", "0x60"),
        ],
        "alert_rule_test": [
            {"eval_time": "10m", "alertname": rules.PROBES_FAILING, "exp_alerts": []},
            {
                "eval_time": "30m",
                "alertname": rules.PROBES_FAILING,
                "exp_alerts": [
                    probes_failing("so-tuphap", "ho-tich"),
                    probes_failing("so-yte", "so-suc-khoe-dien-tu"),
                    probes_failing("bhxh-tinh", "so-suc-khoe-dien-tu"),
                ],
            },
            {"eval_time": "1m", "alertname": rules.NATIONAL_SYSTEM_DOWN, "exp_alerts": []},
            {
                "eval_time": "30m",
                "alertname": rules.NATIONAL_SYSTEM_DOWN,
                "exp_alerts": [
                    system_down(
                        "so-suc-khoe-dien-tu",
                        "Sổ sức khỏe điện tử",
                        "Bảo hiểm xã hội Việt Nam",
                        # By department code: bhxh-tinh, then so-yte.
                        "Bảo hiểm xã hội tỉnh (Điều 6 khoản 18 điểm b); Sở Y tế (Điều 6 khoản"
                        " 15 điểm c); ",
                    ),
                    system_down(
                        "csdl-gia",
                        "Cơ sở dữ liệu quốc gia về giá",
                        "Bộ Tài chính",
                        "Sở Tài chính (Điều 6 khoản 10 điểm b); ",
                    ),
                ],
            },
        ],
    }
    month = {
        "interval": minute,
        "input_series": [
            info("so-gtvt", "ql-phuong-tien", "1x60"),
            series("lienthong_month_met_workdays", labels("so-gtvt", "ql-phuong-tien"), "10x60"),
            series(
                "lienthong_month_remaining_required_workdays",
                labels("so-gtvt", "ql-phuong-tien"),
                "5x60",
            ),
            series(
                "lienthong_month_required_workdays", labels("so-gtvt", "ql-phuong-tien"), "22x60"
            ),
            # 10 + 5 of 22 is at best 68 %: the exporter says -1 days may be missed.
            series(
                "lienthong_month_missable_required_workdays",
                labels("so-gtvt", "ql-phuong-tien"),
                "-1x60",
            ),
            # 15 + 6 of 22 is still 95 %: reachable (one more day may be missed).
            info("so-khdt", "csdl-dkdn", "1x60"),
            series("lienthong_month_met_workdays", labels("so-khdt", "csdl-dkdn"), "15x60"),
            series(
                "lienthong_month_remaining_required_workdays",
                labels("so-khdt", "csdl-dkdn"),
                "6x60",
            ),
            series("lienthong_month_required_workdays", labels("so-khdt", "csdl-dkdn"), "22x60"),
            series(
                "lienthong_month_missable_required_workdays", labels("so-khdt", "csdl-dkdn"), "1x60"
            ),
            # A `connect` obligation has no monthly ratio to reach (no missable days).
            info("so-tnmt", "csdl-dat-dai", "1x60"),
            series("lienthong_month_met_workdays", labels("so-tnmt", "csdl-dat-dai"), "0x60"),
            series(
                "lienthong_month_remaining_required_workdays",
                labels("so-tnmt", "csdl-dat-dai"),
                "1x60",
            ),
            series("lienthong_month_required_workdays", labels("so-tnmt", "csdl-dat-dai"), "22x60"),
        ],
        "alert_rule_test": [
            {"eval_time": "20m", "alertname": rules.MONTH_TARGET_UNREACHABLE, "exp_alerts": []},
            {
                "eval_time": "40m",
                "alertname": rules.MONTH_TARGET_UNREACHABLE,
                "exp_alerts": [
                    {
                        "exp_labels": alert_labels("so-gtvt", "ql-phuong-tien", "warning"),
                        "exp_annotations": {
                            "summary": "Sở Giao thông vận tải: tháng này không còn đạt được tỷ"
                            " lệ tuân thủ với Hệ thống quản lý phương tiện (còn 5 ngày làm"
                            " việc)",
                            "description": "Tháng này đã đạt 10/22 ngày làm việc; còn 5 ngày làm"
                            " việc. Dù tất cả những ngày còn lại đều có giao dịch thành công, tỷ"
                            " lệ cả tháng cũng không đạt mục tiêu 90 %.",
                            **obligation_annotations(
                                "so-gtvt", "ql-phuong-tien", "chưa có giao dịch thành công nào"
                            ),
                            "check": CHECK_MONTH,
                        },
                    }
                ],
            },
        ],
    }

    def budget_series(department: str, system: str, missable: str, remaining: str) -> list[Any]:
        return [
            info(department, system, "1x60"),
            series("lienthong_month_met_workdays", labels(department, system), "12x60"),
            series("lienthong_month_required_workdays", labels(department, system), "22x60"),
            series(
                "lienthong_month_remaining_required_workdays", labels(department, system), remaining
            ),
            series(
                "lienthong_month_missable_required_workdays", labels(department, system), missable
            ),
        ]

    budget = {
        "interval": minute,
        "input_series": [
            *budget_series("so-gtvt", "ql-phuong-tien", "1x60", "8x60"),
            *budget_series("so-khdt", "csdl-dkdn", "0x60", "8x60"),
            # Two days may still be missed: nothing to say yet.
            *budget_series("so-tuphap", "ho-tich", "2x60", "8x60"),
            # The month's last required days are done and met: nothing is at stake.
            *budget_series("so-taichinh", "csdl-gia", "0x60", "0x60"),
            # Out of reach already: the unreachable alert says it, not this one.
            *budget_series("so-yte", "so-suc-khoe-dien-tu", "-1x60", "8x60"),
        ],
        "alert_rule_test": [
            {"eval_time": "20m", "alertname": rules.MONTH_MISS_BUDGET, "exp_alerts": []},
            {
                "eval_time": "40m",
                "alertname": rules.MONTH_MISS_BUDGET,
                "exp_alerts": [
                    {
                        "exp_labels": alert_labels("so-gtvt", "ql-phuong-tien", "warning"),
                        "exp_annotations": budget_annotations(
                            "so-gtvt",
                            "ql-phuong-tien",
                            "tháng này chỉ còn được để 1 ngày làm việc không có giao dịch thành"
                            " công với",
                            "Nếu thêm quá 1 ngày làm việc không đạt",
                        ),
                    },
                    {
                        "exp_labels": alert_labels("so-khdt", "csdl-dkdn", "critical"),
                        "exp_annotations": budget_annotations(
                            "so-khdt",
                            "csdl-dkdn",
                            "tháng này không được để thêm ngày làm việc nào không có giao dịch"
                            " thành công với",
                            "Chỉ cần thêm một ngày làm việc không đạt",
                        ),
                    },
                ],
            },
        ],
    }
    exporter_down = {
        "interval": minute,
        "input_series": [series("up", JOB, "1 1 0x20")],
        "alert_rule_test": [
            {"eval_time": "4m", "alertname": rules.EXPORTER_DOWN, "exp_alerts": []},
            {
                "eval_time": "10m",
                "alertname": rules.EXPORTER_DOWN,
                "exp_alerts": [
                    {
                        "exp_labels": {**JOB, "severity": "critical"},
                        "exp_annotations": {
                            "summary": "Không thu thập được số liệu từ lienthong (127.0.0.1:9464)",
                            "description": "Prometheus không đọc được /metrics của lienthong:"
                            " mọi cảnh báo về kết nối của các sở, ngành đang không được đánh"
                            " giá.",
                            "check": CHECK_EXPORTER,
                        },
                    }
                ],
            },
            {"eval_time": "15m", "alertname": rules.EXPORTER_ABSENT, "exp_alerts": []},
        ],
    }
    exporter_absent = {
        "interval": minute,
        "input_series": [series("up", {"job": "other", "instance": "x"}, "1x30")],
        "alert_rule_test": [
            {"eval_time": "5m", "alertname": rules.EXPORTER_ABSENT, "exp_alerts": []},
            {
                "eval_time": "15m",
                "alertname": rules.EXPORTER_ABSENT,
                "exp_alerts": [
                    {
                        "exp_labels": {"job": "lienthong", "severity": "critical"},
                        "exp_annotations": {
                            "summary": "Prometheus không có mục tiêu thu thập nào của job"
                            " lienthong",
                            "description": 'Không có chuỗi up{job="lienthong"}: cấu hình thu'
                            " thập của Prometheus đã mất lienthong, nên không có cảnh báo nào"
                            " về các kết nối.",
                            "check": "Mục scrape_configs job_name: lienthong trong"
                            " prometheus.yml. " + CHECK_EXPORTER,
                        },
                    }
                ],
            },
        ],
    }
    store_down = {
        "interval": minute,
        "input_series": [series("lienthong_store_up", {**JOB, "province": PROVINCE}, "1 1 0x10")],
        "alert_rule_test": [
            {"eval_time": "3m", "alertname": rules.STORE_DOWN, "exp_alerts": []},
            {
                "eval_time": "5m",
                "alertname": rules.STORE_DOWN,
                "exp_alerts": [
                    {
                        "exp_labels": {**JOB, "province": PROVINCE, "severity": "critical"},
                        "exp_annotations": {
                            "summary": "Cơ sở dữ liệu của lienthong không ghi được"
                            " (127.0.0.1:9464)",
                            "description": "lienthong không ghi được vào cơ sở dữ liệu: API tiếp"
                            " nhận trả lời 503 (các sở, ngành phải gửi lại) và kết quả thăm dò"
                            " chưa được lưu.",
                            "check": "GET /healthz của lienthong (trường store nêu lý do);"
                            " PostgreSQL có đang chạy và nhận kết nối không; ổ đĩa còn chỗ trống"
                            " không; tệp SQLite có bị khoá hoặc chỉ đọc không.",
                        },
                    }
                ],
            },
        ],
    }
    # An HA pair: the leader stands down at minute 5 and the standby never takes over.
    shard = {**JOB, "province": "24", "shard": "0/1"}
    no_leader = {
        "interval": minute,
        "input_series": [
            series("lienthong_leader", shard, "1x5 0x20"),
            series("lienthong_leader", {**shard, "instance": "127.0.0.1:9465"}, "0x25"),
        ],
        "alert_rule_test": [
            {"eval_time": "8m", "alertname": rules.NO_LEADER, "exp_alerts": []},
            {
                "eval_time": "12m",
                "alertname": rules.NO_LEADER,
                "exp_alerts": [
                    {
                        "exp_labels": {"province": "24", "shard": "0/1", "severity": "critical"},
                        "exp_annotations": {
                            "summary": "Không phiên bản lienthong nào dẫn đầu phân đoạn 0/1"
                            " (tỉnh 24)",
                            "description": "Mọi phiên bản của phân đoạn này đều đang chờ:"
                            " không có thăm dò nào chạy, số liệu của các nhiệm vụ trong phân"
                            " đoạn không được xuất.",
                            "check": "Kết nối từ các phiên bản lienthong serve tới PostgreSQL"
                            " (khóa pg_advisory_lock trong pg_locks), dòng 'leadership' trong"
                            " nhật ký dịch vụ.",
                        },
                    }
                ],
            },
        ],
    }
    return [
        no_success,
        no_success_holiday,
        no_success_critical,
        missed,
        failing,
        month,
        budget,
        exporter_down,
        exporter_absent,
        store_down,
        no_leader,
    ]


def no_success_annotations(hour: str) -> dict[str, str]:
    return {
        "summary": "Sở Giao thông vận tải: chưa có giao dịch thành công nào"
        " với Hệ thống quản lý phương tiện hôm nay",
        "description": "Hôm nay là ngày làm việc phải phát sinh giao dịch thành công, nhưng đến"
        f" {hour} giờ vẫn chưa có giao dịch thành công nào của Sở Giao thông vận tải với Hệ"
        " thống quản lý phương tiện.",
        **obligation_annotations("so-gtvt", "ql-phuong-tien", "chưa có giao dịch thành công nào"),
        "check": CHECK_NO_SUCCESS,
    }


def budget_annotations(department: str, system: str, what: str, stake: str) -> dict[str, str]:
    name, system_name, _owner, _basis, _kind = INFO[(department, system)]
    return {
        "summary": f"{name}: {what} {system_name}",
        "description": "Tháng này đã đạt 12/22 ngày làm việc; còn 8 ngày làm việc phải có giao"
        f" dịch thành công. {stake}, tỷ lệ cả tháng sẽ không đạt mục tiêu 90 %.",
        **obligation_annotations(department, system, "chưa có giao dịch thành công nào"),
        "check": "Bảo đảm từng ngày làm việc còn lại của tháng đều có giao dịch thành công; nếu"
        " ngày không đạt không do lỗi của đơn vị (hệ thống quốc gia ngừng hoạt động), đề nghị"
        " miễn trừ (POST /api/v1/excusals hoặc lienthong excuse propose).",
    }


def probes_failing(department: str, system: str) -> dict[str, Any]:
    name, system_name, _owner, _basis, _kind = INFO[(department, system)]
    return {
        # The ratio is recorded per obligation: no job or instance.
        "exp_labels": {
            "province": PROVINCE,
            "department": department,
            "system": system,
            "severity": "warning",
        },
        "exp_annotations": {
            "summary": f"{name}: 100 % lần thăm dò {system_name} thất bại trong 15 phút qua",
            "description": "Tỷ lệ lần thăm dò thất bại trong 15 phút qua là 100 %, vượt ngưỡng 50 %.",
            **obligation_annotations(department, system, "chưa có giao dịch thành công nào"),
            "check": CHECK_PROBES,
        },
    }


def render(tmp_path: Path, registry: Registry, t: Thresholds) -> Path:
    path = tmp_path / "rules.yml"
    path.write_text(yaml.safe_dump(rule_groups(registry, t, TODAY), allow_unicode=True))
    return path


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["promtool", *args], capture_output=True, text=True, timeout=120)


def test_rendered_rules_pass_promtool_check(tmp_path: Path, bac_ninh: Registry) -> None:
    from lienthong.cli import main

    assert main(["alerts", "render", "--out", str(tmp_path)]) == 0
    result = promtool("check", "rules", str(tmp_path / "rules.yml"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 15 rules found" in result.stdout


def test_every_alert_fires_when_it_should_and_only_then(tmp_path: Path, bac_ninh: Registry) -> None:
    t = Thresholds()
    rules_file = render(tmp_path, bac_ninh, t)
    tests = unit_tests(t) + source_rule_tests()
    exercised = {
        case["alertname"]
        for block in tests
        for case in block["alert_rule_test"]
        if case["exp_alerts"]
    }
    document = rule_groups(bac_ninh, t, TODAY)
    # A new rule without a firing test fails here.
    assert exercised == set(rules.alert_names(document))
    test_file = tmp_path / "rules_test.yml"
    test_file.write_text(
        yaml.safe_dump(
            {"rule_files": [rules_file.name], "evaluation_interval": "1m", "tests": tests},
            allow_unicode=True,
            sort_keys=False,
        )
    )
    result = promtool("test", "rules", str(test_file))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_thresholds_are_options(tmp_path: Path, bac_ninh: Registry) -> None:
    t = Thresholds(no_success_hour=8.5, missed_days=3, failure_ratio=0.2, failure_for="2m")
    text = render(tmp_path, bac_ninh, t).read_text()
    assert "lienthong_local_hour >= 8.5" in text
    assert "lienthong_missed_required_workdays >= 3" in text
    assert "lienthong:probe_failure_ratio:15m > 0.2" in text
    assert "đến 8 giờ 30 vẫn" in text
    assert "lienthong_local_hour >= 15" in text  # the critical stage, by default at 15:00
    t = Thresholds(no_success_critical_hour=14.5)
    assert "lienthong_local_hour >= 14.5" in render(tmp_path, bac_ninh, t).read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--missed-for", "ten minutes"], "--missed-for: 'ten minutes' is not a duration"),
        (["--no-success-hour", "25"], "--no-success-hour: must be between 0 and 24"),
        (
            ["--no-success-hour", "16"],
            "--no-success-critical-hour: must be between --no-success-hour and 24",
        ),
        (["--failure-ratio", "1.5"], "--failure-ratio: must be in (0, 1]"),
        (["--repeat-interval", "4 hours"], "--repeat-interval: '4 hours' is not a duration"),
    ],
)
@pytest.mark.usefixtures("english")  # its words checked are English ones
def test_bad_thresholds_are_one_line_errors(
    tmp_path: Path, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from lienthong.cli import main

    assert main(["alerts", "render", "--out", str(tmp_path), *args]) == 1
    err = capsys.readouterr().err
    assert err.startswith("lienthong: " + message)
    assert len(err.strip().splitlines()) == 1
