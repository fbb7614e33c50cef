"""`lienthong serve` and SIGHUP: a bad registry is refused and the running one kept;
a good one replaces it without the process exiting."""

from __future__ import annotations

import shutil
import signal
import subprocess
from pathlib import Path

import aiohttp
import pytest

from lienthong.settings import REGISTRY_ENV
from registry import load_registry
from registry.loader import BUNDLED
from tests.servers import lienthong_serve

# Their messages checked word for word are the English ones (Vietnamese: test_languages.py).
pytestmark = pytest.mark.usefixtures("english")


def lines_until(process: subprocess.Popen[str], marker: str) -> list[str]:
    """The server's output up to the line holding `marker` (its log, in order)."""
    assert process.stdout is not None
    seen = []
    for line in process.stdout:
        seen.append(line)
        if marker in line:
            return seen
    raise AssertionError(f"the server exited ({process.wait()}) before {marker!r}: {seen}")


async def title(url: str) -> str:
    async with aiohttp.ClientSession() as client, client.get(url + "/") as answer:
        page = await answer.text()
    return page[page.index("<title>") + 7 : page.index("</title>")]


async def test_sighup_reloads_a_valid_registry_and_keeps_the_running_one_otherwise(
    store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "registry"
    folder.mkdir()
    shutil.copy(BUNDLED / "national" / "systems.yml", folder / "systems.yml")
    province = folder / "province.yml"
    shutil.copy(BUNDLED / "bac-ninh" / "province.yml", province)
    good = province.read_text(encoding="utf-8")
    monkeypatch.setenv(REGISTRY_ENV, str(folder))
    with lienthong_serve(tmp_path, store_url) as (process, url):
        assert "Bắc Ninh" in await title(url)
        province.write_text(good + "departments: [\n", encoding="utf-8")
        process.send_signal(signal.SIGHUP)
        log = lines_until(process, "registry not reloaded")
        assert f"{province}:" in log[-1]
        assert process.poll() is None
        assert "Bắc Ninh" in await title(url)
        province.write_text(good.replace('name: "Bắc Ninh"', 'name: "Kinh Bắc"'), encoding="utf-8")
        process.send_signal(signal.SIGHUP)
        obligations = len(load_registry(str(folder)).obligations)
        lines_until(process, f"registry reloaded: {obligations} obligations")
        assert "Kinh Bắc" in await title(url)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
