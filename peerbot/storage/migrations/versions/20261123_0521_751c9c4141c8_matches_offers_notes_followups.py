"""matches: offers, ranks and endings; contact note details; follow-ups; usernames

Revision ID: 751c9c4141c8
Revises: 3f226ab73e7d
Create Date: 2026-11-23 05:21:23.697564+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "751c9c4141c8"
down_revision: str | Sequence[str] | None = "3f226ab73e7d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "match_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
            )
        )
        batch_op.create_index(batch_op.f("ix_checkins_match_id"), ["match_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_checkins_match_id_matches"),
            "matches",
            ["match_id"],
            ["id"],
            ondelete="CASCADE",
        )

    with op.batch_alter_table("contact_notes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("format", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("topics", sa.JSON(), server_default="[]", nullable=False))
        batch_op.add_column(sa.Column("concerns", sa.JSON(), server_default="[]", nullable=False))

    with op.batch_alter_table("matches", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rank", sa.SmallInteger(), nullable=True))
        batch_op.add_column(
            sa.Column("offer_expires_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("decline_reason", sa.String(length=32), nullable=True))
        batch_op.add_column(
            sa.Column(
                "ended_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
            )
        )
        batch_op.create_index(
            batch_op.f("ix_matches_offer_expires_at"), ["offer_expires_at"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_matches_ended_by_id_people"),
            "people",
            ["ended_by_id"],
            ["id"],
            ondelete="SET NULL",
        )

    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("username_enc", sa.Text(), nullable=True))

    with op.batch_alter_table("supporter_profiles", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("availability", sa.JSON(), server_default="[]", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("supporter_profiles", schema=None) as batch_op:
        batch_op.drop_column("availability")

    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_column("username_enc")

    with op.batch_alter_table("matches", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_matches_ended_by_id_people"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_matches_offer_expires_at"))
        batch_op.drop_column("ended_by_id")
        batch_op.drop_column("decline_reason")
        batch_op.drop_column("offer_expires_at")
        batch_op.drop_column("rank")

    with op.batch_alter_table("contact_notes", schema=None) as batch_op:
        batch_op.drop_column("concerns")
        batch_op.drop_column("topics")
        batch_op.drop_column("format")

    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_checkins_match_id_matches"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_checkins_match_id"))
        batch_op.drop_column("match_id")
