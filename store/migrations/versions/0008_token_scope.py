"""token scopes: push (as before), explain (sign in and file explanations only), read (reports)

Revision ID: 0008_token_scope
Revises: 0007_province
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0008_token_scope"
down_revision: str | None = "0007_province"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Every token issued before scopes existed pushes, as it did.
    with op.batch_alter_table("push_tokens") as batch:
        batch.add_column(
            sa.Column("scope", sa.String(length=16), server_default="push", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("push_tokens") as batch:
        batch.drop_column("scope")
