"""SQLite: the rollup stored in its primary key's order (WITHOUT ROWID)

Revision ID: 0010_daily_counts_clustered
Revises: 0009_first_success_day

A report reads each pair's month as one range of the rollup's primary key (department,
system, day, source). In a rowid table that range is found in the key's index, and each
of its rows then looked up again in the table, where rows lie in the order they were
first written: a pair's days, written a day apart, each on another page. Stored
WITHOUT ROWID, the table is that index: a pair's month is a few adjacent pages (the
report's read of 30,000 pairs, 0.52-0.70 s before, 0.34-0.39 s after, on the bench's
store of 10 M records). PostgreSQL is left as it is.

The table is copied once, in one transaction (85 s for the bench's 10 M rows).
"""

from collections.abc import Sequence

from alembic import op


revision: str = "0010_daily_counts_clustered"
down_revision: str | None = "0009_first_success_day"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _recreate(with_rowid: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table(
        "daily_counts", recreate="always", table_kwargs={"sqlite_with_rowid": with_rowid}
    ):
        pass


def upgrade() -> None:
    _recreate(with_rowid=False)


def downgrade() -> None:
    _recreate(with_rowid=True)
