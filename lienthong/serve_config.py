"""The `lienthong serve` config file (TOML): every key optional, unknown keys refused.

Every command reads it (`--config`, env `LIENTHONG_CONFIG`): its `database`, `registry`
and `lang` apply to all of them, in the order lienthong/settings.py writes (flag, then
environment, then this file, then the default).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationError,
    model_validator,
    with_config,
)

from api.push import PushOptions
from exporter.app import ExcusalOptions, MetricsOptions, RecorderOptions, ServiceOptions
from exporter.web import WebOptions
from i18n import Lang, _
from i18n.validation import describe
from intake.sources import SourceBase, parse_sources
from lienthong.errors import UsageError, describe_os_error
from probes.engine import ProbeSettings
from reports.scheduled import ExportsSettings
from reports.settings import ReportSettings
from store.leadership import DEFAULT_TAKEOVER

DEFAULT_LISTEN = "127.0.0.1:9464"


@dataclass(frozen=True)
class ProbesTable(ProbeSettings):
    """`[probes]`: the engine's settings, plus whether `serve` runs the probes at all."""

    enabled: bool = True


@with_config(ConfigDict(extra="forbid"))
@dataclass(frozen=True)
class HaOptions:
    """`[ha]`: the longest a shard's probes or the scheduled exports go without a leader."""

    takeover: Annotated[float, Field(ge=2, le=600)] = DEFAULT_TAKEOVER


class ServeConfig(BaseModel):
    """The file's tables are the settings classes themselves: each key and default is
    declared once, beside the code that reads it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _takeover_is_ha(cls, data: object) -> object:
        # ProbeSettings carries the takeover bound for the engine; the file sets it in [ha].
        probes = data.get("probes") if isinstance(data, dict) else None
        if isinstance(probes, dict) and "takeover" in probes:
            raise ValueError(_("probes.takeover: set it as `takeover` in [ha]"))
        return data

    listen: str = DEFAULT_LISTEN
    database: str | None = None
    registry: str | None = None
    lang: Lang | None = None
    probes: ProbesTable = ProbesTable()
    recorder: RecorderOptions = RecorderOptions()
    metrics: MetricsOptions = MetricsOptions()
    push: PushOptions = PushOptions()
    ha: HaOptions = HaOptions()
    exports: ExportsSettings = ExportsSettings()
    excusals: ExcusalOptions = ExcusalOptions()
    web: WebOptions = WebOptions()
    report: ReportSettings = ReportSettings()  # the filed document's code, signer, recipients
    # `[[sources]]`: followed logs, pulled X-Road servers, drop folders (intake.sources).
    sources: Annotated[list[SourceBase], PlainValidator(parse_sources)] = []

    def probe_settings(self) -> ProbeSettings:
        return replace(self.probes, takeover=self.ha.takeover)

    def service_options(self) -> ServiceOptions:
        return ServiceOptions(
            metrics=self.metrics,
            recorder=self.recorder,
            push=self.push,
            probes_enabled=self.probes.enabled,
            excusals=self.excusals,
            web=self.web,
        )


# pydantic's messages for the mistakes a config file's author makes most, in the user's
# language (its own words in English; another mistake is said in pydantic's English).
def load_config(path: Path | None) -> ServeConfig:
    """The config from a TOML file (defaults without one); errors as one line naming the key."""
    if path is None:
        return ServeConfig()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise UsageError(f"{path}: {describe_os_error(e)}") from None
    except tomllib.TOMLDecodeError as e:
        raise UsageError(_("{path}: not valid TOML: {error}").format(path=path, error=e)) from None
    try:
        return ServeConfig.model_validate(data)
    except ValidationError as e:
        first = e.errors(include_url=False)[0]
        key = ".".join(str(p) for p in first["loc"]) or "(top)"
        message = describe(first)
        more = _(" (and {n} more)").format(n=e.error_count() - 1) if e.error_count() > 1 else ""
        raise UsageError(f"{path}: {key}: {message}{more}") from None


def parse_listen(text: str) -> tuple[str, int]:
    """HOST:PORT (IPv6 in brackets) → (host, port)."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise UsageError(
            _("--listen {text!r}: expected HOST:PORT, like 127.0.0.1:9464").format(text=text)
        )
    return host.strip("[]") or "0.0.0.0", int(port)
