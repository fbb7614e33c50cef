"""Benchmarks: `python -m bench [NAME...]` runs them and prints their figures.

Each module here with a `run(args)` function is a benchmark; its name is the
module's. They start the real servers they need (PostgreSQL, …) themselves.
"""
