"""Faults injectable per national system while the simulator runs, and the pure choice of answer.

Set through `PUT /admin/faults/{system}` (JSON), or `--fault` on the command line.
"""

from __future__ import annotations

import random
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class Answer(StrEnum):
    OK = "ok"
    ERROR = "error"  # HTTP 500
    OUTAGE = "outage"  # HTTP 503, the gateway's "service unavailable"
    ERROR_BODY = "error_body"  # HTTP 200 with an error code in the body
    RESET = "reset"  # the connection is reset, no answer
    HANG = "hang"  # no answer, ever


class Fault(BaseModel):
    """How one national system misbehaves. Every field off by default."""

    model_config = ConfigDict(extra="forbid")

    error_rate: float = Field(default=0.0, ge=0, le=1, description="share of HTTP 500 answers")
    latency: float = Field(default=0.0, ge=0, le=3600, description="seconds before answering")
    outage: bool = False
    error_body: bool = False
    reset: bool = False
    hang: bool = False
    slow_body: float = Field(
        default=0.0, ge=0, le=3600, description="seconds between the body's 10 chunks"
    )
    oversized: int = Field(default=0, ge=0, le=1 << 30, description="pad the body to this size")
    sequence: tuple[Answer, ...] = Field(
        default=(), description="answers cycled request by request (a flapping system)"
    )


def choose_answer(fault: Fault, request_number: int, rng: random.Random) -> Answer:
    """The answer to a system's `request_number`-th request (counting from 0)."""
    if fault.sequence:
        return fault.sequence[request_number % len(fault.sequence)]
    if fault.hang:
        return Answer.HANG
    if fault.reset:
        return Answer.RESET
    if fault.outage:
        return Answer.OUTAGE
    if fault.error_rate and rng.random() < fault.error_rate:
        return Answer.ERROR
    if fault.error_body:
        return Answer.ERROR_BODY
    return Answer.OK


def parse_fault_flag(text: str) -> tuple[str, Fault]:
    """`SYSTEM:key=value,key=value` from the command line, e.g. `csdl-dkdn:outage=true`."""
    system, sep, settings = text.partition(":")
    if not sep or not system:
        raise ValueError(f"--fault {text!r}: expected SYSTEM:key=value[,key=value]")
    values: dict[str, object] = {}
    for item in filter(None, settings.split(",")):
        key, eq, value = item.partition("=")
        if not eq:
            raise ValueError(f"--fault {text!r}: {item!r} is not key=value")
        values[key.strip()] = value.split("+") if key.strip() == "sequence" else value.strip()
    try:
        return system, Fault.model_validate(values)
    except ValidationError as e:
        # Name each key and why, as the HTTP fault API does.
        known = ", ".join(Fault.model_fields)
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: "
            + (f"unknown key (known: {known})" if err["type"] == "extra_forbidden" else err["msg"])
            for err in e.errors(include_url=False)
        )
        raise ValueError(f"--fault {text!r}: {problems}") from None
