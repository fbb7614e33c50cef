"""Benchmarks for the performance targets of issue 3; each prints its figures.

Run all with `python -m bench`, or one: `python -m bench probe_cpu|schedule|scrape`.
"""
