"""Shards: `I/N` parsed strictly, a hash that never changes, every obligation in exactly one shard."""

from __future__ import annotations

from pathlib import Path

import pytest

from lienthong.cli import main
from lienthong.errors import UsageError
from lienthong.serve_config import load_config
from probes.schedule import first_due, next_due, slot_start
from probes.shard import Shard, shard_hash
from registry import Registry


def test_the_hash_is_pinned() -> None:
    # MD5("so-khdt/csdl-dkdn"), its last 8 bytes big-endian, as Prometheus's hashmod:
    # a new Python or host must never move an obligation to another shard.
    assert shard_hash("so-khdt", "csdl-dkdn") == 14695494943094785451


@pytest.mark.parametrize("count", [1, 2, 3, 7])
def test_every_obligation_is_in_exactly_one_shard(bac_ninh: Registry, count: int) -> None:
    shards = [Shard(i, count) for i in range(count)]
    for o in bac_ninh.obligations:
        assert sum(s.owns(o.key) for s in shards) == 1
    if count == 2:  # both halves get some of Bắc Ninh's 18
        assert all(any(s.owns(o.key) for o in bac_ninh.obligations) for s in shards)


@pytest.mark.usefixtures("english")  # its words checked are English ones
def test_shard_text() -> None:
    assert Shard.parse(" 1/3 ") == Shard(1, 3)
    assert str(Shard.parse("0/1")) == "0/1"
    for bad in ("3/3", "1", "a/2", "1/0", "-1/2"):
        with pytest.raises(ValueError, match="shard"):
            Shard.parse(bad)


@pytest.mark.usefixtures("english")
def test_a_bad_shard_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "serve.toml"
    config.write_text('[probes]\nshard = "2/2"\n', encoding="utf-8")
    with pytest.raises(UsageError, match=r"probes\.shard: .*I must be below N"):
        load_config(config)
    assert main(["serve", "--shard", "x", "--db", f"sqlite:///{tmp_path / 'x.db'}"]) == 1
    assert capsys.readouterr().err.startswith("lienthong: --shard: shard 'x': expected I/N")


def test_the_slot_is_the_same_however_it_was_reached() -> None:
    """Two instances started apart reach a slot by different sums: its id is the same."""
    key, interval = "so-khdt/csdl-dkdn", 7.3
    early = first_due(key, interval, 1_000_000.0)
    due = early
    for _ in range(1000):
        due = next_due(due, interval, due)
    late = first_due(key, interval, due - 0.001)
    assert slot_start(key, interval, due) == slot_start(key, interval, late) == late
