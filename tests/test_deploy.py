"""deploy/lienthong.service: a unit systemd accepts, starting a command lienthong has."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lienthong.cli import build_parser

UNIT = Path(__file__).resolve().parent.parent / "deploy" / "lienthong.service"
INSTALLED = "/opt/lienthong/bin/lienthong"


def exec_start() -> list[str]:
    lines = [line for line in UNIT.read_text().splitlines() if line.startswith("ExecStart=")]
    assert len(lines) == 1
    return shlex.split(lines[0].removeprefix("ExecStart="))


def test_the_unit_starts_lienthong_serve_with_its_config() -> None:
    command = exec_start()
    assert command[0] == INSTALLED
    args = build_parser().parse_args(command[1:])
    assert args.command == "serve" and str(args.config) == "/etc/lienthong/lienthong.toml"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    # The installed path does not exist here: the test runs this checkout's command instead.
    here = Path(sys.executable).with_name("lienthong")
    unit = tmp_path / "lienthong.service"
    unit.write_text(UNIT.read_text().replace(INSTALLED, str(here)))
    result = subprocess.run(
        ["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60
    )
    # systemd-analyze exits 0 on some mistakes (an unknown signal name) but says so.
    assert (result.returncode, result.stderr) == (0, "")
