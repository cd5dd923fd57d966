"""processed_updates as the replicas' inbox: chat_id for per-chat order, a lease per row

Revision ID: 90adcc67c13a
Revises: b5d1c8855c15
Create Date: 2026-11-23 12:16:17.393219+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "90adcc67c13a"
down_revision: str | Sequence[str] | None = "b5d1c8855c15"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("processed_updates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chat_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=64), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_processed_updates_chat_id_update_id"),
            ["chat_id", "update_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("processed_updates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_processed_updates_chat_id_update_id"))
        batch_op.drop_column("claimed_by")
        batch_op.drop_column("claimed_until")
        batch_op.drop_column("chat_id")
