"""consents.promises: the follow-up prompts a participation consent's text promised; earlier
consents (null) were given on a text that promised none

Revision ID: e3f1c9a4b2d7
Revises: 1fa5d09ac551
Create Date: 2026-12-07 19:10:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e3f1c9a4b2d7"
down_revision: str | Sequence[str] | None = "1fa5d09ac551"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("promises", sa.JSON(none_as_null=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.drop_column("promises")
