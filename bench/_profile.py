"""Where the time went, for a missed goal: the profile's top entries, grouped by package.

A function-level profile of an asyncio service is thousands of small entries; what a
reader of the table needs is which part of the stack took the time (aiohttp, SQLAlchemy,
the sqlite3 driver, our probe engine…). cProfile's own time per function, summed by the
package it lives in (a C function by the type or module it belongs to).
"""

from __future__ import annotations

import cProfile
import pstats
import re
import sysconfig
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
TOP = 4
_PROJECT = str(Path(__file__).resolve().parent.parent)
_STDLIB = sysconfig.get_paths()["stdlib"]
# pstats names a C function "<built-in method time.sleep>" or "<method 'poll' of
# 'select.epoll' objects>".
_BUILTIN = re.compile(r"<method '[\w.]+' of '([\w.]+)' objects>|<built-in method ([\w.]+)>")
# Where an event loop waits for work: time in them is idle, not CPU, so it is left out.
IDLE = ("select", "selectors", "time.sleep")


def package_of(filename: str, function: str) -> str:
    """The package an entry of pstats belongs to: `aiohttp`, `store`, `sqlite3`, `stdlib`."""
    if filename == "~":  # a C function: the type or module it is a method of
        found = _BUILTIN.search(function)
        if not found:
            return "builtins"
        owner = found.group(1) or found.group(2)
        if owner == "time.sleep":
            return owner
        return owner.split(".")[0]
    if "site-packages/" in filename:
        return filename.split("site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
    if filename.startswith(_PROJECT):
        return filename[len(_PROJECT) + 1 :].split("/", 1)[0].removesuffix(".py")
    if filename.startswith(_STDLIB):
        part = filename[len(_STDLIB) + 1 :].split("/", 1)[0].removesuffix(".py")
        return "asyncio" if part == "asyncio" else f"stdlib {part}"
    return Path(filename).stem


def top_entries(stats: pstats.Stats, top: int = TOP) -> str:
    """'aiohttp 31 %, store 18 %, sqlite3 12 %, asyncio 9 % (own time, cProfile)'."""
    own: dict[str, float] = {}
    raw: dict[tuple[str, int, str], tuple[int, int, float, float, object]] = stats.stats  # type: ignore[attr-defined]
    for (filename, _line, function), (_cc, _nc, tottime, _cum, _callers) in raw.items():
        key = package_of(filename, function)
        if key in IDLE:
            continue
        own[key] = own.get(key, 0.0) + tottime
    total = sum(own.values()) or 1.0
    parts = sorted(own.items(), key=lambda kv: -kv[1])[:top]
    return (
        ", ".join(f"{name} {100 * t / total:.0f} %" for name, t in parts) + " of the CPU (cProfile)"
    )


def profiled(call: Callable[[], T]) -> tuple[T, str]:
    """`call()` under cProfile: its result and its top entries."""
    profile = cProfile.Profile()
    result = profile.runcall(call)
    return result, top_entries(pstats.Stats(profile))


def top_of_file(path: Path) -> str:
    """The top entries of a profile a child process dumped (`cProfile -o`)."""
    return top_entries(pstats.Stats(str(path)))
