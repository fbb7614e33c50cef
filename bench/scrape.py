"""`/metrics` for 20,000 and 100,000 obligations as a real Prometheus scrapes it.

The service (no probes; a SQLite store with transactions for every pair) runs
in this process, pinned to CPU 0; Prometheus, pinned to CPU 1, scrapes it
with its default Accept and Accept-Encoding (OpenMetrics, gzip). Between
scrapes a quarter of the obligations get a probe duration (what a 60 s probe
interval does between 15 s scrapes). The figure is Prometheus's own
`scrape_duration_seconds`; the body's size and lines are read once with curl.
The peer, in the same run: the same body (OpenMetrics, gzip) served as a static
file by nginx on CPU 0 and scraped by a fresh Prometheus the same way, which is
Prometheus's own share of the figure. The two are scraped in turn, `ROUNDS` rounds, each
by a fresh Prometheus; the figure judged is the median of the rounds' ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

from bench._goals import ROUNDS, Ratios, judge, judge_ratio
from bench._nginx import static_metrics
from bench._profile import profiled
from bench._support import (
    PROMETHEUS_ACCEPT,
    free_port,
    rss_mb,
    synthetic_registry,
    wait_ready,
)
from exporter.app import SERVICE, MetricsOptions, ServiceOptions, create_app
from lienthong.cli_serve import settle_heap
from lienthong.server import bound_socket, start_site, url_of
from store import open_store, write_transactions
from store.records import Transaction

SIZES = (20_000, 100_000)  # obligations
GOAL = 1.1  # lienthong's scrape over the same body served static, at most
SERIES = 10.0  # per obligation, at most
# An obligation's series carry its department and system; the others, neither.
OBLIGATION_SERIES = 'count({job="lienthong",department!="",system!=""})'
SCRAPES = 6


def _query(base: str, promql: str, timeout: float = 10) -> list[dict[str, object]]:
    with urllib.request.urlopen(
        f"{base}/api/v1/query?{urllib.parse.urlencode({'query': promql})}", timeout=timeout
    ) as answer:
        result: list[dict[str, object]] = json.load(answer)["data"]["result"]
    return result


def _prometheus_query(base: str, promql: str, timeout: float = 10) -> float:
    """The value of an instant query's first series (NaN: none)."""
    result = _query(base, promql, timeout)
    value = result[0]["value"] if result else None
    return float(value[1]) if isinstance(value, list) else float("nan")


def _samples(base: str, promql: str) -> list[float]:
    """The values of a range vector's one series, oldest first."""
    result = _query(base, promql)
    values = result[0]["values"] if result else []
    return [float(v) for _, v in values] if isinstance(values, list) else []


async def measure(n: int, pinned: bool, series: bool, rounds: int) -> dict[str, float]:
    registry = synthetic_registry(n)
    folder = Path(tempfile.mkdtemp(prefix="lienthong-bench-"))
    store = open_store(f"sqlite:///{folder}/bench.db")
    now = datetime.now(UTC) - timedelta(minutes=5)
    write_transactions(
        store,
        registry.timezone,
        [
            Transaction(o.department, o.system, now, success, "probe")
            for o in registry.obligations
            for success in (True, False)
        ],
    )
    app = create_app(
        registry,
        store,
        options=ServiceOptions(probes_enabled=False, metrics=MetricsOptions(totals_refresh=3600)),
    )
    sock = bound_socket("127.0.0.1", 0)
    runner = await start_site(app, sock)
    settle_heap()
    state = app[SERVICE].state
    interval = 5 if n <= 20_000 else 10
    rng = random.Random(1)

    def probed() -> None:
        for o in rng.sample(registry.obligations, n // 4):
            state.on_probe(o.key, rng.random())

    try:
        # The peer: the same body as Prometheus gets it (OpenMetrics, gzip), served as a
        # static file by nginx on the service's CPU: Prometheus's own share. Alternated with
        # the service, round by round, each scraped by a fresh Prometheus.
        gzipped, content_type = await asyncio.to_thread(_as_prometheus_gets, url_of(sock))
        pairs: list[tuple[float, float]] = []
        found: dict[str, float] = {}
        with static_metrics(gzipped, content_type, 0 if pinned else None) as static:
            for i in range(rounds):
                print(f"  round {i + 1} of {rounds}", flush=True)
                ours = await _scraped(
                    url_of(sock), folder / f"service{i}", interval, pinned, probed, series and not i
                )
                peer = await _scraped(
                    static, folder / f"static{i}", interval, pinned, lambda: None, False
                )
                print(
                    f"    lienthong median {ours['median'] * 1000:.0f} ms (max {ours['max'] * 1000:.0f}),"
                    f" static body median {peer['median'] * 1000:.0f} ms (max {peer['max'] * 1000:.0f})"
                )
                pairs.append((ours["median"], peer["median"]))
                if not i:
                    found = ours
                    found.update({f"static_{k}": v for k, v in peer.items()})
        found["pairs"] = pairs  # type: ignore[assignment]
        curl = await asyncio.create_subprocess_exec(
            "curl",
            "-s",
            "-H",
            "Accept-Encoding: gzip",
            "-o",
            "/dev/null",
            "-w",
            "%{size_download}",
            url_of(sock) + "/metrics",
            stdout=asyncio.subprocess.PIPE,
        )
        out, _ = await curl.communicate()
        found["gzip_bytes"] = float(out)
        found["bytes"] = float(len(app[SERVICE].exposition.render_bytes()))
        found["rss"] = rss_mb()
    finally:
        await runner.cleanup()
        store.dispose()
        shutil.rmtree(folder, ignore_errors=True)
    return found


def _as_prometheus_gets(url: str) -> tuple[bytes, str]:
    """The /metrics body as it travels to Prometheus (still gzipped), and its type."""
    asked = {"Accept": PROMETHEUS_ACCEPT, "Accept-Encoding": "gzip"}
    request = urllib.request.Request(url + "/metrics", headers=asked)
    with urllib.request.urlopen(request, timeout=60) as answer:
        return answer.read(), answer.headers["Content-Type"]


async def _scraped(
    target: str,
    folder: Path,
    interval: int,
    pinned: bool,
    between: Callable[[], None],
    series: bool,
) -> dict[str, float]:
    """Prometheus (on CPU 1) scraping `target` every `interval` s, `between` called before
    each scrape: its scrape_duration_seconds (the first apart) and what it scraped; with
    `series`, also how many series are an obligation's (a slow query at 100,000)."""
    folder.mkdir(parents=True)
    port = free_port()
    (folder / "prometheus.yml").write_text(
        f"global: {{scrape_interval: {interval}s, scrape_timeout: {interval}s}}\n"
        "scrape_configs:\n"
        "  - job_name: lienthong\n"
        f"    static_configs: [{{targets: ['{target.removeprefix('http://')}']}}]\n"
    )
    binary = shutil.which("prometheus") or "prometheus"
    command = [
        binary,
        f"--config.file={folder / 'prometheus.yml'}",
        f"--storage.tsdb.path={folder / 'tsdb'}",
        f"--web.listen-address=127.0.0.1:{port}",
    ]
    if pinned:
        command = ["taskset", "-c", "1", *command]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        await asyncio.to_thread(wait_ready, base + "/-/ready", process)
        for _ in range(SCRAPES + 1):
            between()
            await asyncio.sleep(interval)
        # The first scrape creates every series in Prometheus's head and renders every
        # obligation once: reported apart, the goal is for the scrapes after it.
        job = '{job="lienthong"}'
        took = _samples(base, f"scrape_duration_seconds{job}[{(SCRAPES + 3) * interval}s]")
        ups = _samples(base, f"up{job}[{(SCRAPES + 3) * interval}s]")
        after = sorted(took[1:]) or [float("nan")]
        return {
            "median": after[len(after) // 2],
            "max": after[-1],
            "first": took[0] if took else float("nan"),
            "scrapes": float(len(after)),
            "up": min(ups, default=float("nan")),
            "samples": _prometheus_query(base, f"scrape_samples_scraped{job}"),
            "obligation_series": _prometheus_query(base, OBLIGATION_SERIES, 120)
            if series
            else float("nan"),
        }
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:  # a busy host: its TSDB still closing
            process.kill()
            process.wait()


def run(args: argparse.Namespace) -> None:
    sizes = (args.obligations,) if args.obligations else SIZES
    rounds = 1 if args.quick else ROUNDS
    pinned = hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1
    if pinned:
        os.sched_setaffinity(0, {0})
    print(f"  load before: {os.getloadavg()[0]:.2f} (1 min average, {os.cpu_count()} CPUs)")
    for n in sizes:
        begun = time.monotonic()
        first = n == sizes[0]  # series per obligation: the same at any size
        found = asyncio.run(measure(n, pinned, series=first, rounds=rounds))
        per = found["samples"] / n
        if first:
            mine = found["obligation_series"]
            series = judge(
                "scrape.series",
                f"≤ {SERIES:g} series per obligation by default",
                f"{mine / n:.2f} ({mine:,.0f} of the {found['samples']:,.0f} series at"
                f" {n:,} obligations carry one's department and system)",
                mine / n <= SERIES,
            )
            print(f"  series per obligation: {mine / n:.2f} (goal ≤ {SERIES:g}: {series})")
        pairs: list[tuple[float, float]] = found["pairs"]  # type: ignore[assignment]
        ratios = Ratios.of(pairs)
        ours = sorted(p[0] for p in pairs)[len(pairs) // 2]
        theirs = sorted(p[1] for p in pairs)[len(pairs) // 2]
        fast = judge_ratio(
            f"scrape.{n}",
            f"a real Prometheus scrapes {n:,} obligations in ≤ {GOAL}× the time it takes"
            " to scrape the same body served static by nginx (same run)",
            ratios,
            GOAL,
            info=f"median scrape {ours * 1000:.0f} ms against {theirs * 1000:.0f} ms static",
            cause=partial(_cause, n),
        )
        print(
            f"  {n:,} obligations: {found['samples']:,.0f} series ({per:.1f} per obligation),"
            f" {found['bytes'] / 1e6:.1f} MB, {found['gzip_bytes'] / 1e6:.1f} MB gzipped;"
            f" service RSS {found['rss']:.0f} MB ({time.monotonic() - begun:.0f} s)"
        )
        print(f"    the first scrape (every series new to Prometheus): {found['first']:.1f} s")
        print(f"    scrape over static body: {ratios.text()} (goal ≤ {GOAL}×: {fast})")
    print(f"  load after: {os.getloadavg()[0]:.2f}; service on CPU 0, Prometheus on CPU 1")


def _cause(n: int) -> str:
    """Where rendering /metrics for `n` obligations spends its time (cProfile)."""
    registry = synthetic_registry(n)
    with tempfile.TemporaryDirectory(prefix="lienthong-profile-") as folder:
        store = open_store(f"sqlite:///{folder}/bench.db")
        app = create_app(
            registry,
            store,
            options=ServiceOptions(
                probes_enabled=False, metrics=MetricsOptions(totals_refresh=3600)
            ),
        )

        async def render() -> None:
            sock = bound_socket("127.0.0.1", 0)
            runner = await start_site(app, sock)
            try:
                for _ in range(3):
                    await asyncio.to_thread(_as_prometheus_gets, url_of(sock))
            finally:
                await runner.cleanup()

        _, top = profiled(lambda: asyncio.run(render()))
        store.dispose()
    return top
