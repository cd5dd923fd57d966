"""The program's vocabulary of statuses and kinds, shared by storage, services and the bot.

Each member's value is what the database stores; these modules import no SQLAlchemy.
"""

from __future__ import annotations

from enum import StrEnum


class PersonStatus(StrEnum):
    ACTIVE = "active"
    STOPPED = "stopped"
    ERASED = "erased"


class Role(StrEnum):
    PARTICIPANT = "participant"
    SUPPORTER = "supporter"
    COORDINATOR = "coordinator"


class ConsentKind(StrEnum):
    PARTICIPATION = "participation"
    SHARE_WITH_SUPPORTER = "share_with_supporter"
    EVALUATION = "evaluation"
    SUPPORTER_AGREEMENT = "supporter_agreement"
    SHARE_TELEGRAM_NAME = "share_telegram_name"


class ConsentDecision(StrEnum):
    GRANTED = "granted"
    DECLINED = "declined"


class ConversationStatus(StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class SupportRequestStatus(StrEnum):
    NEW = "new"
    HELD = "held"  # outside the program's eligibility, or urgent: a coordinator decides
    MATCHING = "matching"
    PROPOSED = "proposed"
    MATCHED = "matched"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


class Urgency(StrEnum):
    ROUTINE = "routine"
    SOON = "soon"
    URGENT = "urgent"


class SupporterStatus(StrEnum):
    ACTIVE = "active"
    ON_BREAK = "on_break"
    INACTIVE = "inactive"


class MatchStatus(StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    OFFERED = "offered"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    ENDED = "ended"
    WITHDRAWN = "withdrawn"


class CheckinKind(StrEnum):
    SUPPORTER_WELLBEING = "supporter_wellbeing"
    # a participant's "how is it going with your supporter?", every few weeks while matched
    # (answers["how"]: fine, not_well, change, coordinator)
    PARTICIPANT_FOLLOWUP = "participant_followup"
    MATCH_FOLLOWUP = "match_followup"  # "have you connected?", to both sides of a new match
    FEEDBACK = "feedback"  # the survey when support ends
    SATISFACTION = "satisfaction"  # two weeks after the introduction (score: 1-5)
    REVIEW = "review"  # the planned length of support is reached (answers["review"])


class CheckinStatus(StrEnum):
    SCHEDULED = "scheduled"
    SENT = "sent"
    ANSWERED = "answered"
    MISSED = "missed"
    CANCELLED = "cancelled"


class EscalationCategory(StrEnum):
    """The red-flag categories of dialogs/red_flags.py, plus other."""

    SUICIDE = "suicide"
    SELF_HARM = "self_harm"
    HARM_TO_OTHERS = "harm_to_others"
    ABUSE = "abuse"
    MEDICAL = "medical"
    POSTPARTUM = "postpartum"
    ACUTE_DISTRESS = "acute_distress"
    BURNOUT = "burnout"
    OTHER = "other"
    UNSCREENED = "unscreened"  # the detector failed on the words: flagged to be safe


class EscalationSeverity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"


class EscalationStatus(StrEnum):
    OPEN = "open"
    CLAIMED = "claimed"
    RESOLVED = "resolved"


class EscalationEventKind(StrEnum):
    RAISED = "raised"
    NOTIFIED = "notified"
    REMINDED = "reminded"
    CLAIMED = "claimed"
    RELEASED = "released"
    RESOLVED = "resolved"
    NOTE = "note"
    # The person's answer to "Are you safe right now?" (the answer is the kind: no free text)
    SAFE = "safe"
    NOT_SAFE = "not_safe"
    SAFETY_UNSURE = "safety_unsure"
    SCREENED = "screened"  # the C-SSRS screener's answers (encrypted in note_enc)


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class CaseStatus(StrEnum):
    PENDING = "pending"  # a first message held until the person confirms who will read it
    OPEN = "open"
    CLOSED = "closed"


class CaseDirection(StrEnum):
    TO_COORDINATORS = "to_coordinators"  # the person wrote to the program
    TO_PERSON = "to_person"  # a coordinator answered


class CaseMessageKind(StrEnum):
    TEXT = "text"
    PHOTO = "photo"
    DOCUMENT = "document"
    VOICE = "voice"
