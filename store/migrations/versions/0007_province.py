"""each store belongs to one province (claim an existing store)

Revision ID: 0007_province
Revises: 0005_excusals

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

Read tokens for the reports API are a token scope (0008_token_scope).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op


revision: str = "0007_province"
down_revision: str | None = "0005_excusals"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

META = sa.table("store_meta", sa.column("key", sa.String), sa.column("value", sa.Text))


def upgrade() -> None:
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
    op.execute(META.delete().where(META.c.key.in_(("province_code", "province_name"))))
