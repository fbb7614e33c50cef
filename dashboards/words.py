"""The words of the alerts, in one place: every annotation's Vietnamese text.

Each text is a `str.format` template. Its fields are filled in by dashboards/rules.py
with names (a department, a system), figures, and the alert-time look-ups of
Prometheus's templates (`{value}` is `{{ $value }}`), so no PromQL or Go template
syntax lives here, only what a person reads — but for the mail's own template at the
end, whose words Alertmanager's Go template cannot be separated from.
"""

from __future__ import annotations

# Durations and hours as people read them ("15 phút", "10 giờ 30").
UNITS = {
    "ms": "mili giây",
    "s": "giây",
    "m": "phút",
    "h": "giờ",
    "d": "ngày",
    "w": "tuần",
    "y": "năm",
}

# When an alert-time look-up finds nothing.
UNKNOWN_OWNER = "đơn vị chủ quản"
UNKNOWN_BASIS = "(không rõ: xem sổ đăng ký)"
NEVER_SUCCEEDED = "chưa có giao dịch thành công nào"
AGO = ", cách đây {duration}"
STANDING_FALLBACK = "Sở Thông tin và Truyền thông"  # a registry that names none

NO_SUCCESS_TODAY = {
    "summary": "{department}: chưa có giao dịch thành công nào với {system} hôm nay",
    "description": (
        "Hôm nay là ngày làm việc phải phát sinh giao dịch thành công, nhưng đến {hour}"
        " vẫn chưa có giao dịch thành công nào của {department} với {system}."
    ),
    "check": (
        "Phần mềm nghiệp vụ của đơn vị có còn gửi dữ liệu lên hệ thống quốc gia (qua trục"
        " LGSP/NDXP) không; tài khoản, mã kết nối (client_id, token) còn hiệu lực không;"
        " nhật ký lỗi của trục liên thông."
    ),
}
MISSED_REQUIRED_DAYS = {
    "summary": (
        "{department}: {value} ngày làm việc liên tiếp không có giao dịch thành công với {system}"
    ),
    "description": (
        "{value} ngày làm việc liên tiếp gần nhất (tính đến hôm qua) {department} không phát"
        " sinh giao dịch thành công nào với {system}, và hôm nay cũng chưa có."
    ),
    "check": (
        "Kết nối đã gián đoạn nhiều ngày: kiểm tra ngay cấu hình kết nối, tài khoản và chứng"
        " thư trên trục LGSP; nếu lỗi ở hệ thống quốc gia, liên hệ {owner} và báo {standing}."
    ),
}
PROBES_FAILING = {
    "summary": "{department}: {value} lần thăm dò {system} thất bại trong {window} qua",
    "description": (
        "Tỷ lệ lần thăm dò thất bại trong {window} qua là {value}, vượt ngưỡng {threshold}."
    ),
    "check": (
        "Chi tiết lỗi (detail) của các lần thăm dò trong lienthong; mạng và trục LGSP; token"
        " OAuth2 của kết nối; trạng thái của hệ thống quốc gia."
    ),
}
MONTH_TARGET_UNREACHABLE = {
    "summary": (
        "{department}: tháng này không còn đạt được tỷ lệ tuân thủ với {system}"
        " (còn {value} ngày làm việc)"
    ),
    "description": (
        "Tháng này đã đạt {met}/{required} ngày làm việc; còn {value} ngày làm việc. Dù tất"
        " cả những ngày còn lại đều có giao dịch thành công, tỷ lệ cả tháng cũng không đạt"
        " mục tiêu {target}."
    ),
    "check": (
        "Rà soát nguyên nhân các ngày không đạt trong tháng (lienthong report --month ...);"
        " bảo đảm mọi ngày làm việc còn lại đều có giao dịch thành công và chuẩn bị giải"
        " trình trong báo cáo tháng."
    ),
}
MONTH_MISS_BUDGET = {
    "summary_none": (
        "{department}: tháng này không được để thêm ngày làm việc nào không có giao dịch"
        " thành công với {system}"
    ),
    "summary_some": (
        "{department}: tháng này chỉ còn được để {left} ngày làm việc không có giao dịch"
        " thành công với {system}"
    ),
    "stake_none": "Chỉ cần thêm một ngày làm việc không đạt, tỷ lệ cả tháng sẽ không đạt",
    "stake_some": "Nếu thêm quá {left} ngày làm việc không đạt, tỷ lệ cả tháng sẽ không đạt",
    "description": (
        "Tháng này đã đạt {met}/{required} ngày làm việc; còn {value} ngày làm việc phải có"
        " giao dịch thành công. {stake} mục tiêu {target}."
    ),
    "check": (
        "Bảo đảm từng ngày làm việc còn lại của tháng đều có giao dịch thành công; nếu ngày"
        " không đạt không do lỗi của đơn vị (hệ thống quốc gia ngừng hoạt động), đề nghị miễn"
        " trừ (POST /api/v1/excusals hoặc lienthong excuse propose)."
    ),
}
NATIONAL_SYSTEM_DOWN = {
    "summary": (
        "Hệ thống quốc gia {system} không hoạt động: mọi kết nối của tỉnh tới hệ thống này"
        " đều thất bại"
    ),
    "description": (
        "Mọi lần thăm dò tới {system} ({owner}) trong {window} qua đều thất bại (hoặc bộ"
        " ngắt mạch đã tạm dừng thăm dò). Các sở, ngành phụ thuộc: {departments}"
    ),
    "check": (
        "Sự cố ở phía hệ thống quốc gia hoặc đường truyền chung, không riêng một sở: liên hệ"
        " {owner}, kiểm tra trục LGSP/NDXP của tỉnh; theo dõi đến khi khôi phục. Cảnh báo"
        " riêng của từng sở về hệ thống này được gộp vào cảnh báo này."
    ),
}
EXPORTER_CHECK = (
    "Dịch vụ lienthong serve có đang chạy không (systemctl status lienthong), cổng /metrics"
    " có truy cập được từ Prometheus không, nhật ký lỗi của dịch vụ."
)
EXPORTER_DOWN = {
    "summary": "Không thu thập được số liệu từ lienthong ({instance})",
    "description": (
        "Prometheus không đọc được /metrics của lienthong: mọi cảnh báo về kết nối của các"
        " sở, ngành đang không được đánh giá."
    ),
    "check": EXPORTER_CHECK,
}
EXPORTER_ABSENT = {
    "summary": "Prometheus không có mục tiêu thu thập nào của job {job}",
    "description": (
        "Không có chuỗi {series}: cấu hình thu thập của Prometheus đã mất lienthong, nên"
        " không có cảnh báo nào về các kết nối."
    ),
    "check": "Mục scrape_configs job_name: lienthong trong prometheus.yml. " + EXPORTER_CHECK,
}
STORE_DOWN = {
    "summary": "Cơ sở dữ liệu của lienthong không ghi được ({instance})",
    "description": (
        "lienthong không ghi được vào cơ sở dữ liệu: API tiếp nhận trả lời 503 (các sở,"
        " ngành phải gửi lại) và kết quả thăm dò chưa được lưu."
    ),
    "check": (
        "GET /healthz của lienthong (trường store nêu lý do); PostgreSQL có đang chạy và nhận"
        " kết nối không; ổ đĩa còn chỗ trống không; tệp SQLite có bị khoá hoặc chỉ đọc không."
    ),
}
SOURCE_NOT_READ = {
    "summary": "Nguồn dữ liệu {source} của lienthong không đọc được ({instance})",
    "description": (
        "Nguồn {source} không đọc được đã quá ba chu kỳ đọc (lần đọc thành công cuối: {age}):"
        " các giao dịch của cổng kết nối chưa vào lienthong, số liệu hôm nay có thể thiếu."
    ),
    "check": (
        "lienthong sources status (cột lỗi gần nhất); trang trạng thái, mục Nguồn dữ liệu giao"
        " dịch; tệp nhật ký WSO2 có còn được ghi, thư mục nhận tệp có quyền ghi, máy chủ an"
        " ninh X-Road có trả lời (chứng thư TLS còn hạn) không."
    ),
}
SOURCE_READ_AGO = "{age} trước"
SOURCE_NEVER_READ = "chưa lần nào"
SOURCE_RETENTION = {
    "summary": "Nguồn X-Road {source}: bản ghi chưa đọc sắp bị máy chủ an ninh xoá ({instance})",
    "description": (
        "Bản ghi cũ nhất chưa đọc của {source} đã {age}; máy chủ an ninh chỉ giữ bản ghi"
        " {retention} (keep-records-for-days): còn chưa đầy một ngày là mất, không lấy lại được."
    ),
    "check": (
        "lienthong sources status (lỗi gần nhất của {source}); kết nối và chứng thư TLS tới máy"
        " chủ an ninh; nếu cần, tăng tạm keep-records-for-days trên máy chủ an ninh."
    ),
}
NO_LEADER = {
    "summary": "Không phiên bản lienthong nào dẫn đầu phân đoạn {shard} (tỉnh {province})",
    "description": (
        "Mọi phiên bản của phân đoạn này đều đang chờ: không có thăm dò nào chạy, số liệu"
        " của các nghĩa vụ trong phân đoạn không được xuất."
    ),
    "check": (
        "Kết nối từ các phiên bản lienthong serve tới PostgreSQL (khóa pg_advisory_lock"
        " trong pg_locks), dòng 'leadership' trong nhật ký dịch vụ."
    ),
}

# The mail Alertmanager sends (`alertmanager.yml`, email_configs).
MAIL_SUBJECT = (
    '[Liên thông dữ liệu] {{ if eq .Status "firing" }}CẢNH BÁO{{ else }}ĐÃ KHẮC PHỤC{{ end }}'
    " ({{ len .Alerts }}): {{ (index .Alerts 0).Annotations.summary }}"
)
# Plain text: it survives every mail client a department uses.
MAIL_BODY = """\
{{ range .Alerts }}\
{{ if eq .Status "firing" }}ĐANG XẢY RA{{ else }}ĐÃ KHẮC PHỤC{{ end }} \
(mức {{ if eq .Labels.severity "critical" }}nghiêm trọng{{ else }}cảnh báo{{ end }}): \
{{ .Annotations.summary }}
{{ .Annotations.description }}
{{ with .Annotations.department_name }}Sở, ngành: {{ . }}
{{ end }}{{ with .Annotations.system_name }}Hệ thống quốc gia: {{ . }}
{{ end }}{{ with .Annotations.basis }}Căn cứ: {{ . }}
{{ end }}{{ with .Annotations.last_success }}Giao dịch thành công gần nhất: {{ . }}
{{ end }}{{ with .Annotations.departments }}Sở, ngành phụ thuộc: {{ . }}
{{ end }}Cần kiểm tra: {{ .Annotations.check }}
Bắt đầu lúc: {{ (.StartsAt.Add OFFSET_NS).Format "15:04 02/01/2006" }} (OFFSET_NAME)

{{ end }}\
Thư này do hệ thống giám sát liên thông dữ liệu (lienthong) gửi tự động.
"""
