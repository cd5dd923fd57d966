"""People repository on SQLite and PostgreSQL: look-up by Telegram id with roles loaded."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from peerbot.storage import people
from peerbot.storage.models import Person, Role, RoleAssignment

Factory = async_sessionmaker[AsyncSession]


async def test_find_by_telegram_id_returns_the_person_with_roles_loaded(
    session_factory: Factory,
) -> None:
    async with session_factory() as session, session.begin():
        session.add_all(
            [
                Person(
                    telegram_user_id=1001,
                    pseudonym="P-00001",
                    roles=[
                        RoleAssignment(role=Role.PARTICIPANT),
                        RoleAssignment(role=Role.SUPPORTER),
                    ],
                ),
                Person(telegram_user_id=1002, pseudonym="P-00002", roles=[]),
                Person(
                    telegram_user_id=1003,
                    pseudonym="P-00003",
                    roles=[RoleAssignment(role=Role.COORDINATOR)],
                ),
            ]
        )

    async with session_factory() as session, session.begin():
        found = await people.find_by_telegram_id(session, 1001)
        without_roles = await people.find_by_telegram_id(session, 1002)
        unknown = await people.find_by_telegram_id(session, 9999)

    # read after the session closed: a lazy load here would raise
    assert found is not None
    assert found.pseudonym == "P-00001"
    assert {assignment.role for assignment in found.roles} == {Role.PARTICIPANT, Role.SUPPORTER}
    assert without_roles is not None
    assert without_roles.pseudonym == "P-00002"
    assert without_roles.roles == []
    assert unknown is None


async def test_find_by_telegram_id_loads_roles_of_a_person_already_in_the_session(
    session_factory: Factory,
) -> None:
    async with session_factory() as session, session.begin():
        person = Person(telegram_user_id=2001, pseudonym="P-00011")
        session.add(person)
        await session.flush()
        session.add(RoleAssignment(person_id=person.id, role=Role.SUPPORTER))
        await session.flush()

        found = await people.find_by_telegram_id(session, 2001)

    assert found is person
    assert [assignment.role for assignment in found.roles] == [Role.SUPPORTER]


async def test_a_new_pseudonym_is_never_one_already_held(session_factory, monkeypatch) -> None:
    drawn = iter(["P-TAKEN", "P-TAKEN", "P-FRESH"])
    monkeypatch.setattr(people, "new_pseudonym", lambda: next(drawn))
    async with session_factory() as session, session.begin():
        session.add(Person(telegram_user_id=1, pseudonym="P-TAKEN"))
        await session.flush()

        assert await people.unused_pseudonym(session) == "P-FRESH"
