"""Pydantic's validation errors in the user's language: one table, for every model a person fills.

The msgids are pydantic's own message templates, so English reads exactly as pydantic writes
it; other languages translate the template and fill it from the error's context. A type not in
the table keeps pydantic's English text (rare: the table holds what a config, a registry or a
record can trip). Our own validators raise `ValueError(_(...))`: their text is already in the
user's language and is given as it is.
"""

from __future__ import annotations

from typing import Any

from i18n import N_, _, current_lang

# type → pydantic's message template (its msgid). {expected_plural} is English grammar: dropped.
MESSAGES = {
    "missing": N_("Field required"),
    "extra_forbidden": N_("Extra inputs are not permitted"),
    "unexpected_keyword_argument": N_("Unexpected keyword argument"),
    "int_parsing": N_("Input should be a valid integer, unable to parse string as an integer"),
    "int_type": N_("Input should be a valid integer"),
    "int_from_float": N_("Input should be a valid integer, got a number with a fractional part"),
    "float_parsing": N_("Input should be a valid number, unable to parse string as a number"),
    "float_type": N_("Input should be a valid number"),
    "finite_number": N_("Input should be a finite number"),
    "bool_parsing": N_("Input should be a valid boolean, unable to interpret input"),
    "bool_type": N_("Input should be a valid boolean"),
    "string_type": N_("Input should be a valid string"),
    "string_too_short": N_("String should have at least {min_length} character{expected_plural}"),
    "string_too_long": N_("String should have at most {max_length} character{expected_plural}"),
    "string_pattern_mismatch": N_("String should match pattern '{pattern}'"),
    "literal_error": N_("Input should be {expected}"),
    "enum": N_("Input should be {expected}"),
    "greater_than": N_("Input should be greater than {gt}"),
    "greater_than_equal": N_("Input should be greater than or equal to {ge}"),
    "less_than": N_("Input should be less than {lt}"),
    "less_than_equal": N_("Input should be less than or equal to {le}"),
    "multiple_of": N_("Input should be a multiple of {multiple_of}"),
    "date_type": N_("Input should be a valid date"),
    "date_parsing": N_("Input should be a valid date in the format YYYY-MM-DD, {error}"),
    "date_from_datetime_parsing": N_("Input should be a valid date or datetime, {error}"),
    "date_from_datetime_inexact": N_(
        "Datetimes provided to dates should have zero time - e.g. be exact dates"
    ),
    "datetime_type": N_("Input should be a valid datetime"),
    "datetime_parsing": N_("Input should be a valid datetime, {error}"),
    "datetime_from_date_parsing": N_("Input should be a valid datetime or date, {error}"),
    "time_parsing": N_("Input should be in a valid time format, {error}"),
    "timezone_aware": N_("Input should have timezone info"),
    "timezone_naive": N_("Input should not have timezone info"),
    "list_type": N_("Input should be a valid list"),
    "dict_type": N_("Input should be a valid dictionary"),
    "model_type": N_("Input should be a valid dictionary or instance of {class_name}"),
    "model_attributes_type": N_(
        "Input should be a valid dictionary or object to extract fields from"
    ),
    "too_short": N_(
        "{field_type} should have at least {min_length} item{expected_plural} after "
        "validation, not {actual_length}"
    ),
    "too_long": N_(
        "{field_type} should have at most {max_length} item{expected_plural} after "
        "validation, not {actual_length}"
    ),
    "url_parsing": N_("Input should be a valid URL, {error}"),
    "url_type": N_("URL input should be a string or URL"),
    "json_invalid": N_("Invalid JSON: {error}"),
    "none_required": N_("Input should be None"),
}


def describe(error: Any) -> str:
    """One pydantic error (an item of `ValidationError.errors()`) as the user reads it."""
    kind = error["type"]
    if kind in ("value_error", "assertion_error"):  # our own validator's words
        return str(error.get("ctx", {}).get("error", error["msg"])).removeprefix("Value error, ")
    template = MESSAGES.get(kind)
    if template is None or current_lang() == "en":
        return str(error["msg"])
    # Numbers as pydantic writes them: 0, not 0.0.
    ctx = {
        k: int(v) if isinstance(v, float) and v.is_integer() else v
        for k, v in error.get("ctx", {}).items()
    }
    expected = ctx.get("expected")
    if isinstance(expected, str):  # pydantic's "'maintain' or 'connect'"
        head, sep, last = expected.rpartition(" or ")
        if sep:
            ctx["expected"] = " ".join((head, _("or"), last))
    try:
        return _(template).format_map({"expected_plural": "", **ctx})
    except (KeyError, IndexError, ValueError):  # a context pydantic did not give: its own words
        return str(error["msg"])
