"""each pair's first success per source, kept beside its running totals

Revision ID: 0009_first_success_day
Revises: 0008_token_scope

A report asks, for every obligation, the first day it ever had a success: a GROUP BY
over the whole rollup (millions of rows after a year) before. The write path now keeps
that day in `pair_totals` (the earliest wins, so a record imported late moves it back);
this fills it once from the rollup of a store that already holds records.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0009_first_success_day"
down_revision: str | None = "0008_token_scope"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("pair_totals") as batch:
        batch.add_column(sa.Column("first_success_day", sa.Date(), nullable=True))
    op.execute(
        "UPDATE pair_totals SET first_success_day = (SELECT MIN(c.day) FROM daily_counts c"
        " WHERE c.department = pair_totals.department AND c.system = pair_totals.system"
        " AND c.source = pair_totals.source AND c.successes > 0)"
    )


def downgrade() -> None:
    with op.batch_alter_table("pair_totals") as batch:
        batch.drop_column("first_success_day")
