"""support_requests: why a request is held for a coordinator (hold_reasons), and the "we are
still looking" messages sent to someone waiting (count, next due)

Revision ID: 1fa5d09ac551
Revises: c4e8a2f61b93
Create Date: 2026-12-07 19:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "1fa5d09ac551"
down_revision: str | Sequence[str] | None = "c4e8a2f61b93"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("support_requests", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("hold_reasons", sa.JSON(), server_default="[]", nullable=False)
        )
        batch_op.add_column(
            sa.Column("still_looking_sent", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("still_looking_due_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(
            batch_op.f("ix_support_requests_still_looking_due_at"),
            ["still_looking_due_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("support_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_support_requests_still_looking_due_at"))
        batch_op.drop_column("still_looking_due_at")
        batch_op.drop_column("still_looking_sent")
        batch_op.drop_column("hold_reasons")
