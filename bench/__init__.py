"""Benchmarks: `python -m bench [NAME...]` runs them and prints their figures.

Each module here with a `run(args)` function is a benchmark, named after its
module. They start the real servers they need (PostgreSQL, the simulator,
blackbox_exporter, …) themselves.
"""
