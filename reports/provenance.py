"""What a report was made from, said on the report itself: registry, database, software.

Said to a person in their language (the annex "Phương pháp và nguồn số liệu"): no URL, no
hash algorithm's name, no package name in the Vietnamese document.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import metadata

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from i18n import Lang, gettext_in
from registry import resolve
from registry.loader import BUNDLED, DEFAULT_REGISTRY
from store.database import shown


@dataclass(frozen=True)
class Provenance:
    registry: str  # the registry as named (a bundled name or files)
    database: str  # the URL, never with its password
    software: str  # lienthong's version
    files: tuple[str, ...] = ()  # the registry's files
    digest: str = ""  # of the files' content (the first 12 hex digits of SHA-256)
    bundled: bool = False  # the registry shipped with lienthong

    def registry_text(self, lang: Lang) -> str:
        """Which registry, in words: "bộ sổ đăng ký kèm theo phần mềm “bac-ninh” (tệp: …)"."""
        if self.bundled:
            shown = gettext_in(lang, "the registry shipped with the software, “{name}”")
        else:
            shown = "“{name}”"
        shown = shown.format(name=self.registry)
        if self.files:
            shown += gettext_in(lang, " (files: {files})").format(files=", ".join(self.files))
        return shown

    def lines(self, lang: Lang) -> list[str]:
        """Registry, its fingerprint, database, software: one sentence each, in `lang`."""
        found = [
            gettext_in(lang, "Registry: {registry}.").format(registry=self.registry_text(lang))
        ]
        if self.digest:
            found.append(
                gettext_in(
                    lang,
                    "Fingerprint of the registry's content (to check that it has not changed):"
                    " {digest}.",
                ).format(digest=self.digest)
            )
        found.append(
            gettext_in(lang, "Database: {database}.").format(
                database=database_text(self.database, lang)
            )
        )
        found.append(gettext_in(lang, "Software: {software}.").format(software=self.software))
        return found


def database_text(url: str, lang: Lang) -> str:
    """The database as a person names it: a SQLite file, or a PostgreSQL database on a host."""
    try:
        u = make_url(url)
    except ArgumentError:
        return url
    if u.get_backend_name() == "sqlite":
        return gettext_in(lang, "the SQLite file {path}").format(
            path=u.database or gettext_in(lang, "(in memory)")
        )
    if u.get_backend_name() == "postgresql":
        host = u.host or "localhost"
        if u.port:
            host += f":{u.port}"
        return gettext_in(lang, "PostgreSQL database “{name}” on {host}").format(
            name=u.database or "", host=host
        )
    return u.get_backend_name()


def software_version() -> str:
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
    return Provenance(
        registry=registry_spec or DEFAULT_REGISTRY,
        database=shown(database_url),
        software=software_version(),
        files=tuple(names),
        digest=digest.hexdigest()[:12],
        bundled=all(f.is_relative_to(BUNDLED) for f in files),
    )
