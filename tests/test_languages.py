"""Every command speaks the user's language (contract 1.2): Vietnamese by default, English with
`--lang en`; `--config`, `LIENTHONG_CONFIG`, `LIENTHONG_LANG` and the config's `lang` in the
order flag > environment > file > default; and no command but `db upgrade`, `serve`, `demo`
and `ingest` creates a database."""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from i18n import gettext_in, use_lang
from i18n.glossary import DAY_STATES, STATUSES
from lienthong.cli import build_parser, main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "2026-10.jsonl"
ENVIRONMENT = (
    "LIENTHONG_LANG",
    "LIENTHONG_CONFIG",
    "LIENTHONG_DB",
    "LIENTHONG_REGISTRY",
    "GRAFANA_TOKEN",
    "LIENTHONG_READ_TOKEN",
    "BACNINH_LGSP_CLIENT_ID",
    "BACNINH_LGSP_CLIENT_SECRET",
)
# Letters only Vietnamese writes: what a command says in Vietnamese has some.
VIETNAMESE = re.compile(r"[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", re.I)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # the default database, ./lienthong.db, is never there


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database holding October 2026's example records, and one excusal (id 1)."""
    folder = tmp_path_factory.mktemp("store")
    db = f"sqlite:///{folder / 'lienthong.db'}"
    assert main(["db", "upgrade", "--db", db]) == 0
    assert main(["ingest", str(EXAMPLE), "--db", db]) == 0
    propose = ["excuse", "propose", "--system", "csdl-dkdn", "--department", "so-taichinh"]
    assert main([*propose, "--from", "2026-10-06", "--reason", "Mất điện", "--db", db]) == 0
    yield db


def said(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str]:
    try:
        code = main(argv)
    except SystemExit as e:  # argparse's own errors
        code = int(e.code or 0)
    out, err = capsys.readouterr()
    return code, out + err


# Each command: its arguments ({db} and {tmp} filled in), its exit status, and a phrase of what
# it prints in Vietnamese and in English. Errors and summaries alike.
CASES: list[tuple[str, int, str, str]] = [
    # report: a bad month (argparse's message around ours), no database, a summary.
    ("report --month 2026-1", 2, "tham số --month: tháng '2026-1' không đúng dạng YYYY-MM",
     "argument --month: month '2026-1' is not YYYY-MM"),
    ("report", 2, "cần một trong các tham số --month --quarter",
     "one of the arguments --month --quarter is required"),
    ("report --month 2026-10", 1, "không có cơ sở dữ liệu tại", "no database at"),
    ("report --month 2026-10 --as-of 2026-10-31 --out {tmp}/r.csv --db {db}", 0,
     "tính đến 2026-10-31: 18 nhiệm vụ (", "as of 2026-10-31: 18 obligations ("),
    ("report --month 2026-10 --out {tmp}/r.pdf --format json --db {db}", 2,
     "--format json trái với --out", "--format json contradicts --out"),
    ("db upgrade --db {db}", 0, "lược đồ đã ở phiên bản", "schema already at"),
    ("ingest {tmp}/none.jsonl --db {db}", 1, "không có tệp", "no such file"),
    ("ingest " + str(EXAMPLE) + " --db {db}", 0, "trùng", "duplicates"),
    ("tokens issue --department so-taichinh --db {db}", 0, "mã chỉ hiện một lần này",
     "it is shown only this once"),
    ("tokens issue --department so-nope --db {db}", 1, "sổ đăng ký không có đơn vị mã",
     "unknown department code"),
    ("tokens list --db {db}", 0, "tiền tố", "prefix"),
    ("tokens revoke lt_nope --db {db}", 1, "không có mã lt_nope", "no token lt_nope"),
    ("excuse list --db {db}", 0, "chờ duyệt", "proposed"),
    ("excuse approve 99 --by A --db {db}", 1, "không có miễn trừ số 99", "no excusal 99"),
    ("excuse propose --system csdl-dkdn --from 2026-10-07 --reason x --by A --db {db}", 0,
     "đã đề xuất miễn trừ", "proposed excusal"),
    ("excuse propose --system csdl-dkdn --from 2026-10-09 --to 2026-10-05 --reason x --by A"
     " --db {db}", 1, "ngày cuối 2026-10-05 trước ngày đầu 2026-10-09",
     "last day 2026-10-05 is before first day 2026-10-09"),
    ("excuse detect --month 2026-10 --db {db}", 0, "ngày hệ thống ngừng hoạt động",
     "outage days found"),
    ("evidence --department so-taichinh --system csdl-dkdn --day 2026-10-06 --db {db}", 0,
     "nguồn được tính", "sources that count"),
    ("evidence --department so-taichinh --system csdl-dkdn --day 2026-10-06", 1,
     "không có cơ sở dữ liệu tại", "no database at"),
    ("exports run-due --dry-run --now 2026-11-01T07:00:00+07:00 --exports-dir {tmp}/x", 0,
     "sẽ ghi báo cáo 2026-10", "would write 2026-10"),
    ("exports run-due --now 2099-01-01T00:00:00+07:00", 1, "muộn hơn giờ hiện tại",
     "later than the clock"),
    ("alerts render --out {tmp}/alerts", 0, "quy tắc cảnh báo cho mọi nhiệm vụ",
     "rules for every obligation"),
    ("dashboards push --url http://127.0.0.1:9", 1, "chưa đặt biến môi trường GRAFANA_TOKEN",
     "environment variable GRAFANA_TOKEN is not set"),
    ("registry validate", 0, "hợp lệ: ", "ok: "),
    ("registry show --on 2026-10-05", 0, "18 nhiệm vụ có hiệu lực ngày 2026-10-05",
     "18 obligations in force on 2026-10-05"),
    ("registry history so-nope", 1, "sổ đăng ký không có đơn vị hay hệ thống",
     "no department or system"),
    ("registry history --registry hue", 0, "đơn vị so-tttt sáp nhập vào so-khcn",
     "department so-tttt merges into so-khcn"),
    ("registry history so-tttt --registry hue", 0, "dmdc (duy trì giao dịch, suy ra): … → 2025-03-01",
     "dmdc (maintain, derived): … → 2025-03-01"),
    ("registry validate {tmp}/none.yml", 1, "không có tệp hoặc thư mục này (các sổ đăng ký",
     "no such file or folder (bundled registries"),
    ("registry merge --department so-a --into so-a --on 2026-01-01 {tmp}/r.yml", 1,
     "đơn vị so-a không thể sáp nhập vào chính nó", "department so-a cannot merge into itself"),
    ("national report --month 2026-10 --source http://127.0.0.1:9 --out {tmp}/n.json", 1,
     "không có mã đọc", "no read token"),
    ("simulate --fault nope:outage=true --listen 127.0.0.1:0", 2, "không có hệ thống 'nope'",
     "unknown system 'nope'"),
    ("serve --db {db}", 1, "chưa đặt biến môi trường BACNINH_LGSP_CLIENT_ID",
     "environment variable BACNINH_LGSP_CLIENT_ID is not set"),
    ("serve --listen nowhere --db {db}", 1, "cần dạng MÁY:CỔNG", "expected HOST:PORT"),
    ("demo --listen nowhere", 1, "cần dạng MÁY:CỔNG", "expected HOST:PORT"),
    ("excuse approve", 2, "thiếu các tham số bắt buộc: ID, --by",
     "the following arguments are required: ID, --by"),
]  # fmt: skip


@pytest.mark.parametrize(("command", "status", "vi", "en"), CASES, ids=[c[0] for c in CASES])
def test_each_command_speaks_vietnamese_by_default_and_english_when_asked(
    store: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    command: str,
    status: int,
    vi: str,
    en: str,
) -> None:
    argv = command.format(db=store, tmp=tmp_path).split()
    code, text = said(capsys, argv)
    assert (code, vi) == (status, vi if vi in text else text)
    assert VIETNAMESE.search(text) and en not in text, text
    code, text = said(capsys, [*argv, "--lang", "en"])
    assert (code, en) == (status, en if en in text else text)
    assert vi not in text, text
    assert not (tmp_path / "lienthong.db").exists()  # the default database: never created


# A registry with what a person gets wrong: a key that is not one, a required key left out, a
# value not among the choices, a date that does not exist. Then, once the types are right, how
# the objects fit together: an unknown code, since after until, two duties of one pair at once.
WRONG_TYPES = """\
version: 1
province: {code: '24', name: Bắc Ninh}
systems:
  - {code: a, name: A, owner: Bộ, colour: blue}
departments:
  - {code: s, name: Sở, since: 2026-02-30}
obligations:
  - {department: s, system: a, kind: keep, basis: Điều 6}
  - {department: s, system: a, kind: maintain}
"""
WRONG_REFERENCES = """\
version: 1
province: {code: '24', name: Bắc Ninh}
standing_department: so-tc
systems:
  - {code: a, name: A, owner: Bộ}
departments:
  - {code: s, name: Sở}
obligations:
  - {department: s, system: a, kind: maintain, basis: Điều 6, since: 2026-01-01}
  - {department: s, system: a, kind: maintain, basis: Điều 7}
  - {department: s, system: a, kind: connect, basis: Điều 8, since: 2026-03-01, until: 2026-02-01}
"""
# Each problem's line, in Vietnamese and in English (after FILE:LINE: ).
REGISTRY_PROBLEMS = {
    WRONG_TYPES: [
        ("4", "khóa không hợp lệ 'colour'", "unknown key 'colour'"),
        ("6", "không đọc được '2026-02-30': tháng này không có ngày đó",
         "cannot read '2026-02-30': day is out of range for month"),
        ("8", "kind: giá trị phải là 'maintain' hoặc 'connect', không phải 'keep'",
         "kind: Input should be 'maintain' or 'connect', got 'keep'"),
        ("9", "thiếu khóa bắt buộc 'basis'", "missing required key 'basis'"),
    ],
    WRONG_REFERENCES: [
        ("3", "sổ đăng ký không có đơn vị mã 'so-tc'", "unknown department code 'so-tc'"),
        ("10", "nhiệm vụ thứ hai của s với a có hiệu lực cùng thời gian: đặt since/until để các"
         " nhiệm vụ không chồng lấn nhau (lần đầu tại {path}:9)",
         "a second obligation of s towards a in force at the same time: give them since/until"
         " that do not overlap (first at {path}:9)"),
        ("11", "since 2026-03-01 phải trước until 2026-02-01",
         "since 2026-03-01 must be before until 2026-02-01"),
    ],
}  # fmt: skip
# The English words of those messages: none may be left in the Vietnamese (the YAML keys, codes
# and values quoted are the same in both).
ENGLISH = re.compile(
    r"\b(unknown|key|missing|required|cannot|read|range|month|Input|should|got|second"
    r"|obligation|towards|force|time|overlap|first|at|must|before|code)\b"
)


@pytest.mark.parametrize("text", REGISTRY_PROBLEMS, ids=["types", "references"])
def test_registry_problems_are_said_in_the_users_language(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str
) -> None:
    path = tmp_path / "province.yml"
    path.write_text(text, encoding="utf-8")
    argv = ["registry", "validate", "--registry", str(path)]
    for lang, column in ((None, 1), ("en", 2)):
        code, said_text = said(capsys, [*argv, *(["--lang", lang] if lang else [])])
        expected = [
            f"{path}:{problem[0]}: {problem[column].format(path=path)}"
            for problem in REGISTRY_PROBLEMS[text]
        ]
        assert (code, said_text.splitlines()) == (1, expected)
        if lang is None:
            words = [line.removeprefix(f"{path}:") for line in said_text.splitlines()]
            assert not [w for w in words if ENGLISH.search(w.replace(str(path), ""))], words


def test_the_docs_quote_the_registry_problems_as_lienthong_says_them() -> None:
    """The guide quotes them in Vietnamese, docs/registry.md in both languages."""
    guide = " ".join((ROOT / "docs" / "huong-dan.md").read_text(encoding="utf-8").split())
    english = (ROOT / "docs" / "registry.md").read_text(encoding="utf-8")
    quoted = {("4", "colour"), ("6", "2026-02-30"), ("9", "basis"), ("11", "since")}
    found = [
        (line, vi, en)
        for problems in REGISTRY_PROBLEMS.values()
        for line, vi, en in problems
        if any(line == n and word in vi for n, word in quoted)
    ]
    assert len(found) == 4
    for line, vi, en in found:
        assert f"`province.yml:{line}: {vi}`" in guide
        if line != "6":
            assert f"province.yml:{line}: {vi} " in english and f"{en})" in english


def test_the_report_summary_names_statuses_with_the_glossary(
    store: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["report", "--month", "2026-10", "--as-of", "2026-10-31", "--db", store]
    code, text = said(capsys, [*argv, "--out", str(tmp_path / "r.json")])
    assert code == 0 and gettext_in("vi", STATUSES["compliant"].name).lower() in text
    code, text = said(capsys, [*argv, "--out", str(tmp_path / "r.json"), "--lang", "en"])
    assert code == 0 and "compliant" in text and "non-compliant" in text


def test_evidence_names_the_day_with_the_glossary(
    store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["evidence", "--department", "so-taichinh", "--system", "csdl-dkdn", "--db", store]
    code, text = said(capsys, [*argv, "--day", "2026-10-03"])  # a Saturday
    assert code == 0 and gettext_in("vi", DAY_STATES["not_required"].name) in text
    code, text = said(capsys, [*argv, "--day", "2026-10-03", "--format", "json"])
    assert '"state": "not_required"' in text  # what programs read stays as it is


def test_language_from_flag_then_environment_then_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "serve.toml"
    config.write_text('lang = "en"\n', encoding="utf-8")
    missing = ["tokens", "list"]
    assert "no database at" in said(capsys, [*missing, "--config", str(config)])[1]
    monkeypatch.setenv("LIENTHONG_CONFIG", str(config))
    assert "no database at" in said(capsys, missing)[1]
    monkeypatch.setenv("LIENTHONG_LANG", "vi")  # the environment wins over the file
    assert "không có cơ sở dữ liệu tại" in said(capsys, missing)[1]
    assert "no database at" in said(capsys, [*missing, "--lang", "en"])[1]  # the flag over both
    assert "no database at" in said(capsys, ["--lang", "en", *missing])[1]  # or before it
    monkeypatch.setenv("LIENTHONG_LANG", "fr")
    code, text = said(capsys, missing)
    assert code == 1 and text == (
        "lienthong: LIENTHONG_LANG='fr': lienthong không có ngôn ngữ này (vi, en)\n"
    )


def test_database_and_registry_from_the_config_file_for_every_command(
    store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "serve.toml"
    config.write_text(f'database = "{store}"\nregistry = "bac-ninh"\n', encoding="utf-8")
    # The service's database, named only in its config file: the token, the excusal and the
    # evidence all go to, and come from, that one database.
    code, text = said(
        capsys, ["tokens", "issue", "--department", "so-khdt", "--config", str(config)]
    )
    assert code == 0
    prefix = text.splitlines()[-1][:11]
    monkeypatch.setenv("LIENTHONG_CONFIG", str(config))
    assert prefix in said(capsys, ["tokens", "list"])[1]
    code, text = said(capsys, ["excuse", "list", "--format", "json"])
    assert code == 0 and '"reason": "Mất điện"' in text
    day = ["--department", "so-taichinh", "--system", "csdl-dkdn", "--day", "2026-10-06"]
    assert said(capsys, ["evidence", *day])[0] == 0
    # The environment's database wins over the file's, the flag over both.
    monkeypatch.setenv("LIENTHONG_DB", f"sqlite:///{tmp_path / 'env.db'}")
    code, text = said(capsys, ["excuse", "list"])
    assert code == 1 and str(tmp_path / "env.db") in text
    assert said(capsys, ["excuse", "list", "--db", store])[0] == 0
    assert not (tmp_path / "env.db").exists()


@pytest.mark.parametrize(
    "command",
    [
        "evidence --department so-taichinh --system csdl-dkdn --day 2026-10-06",
        "excuse list",
        "excuse approve 1 --by A",
        "excuse propose --system csdl-dkdn --from 2026-10-06 --reason x --by A",
        "excuse detect --month 2026-10",
        "tokens issue --department so-taichinh",
        "tokens list",
        "report --month 2026-10",
    ],
)
def test_commands_in_an_empty_folder_refuse_and_create_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    code, text = said(capsys, [*command.split(), "--lang", "en"])
    assert code == 1
    assert text.startswith(f"lienthong: no database at {tmp_path / 'lienthong.db'}")
    assert text.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_alert_texts_are_vietnamese_by_default_and_english_when_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for lang, summary, subject in (
        (None, "chưa có giao dịch thành công nào với", "[Liên thông dữ liệu]"),
        ("en", "no successful transaction with", "[Data connection]"),
    ):
        out = tmp_path / (lang or "vi")
        argv = ["alerts", "render", "--out", str(out), *(["--lang", lang] if lang else [])]
        assert said(capsys, argv)[0] == 0
        rules = (out / "rules.yml").read_text(encoding="utf-8")
        routes = (out / "alertmanager.yml").read_text(encoding="utf-8")
        assert summary in rules and subject in routes
        # Names, labels and expressions are the same in both languages.
        assert "alert: LienthongNoSuccessToday" in rules and "severity: warning" in rules
    assert "15 phút" in (tmp_path / "vi" / "rules.yml").read_text(encoding="utf-8")
    assert "15 min" in (tmp_path / "en" / "rules.yml").read_text(encoding="utf-8")


def test_numbers_are_written_as_the_language_writes_them(
    store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["ingest", str(EXAMPLE), "--db", store]
    text = said(capsys, argv)[1]
    assert re.search(r"trùng 728, trong \d+,\d giây \([\d.]+ bản ghi/giây\)", text), text
    text = said(capsys, [*argv, "--lang", "en"])[1]
    assert re.search(r"728 duplicates, in \d+\.\d s \([\d,]+ records/s\)", text), text


def test_ingest_says_what_is_wrong_with_a_record_in_the_users_language(
    store: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each bad record's reason and a bad CSV header, the way `ingest` prints them: the words
    in Vietnamese by default, as they were in English with --lang en; codes, field and column
    names as they are."""
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        '{"system": "csdl-dkdn", "ts": "2026-10-05T09:00:00+07:00", "outcome": "ok"}\n'
        '{"department": \n'
        '{"department": "so-taichinh", "system": "csdl-dkdn", "ts": "2026-10-05T09:00:00",'
        ' "outcome": "success", "latency_ms": "5", "colour": "red"}\n'
        "[1]\n"
        '{"department": "so-nope", "system": "csdl-dkdn", "ts": "2026-10-05T09:00:00+07:00",'
        ' "outcome": "success"}\n',
        encoding="utf-8",
    )
    csv = tmp_path / "bad.csv"
    csv.write_text("department,system,when,result\n", encoding="utf-8")
    argv = ["ingest", str(bad), str(csv), "--db", store]
    english = {
        f"{bad}:1: department: is required",
        f"{bad}:1: outcome: Input should be 'success' or 'failure'",
        f"{bad}:2: not valid JSON (EOF while parsing a value at line 2 column 0)",
        f"{bad}:3: ts: 2026-10-05T09:00:00 has no offset: add one, like +07:00 or Z",
        f"{bad}:3: latency_ms: must be a number",
        f"{bad}:3: colour: is not a field of a transaction record",
        f"{bad}:4: a record must be a JSON object",
        f"{bad}:5: department: unknown department code 'so-nope'",
        f"{bad}: 5 records, 5 invalid: nothing stored",
        f"lienthong: {csv}:1: unknown columns 'when', 'result'; missing columns 'outcome', 'ts'"
        " (columns: department, system, ts, outcome, latency_ms, id, source, detail, platform)",
    }
    vietnamese = {
        f"{bad}:1: department: thiếu trường bắt buộc này",
        f"{bad}:1: outcome: giá trị phải là 'success' hoặc 'failure'",
        f"{bad}:2: không phải JSON hợp lệ (hết dữ liệu khi chưa có giá trị ở dòng 2, cột 0)",
        f"{bad}:3: ts: 2026-10-05T09:00:00 không ghi múi giờ: hãy thêm, ví dụ +07:00 hoặc Z",
        f"{bad}:3: latency_ms: phải là một số",
        f"{bad}:3: colour: bản ghi giao dịch không có trường này",
        f"{bad}:4: bản ghi phải là một đối tượng JSON",
        f"{bad}:5: department: sổ đăng ký không có đơn vị mã 'so-nope'",
        f"{bad}: 5 bản ghi, 5 không hợp lệ: không lưu gì",
        f"lienthong: {csv}:1: cột không hợp lệ 'when', 'result'; thiếu cột 'outcome', 'ts'"
        " (các cột: department, system, ts, outcome, latency_ms, id, source, detail, platform)",
    }
    code, text = said(capsys, argv)
    assert (code, set(text.splitlines())) == (1, vietnamese)
    words = re.sub(r"'[^']*'|\([^()]*: [^()]*\)|\S*[/.:_]\S*", " ", text)  # quoted, codes, paths
    leaked = {"required", "valid", "field", "record", "object", "unknown", "columns", "must"}
    assert not leaked & set(re.findall(r"[a-z]+", words)), words
    code, text = said(capsys, [*argv, "--lang", "en"])
    assert (code, set(text.splitlines())) == (1, english)


def test_a_wrong_source_in_the_config_is_said_in_the_users_language(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "serve.toml"
    config.write_text(
        '[[sources]]\nkind = "folder"\nname = "x"\npath = "/p"\nplatform = "lgsp2"\n',
        encoding="utf-8",
    )
    code, text = said(capsys, ["serve", "--config", str(config)])
    assert (code, text) == (
        1,
        f"lienthong: {config}: sources: [0].platform: giá trị phải là 'lgsp', 'ndxp', 'ndop',"
        " 'vdxp' hoặc 'other'\n",
    )
    code, text = said(capsys, ["serve", "--config", str(config), "--lang", "en"])
    assert (code, text) == (
        1,
        f"lienthong: {config}: sources: [0].platform: Input should be 'lgsp', 'ndxp', 'ndop',"
        " 'vdxp' or 'other'\n",
    )


def test_every_help_text_is_in_vietnamese_by_default() -> None:
    """`lienthong … --help` in the user's language: every command's description and every
    option's help (a help left out of the catalogs shows its English)."""
    untranslated = []
    with use_lang("vi"):
        parsers = [build_parser()]
        while parsers:
            parser = parsers.pop()
            if parser.description and not VIETNAMESE.search(parser.description):
                untranslated.append(f"{parser.prog}: {parser.description}")
            for action in parser._actions:
                if isinstance(action, argparse._SubParsersAction):
                    parsers += action.choices.values()
                    texts = [a.help for a in action._choices_actions]
                else:
                    texts = [action.help]
                untranslated += [
                    f"{parser.prog}: {text}"
                    for text in texts
                    if text and text != argparse.SUPPRESS and not VIETNAMESE.search(text)
                ]
    assert not untranslated, "\n".join(untranslated)
