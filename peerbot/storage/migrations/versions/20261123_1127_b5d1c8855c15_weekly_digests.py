"""digests: one row per weekly digest due time (posted, or before the program began)

Revision ID: b5d1c8855c15
Revises: 751c9c4141c8
Create Date: 2026-11-23 11:27:36.671294+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b5d1c8855c15"
down_revision: str | Sequence[str] | None = "751c9c4141c8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "digests",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digests")),
        sa.UniqueConstraint("due_at", name=op.f("uq_digests_due_at")),
    )


def downgrade() -> None:
    op.drop_table("digests")
