"""push-API tokens, kept only as SHA-256 hashes

Revision ID: 0003_push_tokens
Revises: 0002_pair_totals
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0003_push_tokens"
down_revision: str | None = "0002_pair_totals"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "push_tokens",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("department", sa.String(length=64), nullable=True),
        sa.Column("label", sa.Text(), nullable=True),
        sa.Column("created_us", sa.BigInteger(), nullable=False),
        sa.Column("revoked_us", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_push_tokens")),
        sa.UniqueConstraint("sha256", name=op.f("uq_push_tokens_sha256")),
    )


def downgrade() -> None:
    op.drop_table("push_tokens")
