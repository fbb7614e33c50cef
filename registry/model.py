"""The registry's typed objects: who owes transactions to which national system, and when.

Everything here is immutable data validated by pydantic. Cross-references between
objects (unknown codes, duplicates, history) are checked in `registry.checks`, so
that each problem can be reported at the line of the YAML node that caused it.
"""

from __future__ import annotations

import functools
import sys
import zoneinfo
from collections.abc import Sequence
from datetime import date
from functools import cached_property
from typing import Annotated, Any, Literal, TypeVar

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
from pydantic.functional_validators import BeforeValidator

from i18n import N_, _

Code = Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]+$", max_length=64)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
SHORT_NAME_MAX = 24  # what the overview's narrow system column holds on a laptop
ShortText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=SHORT_NAME_MAX)
]
EnvName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
# Where a transaction record came from (contract: `source`); `evidence:` lists those that count.
Source = Literal["probe", "push", "gateway", "import"]
ALL_SOURCES: tuple[Source, ...] = ("probe", "push", "gateway", "import")
Evidence = Annotated[tuple[Source, ...], Field(min_length=1)]
# The data-sharing platform an exchange went through (contract 1.2, a record's `platform`):
# the province's own (formerly LGSP), NDXP, the National Data Centre's NDOP, the
# Government Office's VDXP, or another.
Platform = Literal["lgsp", "ndxp", "ndop", "vdxp", "other"]
PLATFORMS: tuple[Platform, ...] = ("lgsp", "ndxp", "ndop", "vdxp", "other")


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def holds(since: date | None, until: date | None, first: date, last: date) -> bool:
    """Whether [since, until) meets [first, last]: the one in-force rule of the registry
    (`since` inclusive, `until` exclusive, a missing bound open)."""
    return (since is None or since <= last) and (until is None or until > first)


class Dated(Frozen):
    """One value of something that changes over time, in force on [since, until)."""

    since: date | None = None
    until: date | None = None
    note: Text | None = None


D = TypeVar("D", bound=Dated)


def on(periods: Sequence[D], day: date) -> D:
    """The period in force on `day`; before the first, the first; after the last, the last."""
    for p in periods:
        if holds(p.since, p.until, day, day):
            return p
    first = periods[0]
    return first if first.since is not None and day < first.since else periods[-1]


def _as_list(wrap: str) -> Any:
    """A plain value (the older form) stands for one open-ended period."""

    def convert(value: Any) -> Any:
        if value is None:
            return []  # `standing_department: null`, as before; a required one says so
        if isinstance(value, list | tuple):
            return value
        return [value if isinstance(value, dict) else {wrap: value}]

    return BeforeValidator(convert)


class Province(Dated):
    """The province's code and name over one period (provinces merge and are renamed)."""

    code: Annotated[str, StringConstraints(pattern=r"^[0-9]{2}$")]
    name: Text
    # A centrally-run city ("thành phố trực thuộc trung ương": Hà Nội, Huế, …) heads its
    # documents "ỦY BAN NHÂN DÂN THÀNH PHỐ …", a province "ỦY BAN NHÂN DÂN TỈNH …".
    kind: Literal["province", "city"] = "province"


class Owner(Dated):
    """The body that runs a national system over one period."""

    name: Text


class Standing(Dated):
    """The standing department (copies of critical alerts, the report's issuer) over one period."""

    department: Code


Provinces = Annotated[tuple[Province, ...], _as_list("name"), Field(min_length=1)]
Owners = Annotated[tuple[Owner, ...], _as_list("name"), Field(min_length=1)]
Standings = Annotated[tuple[Standing, ...], _as_list("department")]


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
            raise ValueError(_("a contact needs an email or a webhook"))
        return self


def _xroad_id(value: str, parts: tuple[int, ...]) -> bool:
    pieces = value.split("/")
    return len(pieces) in parts and all(p.strip() for p in pieces)


def _xroad_client(value: str) -> str:
    if not _xroad_id(value, (3, 4)):
        raise ValueError(
            _(
                "{value!r} is not an X-Road client:"
                " INSTANCE/CLASS/MEMBER or INSTANCE/CLASS/MEMBER/SUBSYSTEM"
            ).format(value=value)
        )
    return value


def _xroad_service(value: str) -> str:
    if not _xroad_id(value, (3, 4, 5)):
        raise ValueError(
            _(
                "{value!r} is not an X-Road service: INSTANCE/CLASS/MEMBER[/SUBSYSTEM[/SERVICECODE]]"
            ).format(value=value)
        )
    return value


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
    # apiId of the API (its UUID in the analytics events): what a fault event always carries.
    wso2_api_ids: tuple[Text, ...] = ()
    xroad_services: tuple[XRoadService, ...] = ()


class System(Frozen):
    """A national system (database or platform) that departments exchange data with."""

    code: Code
    name: Text
    short_name: ShortText | None = None  # the overview's column ("CSDL ĐKDN"); `name` on hover
    # A name, or a dated list of {name, since, until} when the owner changed.
    owners: Owners = Field(alias="owner")
    since: date | None = None
    until: date | None = None
    merged_into: Code | None = None
    note: Text | None = None
    gateway: SystemGateway = SystemGateway()

    @property
    def label(self) -> str:
        """What a narrow column shows: the short name, else the name."""
        return self.short_name or self.name

    @property
    def owner(self) -> str:
        """The latest owner the registry knows."""
        return self.owners[-1].name

    def owner_on(self, day: date) -> str:
        return on(self.owners, day).name


class Department(Frozen):
    """A provincial department (or agency) that owes transactions."""

    code: Code
    name: Text
    contacts: tuple[Contact, ...] = ()
    since: date | None = None
    until: date | None = None
    merged_into: Code | None = None
    note: Text | None = None  # e.g. what the province must confirm about its history
    gateway: DepartmentGateway = DepartmentGateway()


class _SecretRef(Frozen):
    """A secret given by reference only: an environment variable or a file, never inline."""

    @staticmethod
    def _exactly_one(env: str | None, file: str | None, what: str) -> None:
        if (env is None) == (file is None):
            raise ValueError(_("give exactly one of {what}_env or {what}_file").format(what=what))


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
    # Off by default (blackbox_exporter's no_follow_redirects): a 3xx is judged by
    # expect_status. On, redirects are followed within the probe's own origin only.
    follow_redirects: bool = False
    auth: Auth | None = None

    @field_validator("headers")
    @classmethod
    def _no_inline_credentials(cls, headers: dict[str, str]) -> dict[str, str]:
        for name in headers:
            if name.lower() in {"authorization", "apikey", "x-api-key", "cookie"}:
                raise ValueError(
                    _("header {name!r} carries a secret: declare it under auth").format(name=name)
                )
        return headers


# A duty's kind as a person reads it (the code is its English name; glossary: loại nhiệm vụ).
KIND_NAMES: dict[str, str] = {"maintain": N_("maintain"), "connect": N_("connect")}


def kind_name(kind: str) -> str:
    """`maintain` or `connect` in the user's language."""
    return _(KIND_NAMES[kind]) if kind in KIND_NAMES else kind


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


@functools.cache
def _sources(evidence: tuple[str, ...]) -> frozenset[str]:
    """One set per list of sources (100,000 obligations ask for the same one or two)."""
    return frozenset(evidence)


def share_equal_values(obligations: Sequence[Obligation]) -> None:
    """Make equal values of the obligations and their probes one object each: codes and
    texts, the status codes and JSON they expect, the sets of fields given."""
    kept: dict[Any, Any] = {}
    for o in obligations:
        _share_fields_set(o, kept)
        values = o.__dict__
        for name in ("department", "system", "kind", "basis"):
            values[name] = sys.intern(values[name])
        if o.evidence is not None:
            values["evidence"] = kept.setdefault(("evidence", o.evidence), o.evidence)
        if o.probe is not None:
            _share_fields_set(o.probe, kept)
            values = o.probe.__dict__
            values["expect_status"] = kept.setdefault(
                ("expect_status", o.probe.expect_status), o.probe.expect_status
            )
            for name in ("headers", "expect_json"):
                # Their text tells equal dicts apart (1 and True are equal keys, not texts).
                values[name] = kept.setdefault((name, repr(values[name])), values[name])


def _share_fields_set(model: BaseModel, kept: dict[Any, Any]) -> None:
    fields = model.__pydantic_fields_set__
    shared = kept.setdefault((type(model), frozenset(fields)), fields)
    object.__setattr__(model, "__pydantic_fields_set__", shared)


class PlatformRequirement(Frozen):
    """A law that duties' exchanges go through one platform: from `since`, complete by
    `deadline`, for the duties towards `systems` of `departments` (either omitted: all).

    History, never rewritten: a requirement replaced by another gets `until`.
    """

    platform: Platform
    basis: Text
    since: date
    deadline: date
    until: date | None = None
    systems: tuple[Code, ...] | None = None
    departments: tuple[Code, ...] | None = None
    note: Text | None = None

    def covers(self, obligation: Obligation) -> bool:
        """Whether it binds the obligation's duty (whatever the day)."""
        return (self.systems is None or obligation.system in self.systems) and (
            self.departments is None or obligation.department in self.departments
        )


class Registry(Frozen):
    """A whole registry (possibly merged from several files)."""

    version: Literal[1] = 1
    # `province` and `standing_department` are each a plain value or a dated list.
    provinces: Provinces = Field(alias="province")
    timezone: str = "Asia/Ho_Chi_Minh"
    standings: Standings = Field(default=(), alias="standing_department")
    calendar: Calendar = Calendar()
    systems: tuple[System, ...] = ()
    departments: tuple[Department, ...] = ()
    obligations: tuple[Obligation, ...] = ()
    evidence: Evidence = ALL_SOURCES  # the record sources that count towards compliance
    platform_requirements: tuple[PlatformRequirement, ...] = ()

    @model_validator(mode="after")
    def _share_what_is_equal(self) -> Registry:
        """Obligations repeat the same few values: share one object for each (a registry
        of 100,000 obligations took 342 MB, half of it equal copies). Safe because the
        models are frozen and nothing mutates what they hold."""
        share_equal_values(self.obligations)
        return self

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, name: str) -> str:
        try:
            zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(_("unknown timezone {name!r}").format(name=name)) from None
        return name

    @cached_property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def province(self) -> Province:
        """The latest code and name the registry knows."""
        return self.provinces[-1]

    def province_on(self, day: date) -> Province:
        return on(self.provinces, day)

    @property
    def standing_department(self) -> str | None:
        """The latest standing department the registry knows."""
        return self.standings[-1].department if self.standings else None

    def standing_department_on(self, day: date) -> str | None:
        return on(self.standings, day).department if self.standings else None

    def standing_department_name_on(self, day: date) -> str | None:
        """The name of the standing department in force on `day` (None: the registry names none)."""
        code = self.standing_department_on(day)
        return self.department(code).name if code and self.has_department(code) else None

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

    @cached_property
    def _windows(self) -> dict[int, tuple[Obligation, tuple[date | None, date | None]]]:
        # Every figure asks each obligation's window once per day of the month: computed
        # once here (keyed by identity, checked, as obligations are not cheap to hash).
        return {id(o): (o, self._window(o)) for o in self.obligations}

    @cached_property
    def _ending(self) -> dict[tuple[str, date], tuple[Obligation, ...]]:
        ending: dict[tuple[str, date], list[Obligation]] = {}
        for o in self.obligations:
            until = self.window(o)[1]
            if until is not None:
                ending.setdefault((o.system, until), []).append(o)
        return {k: tuple(v) for k, v in ending.items()}

    def ending(self, system: str, day: date) -> tuple[Obligation, ...]:
        """The obligations towards `system` whose window ends the day `day` begins."""
        return self._ending.get((system, day), ())

    def window(self, obligation: Obligation) -> tuple[date | None, date | None]:
        """The dates the obligation holds: its own `since`/`until` within its
        department's and system's (a merged department's duties end with it)."""
        found = self._windows.get(id(obligation))
        if found is not None and found[0] is obligation:
            return found[1]
        return self._window(obligation)

    def _window(self, obligation: Obligation) -> tuple[date | None, date | None]:
        d = self.department(obligation.department)
        s = self.system(obligation.system)
        starts = [x for x in (obligation.since, d.since, s.since) if x is not None]
        ends = [x for x in (obligation.until, d.until, s.until) if x is not None]
        return (max(starts) if starts else None, min(ends) if ends else None)

    def in_force(self, obligation: Obligation, first: date, last: date) -> bool:
        """Whether the obligation holds on at least one day in [first, last]."""
        return holds(*self.window(obligation), first, last)

    def in_force_on(self, obligation: Obligation, day: date) -> bool:
        """Whether the obligation holds on `day`: the one rule every figure uses."""
        return self.in_force(obligation, day, day)

    def evidence_for(self, obligation: Obligation) -> frozenset[str]:
        """The record sources that count for the obligation: its own `evidence`, else the registry's."""
        return _sources(obligation.evidence if obligation.evidence is not None else self.evidence)

    def platform_requirement(self, obligation: Obligation, day: date) -> PlatformRequirement | None:
        """The platform requirement binding the obligation's duty on `day`, if any (the first
        listed of those in force)."""
        for r in self.platform_requirements:
            if holds(r.since, r.until, day, day) and r.covers(obligation):
                return r
        return None

    def obligations_between(self, first: date, last: date) -> tuple[Obligation, ...]:
        """The obligations in force on some day in [first, last], in registry order."""
        return tuple(o for o in self.obligations if self.in_force(o, first, last))
