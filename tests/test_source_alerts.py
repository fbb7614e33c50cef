"""The sources' alerts, proved with `promtool test rules` (run by tests/test_alert_rules.py
with every other alert): a source not read for three of its intervals, and an X-Road source
whose unread records are a day from the security server's retention."""

from __future__ import annotations

from typing import Any

from dashboards import rules

JOB = {"job": "lienthong", "instance": "127.0.0.1:9464"}
CHECK_NOT_READ = (
    "lienthong sources status (cột lỗi gần nhất); trang trạng thái, mục Nguồn dữ liệu giao"
    " dịch; tệp nhật ký WSO2 có còn được ghi, thư mục nhận tệp có quyền ghi, máy chủ an"
    " ninh X-Road có trả lời (chứng thư TLS còn hạn) không."
)


def series(metric: str, source: str, values: str) -> dict[str, str]:
    return {
        "series": f'{metric}{{job="lienthong",instance="127.0.0.1:9464",source="{source}"}}',
        "values": values,
    }


def not_read(source: str, since: str) -> dict[str, Any]:
    return {
        "exp_labels": {**JOB, "source": source, "severity": "warning"},
        "exp_annotations": {
            "summary": f"Nguồn dữ liệu {source} của lienthong không đọc được (127.0.0.1:9464)",
            "description": f"Nguồn {source} không đọc được đã quá ba chu kỳ đọc (lần đọc thành"
            f" công cuối: {since}): các giao dịch của cổng kết nối chưa vào lienthong, số liệu"
            " hôm nay có thể thiếu.",
            "check": CHECK_NOT_READ,
        },
    }


def source_rule_tests() -> list[dict[str, Any]]:
    # lgsp-wso2 (every 2 s) read each minute until minute 5, then never again: three of
    # its intervals are less than Prometheus's scrape, so three minutes count; ss-down has
    # failed since it started (never read).
    not_read_block = {
        "interval": "1m",
        "input_series": [
            series("lienthong_source_last_read_timestamp_seconds", "lgsp-wso2", "0+60x5 300x30"),
            series("lienthong_source_interval_seconds", "lgsp-wso2", "2x40"),
            series("lienthong_source_up", "lgsp-wso2", "1x5 0x30"),
            series("lienthong_source_interval_seconds", "ss-down", "300x40"),
            series("lienthong_source_up", "ss-down", "0x40"),
        ],
        "alert_rule_test": [
            {"eval_time": "0m", "alertname": rules.SOURCE_NOT_READ, "exp_alerts": []},
            {
                "eval_time": "9m",
                "alertname": rules.SOURCE_NOT_READ,
                "exp_alerts": [not_read("ss-down", "chưa lần nào")],
            },
            {
                "eval_time": "10m",
                "alertname": rules.SOURCE_NOT_READ,
                "exp_alerts": [
                    not_read("lgsp-wso2", "5 phút 0 giây trước"),
                    not_read("ss-down", "chưa lần nào"),
                ],
            },
        ],
    }
    # vdxp-ss1 unread since time 0, the server keeping 7 days: a day before, the alert.
    retention_block = {
        "interval": "1m",
        "input_series": [
            series("lienthong_source_unread_since_timestamp_seconds", "vdxp-ss1", "0x9000"),
            series("lienthong_source_retention_seconds", "vdxp-ss1", "604800x9000"),
        ],
        "alert_rule_test": [
            {"eval_time": "6d", "alertname": rules.SOURCE_RETENTION_NEAR, "exp_alerts": []},
            {
                "eval_time": "6d2m",
                "alertname": rules.SOURCE_RETENTION_NEAR,
                "exp_alerts": [
                    {
                        "exp_labels": {**JOB, "source": "vdxp-ss1", "severity": "critical"},
                        "exp_annotations": {
                            "summary": "Nguồn X-Road vdxp-ss1: bản ghi chưa đọc sắp bị máy chủ"
                            " an ninh xoá (127.0.0.1:9464)",
                            "description": "Bản ghi cũ nhất chưa đọc của vdxp-ss1 đã 6 ngày 0"
                            " giờ 2 phút 0 giây; máy chủ an ninh chỉ giữ bản ghi 7 ngày 0 giờ 0"
                            " phút 0 giây (keep-records-for-days): còn chưa đầy một ngày là mất,"
                            " không lấy lại được.",
                            "check": "lienthong sources status (lỗi gần nhất của vdxp-ss1); kết"
                            " nối và chứng thư TLS tới máy chủ an ninh; nếu cần, tăng tạm"
                            " keep-records-for-days trên máy chủ an ninh.",
                        },
                    }
                ],
            },
        ],
    }
    return [not_read_block, retention_block]
