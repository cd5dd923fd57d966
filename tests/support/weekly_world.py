"""A small program history over three ISO weeks (2027-W01..W03, UTC), with figures known by hand.

People carry distinctive names, usernames and Telegram ids so a test can show none of them
leaks into a report. Who counts where:

| week | requests (person: status)          | matches approved | escalations (category/severity: minutes to claim) | check-ins (supporter) |
|------|------------------------------------|------------------|---------------------------------------------------|-----------------------|
| W01  | ana: matched, ben: new             | ana's            | ana suicide/critical: 10; ben self_harm/high: 30 | due, answered, 80 %   |
| W02  | ana: closed, ben: matching         | ben's            | ben other/medium: unclaimed                       | due, missed           |
| W03  | —                                  | —                | —                                                 | —                     |

ana and the supporter consented to evaluation use; ben did not. ana and ben came through
a clinic's and a poster's links. ana's side of her match: a contact note that reached her 29 h
after her request (W01), "fine" to "how is it going?" and 4/5 satisfaction two weeks in (W02);
then a review answered "end", her match ended by her and 5/5 in the survey (W03).
"""  # noqa: E501

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from peerbot.storage.codes import new_pseudonym
from peerbot.storage.crypto import FieldCipher
from peerbot.storage.enums import (
    CheckinKind,
    CheckinStatus,
    EscalationCategory,
    EscalationSeverity,
    EscalationStatus,
    MatchStatus,
    Role,
    SupportRequestStatus,
)
from peerbot.storage.models import (
    Person,
    RoleAssignment,
    SupporterProfile,
)
from tests.support.rows import (
    add_escalation,
    add_feedback,
    add_match,
    add_note,
    add_participant_checkin,
    add_request,
    consent_row,
    due_checkin,
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
            session.add(consent_row(people[name], at=at(0, 0)))
        sam, cat = people["sam"], people["cat"]
        session.add(SupporterProfile(person_id=sam.id, capacity=2))
        session.add(RoleAssignment(person_id=sam.id, role=Role.SUPPORTER, granted_at=at(0, 0)))
        session.add(RoleAssignment(person_id=cat.id, role=Role.COORDINATOR, granted_at=at(0, 0)))

        r1, r2, r3, r4 = [
            await add_request(
                session,
                people[name],
                status=status,
                summary_enc=cipher.encrypt("what they wrote, in confidence"),
                created_at=created,
                updated_at=created,
                referral_source="clinic" if name == "ana" else "poster",
            )
            for name, status, created in (
                ("ana", SupportRequestStatus.MATCHED, at(0, 10)),
                ("ben", SupportRequestStatus.NEW, at(1, 10)),
                ("ana", SupportRequestStatus.CLOSED, at(9, 12)),
                ("ben", SupportRequestStatus.MATCHING, at(10, 12)),
            )
        ]
        m1, _ = [
            await add_match(
                session,
                request,
                sam,
                status=status,
                score=score,
                proposed_at=proposed,
                approved_at=approved,
                decided_at=decided,
                **ending,
            )
            for request, status, score, proposed, approved, decided, ending in (
                (
                    r1,
                    MatchStatus.ENDED,
                    0.9,
                    at(0, 12),
                    at(0, 16),
                    at(1, 9),
                    {"ended_at": at(16, 10), "end_reason": "ended_by_participant"},
                ),
                (r4, MatchStatus.APPROVED, 0.7, at(11, 8), at(11, 9), None, {}),
            )
        ]
        ana = people["ana"]
        await add_note(session, cipher, m1, sam, "we talked", contact_at=at(1, 15))
        await add_participant_checkin(
            session, m1, ana, CheckinKind.PARTICIPANT_FOLLOWUP, at(8, 18), how="fine"
        )
        await add_participant_checkin(
            session, m1, ana, CheckinKind.SATISFACTION, at(13, 18), score=4.0
        )
        await add_participant_checkin(
            session, m1, ana, CheckinKind.REVIEW, at(15, 18), review="end"
        )
        await add_feedback(session, cipher, r1, at=at(16, 12), satisfaction=5)
        for name, category, severity, created, claim_minutes in (
            ("ana", "suicide", "critical", at(2, 10), 10),
            ("ben", "self_harm", "high", at(3, 10), 30),
            ("ben", "other", "medium", at(8, 10), None),
        ):
            claimed = None if claim_minutes is None else created + timedelta(minutes=claim_minutes)
            await add_escalation(
                session,
                people[name],
                category=EscalationCategory(category),
                severity=EscalationSeverity(severity),
                status=EscalationStatus.OPEN if claimed is None else EscalationStatus.CLAIMED,
                source="test",
                created_at=created,
                claimed_at=claimed,
            )
        answered = {"status": CheckinStatus.ANSWERED, "answered_at": at(4, 19), "score": 80.0}
        session.add(due_checkin(sam, at(4, 18), sent_at=at(4, 18), **answered))
        session.add(due_checkin(sam, at(11, 18), sent_at=at(11, 18), status=CheckinStatus.MISSED))
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
