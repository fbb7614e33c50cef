"""Numbers and durations as a reader of the current language writes them: 15.294, 2,5 and
"2 giờ 5 phút" in Vietnamese, 15,294, 2.5 and "2 h 5 min" in English (Babel's CLDR data for
the digits, the catalogs for the units)."""

from __future__ import annotations

from babel.numbers import format_decimal

from i18n import _, current_lang


def number(value: float, decimals: int = 0) -> str:
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale=current_lang())


def duration(seconds: float) -> str:
    """A span of time, the one way every message writes one: '40 giây', '2,5 giây', '15 phút',
    '1 phút 30 giây', '2 giờ 5 phút' ('40 s', '2.5 s', '15 min', '1 min 30 s', '2 h 5 min').
    Under a minute as given (a timeout of 2.5 s is 2.5 s); from a minute on, to the second
    under an hour and to the minute after."""
    if seconds < 59.995:  # what "#,##0.##" would show as 60
        shown = format_decimal(max(seconds, 0.0), format="#,##0.##", locale=current_lang())
        return _("{n} s").format(n=shown)
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours == 0:
        if secs:
            return _("{m} min {s} s").format(m=minutes, s=secs)
        return _("{n} min").format(n=minutes)
    minutes = round(rest / 60)
    if minutes == 60:
        hours, minutes = hours + 1, 0
    if minutes == 0:
        return _("{h} h").format(h=number(hours))
    return _("{h} h {m} min").format(h=number(hours), m=minutes)
