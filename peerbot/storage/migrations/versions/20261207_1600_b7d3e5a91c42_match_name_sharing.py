"""matches.participant_shares_name, supporter_shares_name: each side's answer to giving the
other their Telegram name, asked at the introduction

Revision ID: b7d3e5a91c42
Revises: 37bc388f2bd9
Create Date: 2026-12-07 16:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b7d3e5a91c42"
down_revision: str | Sequence[str] | None = "37bc388f2bd9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("matches", schema=None) as batch_op:
        batch_op.add_column(sa.Column("participant_shares_name", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("supporter_shares_name", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("matches", schema=None) as batch_op:
        batch_op.drop_column("supporter_shares_name")
        batch_op.drop_column("participant_shares_name")
