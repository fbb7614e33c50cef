"""`lienthong dashboards push` against a local stand-in of Grafana's HTTP API: the folder
once, every dashboard upserted, nothing re-posted when nothing changed, one-line errors.
(No Grafana server can be installed here; see the README.)"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from dashboards import grafana
from dashboards.provisioning import FOLDER_UID
from lienthong.cli import main
from registry import Registry
from tests.harness import serving
from tests.servers import GrafanaStandIn, free_port

# Their messages checked word for word are the English ones (Vietnamese: test_languages.py).
pytestmark = pytest.mark.usefixtures("english")

TOKEN = "glsa_test_9f8e7d6c5b4a"
UIDS = [
    "lienthong-24-tong-quan",
    "lienthong-24-so-nganh",
    "lienthong-24-he-thong",
    "lienthong-24-tuan-thu",
    "lienthong-24-may-tham-do",
]


async def push(url: str, *extra: str) -> int:
    return await asyncio.to_thread(main, ["dashboards", "push", "--url", url, *extra])


@pytest.fixture
def token(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("GRAFANA_TOKEN", TOKEN)
    return TOKEN


async def test_push_creates_the_folder_and_every_dashboard_then_changes_nothing(
    token: str, bac_ninh: Registry, capsys: pytest.CaptureFixture[str]
) -> None:
    stand_in = GrafanaStandIn(token)
    async with serving(stand_in.app()) as url:
        assert await push(url) == 0
        first = capsys.readouterr()
        assert first.out == f"{url}: folder created, 5 dashboards created, 0 updated, 0 unchanged\n"
        assert stand_in.folders[FOLDER_UID]["title"] == "Bắc Ninh data connections"
        assert (
            stand_in.writes() == [("POST", "/api/folders")] + [("POST", "/api/dashboards/db")] * 5
        )
        for body, uid in zip(stand_in.posted, UIDS, strict=True):
            assert body["overwrite"] is True
            assert body["folderUid"] == FOLDER_UID
            assert body["dashboard"]["uid"] == uid
        assert stand_in.dashboards["lienthong-24-tong-quan"]["dashboard"]["title"] == (
            "Bắc Ninh data connections — Overview"
        )

        # Again: Grafana's copies equal ours, so nothing is written and no version moves.
        stand_in.requests.clear()
        assert await push(url) == 0
        assert capsys.readouterr().out.endswith(": 0 dashboards created, 0 updated, 5 unchanged\n")
        assert stand_in.writes() == []
        assert {
            u: d["dashboard"]["version"] for u, d in stand_in.dashboards.items()
        } == dict.fromkeys(UIDS, 1)

        # Someone edits one dashboard in Grafana: the next push puts ours back, only that one.
        stand_in.dashboards["lienthong-24-tuan-thu"]["dashboard"]["title"] = "sửa tay"
        stand_in.requests.clear()
        assert await push(url) == 0
        assert capsys.readouterr().out.endswith(": 0 dashboards created, 1 updated, 4 unchanged\n")
        assert stand_in.writes() == [("POST", "/api/dashboards/db")]
        restored = stand_in.dashboards["lienthong-24-tuan-thu"]["dashboard"]
        assert restored["title"] == "Bắc Ninh data connections — Monthly compliance"
        assert restored["version"] == 2
        expected = {b["uid"]: b for b in grafana.dashboards(bac_ninh)}
        assert {k: v for k, v in restored.items() if k not in ("id", "version")} == expected[
            "lienthong-24-tuan-thu"
        ]


async def test_a_push_in_another_language_replaces_the_same_dashboards(
    token: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The uids are the same in every language: pushing in Vietnamese after English retitles
    the folder and updates the five dashboards, nothing created beside them."""
    stand_in = GrafanaStandIn(token)
    async with serving(stand_in.app()) as url:
        assert await push(url) == 0
        capsys.readouterr()
        stand_in.requests.clear()
        assert await push(url, "--lang", "vi") == 0
        assert capsys.readouterr().out.endswith(": tạo 0 bảng theo dõi, cập nhật 5, giữ nguyên 0\n")
        assert (
            stand_in.writes()
            == [("PUT", f"/api/folders/{FOLDER_UID}")] + [("POST", "/api/dashboards/db")] * 5
        )
        assert stand_in.folders[FOLDER_UID]["title"] == "Liên thông dữ liệu Bắc Ninh"
        assert sorted(stand_in.dashboards) == sorted(UIDS)
        titles = {u: d["dashboard"]["title"] for u, d in stand_in.dashboards.items()}
        assert titles["lienthong-24-tong-quan"] == "Liên thông dữ liệu Bắc Ninh — Tổng quan"


async def test_a_refused_token_is_one_line_and_never_shown(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stand_in = GrafanaStandIn("the-right-token", read_only_token=TOKEN)
    monkeypatch.setenv("GRAFANA_TOKEN", "glsa_wrong_0000")
    async with serving(stand_in.app()) as url:
        assert await push(url) == 1
        wrong = capsys.readouterr()
        assert wrong.err == (
            f"lienthong: Grafana at {url} refused the token (401 Unauthorized): check the token\n"
        )
        assert "glsa_wrong_0000" not in wrong.err + wrong.out

        monkeypatch.setenv("GRAFANA_TOKEN", TOKEN)  # a Viewer's token: may read, not write
        assert await push(url) == 1
        weak = capsys.readouterr()
        assert weak.err == (
            f"lienthong: Grafana at {url} refused the token for this (403 Forbidden): the token"
            " needs the Editor role on dashboards and folders\n"
        )
        assert TOKEN not in weak.err + weak.out
        assert stand_in.dashboards == {}


async def test_an_unreachable_grafana_is_one_line(
    token: str, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    assert await push(url, "--timeout", "5") == 1
    err = capsys.readouterr().err
    assert err == f"lienthong: cannot reach Grafana at {url}: connection refused\n"


def test_credentials_in_the_url_are_not_echoed(
    token: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    url = f"http://admin:hunter2@127.0.0.1:{free_port()}"
    assert main(["dashboards", "push", "--url", url, "--timeout", "5"]) == 1
    err = capsys.readouterr().err
    assert "hunter2" not in err and "admin" not in err
    assert err.startswith("lienthong: cannot reach Grafana at http://127.0.0.1:")


def test_a_missing_token_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("GRAFANA_TOKEN", raising=False)
    assert main(["dashboards", "push", "--url", "http://127.0.0.1:1"]) == 1
    assert capsys.readouterr().err == (
        "lienthong: environment variable GRAFANA_TOKEN is not set: put a Grafana"
        " service-account token in it\n"
    )
