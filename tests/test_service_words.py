"""What the service side says is in the user's language (contract 1.2): Vietnamese by default,
English with `--lang en` — its errors (mail, manifest, Grafana), its log lines, its durations."""

from __future__ import annotations

import ast
import logging
import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from i18n import N_, Lang, gettext_in, use_lang
from i18n.logs import TranslatingFormatter
from i18n.numbers import duration
from lienthong.cli import main
from tests.servers import free_port

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "2026-10.jsonl"
NOV_1 = "2026-11-01T07:00:00+07:00"  # October 2026 falls due
ENVIRONMENT = ("LIENTHONG_LANG", "LIENTHONG_CONFIG", "LIENTHONG_DB", "LIENTHONG_REGISTRY")
# Letters only Vietnamese writes: what is said in Vietnamese has some.
VIETNAMESE = re.compile(r"[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", re.I)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize(
    ("seconds", "vi", "en"),
    [
        (40, "40 giây", "40 s"),
        (2.5, "2,5 giây", "2.5 s"),
        (0.25, "0,25 giây", "0.25 s"),
        (90, "1 phút 30 giây", "1 min 30 s"),
        (900, "15 phút", "15 min"),
        (3600, "1 giờ", "1 h"),
        (7500, "2 giờ 5 phút", "2 h 5 min"),
        (7199.7, "2 giờ", "2 h"),
    ],
)
def test_a_duration_is_written_one_way_in_each_language(seconds: float, vi: str, en: str) -> None:
    assert duration(seconds) == vi  # the default
    with use_lang("en"):
        assert duration(seconds) == en


def said(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out + err


def lienthong(*argv: str) -> tuple[int, str]:
    """The command as a user runs it (a process of its own: no test's log handler in the way
    of what it logs), its exit status and all it says."""
    env = {k: v for k, v in os.environ.items() if k not in ENVIRONMENT}
    done = subprocess.run(
        [sys.executable, "-m", "lienthong", *argv],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    return done.returncode, done.stdout + done.stderr


def test_exports_run_due_says_its_mail_and_manifest_errors_in_the_users_language(
    tmp_path: Path,
) -> None:
    db = f"sqlite:///{tmp_path / 'lienthong.db'}"
    assert main(["db", "upgrade", "--db", db]) == 0
    assert main(["ingest", str(EXAMPLE), "--db", db]) == 0
    down = free_port()  # no SMTP server listens there
    folder = tmp_path / "exports"
    config = tmp_path / "serve.toml"
    config.write_text(
        f'[exports]\ndir = "{folder}"\n\n[exports.mail]\nhost = "127.0.0.1"\nport = {down}\n'
        'sender = "lienthong@so-khcn.bacninh.example"\nto = ["vanthu@so-khcn.bacninh.example"]\n',
        encoding="utf-8",
    )
    run_due = ["exports", "run-due", "--config", str(config), "--db", db, "--now", NOV_1]

    # Written, then the mail refused: said in Vietnamese, the connection's reason too, and
    # so is the warning logged for the quarter passed over (no record of it).
    code, text = lienthong(*run_due)
    assert code == 1
    assert (
        f"lienthong: không gửi được thư qua máy chủ 127.0.0.1:{down}: bị từ chối kết nối\n" in text
    )
    assert f"{folder}: cơ sở dữ liệu chưa có giao dịch nào trong kỳ 2026Q3" in text
    assert "cannot send" not in text and "holds no transaction" not in text
    # The mail still waits: the next run tries again, in English when asked.
    code, text = lienthong(*run_due, "--lang", "en")
    assert code == 1
    assert f"lienthong: cannot send mail through 127.0.0.1:{down}: connection refused\n" in text
    assert f"{folder}: the database holds no transaction in 2026Q3" in text
    assert not VIETNAMESE.search(text), text

    # A manifest that cannot be read is said, never overwritten.
    manifest = folder / "manifest.json"
    manifest.write_text("{", encoding="utf-8")
    code, text = lienthong(*run_due)
    assert code == 1
    assert text.startswith(f"lienthong: {manifest}: không đọc được danh mục báo cáo đã xuất: ")
    code, text = lienthong(*run_due, "--lang", "en")
    assert code == 1
    assert text.startswith(f"lienthong: {manifest}: cannot read the exports manifest: ")
    assert manifest.read_text(encoding="utf-8") == "{"


@pytest.fixture
def silent_grafana() -> Iterator[str]:
    """An address that takes connections and never answers (a hung Grafana)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(8)  # the kernel completes the handshakes; nobody reads the requests
        yield f"http://127.0.0.1:{s.getsockname()[1]}"


def test_a_grafana_push_error_is_said_in_the_users_language(
    silent_grafana: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GRAFANA_TOKEN", "glsa_test")
    push = ["dashboards", "push", "--url", silent_grafana, "--timeout", "0.5"]
    assert said(capsys, push) == (
        1,
        f"lienthong: Grafana tại {silent_grafana} không trả lời trong vòng 0,5 giây\n",
    )
    assert said(capsys, [*push, "--lang", "en"]) == (
        1,
        f"lienthong: Grafana at {silent_grafana} did not answer within 0.5 s\n",
    )
    down = f"http://127.0.0.1:{free_port()}"
    assert said(capsys, ["dashboards", "push", "--url", down]) == (
        1,
        f"lienthong: không kết nối được Grafana tại {down}: bị từ chối kết nối\n",
    )


@pytest.mark.parametrize(
    ("lang", "line"),
    [
        ("vi", "đã từ chối đăng nhập từ 203.0.113.9"),
        ("en", "sign-in refused from 203.0.113.9"),
    ],
)
def test_a_log_line_is_written_in_the_services_language(lang: Lang, line: str) -> None:
    # As exporter/web.py logs a refused sign-in: the msgid, translated when written, in the
    # service's language whatever the request's.
    record = logging.LogRecord(
        "lienthong.web", logging.WARNING, __file__, 1, N_("sign-in refused from %s"),
        ("203.0.113.9",), None,
    )  # fmt: skip
    with use_lang("en" if lang == "vi" else "vi"):  # a request in the other language
        assert TranslatingFormatter(lang).format(record) == line


LOGGING = {"debug", "info", "warning", "error", "exception", "critical"}
MARKS = {"_", "N_"}
SERVICE = ("lienthong", "store", "probes", "compliance", "exporter", "reports", "dashboards",
           "api", "i18n", "registry", "intake")  # fmt: skip


def _marked(message: ast.expr) -> bool:
    """N_("…") or _("…"), or _("…").format(…): a msgid the log is written in."""
    if (
        isinstance(message, ast.Call)
        and isinstance(message.func, ast.Attribute)
        and message.func.attr == "format"
    ):
        message = message.func.value
    return (
        isinstance(message, ast.Call)
        and isinstance(message.func, ast.Name)
        and message.func.id in MARKS
    )


def test_every_log_line_is_marked_for_the_catalogs() -> None:
    """A log message is a msgid (tests/test_translations.py checks it is translated), or
    holds no words at all ("%s: %s:%d: %s")."""
    unmarked = []
    for package in SERVICE:
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr in LOGGING
                    and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == "log"
                    and node.args
                ):
                    continue
                message = node.args[0]
                wordless = isinstance(message, ast.Constant) and not re.search(
                    r"[A-Za-z]{2}", re.sub(r"%[-#0 +]*\d*(?:\.\d+)?[a-z]", "", str(message.value))
                )
                if not (_marked(message) or wordless):
                    unmarked.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not unmarked, unmarked


def _serve_until(lang: str, tmp_path: Path, wanted: str) -> list[str]:
    """`serve`'s stderr lines, from its start until a line holding `wanted`."""
    port = free_port()
    config = tmp_path / f"serve-{lang}.toml"
    config.write_text(
        f'lang = "{lang}"\n\n[probes]\nenabled = false\n\n[exports]\ndir = "{tmp_path / lang}"\n',
        encoding="utf-8",
    )
    argv = ["serve", "--config", str(config), "--listen", f"127.0.0.1:{port}",
            "--db", f"sqlite:///{tmp_path / f'{lang}.db'}"]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k not in ENVIRONMENT}
    process = subprocess.Popen(
        [sys.executable, "-m", "lienthong", *argv],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    seen: list[str] = []
    try:
        assert process.stderr is not None
        while not any(wanted in line for line in seen):
            line = process.stderr.readline()
            assert line, "".join(seen)  # the service ended before saying it
            seen.append(line)
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)
    assert process.returncode == 0, "".join(seen)
    return seen


def test_serve_logs_in_the_language_of_its_config(tmp_path: Path) -> None:
    # The first export pass's last line, whatever the date: its words before the next date.
    msgid = "scheduled exports: pass done, next due %s"
    for lang in ("vi", "en"):
        done = gettext_in(lang, msgid).removesuffix("%s")
        lines = _serve_until(lang, tmp_path, done)
        logged = [line for line in lines if " lienthong." in line]  # "TIME lienthong.NAME: …"
        assert logged == lines, lines
        if lang == "vi":
            assert all(VIETNAMESE.search(line) for line in logged), logged
        else:
            assert not any(VIETNAMESE.search(line) for line in logged), logged


def _province(code: str, name: str, status: str, excused: int) -> dict[str, object]:
    """A province's monthly report in the contract's JSON shape (the rows the ranking reads)."""
    return {
        "month": "2026-10",
        "province": {"code": code, "name": name},
        "as_of": "2026-10-31",
        "rows": [
            {"department": "so-tp", "department_name": "Sở Tư pháp", "system": "ho-tich",
             "system_name": "CSDL hộ tịch điện tử", "status": status, "ratio": 0.5,
             "excused_days": excused},
        ],
    }  # fmt: skip


def test_the_national_ranking_is_written_in_the_users_language(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    from reports.national import NationalError, national_report
    from reports.national_files import write_xlsx

    reports = [("https://a.example", _province("27", "Bắc Ninh", "compliant", 1)),
               ("https://b.example", _province("46", "Huế", "non_compliant", 2))]  # fmt: skip
    ranking = national_report("2026-10", reports)
    for lang, sheets, heads, lapse in (
        ("vi", ["Xếp hạng", "Tỉnh × hệ thống", "Hệ thống", "Chưa đạt", "Gián đoạn"],
         ["Hạng", "Mã", "Tỉnh, thành phố", "Số liệu đến ngày", "Số nhiệm vụ", "Số nhiệm vụ đạt",
          "Tỷ lệ đạt"], ["Huế", "Sở Tư pháp", "CSDL hộ tịch điện tử", "Không đạt", "50,0 %"]),
        ("en", ["Ranking", "Province × system", "Systems", "Falling short", "Outages"],
         ["Rank", "Code", "Province or city", "Figures as of", "Duties", "Duties met",
          "Share met"], ["Huế", "Sở Tư pháp", "CSDL hộ tịch điện tử", "Non-compliant", "50.0 %"]),
    ):  # fmt: skip
        path = tmp_path / f"national-{lang}.xlsx"
        with use_lang(lang), path.open("wb") as out:  # type: ignore[arg-type]
            write_xlsx(ranking, out)
        book = load_workbook(path)
        assert book.sheetnames == sheets
        rows = list(book[sheets[0]].iter_rows(values_only=True))
        assert list(rows[2]) == heads
        assert list(next(book[sheets[3]].iter_rows(min_row=4, values_only=True))) == lapse
    # Two reports of one province: said in the user's language.
    with pytest.raises(NationalError, match="tỉnh, thành phố 27 \\(Bắc Ninh\\) bị đưa vào hai lần"):
        national_report("2026-10", [reports[0], reports[0]])
    with (
        use_lang("en"),
        pytest.raises(NationalError, match="province 27 \\(Bắc Ninh\\) is given twice"),
    ):
        national_report("2026-10", [reports[0], reports[0]])
