"""supporters: profile details, breaks, check-in reminders, invite notes

Revision ID: 3f226ab73e7d
Revises: 502a5f75c334
Create Date: 2026-11-23 04:59:34.680505+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3f226ab73e7d"
down_revision: str | Sequence[str] | None = "502a5f75c334"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table("invites", schema=None) as batch_op:
        batch_op.add_column(sa.Column("note_enc", sa.Text(), nullable=True))

    with op.batch_alter_table("supporter_profiles", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("break_started_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("checkin_weekday", sa.String(length=3), server_default="mon", nullable=False)
        )
        batch_op.add_column(sa.Column("age_band", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("gender", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("region_enc", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("formats", sa.JSON(), server_default="[]", nullable=False))
        batch_op.add_column(
            sa.Column("training", sa.String(length=16), server_default="not_yet", nullable=False)
        )
        batch_op.add_column(
            sa.Column("training_confirmed_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "training_confirmed_by_id",
                sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                nullable=True,
            )
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_supporter_profiles_training_confirmed_by_id_people"),
            "people",
            ["training_confirmed_by_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("supporter_profiles", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_supporter_profiles_training_confirmed_by_id_people"), type_="foreignkey"
        )
        batch_op.drop_column("training_confirmed_by_id")
        batch_op.drop_column("training_confirmed_at")
        batch_op.drop_column("training")
        batch_op.drop_column("formats")
        batch_op.drop_column("region_enc")
        batch_op.drop_column("gender")
        batch_op.drop_column("age_band")
        batch_op.drop_column("checkin_weekday")
        batch_op.drop_column("break_started_at")

    with op.batch_alter_table("invites", schema=None) as batch_op:
        batch_op.drop_column("note_enc")

    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.drop_column("reminded_at")
