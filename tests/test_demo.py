"""The demo: every probed obligation shows up in /metrics, and a fault stays on its own system."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from lienthong.demo import running_demo
from registry import Registry
from store import open_store
from store.counts import pair_totals_all
from tests.harness import Flushes
from tests.servers import free_port

FAULTY = "csdl-dkdn"


def probe_counts(text: str) -> dict[tuple[str, str, str], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        if family.name == "lienthong_transactions":
            for s in family.samples:
                if s.labels["source"] == "probe":
                    key = (s.labels["department"], s.labels["system"], s.labels["outcome"])
                    found[key] = s.value
    return found


async def test_a_fault_shows_on_exactly_the_obligations_of_its_system(
    bac_ninh: Registry, tmp_path: Path
) -> None:
    # The demo probes what is owed today (a merged department's probe passed to its successor).
    today = datetime.now(bac_ninh.tz).date()
    probed = [
        o
        for o in bac_ninh.obligations
        if o.probe is not None and bac_ninh.in_force(o, today, today)
    ]
    listen = ("127.0.0.1", free_port())
    async with (
        running_demo(bac_ninh, listen, f"sqlite:///{tmp_path / 'demo.db'}", interval=0.3) as demo,
        aiohttp.ClientSession() as client,
    ):
        recorder = demo.service.recorder
        assert recorder is not None
        flushes = Flushes(recorder)
        systems = {o.system for o in probed}
        await flushes.until(lambda w: {t.system for t in w if t.success} >= systems)
        async with client.get(demo.service_url + "/metrics") as answer:
            before = probe_counts(await answer.text())
        # Every bundled obligation with a probe has transactions in /metrics.
        assert all(before.get((o.department, o.system, "success"), 0) > 0 for o in probed)
        async with client.put(
            f"{demo.simulator_url}/admin/faults/{FAULTY}", json={"outage": True}
        ) as answer:
            assert answer.status == 200
        marker = len(flushes.written)
        await flushes.until(
            lambda w: (
                sum(1 for t in w[marker:] if t.system == FAULTY and not t.success) >= 2
                and all(any(t.system == s for t in w[marker:]) for s in systems - {FAULTY})
            )
        )
        after_fault = flushes.written[marker:]
    failed = {(t.department, t.system) for t in after_fault if not t.success}
    assert failed == {(o.department, o.system) for o in probed if o.system == FAULTY}
    # The store agrees with what was written, and the counters were seeded from it.
    store = open_store(f"sqlite:///{tmp_path / 'demo.db'}")
    with store.connect() as conn:
        totals = pair_totals_all(conn)
    store.dispose()
    faulty_pair = next(o for o in probed if o.system == FAULTY)
    assert totals[(faulty_pair.department, FAULTY, "probe")].failures >= 2
    assert all(
        totals[(o.department, o.system, "probe")].failures == 0
        for o in probed
        if o.system != FAULTY
    )


# Where a command finds its database: never inherited from the machine running the tests.
SETTINGS_ENV = ("LIENTHONG_DB", "LIENTHONG_CONFIG", "LIENTHONG_LANG", "LIENTHONG_REGISTRY")


def run_demo(folder: Path, *args: str, **env: str) -> tuple[int, str]:
    """`lienthong demo` in `folder` until it says it is up, then SIGTERM: its status, its words."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "lienthong", "demo", "--listen", f"127.0.0.1:{port}", *args],
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={
            **{k: v for k, v in os.environ.items() if k not in SETTINGS_ENV},
            "PYTHONUNBUFFERED": "1",
            **env,
        },
    )
    assert process.stdout is not None
    lines = []
    for line in process.stdout:  # waits for the demo to say it is up
        lines.append(line)
        if "Ctrl-C" in line:
            break
    process.send_signal(signal.SIGTERM)
    rest, _ = process.communicate(timeout=30)
    output = "".join(lines) + rest
    assert f"http://127.0.0.1:{port}/metrics" in output
    return process.returncode, output


def test_demo_command_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    code, output = run_demo(tmp_path)
    assert code == 0, output
    assert "Ctrl-C để dừng." in output and "đã dừng demo." in output
    assert (tmp_path / "lienthong-demo.db").exists()  # its own database: none was given


def claimed_province(database: Path) -> str:
    """The province a store was claimed for: the demo synced its registry into it."""
    with contextlib.closing(sqlite3.connect(database)) as conn:
        row = conn.execute("SELECT value FROM store_meta WHERE key = 'province_code'").fetchone()
    return str(row[0])


def test_demo_uses_the_database_every_command_is_given(bac_ninh: Registry, tmp_path: Path) -> None:
    """Contract 1.2: --config's `database` (and LIENTHONG_DB, --db) apply to `demo` too."""
    config = tmp_path / "serve.toml"
    config.write_text(f'database = "sqlite:///{tmp_path / "configured.db"}"\n', encoding="utf-8")
    code, output = run_demo(tmp_path, "--config", str(config), "--lang", "en")
    assert code == 0, output
    assert "Ctrl-C to stop." in output and "demo stopped." in output
    assert claimed_province(tmp_path / "configured.db") == bac_ninh.province.code
    # The environment wins over the file (and --db over both, as for every command).
    code, output = run_demo(
        tmp_path, LIENTHONG_CONFIG=str(config), LIENTHONG_DB=f"sqlite:///{tmp_path / 'env.db'}"
    )
    assert code == 0, output
    assert claimed_province(tmp_path / "env.db") == bac_ninh.province.code
    assert not (tmp_path / "lienthong-demo.db").exists()  # the demo's own: not used


@pytest.mark.usefixtures("english")  # its words checked are English ones
def test_serve_says_in_one_line_what_is_wrong(tmp_path: Path) -> None:
    def serve(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "lienthong", "serve", *args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            env={k: v for k, v in os.environ.items() if not k.startswith("BACNINH_LGSP")},
        )

    bad = tmp_path / "bad.toml"
    bad.write_text("[probes]\nper_system = 0\n")
    result = serve("--config", str(bad))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"lienthong: {bad}: probes.per_system: Input should be greater than or equal to 1"
    ]
    result = serve()
    assert result.returncode == 1
    # Every missing secret at once, each once, never the value.
    assert result.stderr.strip().splitlines() == [
        "lienthong: client_id: environment variable BACNINH_LGSP_CLIENT_ID is not set"
        " (probe of so-khcn/dmdc and 17 more)",
        "lienthong: client_secret: environment variable BACNINH_LGSP_CLIENT_SECRET is not set"
        " (probe of so-khcn/dmdc and 17 more)",
    ]
    off = tmp_path / "off.toml"
    off.write_text("[probes]\nenabled = false\n")
    with socket_in_use() as port:
        result = serve("--config", str(off), "--listen", f"127.0.0.1:{port}")
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"lienthong: cannot listen on 127.0.0.1:{port}: address already in use"
    )
    result = serve("--config", str(off), "--db", "postgresql://nobody@127.0.0.1:1/none")
    assert result.returncode == 1
    assert result.stderr.startswith("lienthong: cannot open database postgresql")
    assert len(result.stderr.strip().splitlines()) == 1


@contextlib.contextmanager
def socket_in_use() -> Iterator[int]:
    """A loopback port something else already listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        yield s.getsockname()[1]


def test_serve_on_an_empty_store_files_nothing(tmp_path: Path) -> None:
    """On its first start with an empty database, serve's export pass finds the latest
    month and quarter due but writes neither, nor any manifest entry: nothing true to file
    (contract 1.2). That the pass writes what is due once records exist: tests/test_schedule.py
    and tests/test_open_days.py, with an injected clock."""
    port = free_port()
    exports = tmp_path / "exports"
    config = tmp_path / "serve.toml"
    config.write_text(f'[probes]\nenabled = false\n\n[exports]\ndir = "{exports}"\n')
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "lienthong",
            "serve",
            "--config",
            str(config),
            "--listen",
            f"127.0.0.1:{port}",
            "--db",
            f"sqlite:///{tmp_path / 's.db'}",
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "LIENTHONG_LANG": "vi"},
    )
    seen: list[str] = []
    try:
        # The service says, for each period due, that it is not written (in Vietnamese):
        # read its log until both the month and the quarter were passed over.
        assert process.stdout is not None
        while sum("không lập báo cáo" in line for line in seen) < 2:
            line = process.stdout.readline()
            assert line, "".join(seen)  # the service ended before its export pass
            seen.append(line)
    finally:
        process.send_signal(signal.SIGTERM)
        out, _ = process.communicate(timeout=30)
    assert process.returncode == 0, "".join(seen) + out
    skipped = [line for line in seen if "không lập báo cáo" in line]
    assert any("Q" in line for line in skipped), skipped
    assert not (exports / "manifest.json").exists()
    assert [p.name for p in exports.iterdir() if not p.name.startswith(".")] == []
