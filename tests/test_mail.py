"""Mailing the scheduled exports to the standing department, through a real SMTP server."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine

from registry import Registry
from reports.manifest import read_manifest
from reports.scheduled import ExportsSettings, RunResult, run_due
from tests.servers import free_port, smtp_server

NOV_1 = datetime(2026, 11, 1, 7, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
pytestmark = pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)


def run(engine: Engine, registry: Registry, folder: Path, mail: dict[str, object]) -> RunResult:
    settings = ExportsSettings.model_validate(
        {"dir": folder, "mail": {"sender": "lienthong@so-khcn.bacninh.example", **mail}}
    )
    return run_due(
        engine, registry, settings, now=NOV_1, registry_spec=None, database_url="sqlite://"
    )


def test_exports_are_mailed_once_to_the_standing_department(
    varied: Engine, bac_ninh: Registry, tmp_path: Path
) -> None:
    folder = tmp_path / "exports"
    with smtp_server() as smtp:
        result = run(varied, bac_ninh, folder, {"host": smtp.host, "port": smtp.port})
        assert [w.period for w in result.written] == ["2026Q3", "2026-10"]
        assert [period for period, _ in result.mailed] == ["2026Q3", "2026-10"]
        # A second pass (a restart) mails nothing again.
        again = run(varied, bac_ninh, folder, {"host": smtp.host, "port": smtp.port})
        assert again == RunResult()
    assert len(smtp.messages) == 2
    october = smtp.messages[1]
    assert october["To"] == "cntt@so-khcn.bacninh.example"
    assert october["Subject"].endswith("— Bắc Ninh — Tháng 10 năm 2026")
    body = october.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    assert "Kính gửi Sở Khoa học và Công nghệ" in text
    assert "số liệu tính đến hết ngày 31/10/2026" in text
    assert "18 nhiệm vụ:" in text
    attachments = {a.get_filename(): a for a in october.iter_attachments()}
    assert sorted(attachments) == [
        "lienthong-2026-10.csv",
        "lienthong-2026-10.docx",  # the document, for the office to finish in Word
        "lienthong-2026-10.json",
        "lienthong-2026-10.pdf",
        "lienthong-2026-10.xlsx",
    ]
    assert attachments["lienthong-2026-10.pdf"].get_content_type() == "application/pdf"
    assert attachments["lienthong-2026-10.docx"].get_content_type() == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    pdf = folder / "2026-10" / "lienthong-2026-10.pdf"
    assert attachments["lienthong-2026-10.pdf"].get_content() == pdf.read_bytes()
    record = read_manifest(folder)["2026-10"]
    assert not record.mail_pending
    assert record.mailed_to == ["cntt@so-khcn.bacninh.example"]


def test_mail_refused_stays_pending_until_the_server_is_back(
    varied: Engine, bac_ninh: Registry, tmp_path: Path
) -> None:
    folder = tmp_path / "exports"
    down = free_port()  # nothing listens there
    result = run(
        varied, bac_ninh, folder, {"host": "127.0.0.1", "port": down, "to": ["a@b.example"]}
    )
    assert [w.period for w in result.written] == ["2026Q3", "2026-10"]
    assert result.mailed == ()
    # Said in the user's language (Vietnamese by default), the connection's reason too.
    assert result.mail_errors[0] == (
        f"không gửi được thư qua máy chủ 127.0.0.1:{down}: bị từ chối kết nối"
    )
    assert all(r.mail_pending for r in read_manifest(folder).values())

    with smtp_server() as smtp:
        back = run(
            varied, bac_ninh, folder, {"host": smtp.host, "port": smtp.port, "to": ["a@b.example"]}
        )
    assert back.written == ()  # the files were written once, only the mail was waiting
    assert [period for period, _ in back.mailed] == ["2026Q3", "2026-10"]
    assert [m["To"] for m in smtp.messages] == ["a@b.example", "a@b.example"]


def test_the_password_never_shows(
    varied: Engine, bac_ninh: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "exports"
    with smtp_server() as smtp:
        mail = {
            "host": smtp.host,
            "port": smtp.port,
            "username": "lienthong",
            "password_env": "LIENTHONG_TEST_SMTP_PASSWORD",
        }
        missing = run(varied, bac_ninh, folder, mail)
        assert missing.mail_errors == (
            "mật khẩu SMTP: chưa đặt biến môi trường LIENTHONG_TEST_SMTP_PASSWORD",
        )
        monkeypatch.setenv("LIENTHONG_TEST_SMTP_PASSWORD", "s3cret-Passw0rd")
        # This server offers no AUTH over plain text: the login fails, without the secret.
        refused = run(varied, bac_ninh, folder, mail)
    assert refused.mail_errors and "s3cret-Passw0rd" not in refused.mail_errors[0]
    assert "s3cret-Passw0rd" not in (folder / "manifest.json").read_text()
    assert smtp.messages == []
