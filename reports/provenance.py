"""What a report was made from, said on the report itself: registry, database, software."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import metadata

from registry import resolve
from registry.loader import BUNDLED, DEFAULT_REGISTRY
from store.database import shown


@dataclass(frozen=True)
class Provenance:
    registry: str  # which files, with a digest of their content
    database: str  # the URL, never with its password
    software: str  # lienthong's version (the calendar is its own data: see calendar_note)


def software_versions() -> str:
    try:
        version = metadata.version("lienthong")
    except metadata.PackageNotFoundError:
        version = "unknown"
    return f"lienthong {version}"


def provenance(registry_spec: str | None, database_url: str) -> Provenance:
    """Describe the registry files a `--registry` value names, and the database."""
    files = resolve(registry_spec)
    digest = hashlib.sha256()
    for f in files:
        digest.update(f.read_bytes())
    names = [str(f.relative_to(BUNDLED)) if f.is_relative_to(BUNDLED) else str(f) for f in files]
    spec = registry_spec or DEFAULT_REGISTRY
    kind = "bundled " if all(f.is_relative_to(BUNDLED) for f in files) else ""
    return Provenance(
        registry=f"{kind}{spec} ({', '.join(names)}; sha256 {digest.hexdigest()[:12]})",
        database=shown(database_url),
        software=software_versions(),
    )
