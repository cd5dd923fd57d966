"""A small program history over three ISO weeks (2027-W01..W03, UTC), with figures known by hand.

People carry distinctive names, usernames and Telegram ids so a test can show none of them
leaks into a report. Who counts where:

| week | requests (person: status)          | matches approved | escalations (category/severity: minutes to claim) | check-ins (supporter) |
|------|------------------------------------|------------------|---------------------------------------------------|-----------------------|
| W01  | ana: matched, ben: new             | ana's            | ana suicide/critical: 10; ben self_harm/high: 30 | due, answered, 80 %   |
| W02  | ana: closed, ben: matching         | ben's            | ben other/medium: unclaimed                       | due, missed           |
| W03  | —                                  | —                | —                                                 | —                     |

ana and the supporter consented to evaluation use; ben did not.
"""  # noqa: E501

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from peerbot.storage.codes import new_pseudonym, new_request_code
from peerbot.storage.crypto import FieldCipher
from peerbot.storage.enums import (
    CheckinKind,
    CheckinStatus,
    ConsentDecision,
    ConsentKind,
    EscalationCategory,
    EscalationSeverity,
    EscalationStatus,
    MatchStatus,
    Role,
    SupportRequestStatus,
)
from peerbot.storage.models import (
    Checkin,
    Consent,
    Escalation,
    Match,
    Person,
    RoleAssignment,
    SupporterProfile,
    SupportRequest,
)

MONDAY = datetime(2027, 1, 4, tzinfo=UTC)  # 2027-W01
FIRST_DAY = date(2027, 1, 4)
LAST_DAY = date(2027, 1, 24)  # the Sunday of W03

# Distinctive values that must never appear in a report or a digest.
PEOPLE = {
    "ana": {"name": "Zephyrine Quillfeather", "username": "zq_feather_77", "telegram": 987650001},
    "ben": {"name": "Bartholomew Xylophant", "username": "bx_phant_88", "telegram": 987650002},
    "sam": {"name": "Octavia Wrenfield", "username": "ow_field_99", "telegram": 987650003},
    "cat": {"name": "Cordelia Marrowind", "username": "cm_wind_66", "telegram": 987650004},
}
CONSENTING = ("ana", "sam")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment `day` days after Monday of W01 (0 = that Monday), UTC."""
    return MONDAY + timedelta(days=day, hours=hour, minutes=minute)


async def seed_three_weeks(
    sessions: async_sessionmaker[AsyncSession], cipher: FieldCipher
) -> dict[str, Person]:
    """Write the history in the module docstring; return the people by their short name."""
    async with sessions() as session, session.begin():
        people = {name: _person(cipher, name) for name in PEOPLE}
        session.add_all(people.values())
        await session.flush()
        for name in CONSENTING:
            session.add(_evaluation_consent(people[name]))
        sam, cat = people["sam"], people["cat"]
        session.add(SupporterProfile(person_id=sam.id, capacity=2))
        session.add(RoleAssignment(person_id=sam.id, role=Role.SUPPORTER, granted_at=at(0, 0)))
        session.add(RoleAssignment(person_id=cat.id, role=Role.COORDINATOR, granted_at=at(0, 0)))

        r1 = _request(people["ana"], SupportRequestStatus.MATCHED, at(0, 10), cipher)
        r2 = _request(people["ben"], SupportRequestStatus.NEW, at(1, 10), cipher)
        r3 = _request(people["ana"], SupportRequestStatus.CLOSED, at(9, 12), cipher)
        r4 = _request(people["ben"], SupportRequestStatus.MATCHING, at(10, 12), cipher)
        session.add_all([r1, r2, r3, r4])
        await session.flush()
        session.add_all(
            [
                Match(
                    support_request_id=r1.id,
                    supporter_id=sam.id,
                    status=MatchStatus.ACCEPTED,
                    score=0.9,
                    proposed_at=at(0, 12),
                    approved_at=at(0, 16),
                    decided_at=at(1, 9),
                ),
                Match(
                    support_request_id=r4.id,
                    supporter_id=sam.id,
                    status=MatchStatus.APPROVED,
                    score=0.7,
                    proposed_at=at(11, 8),
                    approved_at=at(11, 9),
                ),
            ]
        )
        session.add_all(
            [
                _escalation(people["ana"], "suicide", "critical", at(2, 10), claim_minutes=10),
                _escalation(people["ben"], "self_harm", "high", at(3, 10), claim_minutes=30),
                _escalation(people["ben"], "other", "medium", at(8, 10), claim_minutes=None),
            ]
        )
        session.add_all(
            [
                Checkin(
                    person_id=sam.id,
                    kind=CheckinKind.SUPPORTER_WELLBEING,
                    due_at=at(4, 18),
                    status=CheckinStatus.ANSWERED,
                    sent_at=at(4, 18),
                    answered_at=at(4, 19),
                    score=80.0,
                ),
                Checkin(
                    person_id=sam.id,
                    kind=CheckinKind.SUPPORTER_WELLBEING,
                    due_at=at(11, 18),
                    status=CheckinStatus.MISSED,
                    sent_at=at(11, 18),
                ),
            ]
        )
    return people


def _person(cipher: FieldCipher, name: str) -> Person:
    values = PEOPLE[name]
    return Person(
        telegram_user_id=values["telegram"],
        pseudonym=new_pseudonym(),
        display_name_enc=cipher.encrypt(str(values["name"])),
        username_enc=cipher.encrypt(str(values["username"])),
        created_at=at(0, 0),
        updated_at=at(0, 0),
    )


def _evaluation_consent(person: Person) -> Consent:
    return Consent(
        person_id=person.id,
        kind=ConsentKind.EVALUATION,
        version="evaluation-v1",
        text_hash="e" * 64,
        decision=ConsentDecision.GRANTED,
        decided_at=at(0, 0),
    )


def _request(
    person: Person, status: SupportRequestStatus, created: datetime, cipher: FieldCipher
) -> SupportRequest:
    return SupportRequest(
        person_id=person.id,
        code=new_request_code(),
        status=status,
        summary_enc=cipher.encrypt("what they wrote, in confidence"),
        created_at=created,
        updated_at=created,
    )


def _escalation(
    person: Person, category: str, severity: str, created: datetime, *, claim_minutes: int | None
) -> Escalation:
    claimed = None if claim_minutes is None else created + timedelta(minutes=claim_minutes)
    return Escalation(
        person_id=person.id,
        category=EscalationCategory(category),
        severity=EscalationSeverity(severity),
        status=EscalationStatus.OPEN if claimed is None else EscalationStatus.CLAIMED,
        source="test",
        created_at=created,
        claimed_at=claimed,
    )
