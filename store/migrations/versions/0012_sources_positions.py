"""where each source running inside `serve` has read to

Revision ID: 0011_sources
Revises: 0011_platforms

A followed log's file and offset, an X-Road server's next `recordsFrom`, a drop
folder's last file: written in the same transaction as the records they cover.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0011_sources"
down_revision: str | None = "0011_platforms"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "source_positions",
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("position", sa.Text(), nullable=True),
        sa.Column("committed_us", sa.BigInteger(), nullable=True),
        sa.Column("last_read_us", sa.BigInteger(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("error_us", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("source", name="pk_source_positions"),
    )


def downgrade() -> None:
    op.drop_table("source_positions")
