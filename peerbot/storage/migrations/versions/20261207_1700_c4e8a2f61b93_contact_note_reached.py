"""contact_notes.reached: false when the supporter tried to reach the participant and
could not; earlier notes were all real contacts

Revision ID: c4e8a2f61b93
Revises: aa37f1dae1bc
Create Date: 2026-12-07 17:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c4e8a2f61b93"
down_revision: str | Sequence[str] | None = "aa37f1dae1bc"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("contact_notes", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reached", sa.Boolean(), server_default=sa.true(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("contact_notes", schema=None) as batch_op:
        batch_op.drop_column("reached")
