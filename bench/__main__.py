"""`python -m bench [NAME ...] [--duration SECONDS] [--probes N] [--obligations N]`."""

from __future__ import annotations

import argparse
import asyncio
import sys

from bench import probe_cpu, schedule, scrape

BENCHMARKS = {"probe_cpu": probe_cpu.main, "schedule": schedule.main, "scrape": scrape.main}


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("names", nargs="*", metavar="NAME", help=", ".join(BENCHMARKS))
    parser.add_argument("--duration", type=float, default=120.0, help="schedule: seconds to run")
    parser.add_argument("--probes", type=int, default=2000, help="probe_cpu: probes per tool")
    parser.add_argument("--obligations", type=int, default=20_000)
    args = parser.parse_args()
    unknown = [n for n in args.names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {unknown[0]!r} (choose from {', '.join(BENCHMARKS)})")
    for name in args.names or list(BENCHMARKS):
        print(f"== {name}", flush=True)
        asyncio.run(BENCHMARKS[name](args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
