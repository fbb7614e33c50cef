"""each store belongs to one province (claim an existing store); read tokens for reports

Revision ID: 0007_province
Revises: 0003_push_tokens

The province key is the store itself, not a column: on PostgreSQL each province
has its own schema (`postgresql://…/DB?schema=NAME`; `lienthong db upgrade`
creates it), on SQLite its own file; `store_meta` records the province
(`province_code`, `province_name`) and every command that brings a registry to
the store refuses another province's (store/province.py).

A new table therefore needs nothing for provinces: created by its migration
like any other, it lands in the province's schema and holds only that
province's rows. It must only avoid naming a schema, and the advisory locks
of store/leadership.py already carry the province in their keys.

An existing store gets its province here when `lienthong db upgrade` is given
the province's registry (`--registry` or LIENTHONG_REGISTRY); otherwise the
first instance that brings its registry claims it.

Also: `push_tokens.kind`, "push" for every token so far or "read" for the
reports API (`GET /api/v1/reports/YYYY-MM`, `tokens issue --read-reports`).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op


revision: str = "0007_province"
down_revision: str | None = "0003_push_tokens"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

META = sa.table("store_meta", sa.column("key", sa.String), sa.column("value", sa.Text))


def upgrade() -> None:
    # A token's kind: "push" (every token issued so far) or "read" (the reports API).
    with op.batch_alter_table("push_tokens", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=8), nullable=False, server_default="push")
        )
    province = context.config.attributes.get("province")
    if province is None:
        return
    code, name = province
    claimed = op.get_bind().execute(
        sa.select(META.c.value).where(META.c.key == "province_code")
    ).scalar_one_or_none()
    if claimed is None:
        op.bulk_insert(
            META, [{"key": "province_code", "value": code}, {"key": "province_name", "value": name}]
        )


def downgrade() -> None:
    with op.batch_alter_table("push_tokens", schema=None) as batch_op:
        batch_op.drop_column("kind")
    op.execute(META.delete().where(META.c.key.in_(("province_code", "province_name"))))
