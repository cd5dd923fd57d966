"""claimed escalations are chased (reminders sent, last at); people.country picks crisis lines

Revision ID: 7e2b9c41d5a8
Revises: c4e1a7d2b9f0
Create Date: 2026-12-07 03:25:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7e2b9c41d5a8"
down_revision: str | Sequence[str] | None = "c4e1a7d2b9f0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("claimed_reminders_sent", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("claimed_reminded_at", sa.DateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("country", sa.String(length=2), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_column("country")
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.drop_column("claimed_reminded_at")
        batch_op.drop_column("claimed_reminders_sent")
