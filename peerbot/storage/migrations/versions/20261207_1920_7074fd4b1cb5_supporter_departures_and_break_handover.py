"""supporter_departures: a coordinator releasing or deactivating a supporter (the reason
encrypted); supporter_profiles.handed_over_at: a long break's participants handed over once

Revision ID: 7074fd4b1cb5
Revises: e3f1c9a4b2d7
Create Date: 2026-12-07 19:20:27.901998+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7074fd4b1cb5"
down_revision: str | Sequence[str] | None = "e3f1c9a4b2d7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "supporter_departures",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "person_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("how", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason_enc", sa.Text(), nullable=True),
        sa.Column(
            "asked_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["asked_by_id"],
            ["people.id"],
            name=op.f("fk_supporter_departures_asked_by_id_people"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_supporter_departures_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supporter_departures")),
    )
    with op.batch_alter_table("supporter_departures", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_supporter_departures_person_id"), ["person_id"], unique=False
        )

    with op.batch_alter_table("supporter_profiles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("handed_over_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("supporter_profiles", schema=None) as batch_op:
        batch_op.drop_column("handed_over_at")

    with op.batch_alter_table("supporter_departures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_supporter_departures_person_id"))

    op.drop_table("supporter_departures")
