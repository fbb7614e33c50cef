"""The README's benchmark table says what the benchmarks printed: it is written from the
figures they kept, every goal has one, and a figure measured again replaces only its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import _goals
from bench._goals import Figure, judge, load, merged, readme_with, save

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
    assert line.startswith("| ≤ 2 s | worst 2.50 s |") and line.endswith("| **missed** |")
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
