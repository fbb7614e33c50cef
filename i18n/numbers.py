"""Numbers as a reader of the current language writes them: 15.294 and 2,5 in Vietnamese,
15,294 and 2.5 in English (Babel's CLDR data)."""

from __future__ import annotations

from babel.numbers import format_decimal

from i18n import current_lang


def number(value: float, decimals: int = 0) -> str:
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale=current_lang())
