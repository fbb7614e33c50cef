"""pair totals for the metrics, and an index on the rollup's day

Revision ID: 0002_pair_totals
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0002_pair_totals"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pair_totals",
        sa.Column("department", sa.String(length=64), nullable=False),
        sa.Column("system", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("successes", sa.BigInteger(), nullable=False),
        sa.Column("failures", sa.BigInteger(), nullable=False),
        sa.Column("last_success_us", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("department", "system", "source", name=op.f("pk_pair_totals")),
    )
    with op.batch_alter_table("daily_counts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_daily_counts_day"), ["day"], unique=False)
    # A store that already holds records starts with its totals right.
    op.execute(
        "INSERT INTO pair_totals (department, system, source, successes, failures,"
        " last_success_us) SELECT department, system, source, SUM(successes), SUM(failures),"
        " MAX(last_success_us) FROM daily_counts GROUP BY department, system, source"
    )


def downgrade() -> None:
    with op.batch_alter_table("daily_counts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_daily_counts_day"))
    op.drop_table("pair_totals")
