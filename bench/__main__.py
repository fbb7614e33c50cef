"""`python -m bench` (`make bench`): runs every benchmark module in this package, printing figures.

Each module `bench/<name>.py` defines `run() -> None`; add a file to add a benchmark.
"""

from __future__ import annotations

import importlib
import pkgutil

import bench


def main() -> None:
    for info in sorted(pkgutil.iter_modules(bench.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"bench.{info.name}")
        run = getattr(module, "run", None)
        if callable(run):
            print(f"== bench.{info.name}")
            run()


if __name__ == "__main__":
    main()
