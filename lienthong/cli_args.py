"""What every command's options share: value types (a bad value is bad usage, exit 2) and help."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import date, datetime
from typing import TypeVar

from compliance.periods import Month, PeriodError, Quarter, parse_day
from i18n import N_, _

T = TypeVar("T")

DURATION = N_("a Prometheus duration: 30s, 5m, 4h")


def _bad_usage(parse: Callable[[str], T], name: str) -> Callable[[str], T]:
    """An argparse type: argparse then says which option and exits 2."""

    def convert(text: str) -> T:
        try:
            return parse(text)
        except (PeriodError, ValueError) as e:
            raise argparse.ArgumentTypeError(str(e)) from None

    convert.__name__ = name  # argparse names the type in some messages
    return convert


month = _bad_usage(Month.parse, "month")
quarter = _bad_usage(Quarter.parse, "quarter")
day: Callable[[str], date] = _bad_usage(parse_day, "day")


def _rfc3339(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(_("{text!r} is not an RFC 3339 time").format(text=text)) from None
    if value.tzinfo is None:
        raise ValueError(_("{text!r} needs an offset, e.g. +07:00").format(text=text))
    return value


rfc3339 = _bad_usage(_rfc3339, "rfc3339")


class HelpFormatter(argparse.HelpFormatter):
    """Says each option's default once: not on required options, not when the help says it."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        shown = (
            action.option_strings
            and not action.required
            and default not in (None, False, argparse.SUPPRESS, [])
            and "default" not in text
            and _("default") not in text
            and not isinstance(action, argparse._VersionAction | argparse._HelpAction)
        )
        if not shown:
            return action.help
        value = default.value if hasattr(default, "value") else default
        if not text:
            return _("default: {value}").format(value=value)
        return _("{help} (default: {value})").format(help=text, value=value)


def use_help_formatter(parser: argparse.ArgumentParser) -> None:
    """Every parser and sub-parser formats its help with `HelpFormatter`."""
    parser.formatter_class = HelpFormatter
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                use_help_formatter(sub)
