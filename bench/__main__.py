"""Run benchmarks: `python -m bench` (all) or `python -m bench ingest probe_cpu`.

Each figure a goal is set for is printed beside it and kept in bench/results.json (not
those of `--quick` or another size), and the README's table is written again from that
file; `python -m bench --readme` writes it alone.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from pathlib import Path

from bench import _goals

DURATION = 240.0  # schedule: seconds a run (four intervals), alternated over the rounds


def available() -> list[str]:
    here = Path(__file__).parent
    return sorted(
        m.name
        for m in pkgutil.iter_modules([str(here)])
        if not m.name.startswith("_") and hasattr(importlib.import_module(f"bench.{m.name}"), "run")
    )


def main() -> int:
    names = available()
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"some of: {', '.join(names)}")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, to check they run")
    parser.add_argument(
        "--duration", type=float, default=DURATION, help="schedule: seconds to measure"
    )
    parser.add_argument(
        "--obligations",
        type=int,
        default=None,
        help="probe_cpu, schedule, scrape, startup: obligations (default: each benchmark's goal sizes)",
    )
    parser.add_argument(
        "--store",
        choices=("sqlite", "postgresql"),
        default=None,
        help="ingest, report: only this store (default: both)",
    )
    parser.add_argument(
        "--readme",
        action="store_true",
        help="write the README's table from bench/results.json (a run at the goals' sizes does)",
    )
    args = parser.parse_args()
    # The goals' sizes only: a figure of another size or duration is not the goal's.
    keeping = not args.quick and args.obligations is None and args.duration == DURATION
    if args.quick:
        args.duration = 20.0
        args.obligations = args.obligations or 2_000
    unknown = [n for n in args.names if n not in names]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)} (known: {', '.join(names)})")
    for name in args.names or ([] if args.readme else names):
        print(f"== {name}", flush=True)
        importlib.import_module(f"bench.{name}").run(args)
        reference = _goals.reference()  # the reading kept with its figures
        print(f"  host reference: {reference:.0f} ms (a fixed piece of Python on CPU 0, kept")
        print("  beside each figure: lower is a faster host)", flush=True)
        if keeping and _goals.save():  # after each: a later one's failure loses nothing
            _goals.write_readme()
            print(f"figures kept in {_goals.RESULTS} and the table of {_goals.README}")
    if args.readme:
        _goals.write_readme()
        print(f"{_goals.README}: the table written from {_goals.RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
