"""escalations.cause_key: a red flag's cause (update or edited message), raised once

Revision ID: c4e1a7d2b9f0
Revises: 90adcc67c13a
Create Date: 2026-12-07 03:10:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c4e1a7d2b9f0"
down_revision: str | Sequence[str] | None = "90adcc67c13a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cause_key", sa.String(length=96), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_escalations_cause_key"), ["cause_key"])


def downgrade() -> None:
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_escalations_cause_key"), type_="unique")
        batch_op.drop_column("cause_key")
