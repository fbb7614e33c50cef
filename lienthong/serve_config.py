"""The `lienthong serve` config file (TOML): every key optional, unknown keys refused.

Precedence for each setting: command-line flag, then the config file, then
the environment (`LIENTHONG_DB`, `LIENTHONG_REGISTRY`), then the default.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from exporter.app import ServiceOptions
from intake.push.api import PushOptions
from lienthong.errors import UsageError
from probes.engine import ProbeSettings, UrlRewrite
from reports.scheduled import ExportsSettings

DEFAULT_LISTEN = "127.0.0.1:9464"
Seconds = Annotated[float, Field(gt=0)]


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Rewrite(_Table):
    from_: str = Field(alias="from", min_length=1)
    to: str = Field(min_length=1)


class ProbesTable(_Table):
    enabled: bool = True
    per_system: int = Field(default=4, ge=1, le=1000)
    total: int = Field(default=256, ge=1, le=100_000)
    connect_timeout: Seconds = 5.0
    interval: Seconds | None = None
    breaker_failures: int = Field(default=5, ge=1)
    breaker_cooldown: Seconds = 60.0
    breaker_max_cooldown: Seconds = 600.0
    grace: float = Field(default=5.0, ge=0)
    url_rewrite: list[Rewrite] = Field(default_factory=list)

    @field_validator("url_rewrite", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return [value] if isinstance(value, dict) else value


class RecorderTable(_Table):
    flush_interval: Seconds = 0.5
    flush_batch: int = Field(default=500, ge=1, le=10_000)


class MetricsTable(_Table):
    totals_refresh: Seconds = 5.0
    calendar_refresh: Seconds = 300.0
    status_refresh: int = Field(default=10, ge=1)
    durations_per_obligation: bool = False


class PushTable(_Table):
    enabled: bool = True
    rate: Annotated[float, Field(gt=0)] = 50.0
    burst: int = Field(default=100, ge=1)
    token_refresh: Seconds = 5.0
    commit_deadline: Seconds = 5.0
    max_pending: int = Field(default=200_000, ge=10_000)
    body_memory: int = Field(default=64 * 1024 * 1024, ge=5_000_000)
    body_timeout: Seconds = 30.0


class ServeConfig(_Table):
    listen: str = DEFAULT_LISTEN
    database: str | None = None
    registry: str | None = None
    probes: ProbesTable = ProbesTable()
    recorder: RecorderTable = RecorderTable()
    metrics: MetricsTable = MetricsTable()
    push: PushTable = PushTable()
    exports: ExportsSettings = ExportsSettings()

    def probe_settings(self) -> ProbeSettings:
        p = self.probes
        return ProbeSettings(
            per_system=p.per_system,
            total=p.total,
            connect_timeout=p.connect_timeout,
            interval=p.interval,
            breaker_failures=p.breaker_failures,
            breaker_cooldown=p.breaker_cooldown,
            breaker_max_cooldown=p.breaker_max_cooldown,
            rewrites=tuple(UrlRewrite(r.from_, r.to) for r in p.url_rewrite),
            grace=p.grace,
        )

    def service_options(self) -> ServiceOptions:
        return ServiceOptions(
            totals_refresh=self.metrics.totals_refresh,
            calendar_refresh=self.metrics.calendar_refresh,
            flush_interval=self.recorder.flush_interval,
            flush_batch=self.recorder.flush_batch,
            status_refresh=self.metrics.status_refresh,
            durations_per_obligation=self.metrics.durations_per_obligation,
            probes_enabled=self.probes.enabled,
            push=PushOptions(
                enabled=self.push.enabled,
                rate=self.push.rate,
                burst=self.push.burst,
                token_refresh=self.push.token_refresh,
                commit_deadline=self.push.commit_deadline,
                max_pending=self.push.max_pending,
                body_memory=self.push.body_memory,
                body_timeout=self.push.body_timeout,
            ),
        )


def load_config(path: Path | None) -> ServeConfig:
    """The config from a TOML file (defaults without one); errors as one line naming the key."""
    if path is None:
        return ServeConfig()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise UsageError(f"{path}: {e.strerror}") from None
    except tomllib.TOMLDecodeError as e:
        raise UsageError(f"{path}: not valid TOML: {e}") from None
    try:
        return ServeConfig.model_validate(data)
    except ValidationError as e:
        first = e.errors(include_url=False)[0]
        key = ".".join(str(p) for p in first["loc"]) or "(top)"
        more = f" (and {e.error_count() - 1} more)" if e.error_count() > 1 else ""
        raise UsageError(f"{path}: {key}: {first['msg']}{more}") from None


def parse_listen(text: str) -> tuple[str, int]:
    """HOST:PORT (IPv6 in brackets) → (host, port)."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise UsageError(f"--listen {text!r}: expected HOST:PORT, like 127.0.0.1:9464")
    return host.strip("[]") or "0.0.0.0", int(port)
