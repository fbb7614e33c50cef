"""The registry's typed objects: who owes transactions to which national system, and when.

Everything here is immutable data validated by pydantic. Cross-references between
objects (unknown codes, duplicates, history) are checked in `registry.checks`, so
that each problem can be reported at the line of the YAML node that caused it.
"""

from __future__ import annotations

import zoneinfo
from datetime import date
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

Code = Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]+$", max_length=64)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
EnvName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
# Where a transaction record came from (contract: `source`); `evidence:` lists those that count.
Source = Literal["probe", "push", "gateway", "import"]
ALL_SOURCES: tuple[Source, ...] = ("probe", "push", "gateway", "import")
Evidence = Annotated[tuple[Source, ...], Field(min_length=1)]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Province(Frozen):
    code: Annotated[str, StringConstraints(pattern=r"^[0-9]{2}$")]
    name: Text


class Calendar(Frozen):
    """Overrides of Vietnam's public holidays for this registry."""

    extra_holidays: tuple[date, ...] = ()
    extra_working_days: tuple[date, ...] = ()


class Contact(Frozen):
    """Where a department's alerts go: an e-mail address, a webhook, or both."""

    name: Text | None = None
    email: Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")] | None = None
    webhook: AnyHttpUrl | None = None

    @model_validator(mode="after")
    def _has_a_channel(self) -> Contact:
        if self.email is None and self.webhook is None:
            raise ValueError("a contact needs an email or a webhook")
        return self


def _xroad_id(value: str, parts: tuple[int, ...], what: str) -> str:
    pieces = value.split("/")
    if len(pieces) not in parts or not all(p.strip() for p in pieces):
        raise ValueError(f"{value!r} is not an X-Road {what}")
    return value


def _xroad_client(value: str) -> str:
    return _xroad_id(
        value, (3, 4), "client: INSTANCE/CLASS/MEMBER or INSTANCE/CLASS/MEMBER/SUBSYSTEM"
    )


def _xroad_service(value: str) -> str:
    return _xroad_id(
        value,
        (3, 4, 5),
        "service: INSTANCE/CLASS/MEMBER[/SUBSYSTEM[/SERVICECODE]]",
    )


XRoadClient = Annotated[str, AfterValidator(_xroad_client)]
XRoadService = Annotated[str, AfterValidator(_xroad_service)]


class DepartmentGateway(Frozen):
    """How a department shows in gateway logs: its WSO2 applications, its X-Road clients."""

    wso2_applications: tuple[Text, ...] = ()  # applicationName in API-M analytics
    xroad_clients: tuple[XRoadClient, ...] = ()  # a member (any subsystem) or one subsystem


class SystemGateway(Frozen):
    """How a national system shows in gateway logs: its WSO2 APIs, its X-Road services."""

    # An API context (starting with "/", matching its sub-paths too, like /dkdn/1.0)
    # or an API name (matched exactly).
    wso2_apis: tuple[Text, ...] = ()
    xroad_services: tuple[XRoadService, ...] = ()


class System(Frozen):
    """A national system (database or platform) that departments exchange data with."""

    code: Code
    name: Text
    owner: Text
    since: date | None = None
    until: date | None = None
    merged_into: Code | None = None
    gateway: SystemGateway = SystemGateway()


class Department(Frozen):
    """A provincial department (or agency) that owes transactions."""

    code: Code
    name: Text
    contacts: tuple[Contact, ...] = ()
    since: date | None = None
    until: date | None = None
    merged_into: Code | None = None
    gateway: DepartmentGateway = DepartmentGateway()


class _SecretRef(Frozen):
    """A secret given by reference only: an environment variable or a file, never inline."""

    @staticmethod
    def _exactly_one(env: str | None, file: str | None, what: str) -> None:
        if (env is None) == (file is None):
            raise ValueError(f"give exactly one of {what}_env or {what}_file")


class OAuth2ClientCredentials(_SecretRef):
    type: Literal["oauth2_client_credentials"]
    token_url: AnyHttpUrl
    client_id_env: EnvName | None = None
    client_id_file: Text | None = None
    client_secret_env: EnvName | None = None
    client_secret_file: Text | None = None
    scope: Text | None = None

    @model_validator(mode="after")
    def _references(self) -> OAuth2ClientCredentials:
        self._exactly_one(self.client_id_env, self.client_id_file, "client_id")
        self._exactly_one(self.client_secret_env, self.client_secret_file, "client_secret")
        return self


class BearerToken(_SecretRef):
    type: Literal["bearer"]
    token_env: EnvName | None = None
    token_file: Text | None = None

    @model_validator(mode="after")
    def _references(self) -> BearerToken:
        self._exactly_one(self.token_env, self.token_file, "token")
        return self


class ApiKey(_SecretRef):
    type: Literal["api_key"]
    header: Text = "apikey"
    key_env: EnvName | None = None
    key_file: Text | None = None

    @model_validator(mode="after")
    def _references(self) -> ApiKey:
        self._exactly_one(self.key_env, self.key_file, "key")
        return self


Auth = Annotated[OAuth2ClientCredentials | BearerToken | ApiKey, Field(discriminator="type")]


class HttpProbe(Frozen):
    """An active call that proves the connection works; one run is one transaction."""

    type: Literal["http"] = "http"
    url: AnyHttpUrl
    method: Literal["GET", "POST", "PUT", "HEAD"] = "GET"
    headers: dict[str, str] = Field(default_factory=dict)
    body: str | None = None
    interval: float = Field(default=300, gt=0)
    timeout: float = Field(default=10, gt=0)
    expect_status: tuple[Annotated[int, Field(ge=100, le=599)], ...] = (200,)
    expect_json: dict[str, Any] = Field(default_factory=dict)
    max_body: int = Field(default=1_048_576, gt=0)
    auth: Auth | None = None

    @field_validator("headers")
    @classmethod
    def _no_inline_credentials(cls, headers: dict[str, str]) -> dict[str, str]:
        for name in headers:
            if name.lower() in {"authorization", "apikey", "x-api-key", "cookie"}:
                raise ValueError(f"header {name!r} carries a secret: declare it under auth")
        return headers


class Obligation(Frozen):
    """A department's duty towards one national system, with the clause that imposes it."""

    department: Code
    system: Code
    kind: Literal["maintain", "connect"]
    basis: Text
    since: date | None = None
    until: date | None = None
    min_daily_successes: int = Field(default=1, ge=1)
    target_ratio: float = Field(default=0.9, gt=0, le=1)
    probe: HttpProbe | None = None
    derived: bool = False
    note: Text | None = None
    evidence: Evidence | None = None  # None: the registry's top-level `evidence`

    @property
    def key(self) -> tuple[str, str]:
        return (self.department, self.system)


class Registry(Frozen):
    """A whole registry (possibly merged from several files)."""

    version: Literal[1] = 1
    province: Province
    timezone: str = "Asia/Ho_Chi_Minh"
    standing_department: Code | None = None
    calendar: Calendar = Calendar()
    systems: tuple[System, ...] = ()
    departments: tuple[Department, ...] = ()
    obligations: tuple[Obligation, ...] = ()
    evidence: Evidence = ALL_SOURCES  # the record sources that count towards compliance

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, name: str) -> str:
        try:
            zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone {name!r}") from None
        return name

    @cached_property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    @cached_property
    def _departments(self) -> dict[str, Department]:
        return {d.code: d for d in self.departments}

    @cached_property
    def _systems(self) -> dict[str, System]:
        return {s.code: s for s in self.systems}

    @cached_property
    def _by_pair(self) -> dict[tuple[str, str], tuple[Obligation, ...]]:
        pairs: dict[tuple[str, str], list[Obligation]] = {}
        for o in self.obligations:
            pairs.setdefault(o.key, []).append(o)
        return {k: tuple(v) for k, v in pairs.items()}

    def department(self, code: str) -> Department:
        return self._departments[code]

    def system(self, code: str) -> System:
        return self._systems[code]

    def has_department(self, code: str) -> bool:
        return code in self._departments

    def has_system(self, code: str) -> bool:
        return code in self._systems

    def obligations_for(self, department: str, system: str) -> tuple[Obligation, ...]:
        """Every obligation (past, present, future) of one department towards one system."""
        return self._by_pair.get((department, system), ())

    def window(self, obligation: Obligation) -> tuple[date | None, date | None]:
        """The dates the obligation holds: its own `since`/`until` within its
        department's and system's (a merged department's duties end with it)."""
        d = self.department(obligation.department)
        s = self.system(obligation.system)
        starts = [x for x in (obligation.since, d.since, s.since) if x is not None]
        ends = [x for x in (obligation.until, d.until, s.until) if x is not None]
        return (max(starts) if starts else None, min(ends) if ends else None)

    def in_force(self, obligation: Obligation, first: date, last: date) -> bool:
        """Whether the obligation holds on at least one day in [first, last]."""
        since, until = self.window(obligation)
        return (since is None or since <= last) and (until is None or until > first)

    def in_force_on(self, obligation: Obligation, day: date) -> bool:
        """Whether the obligation holds on `day`: the one rule every figure uses."""
        return self.in_force(obligation, day, day)

    def evidence_for(self, obligation: Obligation) -> frozenset[str]:
        """The record sources that count for the obligation: its own `evidence`, else the registry's."""
        return frozenset(obligation.evidence if obligation.evidence is not None else self.evidence)

    def obligations_between(self, first: date, last: date) -> tuple[Obligation, ...]:
        """The obligations in force on some day in [first, last], in registry order."""
        return tuple(o for o in self.obligations if self.in_force(o, first, last))
