"""The README's benchmark table says what the benchmarks printed: it is written from the
figures they kept, every goal has one, and a figure measured again replaces only its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import _goals
from bench._goals import (
    Figure,
    Ratios,
    alternate,
    judge,
    judge_ratio,
    load,
    merged,
    readme_with,
    save,
)
from bench._profile import profiled

# The goals of issue 18 (and the ingest goals before it), each a line of the table.
GOALS = {
    *(f"probe_cpu.{n}.{how}" for n in (1_000, 20_000, 100_000) for how in ("kept", "new")),
    "schedule.p99",
    "schedule.growth",
    "schedule.rss",
    "scrape.series",
    "scrape.20000",
    "scrape.100000",
    "startup",
    "report.sqlite",
    "report.postgresql",
    "ingest.sqlite.1000",
    "ingest.memory",
}


def _figure(key: str, figure: str, met: bool = True) -> Figure:
    return Figure(key, f"goal of {key}", figure, met, "2026-12-02 08:00 UTC", "abc1234", 0.5)


def test_the_readme_table_is_the_one_written_from_the_kept_figures() -> None:
    text = _goals.README.read_text(encoding="utf-8")
    assert readme_with(text, load()) == text, "run `python -m bench --readme`"


def test_every_goal_has_a_kept_figure() -> None:
    missing = GOALS - {f.key for f in load()}
    assert not missing, f"no figure kept for {sorted(missing)}: run `python -m bench`"


def test_a_figure_measured_again_replaces_its_line_and_keeps_the_others() -> None:
    kept = [
        _figure("report.sqlite", "2.50 s", False),
        _figure("report.postgresql", "2.71 s", False),
        _figure("ingest.sqlite.1000", "107,832"),
    ]
    again = [_figure("report.sqlite", "1.90 s"), _figure("startup", "9.0 s")]

    found = merged(kept, again)

    assert [(f.key, f.figure, f.met) for f in found] == [
        ("startup", "9.0 s", True),  # the table's order: start-up before the report
        ("report.sqlite", "1.90 s", True),  # in its own place among the report's lines
        ("report.postgresql", "2.71 s", False),
        ("ingest.sqlite.1000", "107,832", True),
    ]


def test_a_judged_figure_is_kept_with_its_date_commit_and_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_goals, "_judged", [])  # this test's figures only
    results = tmp_path / "results.json"

    assert judge("report.sqlite", "≤ 2 s", "worst 2.50 s", False) == "MISSED"
    assert save(results) == 1

    (figure,) = load(results)
    assert (figure.key, figure.goal, figure.figure, figure.met) == (
        "report.sqlite",
        "≤ 2 s",
        "worst 2.50 s",
        False,
    )
    assert figure.commit and figure.load >= 0 and figure.measured.endswith(" UTC")
    assert figure.reference is not None and figure.reference > 0  # the host's speed then
    line = readme_with(f"{_goals.BEGIN}\n{_goals.END}\n", load(results)).splitlines()[3]
    assert line.startswith("| ≤ 2 s | — | worst 2.50 s |") and line.endswith("| **missed** |")
    assert f"reference {figure.reference:.0f} ms" in line


def test_a_figure_kept_before_the_host_reference_existed_still_loads_and_shows_none(
    tmp_path: Path,
) -> None:
    results = tmp_path / "results.json"
    results.write_text(
        '[{"key": "startup", "goal": "≤ 10 s", "figure": "9.3 s", "met": true,'
        ' "measured": "2026-12-02 17:25 UTC", "commit": "9563bf4", "load": 1.08}]',
        encoding="utf-8",
    )

    (figure,) = load(results)

    assert figure.reference is None
    line = readme_with(f"{_goals.BEGIN}\n{_goals.END}\n", [figure]).splitlines()[3]
    assert "load 1.08 (`startup`)" in line and "reference" not in line


# The goals judged as a ratio to a peer or baseline measured in the same run (issue 34).
RATIO_GOALS = GOALS - {"schedule.growth", "schedule.rss", "scrape.series", "ingest.memory"}


def test_every_timed_goal_is_kept_as_a_ratio_measured_in_one_run() -> None:
    kept = {f.key: f for f in load()}
    absolute = sorted(k for k in RATIO_GOALS if k in kept and kept[k].ratio is None)
    assert not absolute, f"judged on absolute time, not a ratio: {absolute}: run `python -m bench`"
    for key in RATIO_GOALS & kept.keys():
        f = kept[key]
        assert f.low is not None and f.high is not None and f.low <= f.ratio <= f.high, key  # type: ignore[operator]
        assert f.met or f.cause, f"{key} missed without its measured cause"


def test_a_ratio_is_judged_on_its_median_and_shown_with_its_spread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_goals, "_judged", [])
    results = tmp_path / "results.json"
    asked: list[str] = []

    def cause() -> str:
        asked.append("profile")
        return "aiohttp 31 %, store 18 % of the CPU (cProfile)"

    ratios = Ratios.of([(0.9, 1.0), (0.4, 1.0), (2.0, 4.0)])  # 0.9, 0.4, 0.5
    assert ratios.median == 0.5 and (ratios.low, ratios.high) == (0.4, 0.9)
    assert (
        judge_ratio("startup", "≤ 0.6×", ratios, 0.6, info="7 s against 14 s", cause=cause) == "met"
    )
    assert not asked  # a met goal is not profiled
    assert judge_ratio("report.sqlite", "≤ 0.45×", ratios, 0.45, cause=cause) == "MISSED"
    assert judge_ratio("ingest.sqlite.1000", "≥ 0.6×", ratios, 0.6, at_least=True) == "MISSED"
    assert judge_ratio("schedule.p99", "≤ 1×, ≤ 1 s", ratios, 1.0, bound=False) == "MISSED"
    save(results)

    lines = readme_with(f"{_goals.BEGIN}\n{_goals.END}\n", load(results)).splitlines()
    startup, report = (
        next(line for line in lines if f"(`{b}`)" in line) for b in ("startup", "report")
    )
    assert startup.startswith("| ≤ 0.6× | **0.50×** (0.40–0.90×) | 7 s against 14 s |")
    assert startup.endswith("| met |")
    assert report.endswith("| **missed**: aiohttp 31 %, store 18 % of the CPU (cProfile) |")
    assert asked == ["profile"]


def test_alternate_runs_lienthong_and_its_peer_in_turn() -> None:
    order: list[str] = []

    def ours() -> float:
        order.append("lienthong")
        return 1.0

    def peer() -> float:
        order.append("peer")
        return 2.0

    assert alternate(3, ours, peer) == [(1.0, 2.0)] * 3
    assert order == ["lienthong", "peer"] * 3


def test_the_profile_is_summed_by_package() -> None:
    import json as json_module

    _, top = profiled(lambda: json_module.dumps([{"a": i} for i in range(20_000)]))
    assert top.endswith("of the CPU (cProfile)") and "%" in top


def test_a_c_function_is_named_by_its_module_and_waiting_is_not_cpu() -> None:
    from bench._profile import package_of

    assert package_of("~", "<built-in method builtins.sorted>") == "builtins"
    assert package_of("~", "<method 'execute' of 'sqlite3.Cursor' objects>") == "sqlite3"
    assert package_of("~", "<method 'poll' of 'select.epoll' objects>") == "select"
    _, top = profiled(lambda: __import__("time").sleep(0.05))
    assert "select" not in top and "time.sleep" not in top  # idle, not CPU
