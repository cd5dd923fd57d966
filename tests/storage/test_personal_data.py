"""The personal-data inventory covers every column that looks personal, and says it coherently."""

from __future__ import annotations

from sqlalchemy import Column, Text

from peerbot.storage import personal_data
from peerbot.storage.models import Base
from peerbot.storage.personal_data import Erasure

LOOKS_PERSONAL = ("note", "name", "telegram", "text", "chat_id")


def looks_personal(column: Column) -> bool:
    """Encrypted (free text lives only in ``*_enc`` Text columns) or named like personal data."""
    return (
        column.name.endswith("_enc")
        or isinstance(column.type, Text)
        or any(word in column.name for word in LOOKS_PERSONAL)
    )


def test_every_column_that_looks_personal_is_listed_or_declared_not_personal():
    listed = {entry.place for entry in personal_data.columns()}
    suspects = {
        f"{table.name}.{column.name}"
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if looks_personal(column)
    }
    assert "people.display_name_enc" in suspects and "outbox_messages.chat_id" in suspects
    assert suspects - listed - set(personal_data.NOT_PERSONAL) == set()
    assert set(personal_data.NOT_PERSONAL) <= suspects - listed  # no stale or double entry


def test_every_table_whose_rows_go_with_a_person_is_found_by_the_inventory():
    found = {
        table.model.__tablename__ for table in personal_data.TABLES if table.person is not None
    }
    own_rows = {
        table.name
        for table in Base.metadata.sorted_tables
        for key in table.foreign_keys
        if key.column.table.name == "people" and key.ondelete == "CASCADE"
    }
    assert own_rows and own_rows <= found


def test_each_entry_is_a_column_of_its_table_and_listed_once():
    places = [entry.place for entry in personal_data.columns()]
    assert len(places) == len(set(places))
    for table in personal_data.TABLES:
        assert all(entry.column.class_ is table.model for entry in table.columns)


def test_a_kept_column_says_why_and_a_table_loses_all_its_rows_or_none():
    for entry in personal_data.columns():
        assert bool(entry.why_kept) == (entry.erasure is Erasure.KEPT), entry.place
    for table in personal_data.TABLES:
        deleted = {entry.erasure is Erasure.ROW_DELETED for entry in table.columns}
        assert len(deleted) <= 1, table.model.__tablename__


def where(table_name: str, *, telegram_id: int | None, chat_rows: bool) -> str:
    """The inventory's rows of person 7 in the table, as SQL."""
    table = next(t for t in personal_data.TABLES if t.model.__tablename__ == table_name)
    rows = table.rows_of(7, telegram_id, chat_rows=chat_rows)
    return "" if rows is None else str(rows.compile(compile_kwargs={"literal_binds": True}))


def test_rows_are_found_by_person_and_erasure_also_takes_the_chat_s():
    assert where("conversations", telegram_id=42, chat_rows=False) == (
        "conversations.person_id = 7"
    )
    assert where("conversations", telegram_id=42, chat_rows=True) == (
        "conversations.person_id = 7 OR conversations.chat_id = 42"
    )
    assert where("outbox_messages", telegram_id=42, chat_rows=False) == (
        "outbox_messages.chat_id = 42"
    )
    assert where("outbox_messages", telegram_id=None, chat_rows=True) == ""
    assert where("escalation_events", telegram_id=42, chat_rows=True) == (
        "escalation_events.escalation_id IN "
        "(SELECT escalations.id \nFROM escalations \nWHERE escalations.person_id = 7)"
    )
    assert where("invites", telegram_id=42, chat_rows=True) == ""
