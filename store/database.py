"""Opening the store: engines with the right settings, and schema migrations."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError

from i18n import _

MIGRATIONS = Path(__file__).parent / "migrations"
DEFAULT_URL = "sqlite:///lienthong.db"
# A PostgreSQL schema name as lienthong accepts it: plain, so it needs no quoting.
SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


class StoreError(Exception):
    """The store cannot be used as asked (unreachable, wrong schema version, bad URL)."""


# The package version that introduced each schema revision (a new migration adds its
# line). `db upgrade` writes the head's into the store (store_meta), so that an older
# lienthong, which cannot know a newer revision, can still say which version to install.
REVISION_VERSIONS = {
    "0001_initial_schema": "0.1.0",
    "0002_pair_totals": "0.1.0",
    "0003_push_tokens": "0.1.0",
    "0004_gateway_views": "0.1.0",
    "0005_excusals": "0.1.0",
    "0007_province": "0.1.0",
    "0008_token_scope": "0.1.0",
    "0009_first_success_day": "0.1.0",
    "0010_daily_counts_clustered": "0.1.0",
    "0011_platforms": "0.2.0",
    "0011_sources": "0.2.0",
}
NEEDS_KEY = "lienthong_for_schema"  # store_meta: "REVISION VERSION" of the schema's head


def _normalise(url: str) -> str:
    # A bare postgresql:// would pick psycopg2, which we do not install; psycopg 3 is ours.
    for bare in ("postgresql://", "postgres://"):
        if url.startswith(bare):
            return "postgresql+psycopg://" + url[len(bare) :]
    return url


def shown(url: str | Engine) -> str:
    """A database URL fit for messages: never with its password."""
    try:
        u = url.url if isinstance(url, Engine) else make_url(url)
        return u.render_as_string(hide_password=True)
    except ArgumentError:
        return "<invalid URL>"


def _schema_option(url: str) -> tuple[URL | str, dict[str, Any]]:
    """`?schema=NAME` of a PostgreSQL URL → the URL without it and the connect arguments.

    Every connection then works in that schema (its `search_path`): one database
    holds one schema per province, and no query of one province sees another's.
    """
    try:
        u = make_url(url)
    except ArgumentError:
        return url, {}
    schema = u.query.get("schema")
    if schema is None:
        return url, {}
    if not isinstance(schema, str) or SCHEMA_NAME.fullmatch(schema) is None:
        raise StoreError(
            _("database URL {url}: schema must be lower-case letters, digits and _").format(
                url=shown(url)
            )
        )
    if u.get_backend_name() != "postgresql":
        raise StoreError(
            _("database URL {url}: ?schema= is for PostgreSQL only").format(url=shown(url))
        )
    return u.difference_update_query(["schema"]), {"options": f"-c search_path={schema}"}


def create_store_engine(url: str) -> Engine:
    """An engine for the URL, with SQLite set up for one writer and many readers."""
    target, connect_args = _schema_option(_normalise(url))
    try:
        engine = create_engine(target, connect_args=connect_args)
    except (ArgumentError, ImportError) as e:
        raise StoreError(
            _("cannot use database URL {url}: {error}").format(url=shown(url), error=e)
        ) from None
    if engine.dialect.name == "sqlite":
        _tune_sqlite(engine)
    return engine


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own
        # implicit transactions start too late for a read-then-write).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # WAL with synchronous=NORMAL: a committed transaction survives the
        # process being killed; readers never wait for the writer.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        # 64 MiB of page cache (the default is 2 MiB): the idempotency index of a
        # large store is written all over, and a small cache halves import speed.
        cursor.execute("PRAGMA cache_size=-65536")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Writers take the write lock up front, so checking for duplicates and
        # inserting happen under one lock.
        immediate = conn.get_execution_options().get("lienthong_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _alembic(connection: Connection, province: tuple[str, str] | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    if province is not None:
        config.attributes["province"] = province  # read by 0007_province
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(_alembic_offline()).get_current_head()
    assert head is not None
    return head


def _alembic_offline() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(
    engine: Engine,
    province: tuple[str, str] | None = None,
    starting: Callable[[str | None, str], None] | None = None,
) -> tuple[str | None, str]:
    """Apply every pending migration; returns (revision before, revision after).

    `province` (code, name) claims a store that has no province yet for it; `starting`
    is told (before, after) when there is work to do, before it starts (a migration
    that copies a table takes minutes on a large store).
    """
    head = head_revision()
    with translated_errors(engine):
        if engine.dialect.name == "postgresql":
            _create_schema(engine)
        before = current_revision(engine)
        _refuse_newer(engine, before, head)
        if starting is not None and before != head:
            starting(before, head)
        with engine.begin() as conn:
            command.upgrade(_alembic(conn, province), "head")
            _write_needs(conn, head)
    return before, head


def _package_version() -> str:
    try:
        return metadata.version("lienthong")
    except metadata.PackageNotFoundError:
        return "0.0.0"


def _write_needs(conn: Connection, head: str) -> None:
    """Record which lienthong this schema needs, for older ones to name it."""
    needs = f"{head} {REVISION_VERSIONS.get(head, _package_version())}"
    conn.execute(text("DELETE FROM store_meta WHERE key = :key"), {"key": NEEDS_KEY})
    conn.execute(
        text("INSERT INTO store_meta (key, value) VALUES (:key, :value)"),
        {"key": NEEDS_KEY, "value": needs},
    )


def known_revisions() -> set[str]:
    return {s.revision for s in ScriptDirectory.from_config(_alembic_offline()).walk_revisions()}


def _refuse_newer(engine: Engine, revision: str | None, head: str) -> None:
    """A store whose schema this lienthong does not know (a newer one wrote it): one line
    naming both schemas and the version to install, before anything touches it."""
    if revision is None or revision in known_revisions():
        return
    with engine.connect() as conn:
        try:
            row = conn.execute(
                text("SELECT value FROM store_meta WHERE key = :key"), {"key": NEEDS_KEY}
            ).scalar_one_or_none()
        except SQLAlchemyError:
            row = None
    if row is not None and str(row).startswith(revision + " "):
        wanted = str(row).split(" ", 1)[1]
    else:  # written by a lienthong from before NEEDS_KEY
        wanted = _("the release with schema {revision}").format(revision=revision)
    raise StoreError(
        _(
            "database {url} is at schema {revision}, newer than this lienthong ({version},"
            " schema {head}): install lienthong ≥ {wanted}"
        ).format(
            url=shown(engine),
            revision=revision,
            version=_package_version(),
            head=head,
            wanted=wanted,
        )
    )


def _create_schema(engine: Engine) -> None:
    """Create the province's schema (the first of the search path) if it is missing."""
    with engine.begin() as conn:
        path = conn.exec_driver_sql("SHOW search_path").scalar_one()
        first = str(path).split(",")[0].strip().strip('"')
        if SCHEMA_NAME.fullmatch(first):
            conn.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {first}")


@contextmanager
def translated_errors(url: str | Engine) -> Iterator[None]:
    """Database failures as one-line StoreErrors (without the password)."""
    try:
        yield
    except OperationalError as e:
        raise StoreError(
            _("cannot open database {url}: {error}").format(url=shown(url), error=first_line(e))
        ) from None
    except SQLAlchemyError as e:
        raise StoreError(
            _("database {url}: {error}").format(url=shown(url), error=first_line(e))
        ) from None


def sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL names (None for another database or an in-memory one)."""
    try:
        u = make_url(_normalise(url))
    except ArgumentError:
        return None
    if u.get_backend_name() != "sqlite" or u.database in (None, "", ":memory:"):
        return None
    return Path(u.database)


def open_store(url: str = DEFAULT_URL, *, create: bool = True) -> Engine:
    """An engine on a store whose schema is current.

    An empty SQLite file is set up on first use; any other store must be
    brought up to date with `lienthong db upgrade`. With `create=False` (the
    commands but `db upgrade`, `serve`, `demo` and `ingest`) a missing SQLite file is an
    error, and none is created: a mistyped `--db` must not read as an empty month.
    """
    path = sqlite_file(url)
    if not create and path is not None and not path.exists():
        raise StoreError(
            _(
                "no database at {path}: give the service's with --config or --db"
                " (`lienthong db upgrade` creates one)"
            ).format(path=path.resolve())
        )
    engine = create_store_engine(url)
    try:
        with translated_errors(url):
            revision = current_revision(engine)
            empty = revision is None and not inspect(engine).get_table_names()
            if empty and engine.dialect.name == "sqlite":
                upgrade(engine)
                return engine
    except StoreError:
        engine.dispose()
        raise
    head = head_revision()
    try:
        with translated_errors(url):
            _refuse_newer(engine, revision, head)
    except StoreError:
        engine.dispose()
        raise
    if revision != head:
        engine.dispose()
        message = (
            _("database {url} has no lienthong schema; this lienthong needs {head}: run {command}")
            if revision is None
            else _(
                "database {url} is at schema {revision}; this lienthong needs {head}: run {command}"
            )
        )
        raise StoreError(
            message.format(
                url=shown(url),
                revision=revision,
                head=head,
                command=f"`lienthong db upgrade --db {shown(url)}`",
            )
        )
    return engine


def first_line(e: BaseException) -> str:
    """An error in one line: for a database error, the driver's own message.

    The one helper for every log line and message about a database error (and
    any other error shown in one line); an empty message is the exception's
    name, never an IndexError in a loop that must keep running.
    """
    text = str(getattr(e, "orig", None) or e).strip()
    return text.splitlines()[0] if text else type(e).__name__
