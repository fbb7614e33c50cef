"""The tables. Times are integers (microseconds since the Unix epoch, UTC) so that
SQLite and PostgreSQL store and compare them the same way."""

from __future__ import annotations

from datetime import date

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# SQLite only auto-increments an INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer, "sqlite")

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class DepartmentRow(Base):
    """A copy of the registry's departments, synced on use, for people querying SQL."""

    __tablename__ = "departments"
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    since: Mapped[date | None] = mapped_column(Date)
    until: Mapped[date | None] = mapped_column(Date)
    merged_into: Mapped[str | None] = mapped_column(String(64))


class SystemRow(Base):
    __tablename__ = "systems"
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(Text)
    since: Mapped[date | None] = mapped_column(Date)
    until: Mapped[date | None] = mapped_column(Date)
    merged_into: Mapped[str | None] = mapped_column(String(64))


class ObligationRow(Base):
    __tablename__ = "obligations"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    department: Mapped[str] = mapped_column(String(64))
    system: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    basis: Mapped[str] = mapped_column(Text)
    since: Mapped[date | None] = mapped_column(Date)
    until: Mapped[date | None] = mapped_column(Date)
    min_daily_successes: Mapped[int] = mapped_column(Integer)
    target_ratio: Mapped[float] = mapped_column(Float)
    derived: Mapped[bool] = mapped_column(Boolean)


class TransactionRow(Base):
    """One transaction record, whatever its source. `record_id` is the record's
    idempotency key (`id` in the contract), unique per department."""

    __tablename__ = "transactions"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    department: Mapped[str] = mapped_column(String(64))
    system: Mapped[str] = mapped_column(String(64))
    ts_us: Mapped[int] = mapped_column(BigInteger)
    success: Mapped[bool] = mapped_column(Boolean)
    latency_ms: Mapped[float | None] = mapped_column(Float)
    record_id: Mapped[str | None] = mapped_column(String(128))
    source: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str | None] = mapped_column(Text)
    received_us: Mapped[int] = mapped_column(BigInteger)
    # The data-sharing platform that carried it, when the record said (contract 1.2).
    platform: Mapped[str | None] = mapped_column(String(8))

    # Only the idempotency index: every read goes through the rollup, and each
    # further index would slow the import of every record.
    __table_args__ = (UniqueConstraint("department", "record_id"),)


class DailyCount(Base):
    """The rollup reports and metrics read: counts per obligation pair, local day and source.

    Kept in step with `transactions` by the write path, in the same database
    transaction. `day` is the local date in the registry's timezone, recorded
    in `store_meta` as `rollup_timezone`.
    """

    __tablename__ = "daily_counts"
    department: Mapped[str] = mapped_column(String(64), primary_key=True)
    system: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    source: Mapped[str] = mapped_column(String(16), primary_key=True)
    successes: Mapped[int] = mapped_column(BigInteger, default=0)
    failures: Mapped[int] = mapped_column(BigInteger, default=0)
    first_success_us: Mapped[int | None] = mapped_column(BigInteger)
    last_success_us: Mapped[int | None] = mapped_column(BigInteger)

    # The metrics read today's rows often: without it, a scan of every day ever. SQLite
    # stores the rows in the primary key's order (migration 0010): a report reads each
    # pair's month as one range of it.
    __table_args__ = (Index(None, "day"), {"sqlite_with_rowid": False})


class DailyPlatform(Base):
    """Successes per obligation pair, local day, source and the platform that carried them.

    Only records that name their platform are counted here (most do not): the reports'
    `platforms` read it beside `daily_counts`, kept in step by the same write path in the
    same database transaction.
    """

    __tablename__ = "daily_platforms"
    department: Mapped[str] = mapped_column(String(64), primary_key=True)
    system: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    source: Mapped[str] = mapped_column(String(16), primary_key=True)
    platform: Mapped[str] = mapped_column(String(8), primary_key=True)
    successes: Mapped[int] = mapped_column(BigInteger, default=0)


class PairTotal(Base):
    """All-time counts per obligation pair and source, for the metrics' running counters
    and the reports' first successes.

    Kept by the write path in the same database transaction as the records, so
    a scrape reads one small row per pair instead of summing the daily rollup.
    """

    __tablename__ = "pair_totals"
    department: Mapped[str] = mapped_column(String(64), primary_key=True)
    system: Mapped[str] = mapped_column(String(64), primary_key=True)
    source: Mapped[str] = mapped_column(String(16), primary_key=True)
    successes: Mapped[int] = mapped_column(BigInteger, default=0)
    failures: Mapped[int] = mapped_column(BigInteger, default=0)
    last_success_us: Mapped[int | None] = mapped_column(BigInteger)
    # The first local day with a success (the earliest ever written, a late import's
    # too): a report's `connect` figures read it instead of scanning the whole rollup.
    first_success_day: Mapped[date | None] = mapped_column(Date)


class PushToken(Base):
    """A push-API token: only its SHA-256 is kept, with a short prefix to tell tokens apart.

    `department` is the one department the token may submit records for; NULL
    means every department (the provincial gateway operator's token).
    """

    __tablename__ = "push_tokens"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    prefix: Mapped[str] = mapped_column(String(16))
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    department: Mapped[str | None] = mapped_column(String(64))
    label: Mapped[str | None] = mapped_column(Text)
    created_us: Mapped[int] = mapped_column(BigInteger)
    revoked_us: Mapped[int | None] = mapped_column(BigInteger)
    # push (records and explanations), explain (the department page's sign-in only) or
    # read (GET /api/v1/reports/…: the ministry's collector, never pushes)
    scope: Mapped[str] = mapped_column(String(16), default="push", server_default="push")


class Wso2ApiContext(Base):
    """What a WSO2 gateway's response events taught: the context of an API id or name.

    `apim:faulty` events carry no `apiContext`, only `apiId`, `apiName` and
    `apiVersion`: kept here, a fault maps to its system across imports and
    rotated files. `kind` is `id` (key: apiId) or `name` (key: apiName, a tab,
    apiVersion).
    """

    __tablename__ = "wso2_api_contexts"
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    key: Mapped[str] = mapped_column(String(512), primary_key=True)
    context: Mapped[str] = mapped_column(Text)
    seen_us: Mapped[int] = mapped_column(BigInteger)


class ProvisionalRecord(Base):
    """A stored record that a better view of the same exchange replaces when it arrives.

    An X-Road exchange seen only from the producer's security server is stored
    from the producer's view and listed here; the client's record arriving
    later (another file, another day) replaces it, rollup and totals adjusted,
    and the listing ends. Keyed by record id first: the writer looks its
    duplicates up by id.
    """

    __tablename__ = "provisional_records"
    record_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    department: Mapped[str] = mapped_column(String(64), primary_key=True)


class ExcusalRow(Base):
    """Days on which a department's (or, with no department, every department's) missed
    days towards a system were not its fault; only an approved one changes a figure.

    The life of an excusal is one line (proposed, then approved or rejected, an
    approved one perhaps withdrawn later), so each step's author, time and reason
    has its own columns: nothing is ever overwritten or deleted.
    """

    __tablename__ = "excusals"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    system: Mapped[str] = mapped_column(String(64))
    department: Mapped[str | None] = mapped_column(String(64))  # None: every department
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16))
    origin: Mapped[str] = mapped_column(String(16))  # cli, api (a department's), detect
    evidence: Mapped[str | None] = mapped_column(Text)  # JSON: what a detected proposal saw
    proposed_by: Mapped[str] = mapped_column(Text)
    proposed_us: Mapped[int] = mapped_column(BigInteger)
    decided_by: Mapped[str | None] = mapped_column(Text)
    decided_us: Mapped[int | None] = mapped_column(BigInteger)
    decision_reason: Mapped[str | None] = mapped_column(Text)
    withdrawn_by: Mapped[str | None] = mapped_column(Text)
    withdrawn_us: Mapped[int | None] = mapped_column(BigInteger)
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)


class SourcePosition(Base):
    """Where a source running inside `serve` has read to, and how its last read went.

    `position` (JSON: a followed file's identity and offset, X-Road's next
    `recordsFrom`, a drop folder's last file) is written in the same database
    transaction as the records it covers, so a restart, even after kill -9,
    neither loses nor repeats a record.
    """

    __tablename__ = "source_positions"
    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    position: Mapped[str | None] = mapped_column(Text)
    committed_us: Mapped[int | None] = mapped_column(BigInteger)  # the position's last commit
    last_read_us: Mapped[int | None] = mapped_column(BigInteger)  # the last successful read
    last_error: Mapped[str | None] = mapped_column(Text)  # None while the source is up
    error_us: Mapped[int | None] = mapped_column(BigInteger)


class StoreMeta(Base):
    __tablename__ = "store_meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


metadata = Base.metadata
transactions = metadata.tables["transactions"]
daily_counts = metadata.tables["daily_counts"]
daily_platforms = metadata.tables["daily_platforms"]
pair_totals = metadata.tables["pair_totals"]
store_meta = metadata.tables["store_meta"]
push_tokens = metadata.tables["push_tokens"]
wso2_api_contexts = metadata.tables["wso2_api_contexts"]
provisional_records = metadata.tables["provisional_records"]
excusals = metadata.tables["excusals"]
source_positions = metadata.tables["source_positions"]
