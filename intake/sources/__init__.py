"""Sources that run inside `serve`: one table of kinds, a module per kind.

Each kind gives its `[[sources]]` config model and its reader; adding a kind
is a module and a line in KINDS. `intake.sources.runner` runs every
configured source, each on its own, retried with back-off when it fails.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import ValidationError
from sqlalchemy import Engine

from i18n import _
from i18n.validation import describe
from intake.sources.common import SourceBase, SourceStatus
from intake.sources.folder import Folder, FolderConfig
from intake.sources.wso2_log import Wso2Log, Wso2LogConfig
from intake.sources.xroad_opmon import XroadOpmon, XroadOpmonConfig
from registry import Registry


class Reader(Protocol):
    """Reads once what is new: a coroutine for a reader on the event loop (network), else
    a plain function run in a worker thread."""

    def read(self) -> Any: ...


@dataclass(frozen=True)
class Kind:
    config: type[SourceBase]
    reader: Callable[[Any, Registry, Engine, SourceStatus], Reader]
    on_loop: bool  # `read` is a coroutine (network I/O); else it runs in a worker thread


KINDS: dict[str, Kind] = {
    "wso2-log": Kind(Wso2LogConfig, Wso2Log, on_loop=False),
    "xroad-opmon": Kind(XroadOpmonConfig, XroadOpmon, on_loop=True),
    "folder": Kind(FolderConfig, Folder, on_loop=False),
}


def parse_sources(value: Any) -> list[SourceBase]:
    """The `[[sources]]` entries, each checked by its kind's model; names unique."""
    if not isinstance(value, list):
        raise ValueError(_("must be a list of tables ([[sources]])"))
    found: list[SourceBase] = []
    for i, item in enumerate(value):
        if isinstance(item, SourceBase):
            found.append(item)
            continue
        kind = item.get("kind") if isinstance(item, dict) else None
        if kind not in KINDS:
            raise ValueError(
                f"[{i}].kind: "
                + _("must be one of {kinds}, not {kind!r}").format(
                    kinds=", ".join(KINDS), kind=kind
                )
            )
        try:
            found.append(KINDS[kind].config.model_validate(item))
        except ValidationError as e:
            first = e.errors(include_url=False)[0]
            key = ".".join(str(p) for p in first["loc"])
            raise ValueError(f"[{i}].{key}: {describe(first)}") from None
    names = [s.name for s in found]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(
            _("source names must be unique: {names}").format(names=", ".join(repeated))
        )
    return found


def kind_of(config: SourceBase) -> str:
    return str(config.kind)


__all__ = ["KINDS", "SourceBase", "SourceStatus", "kind_of", "parse_sources"]
