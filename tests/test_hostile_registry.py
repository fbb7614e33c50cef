"""A hostile registry file: nested aliases ("billion laughs") are refused with FILE:LINE."""

from __future__ import annotations

from pathlib import Path

import pytest

from lienthong.cli import main
from registry.yamlpos import ALIAS_BUDGET, load_document

# Nine levels of nine aliases: 9**9 (387 million) strings once expanded.
BOMB = "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}'] * 9) if prev else ', '.join(['x'] * 9)}]\n"
    for prev, name in zip(["", *"abcdefgh"], "abcdefghi", strict=True)
)


def test_an_alias_bomb_is_refused_with_its_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(BOMB, encoding="utf-8")
    assert len(BOMB.splitlines()) == 9
    assert main(["registry", "validate", str(path)]) == 1
    err = capsys.readouterr().err
    # Vietnamese by default, the number written as Vietnamese writes it (100.000).
    assert f"{path}:1: các alias mở rộng thành hơn {ALIAS_BUDGET:,} nút".replace(",", ".") in err
    assert main(["registry", "validate", str(path), "--lang", "en"]) == 1
    err = capsys.readouterr().err
    assert f"{path}:1: aliases expand to more than {ALIAS_BUDGET:,} extra nodes" in err


def test_ordinary_aliases_and_merges_still_load(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text(
        "base: &base {timeout: 5s, retries: 1}\nprobe: {<<: *base, timeout: 9s}\n"
        "list: &l [1, 2]\nboth: [*l, *l]\n",
        encoding="utf-8",
    )
    data = load_document(path).data
    assert data["probe"] == {"timeout": "9s", "retries": 1}
    assert data["both"] == [[1, 2], [1, 2]]
