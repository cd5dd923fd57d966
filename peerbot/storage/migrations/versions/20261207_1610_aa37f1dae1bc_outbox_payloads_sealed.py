"""outbox payloads sealed: payload becomes payload_enc (ciphertext), emptied once finished

Rows already sent or failed lose their payload here (forum topic names excepted: a case's
pseudonym and severity, read back to tell whether a topic needs renaming). Rows still pending
keep their plain JSON until they are sent, which empties them: the key is not at hand in a
migration, and the sealed column's type reads such a row.

Revision ID: aa37f1dae1bc
Revises: b7d3e5a91c42
Create Date: 2026-12-07 16:10:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "aa37f1dae1bc"
down_revision: str | Sequence[str] | None = "b7d3e5a91c42"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEPT = "('createForumTopic', 'editForumTopic')"


def upgrade() -> None:
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.alter_column(
            "payload",
            new_column_name="payload_enc",
            existing_type=sa.JSON(),
            type_=sa.Text(),
            nullable=True,
            postgresql_using="payload::text",
        )
    op.execute(
        "UPDATE outbox_messages SET payload_enc = NULL "
        f"WHERE status IN ('sent', 'failed') AND method NOT IN {KEPT}"
    )


def downgrade() -> None:
    # a sealed payload cannot become JSON without the key: such rows come back empty
    op.execute(
        "UPDATE outbox_messages SET payload_enc = '{}' "
        "WHERE payload_enc IS NULL OR payload_enc NOT LIKE '{%'"
    )
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.alter_column(
            "payload_enc",
            new_column_name="payload",
            existing_type=sa.Text(),
            type_=sa.JSON(),
            nullable=False,
            postgresql_using="payload_enc::json",
        )
