"""WSO2 API contexts learned from response events; X-Road records awaiting the client's view

Revision ID: 0004_gateway_views
Revises: 0003_push_tokens
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0004_gateway_views"
down_revision: str | None = "0003_push_tokens"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "wso2_api_contexts",
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("key", sa.String(length=512), nullable=False),
        sa.Column("context", sa.Text(), nullable=False),
        sa.Column("seen_us", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "key", name=op.f("pk_wso2_api_contexts")),
    )
    op.create_table(
        "provisional_records",
        sa.Column("record_id", sa.String(length=128), nullable=False),
        sa.Column("department", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("record_id", "department", name=op.f("pk_provisional_records")),
    )


def downgrade() -> None:
    op.drop_table("provisional_records")
    op.drop_table("wso2_api_contexts")
