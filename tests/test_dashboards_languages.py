"""The dashboards speak the command's language: Vietnamese by default, English with `--lang en`,
with the same queries, uids and panels in both (a push in English replaces the same dashboards)."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from dashboards import grafana
from dashboards.national import national_dashboard
from i18n import Lang, use_lang
from lienthong.cli import main
from registry import Registry, load_registry

# Letters only Vietnamese uses among the two languages (English has none of them).
VIETNAMESE = re.compile(
    r"[ăâđêôơưáàảãạấầẩẫậắằẳẵặéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ]", re.I
)
# What Grafana fills in from a series' labels: a name from the registry, not a word of ours.
PLACEHOLDERS = re.compile(r"^(\{\{\w+\}\}[\s—]*)+$")
HUMAN_KEYS = (
    "title",
    "description",
    "legendFormat",
    "label",
    "text",
    "displayName",
    "renamePattern",
)


def human_texts(node: Any) -> Iterator[str]:
    """Every string of a dashboard a person reads: titles (dashboard, rows, panels, links),
    descriptions, legends (and their renamed outcomes), variable labels, value mappings' texts,
    renamed columns and the column names overrides match. Not a variable's current value (a code or a data source's
    name)."""
    if isinstance(node, list):
        for item in node:
            yield from human_texts(item)
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key == "current":
            continue
        if key in HUMAN_KEYS and isinstance(value, str):
            yield value
        elif key == "renameByName" and isinstance(value, dict):
            yield from (v for v in value.values() if isinstance(v, str))
        elif key == "matcher" and isinstance(value, dict) and value.get("id") == "byName":
            yield value["options"]
        else:
            yield from human_texts(value)


def words(text: str, registry: Registry) -> str:
    """`text` without the placeholders and the registry's own names (Bắc Ninh is Bắc Ninh in
    English too)."""
    for name in [registry.province.name, *(d.name for d in registry.departments)]:
        text = text.replace(name, "")
    return "" if PLACEHOLDERS.match(text) else text


def rendered(registry: Registry, lang: Lang) -> list[dict[str, Any]]:
    with use_lang(lang):
        return [*grafana.dashboards(registry), national_dashboard()]


def skeleton(node: Any) -> Any:
    """A dashboard with every text a person reads blanked: what must not change with the
    language (uids, queries, panel ids and types, units, thresholds, colours, layout)."""
    if isinstance(node, list):
        return [skeleton(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in HUMAN_KEYS and isinstance(value, str):
            out[key] = "…"
        elif key == "renameByName":
            out[key] = sorted(value)
        elif key == "matcher" and isinstance(value, dict) and value.get("id") == "byName":
            out[key] = {"id": "byName", "options": "…"}
        else:
            out[key] = skeleton(value)
    return out


@pytest.fixture(scope="module")
def bac_ninh_boards() -> dict[Lang, list[dict[str, Any]]]:
    registry = load_registry("bac-ninh")
    return {lang: rendered(registry, lang) for lang in ("vi", "en")}


def test_english_dashboards_have_no_vietnamese_word(
    bac_ninh_boards: dict[Lang, list[dict[str, Any]]], bac_ninh: Registry
) -> None:
    texts = [words(t, bac_ninh) for board in bac_ninh_boards["en"] for t in human_texts(board)]
    assert len(texts) > 150  # every kind of text is walked
    vietnamese = sorted({t for t in texts if VIETNAMESE.search(t)})
    assert vietnamese == []
    titles = [board["title"] for board in bac_ninh_boards["en"]]
    assert titles[0] == "Bắc Ninh data connections — Overview"
    assert titles[-1] == "Data connections — nationwide"


def test_vietnamese_dashboards_say_every_word_in_vietnamese(
    bac_ninh_boards: dict[Lang, list[dict[str, Any]]], bac_ninh: Registry
) -> None:
    texts = {words(t, bac_ninh) for board in bac_ninh_boards["vi"] for t in human_texts(board)}
    # Each text a person reads has a Vietnamese letter (the codes and names filled in by
    # Grafana aside): none left in English.
    english = sorted(t for t in texts if t and not VIETNAMESE.search(t))
    assert english == []
    overview = bac_ninh_boards["vi"][0]
    assert overview["title"] == "Liên thông dữ liệu Bắc Ninh — Tổng quan"
    # The state grid names and colours the states as the glossary does.
    grid = next(p for p in overview["panels"] if p.get("type") == "table")
    states = grid["fieldConfig"]["defaults"]["mappings"][0]["options"]
    assert states["1"] == {"color": "#FFF8C5", "index": 1, "text": "Hôm nay, chưa có giao dịch"}
    # A legend's outcome label is renamed for the reader: success, failure in their words.
    renames = {
        step["options"]["regex"]: step["options"]["renamePattern"]
        for board in bac_ninh_boards["vi"]
        for panel in grafana._panels(board)
        for step in panel.get("transformations", [])
        if step["id"] == "renameByRegex"
    }
    assert renames == {
        "success": "thành công",
        "failure": "lỗi",
        "(.+) success": "$1 thành công",
        "(.+) failure": "$1 lỗi",
    }


def test_both_languages_have_the_same_queries_uids_and_panels(
    bac_ninh_boards: dict[Lang, list[dict[str, Any]]],
) -> None:
    vi, en = bac_ninh_boards["vi"], bac_ninh_boards["en"]
    assert [b["uid"] for b in vi] == [b["uid"] for b in en]
    assert [[t["expr"] for _title, t in grafana.expressions(b)] for b in vi] == [
        [t["expr"] for _title, t in grafana.expressions(b)] for b in en
    ]
    assert skeleton(vi) == skeleton(en)
    # …and the texts did change: not the same dashboards twice.
    assert [b["title"] for b in vi] != [b["title"] for b in en]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_each_override_names_a_column_the_table_has(
    bac_ninh_boards: dict[Lang, list[dict[str, Any]]], lang: Lang
) -> None:
    """Overrides match the renamed columns by name: both are translated the same way, or the
    percentages and dates would show as raw numbers in one language."""
    checked = 0
    for board in bac_ninh_boards[lang]:
        for panel in grafana._panels(board):
            columns = {
                name
                for step in panel.get("transformations", [])
                for name in step.get("options", {}).get("renameByName", {}).values()
            }
            for override in panel.get("fieldConfig", {}).get("overrides", []):
                if override["matcher"]["id"] == "byName":
                    assert override["matcher"]["options"] in columns, panel["title"]
                    checked += 1
    assert checked >= 8


def test_render_follows_lang_and_keeps_the_file_names(tmp_path: Path) -> None:
    names = {}
    for lang in ("vi", "en"):
        out = tmp_path / lang
        assert main(["dashboards", "render", "--out", str(out), "--lang", lang]) == 0
        names[lang] = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
        provider = yaml.safe_load((out / "provisioning/dashboards/lienthong.yml").read_text())
        overview = json.loads((out / "dashboards/lienthong-24-tong-quan.json").read_text())
        comment = (out / "provisioning/dashboards/lienthong.yml").read_text().splitlines()[0]
        if lang == "en":
            assert provider["providers"][0]["folder"] == "Bắc Ninh data connections"
            assert overview["title"] == "Bắc Ninh data connections — Overview"
            assert comment.startswith("# Generated by `lienthong dashboards render`")
        else:
            assert provider["providers"][0]["folder"] == "Liên thông dữ liệu Bắc Ninh"
            assert overview["title"] == "Liên thông dữ liệu Bắc Ninh — Tổng quan"
            assert comment.startswith("# Tệp do `lienthong dashboards render` tạo")
        assert provider["providers"][0]["folderUid"] == "lienthong"
    assert names["vi"] == names["en"]


def test_national_render_follows_lang(tmp_path: Path) -> None:
    boards = {}
    for lang in ("vi", "en"):
        out = tmp_path / lang
        command = ["national", "render", "--out", str(out), "--federate", "127.0.0.1:9090"]
        assert main([*command, "--lang", lang]) == 0
        boards[lang] = json.loads((out / "dashboards/lienthong-toan-quoc.json").read_text())
    assert boards["vi"]["title"] == "Liên thông dữ liệu — Toàn quốc"
    assert boards["en"]["title"] == "Data connections — nationwide"
    assert boards["vi"]["uid"] == boards["en"]["uid"] == "lienthong-toan-quoc"
    assert skeleton(boards["vi"]) == skeleton(boards["en"])


def test_alerts_rendered_in_english_have_no_vietnamese_word(
    tmp_path: Path, bac_ninh: Registry
) -> None:
    """The rules and the mail of `alerts render --lang en`, every alert's texts included (the
    sources' alerts were Vietnamese whatever the language); the registry's names aside."""
    assert main(["alerts", "render", "--out", str(tmp_path), "--lang", "en"]) == 0
    text = (tmp_path / "rules.yml").read_text() + (tmp_path / "alertmanager.yml").read_text()
    assert "lienthong cannot read its data source {{ $labels.source }}" in text
    names = [
        bac_ninh.province.name,
        *(d.name for d in bac_ninh.departments),
        *(s.name for s in bac_ninh.systems),
        *(s.owner for s in bac_ninh.systems),
    ]
    for name in sorted(names, key=len, reverse=True):
        text = text.replace(name, "")
    assert sorted({line for line in text.splitlines() if VIETNAMESE.search(line)}) == []


def test_the_outcome_renames_give_the_legends_in_javascript(
    bac_ninh_boards: dict[Lang, list[dict[str, Any]]],
) -> None:
    """The renames run in the browser: applied as Grafana's renameByRegex applies them (its
    `stringToJsRegex` anchors a regex without slashes, `^…$`, then `name.replace(regex,
    pattern)`), by node, to the names the legends draw."""
    for lang, expected in (
        ("vi", ["thành công", "lỗi", "dmdc thành công", "dmdc lỗi", "khác"]),
        ("en", ["success", "failure", "dmdc success", "dmdc failure", "khác"]),
    ):
        board = bac_ninh_boards[lang][1]  # by department: `{{system}} {{outcome}}`
        panels = [p for b in (bac_ninh_boards[lang][0], board) for p in grafana._panels(b)]
        steps = [
            step["options"]
            for panel in panels
            for step in panel.get("transformations", [])
            if step["id"] == "renameByRegex"
        ]
        script = (
            "const steps = JSON.parse(process.argv[1]);"
            "const names = ['success', 'failure', 'dmdc success', 'dmdc failure', 'khác'];"
            "console.log(JSON.stringify(names.map((name) => steps.reduce((n, s) => {"
            "  const regex = new RegExp('^' + s.regex + '$');"
            "  return regex.test(n) ? n.replace(regex, s.renamePattern) : n; }, name))));"
        )
        ran = subprocess.run(
            ["node", "-e", script, json.dumps(steps)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert ran.returncode == 0, ran.stderr
        assert json.loads(ran.stdout) == expected
