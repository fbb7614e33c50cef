"""The goals the benchmarks measure: each a ratio to a peer or a baseline measured in the
same run, alternated with lienthong (ABAB…) over `ROUNDS` rounds, judged on the median
ratio and printed with its spread; kept in `bench/results.json`, and the README's table
written again from that file by the run (or `python -m bench --readme`), so the table says
only what a run printed. Absolute times stay in the figure's text as information: this
host runs the same code up to twice as slow from one hour to the next."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

RESULTS = Path(__file__).with_name("results.json")
README = Path(__file__).parent.parent / "README.md"
BEGIN = "<!-- bench results: written by `python -m bench` from bench/results.json -->"
END = "<!-- end of bench results -->"
# The table's order: the goals, as a reader asks them (CPU, schedule, scrape, …).
ORDER = ("probe_cpu", "schedule", "scrape", "startup", "report", "ingest")
ROUNDS = 3  # rounds of lienthong and its peer, alternated, per ratio


@dataclass(frozen=True)
class Figure:
    """One measured figure beside its goal: a line of the README's table."""

    key: str  # "report.sqlite": the bench's name, then what it measured
    goal: str
    figure: str
    met: bool
    measured: str  # "2026-12-02 08:10 UTC"
    commit: str  # the code measured ("+" when it had uncommitted changes)
    load: float  # the 1-minute load average when it was judged: a busy host is slower
    # The host's speed then: milliseconds of `reference_ms()` (None: kept before it was).
    reference: float | None = None
    # The ratio judged (median over the rounds) and its spread; None: an absolute figure
    # (kept before ratios, or a goal that is not a ratio, such as flat memory).
    ratio: float | None = None
    low: float | None = None
    high: float | None = None
    cause: str | None = None  # where a goal is missed: the profile's top entries

    @property
    def bench(self) -> str:
        return self.key.split(".", 1)[0]


_judged: list[Figure] = []  # this run's, in order
_reference: tuple[float, float] | None = None  # (when, ms): one reading serves a minute


def judge(
    key: str,
    goal: str,
    figure: str,
    met: bool,
    ratios: Ratios | None = None,
    cause: str | None = None,
) -> str:
    """Record a figure beside its goal; "met" or "MISSED", for the printed line."""
    _judged.append(
        Figure(
            key,
            goal,
            figure,
            met,
            datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            _commit(),
            round(os.getloadavg()[0], 2),
            reference(),
            ratios.median if ratios else None,
            ratios.low if ratios else None,
            ratios.high if ratios else None,
            None if met else cause,
        )
    )
    return "met" if met else "MISSED"


@dataclass(frozen=True)
class Ratios:
    """lienthong's figure over its peer's, one per round."""

    values: tuple[float, ...]

    @classmethod
    def of(cls, pairs: Sequence[Sequence[float]]) -> Ratios:
        """(lienthong, peer) per round: each round's ratio."""
        return cls(tuple(p[0] / p[1] if p[1] else float("nan") for p in pairs))

    @property
    def median(self) -> float:
        ordered = sorted(self.values)
        middle = len(ordered) // 2
        if len(ordered) % 2:
            return ordered[middle]
        return (ordered[middle - 1] + ordered[middle]) / 2

    @property
    def low(self) -> float:
        return min(self.values)

    @property
    def high(self) -> float:
        return max(self.values)

    def text(self) -> str:
        return (
            f"{self.median:.2f}× ({self.low:.2f}–{self.high:.2f}× over {len(self.values)} rounds)"
        )


def alternate(rounds: int, *runs: Callable[[], T]) -> list[tuple[T, ...]]:
    """Each run once per round, in turn (ABAB…): a slow stretch of the host falls on both."""
    found: list[tuple[T, ...]] = []
    for i in range(rounds):
        print(f"  round {i + 1} of {rounds}", flush=True)
        found.append(tuple(run() for run in runs))
    return found


def judge_ratio(
    key: str,
    goal: str,
    ratios: Ratios,
    limit: float,
    *,
    at_least: bool = False,
    info: str = "",
    cause: Callable[[], str] | None = None,
    bound: bool = True,
) -> str:
    """Judge the median ratio against `limit` (at most, or `at_least`), and `bound`, a goal's
    absolute half where it has one; `cause` is asked, for the table, only when missed."""
    met = bound and (ratios.median >= limit if at_least else ratios.median <= limit)
    figure = ratios.text() + (f"; {info}" if info else "")
    return judge(key, goal, figure, met, ratios, None if met or cause is None else cause())


def reference() -> float:
    """The host reference now: the reading of the last minute, or a new one."""
    global _reference
    if _reference is None or time.monotonic() - _reference[0] > 60:
        _reference = (time.monotonic(), reference_ms())
    return _reference[1]


def _reference_work() -> None:
    """A fixed piece of plain Python: strings, tuples, a dict, a sort, JSON."""
    rows = [(f"dept-{i % 1000}:sys-{i % 50}", i * 7 % 1013, str(i)) for i in range(100_000)]
    rows.sort()
    sums: dict[str, int] = {}
    for key, n, _ in rows:
        sums[key] = sums.get(key, 0) + n
    json.dumps(sums)


def reference_ms(runs: int = 5) -> float:
    """The host's speed now: the best of `runs` timings of a fixed piece of Python, on the
    CPU the benchmarks measure (0). The same code measures up to twice as slow on this
    shared host from one hour to the next; beside a figure with no peer measured in its
    run (start-up, ingest, the report), this says which hour it was."""
    pinned = hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1
    before = os.sched_getaffinity(0) if pinned else set()
    collecting = gc.isenabled()
    gc.disable()  # the benchmark's own heap is not the host's speed
    try:
        if pinned:
            os.sched_setaffinity(0, {0})
        best = float("inf")
        for _ in range(runs):
            begun = time.perf_counter()
            _reference_work()
            best = min(best, time.perf_counter() - begun)
    finally:
        if pinned:
            os.sched_setaffinity(0, before)
        if collecting:
            gc.enable()
    return round(best * 1000, 1)


def _commit() -> str:
    top = Path(__file__).parent.parent
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=top, capture_output=True, text=True
        ).stdout.strip()
        # The code's changes only: this file and the README change as figures are kept.
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", "*.py", "*.toml"],
            cwd=top,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:  # no git: a copy of the sources
        return "?"
    return (head or "?") + ("+" if changed else "")


def load(path: Path = RESULTS) -> list[Figure]:
    if not path.exists():
        return []
    return [Figure(**f) for f in json.loads(path.read_text(encoding="utf-8"))]


def merged(kept: list[Figure], new: list[Figure]) -> list[Figure]:
    """The kept figures with the new ones in their place (same key), in the table's order;
    a figure not measured again stays as it was, with its own date."""
    found = {f.key: f for f in kept}
    found.update({f.key: f for f in new})
    first_seen: dict[str, int] = {}
    for f in [*kept, *new]:
        first_seen.setdefault(f.key, len(first_seen))  # a line measured again keeps its place

    def place(f: Figure) -> tuple[int, int]:
        rank = ORDER.index(f.bench) if f.bench in ORDER else len(ORDER)
        return rank, first_seen[f.key]

    return sorted(found.values(), key=place)


def save(path: Path = RESULTS) -> int:
    """Merge this run's figures into the file; how many there were."""
    if _judged:
        figures = merged(load(path), _judged)
        text = json.dumps([asdict(f) for f in figures], ensure_ascii=False, indent=2)
        path.write_text(text + "\n", encoding="utf-8")
    return len(_judged)


def table(figures: list[Figure]) -> str:
    """The README's table of the figures (Markdown)."""
    lines = [
        "| goal | ratio (median, spread) | figures (information) | measured (`python -m bench NAME`) | |",
        "|---|---|---|---|---|",
    ]
    for f in figures:
        host = f", reference {f.reference:.0f} ms" if f.reference is not None else ""
        when = f"{f.measured}, `{f.commit}`, load {f.load:.2f}{host} (`{f.bench}`)"
        if f.ratio is not None and f.low is not None and f.high is not None:
            ratio = f"**{f.ratio:.2f}×** ({f.low:.2f}–{f.high:.2f}×)"
            figure = f.figure.split("; ", 1)[1] if "; " in f.figure else ""
        else:
            ratio, figure = "—", f.figure
        verdict = "met" if f.met else "**missed**" + (f": {f.cause}" if f.cause else "")
        lines.append(f"| {f.goal} | {ratio} | {figure} | {when} | {verdict} |")
    return "\n".join(lines)


def readme_with(text: str, figures: list[Figure]) -> str:
    """The README's text with the table between its markers replaced."""
    head, begin, rest = text.partition(BEGIN)
    _, end, tail = rest.partition(END)
    if not begin or not end:
        raise ValueError(f"README.md has no {BEGIN!r} … {END!r} block")
    return f"{head}{BEGIN}\n{table(figures)}\n{END}{tail}"


def write_readme(readme: Path = README, results: Path = RESULTS) -> None:
    readme.write_text(readme_with(readme.read_text(encoding="utf-8"), load(results)), "utf-8")
