"""Transaction records: the contract's format, validated once for every source.

`parse_record` turns one raw record (JSON bytes or a mapping) into a
`Transaction` or a list of `FieldError`s. Whatever the source (a file, the
push API, a gateway log, a probe run), records reach the store this way.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal, NamedTuple

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
)
from pydantic.dataclasses import dataclass as pydantic_dataclass

from i18n import N_, _
from i18n.json_errors import jiter_reason
from i18n.validation import describe
from registry import Registry
from registry.model import PLATFORMS, Platform
from store.text import control_problem

SOURCES = ("probe", "push", "gateway", "import")
Source = Literal["probe", "push", "gateway", "import"]
# How far ahead of our clock a record may be: clocks drift, but a record dated
# next week would otherwise count next week.
FUTURE_TOLERANCE = timedelta(hours=1)
# The earliest time a record may carry. Interconnection with national systems
# began long after it; an older time is a client's bug, and times near year 1 or
# 9999 cannot even be moved into the local calendar (an OverflowError in the writer).
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)


# RFC 3339's date-time: a "T" between date and time, seconds, and an offset (checked
# apart, to say so). Pydantic alone would also take Unix times, "09:00" without
# seconds or "+0700", which the contract does not.
RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?:[Zz]|[+-][0-9]{2}:[0-9]{2})?"
)
TS_FORMAT = N_("must be an RFC 3339 time with an offset, like 2026-10-05T09:12:00+07:00")


# Python's reasons a date and time that look right do not exist (its English), translated.
TIME_REASONS = {
    "month must be in 1..12": N_("month must be in 1..12"),
    "day is out of range for month": N_("day is out of range for month"),
    "hour must be in 0..23": N_("hour must be in 0..23"),
    "minute must be in 0..59": N_("minute must be in 0..59"),
    "second must be in 0..59": N_("second must be in 0..59"),
}


def time_reason(e: ValueError) -> str:
    """Why `datetime.fromisoformat` refused a time, in the user's language when it can."""
    reason = TIME_REASONS.get(str(e))
    return str(e) if reason is None else _(reason)


_rfc3339 = RFC3339.fullmatch
_fromisoformat = datetime.fromisoformat


def _timestamp(value: Any) -> Any:
    # Every imported record passes here: a text time (the common case) checked first, the
    # functions bound once (a million calls an import).
    if not isinstance(value, str):
        if isinstance(value, datetime):
            return value
        raise ValueError(_(TS_FORMAT))
    if _rfc3339(value) is None:
        raise ValueError(_(TS_FORMAT))
    try:
        ts = _fromisoformat(value.upper())
    except ValueError as e:
        raise ValueError(
            _("{value} is not a valid time ({error})").format(value=value, error=time_reason(e))
        ) from None
    if ts.tzinfo is None:
        raise ValueError(_("{value} has no offset: add one, like +07:00 or Z").format(value=value))
    return ts


Timestamp = Annotated[datetime, BeforeValidator(_timestamp)]


def _no_nul(value: str) -> str:
    # PostgreSQL cannot store U+0000 in text: refused here, for every store alike.
    if "\x00" in value:
        raise ValueError(_("must not contain the NUL character (U+0000)"))
    return value


NoNul = AfterValidator(_no_nul)


def _no_control(value: str) -> str:
    # A department's text is data: a control character could stop an export (XLSX cannot
    # hold it) or rewrite a terminal's lines. NUL first: its own message says why.
    problem = control_problem(_no_nul(value))
    if problem is not None:
        raise ValueError(problem)
    return value


NoControl = AfterValidator(_no_control)


def _number(value: Any, info: ValidationInfo) -> Any:
    # JSON sends numbers as numbers: pydantic alone would take "12" or true. Only
    # CSV, whose every cell is text, has its numbers read from text.
    if type(value) is int or type(value) is float:  # JSON's numbers, the common case (not bool)
        return value
    text_cells = bool(info.context and info.context.get("text_cells"))
    if isinstance(value, bool) or (isinstance(value, str) and not text_cells):
        raise ValueError(_("must be a number"))
    return value


Number = BeforeValidator(_number)


@pydantic_dataclass(frozen=True, slots=True, config=ConfigDict(extra="forbid"))
class TransactionRecord:
    """One record exactly as the contract pins it.

    A pydantic dataclass rather than a model: every imported record is one, and
    it validates in about two thirds of a model's time.
    """

    department: Annotated[str, Field(min_length=1, max_length=64)]
    system: Annotated[str, Field(min_length=1, max_length=64)]
    ts: Timestamp
    outcome: Literal["success", "failure"]
    latency_ms: Annotated[float | None, Field(ge=0, allow_inf_nan=False), Number] = None
    id: Annotated[str, Field(min_length=1, max_length=128), NoNul] | None = None
    source: Source | None = None
    detail: Annotated[str, Field(max_length=1000), NoControl] | None = None
    platform: Platform | None = None


RECORD = TypeAdapter(TransactionRecord)
RECORD_FIELDS = tuple(f.name for f in dataclasses.fields(TransactionRecord))  # contract order
REQUIRED_FIELDS = frozenset(
    f.name for f in dataclasses.fields(TransactionRecord) if f.default is dataclasses.MISSING
)


class Transaction(NamedTuple):
    """A validated record on its way into the store (a tuple: cheap to make by the million)."""

    department: str
    system: str
    ts: datetime  # aware
    success: bool
    source: str
    latency_ms: float | None = None
    record_id: str | None = None
    detail: str | None = None
    # How the write path treats a repeat of the id: "" a duplicate; PROVISIONAL
    # (stored, but a DEFINITIVE view of the same record replaces it later).
    view: str = ""
    platform: str | None = None  # one of PLATFORMS, or None: not said


PROVISIONAL = "provisional"  # e.g. an X-Road exchange seen only from the producer's side
DEFINITIVE = "definitive"  # e.g. the client's record of that exchange


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


# Our words where pydantic's would not say it as plainly (the rest: i18n.validation's table).
_MESSAGES = {
    "missing": N_("is required"),
    "extra_forbidden": N_("is not a field of a transaction record"),
    "unexpected_keyword_argument": N_("is not a field of a transaction record"),  # a mapping's
}
NOT_AN_OBJECT = ("model_type", "model_attributes_type", "dataclass_type")


def _field_errors(error: ValidationError) -> list[FieldError]:
    """What is wrong with an invalid record, in the user's language (only invalid records
    come here: a valid one is never translated anything)."""
    found = []
    for e in error.errors(include_url=False):
        kind = e["type"]
        field = ".".join(str(p) for p in e["loc"])
        if kind == "json_invalid":
            reason = e.get("ctx", {}).get("error")
            reason = jiter_reason(str(reason)) if reason else _("syntax error")
            field, message = "", _("not valid JSON ({reason})").format(reason=reason)
        elif kind in NOT_AN_OBJECT:
            field, message = "", _("a record must be a JSON object")
        elif kind in _MESSAGES:
            message = _(_MESSAGES[kind])
        else:
            message = describe(e)
        found.append(FieldError(field, message))
    return found


# The schema validator itself, not the TypeAdapter's methods: they only forward to it,
# and the Python call in between costs 0.5 µs of the ~10 µs a record takes to import.
_validate_json = RECORD.validator.validate_json
_validate_python = RECORD.validator.validate_python
TEXT = (bytes, str)  # a tuple: `bytes | str` would make a union object at every call
# A Transaction made as the tuple it is: NamedTuple's own __new__ is a Python function.
_transaction = tuple.__new__


class RecordParser:
    """Validates records against the contract and one registry (cached per pair).

    JSON types exactly as the contract gives them (a number sent as text is
    refused); `text_cells=True` is for CSV, whose every cell is text.
    `default_platform` is stamped on records that do not name their platform (a
    source inside `serve` knows which platform it reads).
    """

    def __init__(
        self,
        registry: Registry,
        default_source: str,
        now: datetime | None = None,
        text_cells: bool = False,
        default_platform: str | None = None,
    ):
        if default_platform is not None and default_platform not in PLATFORMS:
            raise ValueError(
                _("unknown platform {platform!r} (known: {known})").format(
                    platform=default_platform, known=", ".join(PLATFORMS)
                )
            )
        self.registry = registry
        self.default_source = default_source
        self.default_platform = default_platform
        self.latest = (now or datetime.now(UTC)) + FUTURE_TOLERANCE
        self._context = {"text_cells": text_cells}
        self._pairs: dict[tuple[str, str], list[FieldError]] = {}

    def parse(
        self, raw: bytes | str | Mapping[str, Any], view: str = ""
    ) -> Transaction | list[FieldError]:
        """One record (JSON text or a mapping) → a Transaction, or what is wrong with it.

        `view`: how the write path treats a repeat of its id (PROVISIONAL, DEFINITIVE).
        """
        try:
            record = (
                _validate_json(raw, context=self._context)
                if isinstance(raw, TEXT)
                else _validate_python(raw, context=self._context)
            )
        except ValidationError as e:
            return _field_errors(e) + _registry_errors_of_invalid(raw, e, self.registry)
        pair = (record.department, record.system)
        errors = self._pairs.get(pair)
        if errors is None:
            errors = self._pairs[pair] = check_against_registry(*pair, self.registry)
        if record.ts > self.latest:
            future = _("{ts} is in the future").format(ts=record.ts.isoformat())
            errors = [*errors, FieldError("ts", future)]
        elif record.ts < EARLIEST:
            early = _("{ts} is before {earliest}").format(
                ts=record.ts.isoformat(), earliest=EARLIEST.date()
            )
            errors = [*errors, FieldError("ts", early)]
        if errors:
            return list(errors)
        # Positional (department, system, ts, success, source, latency_ms, record_id,
        # detail, view, platform): a million of these per import, made without NamedTuple's
        # Python-level __new__ (0.1 µs each; keywords would cost 0.2 µs more).
        return _transaction(
            Transaction,
            (
                record.department,
                record.system,
                record.ts,
                record.outcome == "success",
                record.source or self.default_source,
                record.latency_ms,
                record.id,
                record.detail,
                view,
                record.platform or self.default_platform,
            ),
        )


def parse_record(
    raw: bytes | str | Mapping[str, Any],
    registry: Registry,
    default_source: str,
    now: datetime | None = None,
) -> Transaction | list[FieldError]:
    """Validate one record against the contract and the registry."""
    return RecordParser(registry, default_source, now).parse(raw)


def _registry_errors_of_invalid(
    raw: bytes | str | Mapping[str, Any], error: ValidationError, registry: Registry
) -> list[FieldError]:
    """For a record already invalid, the registry's objections too, so one pass lists all."""
    flagged = {e["loc"][0] for e in error.errors() if e["loc"]}
    if {"department", "system"} & flagged:
        return []
    try:
        data = json.loads(raw) if isinstance(raw, bytes | str) else raw
    except ValueError:
        return []
    if not isinstance(data, Mapping):
        return []
    department, system = data.get("department"), data.get("system")
    if isinstance(department, str) and isinstance(system, str):
        return check_against_registry(department, system, registry)
    return []


def check_against_registry(department: str, system: str, registry: Registry) -> list[FieldError]:
    """Unknown codes, or a pair that is no obligation."""
    errors = []
    if not registry.has_department(department):
        unknown = _("unknown department code {code!r}").format(code=department)
        errors.append(FieldError("department", unknown))
    if not registry.has_system(system):
        errors.append(FieldError("system", _("unknown system code {code!r}").format(code=system)))
    if not errors and not registry.obligations_for(department, system):
        none = _("{department} has no obligation towards {system} in the registry")
        errors.append(FieldError("system", none.format(department=department, system=system)))
    return errors
