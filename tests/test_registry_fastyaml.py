"""The fast registry parser gives exactly PyYAML's data, or declines (then positions say the error)."""

from __future__ import annotations

import gc
import math
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lienthong.cli import main
from registry import RegistryError, fastyaml, load_files, load_registry, loader
from registry.loader import BUNDLED
from registry.yamlpos import YamlError, load_document, parse_document

# YAML 1.1 as PyYAML reads it, where parsers and YAML versions differ: implicit
# types, quoting, escapes, block scalars, folding, flow collections, comments:
# all of it read by the fast path.
COMMON = [
    "a: 1\nb: '1'\nc: \"1\"\nd: 017\ne: 0x1F\nf: 1_000\ng: 1e3\nh: 6.8523015e+5\ni: 190:20:30\n",
    "a: .5\nb: 1.\nc: -.inf\nd: +1\ne: -1\nf: 0b101\ng: 685.230_15e+03\nh: 0.\n",
    "a: yes\nb: No\nc: on\nd: OFF\ne: y\nf: n\ng: tRUE\nh: True\ni: 'yes'\n",
    "a: ~\nb: null\nc: Null\nd:\ne: ''\nf: \"\"\ng: NULL\nh: nULL\n",
    "a: 2026-01-05\nb: 2001-12-14t21:59:43.10-05:00\nc: 2001-12-14 21:59:43.10 -5\n"
    "d: '2026-01-05'\ne: 2026-1-5\nf: 2001-12-15 2:59:43.10\n",
    "a: |\n  line 1\n  line 2\n\nb: |-\n  x\n\n\nc: |+\n  y\n\n\nd: >\n  folded\n  text\n\n  para\n",
    "a: >-\n  one\n   more indented\n  back\ne: |2\n   two spaces kept\n",
    "a: plain text\n  continued on\n  three lines\nb: 'single ''quoted''\n  folded'\n",
    'a: "esc \\n \\t \\\\ \\" \\u00e9 \\x41 \\/ \\0 \\e \\N \\_ \\L \\P"\nb: "x\\\n  y"\n',
    "a: [1, two, 'three', {four: 4}, [5]]\nb: {c: d, e: [f, g]}\nc: []\nd: {}\n",
    "# comment\na: b # trailing\nc: 'd # not a comment'\ne: f#g\nh: http://x.vn:8080/a?b=c#d\n",
    "a: 1\r\nb:\r\n  - x\r\n  - y\r\n",
    "- a\n- - b\n  - c\n- d: e\n  f: g\n-\n",
    "a:\n- 1\n- 2\nb:\n  - 3\n",
    "---\na: 1\n...\n",
    "tên: Sở Thông tin và Truyền thông\n'khóa có dấu': \"Điều 6, khoản 2\"\n",
    "a: -x\nb: '-'\nd: :x\ne: x:y\nf: '@x'\ng: x @y\n",
    "a: 'x'\n'b': x\n\"c\": x\n? d\n: e\n",
    'a:    spaced   \nb: "  kept  "\n',
]
# Forms left to the positional parser, or read the same by both.
EDGES = [
    "a: =\nb: <<\n",
    "!!str a: b\n",
    "a: 2026-02-30\n",
    "a: 1\na: 2\n",
    "yes: 1\n",
    "1: a\n",
    "? [a]\n: 1\n",
    "<<: {a: 1}\nb: 2\n",
    "a: !!str 1\n",
    "%YAML 1.1\n---\na: 1\n",
    "--- 1\n--- 2\n",
    "\ta: 1\n",
    "a:\tb\n",
    "\ufeffa: 1\n",
    "a: \x07\n",
    "",
    "# only a comment\n",
    "a: .nan\n",
    "a: &x 1\nb: *x\n",
    "a: &x [1, {b: &y 2}]\nc: [*x, *y, *x]\n",
    "a: *x\nb: &x 1\n",
    "a: &x [*x]\n",
    "a: &x 1\nb: &x 2\n",
    "a: - x\n",
    "a: \x85b\n",
    "a: b\u2028c\n",
]
# What PyYAML refuses: the fast path must decline all of it, so the error is said as before.
REFUSED = [
    "a: [1, 2\n",
    "a: {b: 1\n",
    "a: 'x\n",
    'a: "x\n',
    "a: b: c\n",
    "- a\nb: 1\n",
    "a:\n  - 1\n - 2\n",
    "a: 1\n b: 2\n",
    "a: @x\n",
    "a: `x\n",
    "a: |\n  x\n y: 1\n",
    "a: 'x' y\n",
    "[a, b]: c\n",
    'a: "\\q"\n',
    "a:\n  b: 1\n   c: 2\n",
    "a: 1\n- b\n",
    "{a: 1}}\n",
    "a: *missing\n",
]


def same(fast: Any, slow: Any) -> bool:
    """Equal values of equal types all the way down (1 == True == 1.0 are not the same here)."""
    if type(fast) is not type(slow):
        return False
    if isinstance(fast, dict):
        return list(fast) == list(slow) and all(same(fast[k], slow[k]) for k in fast)
    if isinstance(fast, list):
        return len(fast) == len(slow) and all(map(same, fast, slow))
    if isinstance(fast, float) and math.isnan(fast):
        return math.isnan(slow)
    return bool(fast == slow)


def positional(text: str) -> tuple[bool, Any]:
    """What the positional parser (the reference) reads, or False when it finds a problem."""
    try:
        document = parse_document(text, "t.yml")
    except (YamlError, yaml.YAMLError):  # yaml.YAMLError: ReaderError, control characters
        return False, None
    return not document.unreadable, document.data


def fast_or_declined(text: str) -> tuple[bool, Any]:
    try:
        return True, fastyaml.parse(text)
    except fastyaml.Declined:
        return False, None


@pytest.mark.parametrize("text", COMMON + EDGES)
def test_the_fast_parser_reads_what_pyyaml_reads_or_declines(text: str) -> None:
    parsed, fast = fast_or_declined(text)
    readable, slow = positional(text)
    if parsed:  # else the positional parser reads it, as it always has
        assert readable and same(fast, slow), (fast, slow)


@pytest.mark.parametrize("text", COMMON + EDGES)
def test_the_tree_read_in_bulk_is_the_one_its_accessors_give(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tree's memory read in bulk (fast) and node by node through rapidyaml's accessors
    (as before) give the same data; the installed rapidyaml is read in bulk."""
    try:
        tree = fastyaml._parse_quietly(text.encode())
    except fastyaml.Declined:
        return
    assert fastyaml._NodeArray.read(tree) is not None
    in_bulk = fast_or_declined(text)
    monkeypatch.setattr(fastyaml._NodeArray, "read", classmethod(lambda cls, tree: None))
    parsed, by_node = fast_or_declined(text)
    assert in_bulk[0] == parsed and (not parsed or same(in_bulk[1], by_node))


def test_the_common_forms_are_not_declined() -> None:
    """What registries are written with takes the fast path (else start-up is slow again)."""
    for text in COMMON:
        parsed, _ = fast_or_declined(text)
        assert parsed, text


@pytest.mark.parametrize("text", REFUSED)
def test_what_pyyaml_refuses_is_declined(text: str) -> None:
    assert positional(text) == (False, None)
    with pytest.raises(fastyaml.Declined):
        fastyaml.parse(text)


def test_declining_prints_nothing(capfd: pytest.CaptureFixture[str]) -> None:
    """rapidyaml reports its parse errors on stderr itself: it must not reach the user."""
    with pytest.raises(fastyaml.Declined):
        fastyaml.parse("a: [1, 2\n")
    assert capfd.readouterr() == ("", "")


scalars = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["yes", "no", "on", "~", "null", "1_0", "0x1f", "017", "1:20", "2026-01-05"]),
    st.integers(),
    st.floats(allow_nan=False),
    st.booleans(),
    st.none(),
    st.dates(),
    st.datetimes(min_value=datetime(1900, 1, 1)),
)
documents = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    document=documents,
    flow=st.sampled_from([None, True, False]),
    width=st.sampled_from([20, 80]),
    unicode=st.booleans(),
)
def test_whatever_pyyaml_writes_reads_back_the_same(
    document: Any, flow: bool | None, width: int, unicode: bool
) -> None:
    text = yaml.safe_dump(
        document, default_flow_style=flow, width=width, allow_unicode=unicode, sort_keys=False
    )
    parsed, fast = fast_or_declined(text)
    if parsed:
        readable, slow = positional(text)
        assert readable and same(fast, slow), text


@pytest.mark.parametrize("path", sorted(BUNDLED.glob("*/*.yml")), ids=lambda p: p.parent.name)
def test_the_bundled_registries_take_the_fast_path(path: Path) -> None:
    fast = fastyaml.parse(path.read_text(encoding="utf-8"))
    assert same(fast, load_document(path).data)


def test_a_registry_with_a_problem_is_read_again_with_positions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fast path parses it, validation finds the problem, and it is said at its line."""
    path = tmp_path / "province.yml"
    path.write_text(
        "version: 1\nprovince: {code: '24', name: Bắc Ninh}\nsystems:\n"
        "  - {code: a, name: A, owner: Bộ}\ndepartments:\n  - {code: s, name: Sở}\n"
        "obligations:\n  - department: s\n    system: a\n    kind: maintain\n"
        "    basis: Điều 6\n    colour: blue\n",
        encoding="utf-8",
    )
    parsed: list[str] = []
    real = fastyaml.parse
    monkeypatch.setattr(fastyaml, "parse", lambda text: parsed.append(text) or real(text))
    assert main(["registry", "validate", str(path)]) == 1
    assert parsed  # the fast path was tried first
    assert f"{path}:12: khóa không hợp lệ 'colour'" in capsys.readouterr().err


def test_a_valid_registry_is_read_once_without_positions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "province.yml"
    path.write_text(
        "version: 1\nprovince: {code: '24', name: Bắc Ninh}\nsystems:\n"
        "  - {code: a, name: A, owner: Bộ}\ndepartments:\n  - {code: s, name: Sở}\n"
        "obligations:\n  - {department: s, system: a, kind: maintain, basis: Điều 6,"
        " since: 2026-01-05}\n",
        encoding="utf-8",
    )

    def positional(*_args: Any) -> Any:
        raise AssertionError("parsed with positions")

    monkeypatch.setattr(loader, "load_document", positional)
    registry = load_files([path])
    assert registry.obligations[0].since == date(2026, 1, 5)


def test_a_control_character_is_said_at_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Neither parser reads it; the positional one says where (it was a traceback)."""
    path = tmp_path / "province.yml"
    path.write_text("version: 1\nprovince: {code: '24', name: B\x07c Ninh}\n", encoding="utf-8")
    assert main(["registry", "validate", str(path)]) == 1
    assert capsys.readouterr().err.strip().splitlines() == [
        f"{path}:2: YAML không hợp lệ: ký tự không được phép #x0007: không được có ký tự điều khiển"
    ]
    assert main(["registry", "validate", str(path), "--lang", "en"]) == 1
    assert capsys.readouterr().err.strip().splitlines() == [
        f"{path}:2: invalid YAML: unacceptable character #x0007: control characters are not allowed"
    ]


def test_garbage_collection_resumes_after_a_load(tmp_path: Path) -> None:
    """Paused while a registry is built, the collector runs again whatever the outcome."""
    assert gc.isenabled()
    load_registry("bac-ninh")
    assert gc.isenabled()
    bad = tmp_path / "bad.yml"
    bad.write_text("version: 1\nprovince: {code: '24'}\n", encoding="utf-8")
    with pytest.raises(RegistryError):
        load_files([bad])
    assert gc.isenabled()
