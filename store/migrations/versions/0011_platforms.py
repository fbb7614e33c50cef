"""Records say which platform carried them (contract 1.2)

Revision ID: 0011_platforms
Revises: 0010_daily_counts_clustered

`transactions.platform` (lgsp, ndxp, ndop, vdxp, other; NULL when a record did not say),
and `daily_platforms`, the successes per pair, local day, source and platform that the
reports' `platforms` read. Records stored before carry no platform: nothing to fill in.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_platforms"
down_revision: str | None = "0010_daily_counts_clustered"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("transactions", sa.Column("platform", sa.String(8), nullable=True))
    op.create_table(
        "daily_platforms",
        sa.Column("department", sa.String(64), nullable=False),
        sa.Column("system", sa.String(64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("platform", sa.String(8), nullable=False),
        sa.Column("successes", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "department", "system", "day", "source", "platform", name="pk_daily_platforms"
        ),
    )


def downgrade() -> None:
    op.drop_table("daily_platforms")
    with op.batch_alter_table("transactions") as batch:
        batch.drop_column("platform")
