"""What matching knows of a request and of each supporter, read from the database.

Only structured answers are used (choices, never free text), so matching can run on every
request without decrypting anything.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar, cast

from sqlalchemy import func, select

from peerbot.dialogs.checkin_schedule import time_zone_of
from peerbot.dialogs.matching.model import REQUIRABLE, Candidate, Need
from peerbot.services.common.context import ServiceContext
from peerbot.storage.enums import MatchStatus, PersonStatus, SupporterStatus
from peerbot.storage.models import Answer, Match, Person, SupporterProfile, SupportRequest

# A supporter's places are taken from the offer on, not only once it is accepted.
HOLDING_A_PLACE = (MatchStatus.APPROVED, MatchStatus.OFFERED, MatchStatus.ACCEPTED)
NOT_AGAIN = (MatchStatus.DECLINED, MatchStatus.ENDED)
NO_PREFERENCE = {None, "no_preference"}
T = TypeVar("T")
ROWS_AT_A_TIME = 100  # supporters read per fetch while the pool is built
NEED_QUESTIONS = (
    "languages",
    "channels",
    "format",
    "age_band",
    "supporter_gender",
    "supporter_similar_age",
    "availability",
    "must_haves",
)


async def needs_for(ctx: ServiceContext, requests: Sequence[SupportRequest]) -> list[Need]:
    """One Need per request, in the same order."""
    if not requests:
        return []
    ids = [request.id for request in requests]
    answers: dict[int, dict[str, Any]] = {request_id: {} for request_id in ids}
    rows = await ctx.session.execute(
        select(Answer.support_request_id, Answer.question, Answer.value).where(
            Answer.support_request_id.in_(ids), Answer.question.in_(NEED_QUESTIONS)
        )
    )
    for request_id, question, value in rows.all():
        if request_id is not None:
            answers[request_id][question] = value
    zones = await _time_zones(ctx, {request.person_id for request in requests})
    excluded = await _not_again(ctx, {request.person_id for request in requests})
    offsets: dict[str | None, float | None] = {
        zone: _offset_hours(zone, ctx.now) for zone in set(zones.values())
    }
    one = _Shared()
    return [
        _need(
            request,
            answers[request.id],
            offsets.get(zones.get(request.person_id)),
            excluded.get(request.person_id, frozenset()),
            one,
        )
        for request in requests
    ]


async def candidates(ctx: ServiceContext, only: Iterable[int] | None = None) -> list[Candidate]:
    """Every supporter (or those in `only`), with their places left and current load."""
    # Columns, not entities: nothing to keep in the session for thousands of supporters.
    statement = (
        select(
            SupporterProfile.person_id,
            SupporterProfile.languages,
            SupporterProfile.lived_experience,
            SupporterProfile.formats,
            SupporterProfile.age_band,
            SupporterProfile.gender,
            SupporterProfile.availability,
            SupporterProfile.capacity,
            SupporterProfile.status,
            SupporterProfile.training,
            SupporterProfile.training_confirmed_at,
            Person.time_zone,
            Person.status.label("person_status"),
        )
        .join(Person, Person.id == SupporterProfile.person_id)
        .where(Person.status != PersonStatus.ERASED)
        .order_by(SupporterProfile.person_id)
    )
    if only is not None:
        statement = statement.where(SupporterProfile.person_id.in_(list(only)))
    holding = await _count_matches(ctx, HOLDING_A_PLACE)
    accepted = await _count_matches(ctx, (MatchStatus.ACCEPTED,))
    confirmed_only = ctx.program.policy.matching.require_confirmed_training
    offsets: dict[str | None, float | None] = {}
    one = _Shared()
    found: list[Candidate] = []
    # 500 rows at a time, building the pool of 2,000 supporters peaked 1.2 MB higher.
    result = await ctx.session.stream(statement.execution_options(yield_per=ROWS_AT_A_TIME))
    async for row in result:
        if row.time_zone not in offsets:
            offsets[row.time_zone] = _offset_hours(row.time_zone, ctx.now)
        found.append(
            Candidate(
                supporter_id=row.person_id,
                languages=one(frozenset(row.languages) - {"other"}),
                lived_experience=one(frozenset(row.lived_experience)),
                formats=one(frozenset(row.formats)),
                age_band=one(row.age_band),
                gender=one(row.gender),
                offset_hours=offsets[row.time_zone],
                availability=one(frozenset(row.availability)),
                capacity_left=max(0, row.capacity - holding.get(row.person_id, 0)),
                load=accepted.get(row.person_id, 0),
                active=row.status == SupporterStatus.ACTIVE
                and row.person_status == PersonStatus.ACTIVE,
                trained=row.training_confirmed_at is not None
                if confirmed_only
                else row.training == "completed",
            )
        )
    return found


class _Shared:
    """One copy of each distinct value: thousands of supporters or waiting requests share a
    handful of language, topic, format and hour sets, which would otherwise be built anew for
    each of them and kept (and pickled to the batch solver) once per person."""

    def __init__(self) -> None:
        self._values: dict[Any, Any] = {}

    def __call__(self, value: T) -> T:
        return cast(T, self._values.setdefault(value, value))


def _need(
    request: SupportRequest,
    answers: Mapping[str, Any],
    offset_hours: float | None,
    excluded: frozenset[int],
    one: _Shared,
) -> Need:
    languages = _set(answers.get("languages")) - {"other"} or frozenset({request.language})
    gender = answers.get("supporter_gender")
    age_band = answers.get("age_band")
    return Need(
        request_id=request.id,
        languages=one(languages),
        topics=one(frozenset(request.topics) - {"other"}),
        channels=one(_set(answers.get("channels"))),
        group_format=answers.get("format") == "group",
        age_band=one(age_band) if isinstance(age_band, str) else None,
        wants_gender=None if gender in NO_PREFERENCE else one(str(gender)),
        wants_similar_age=answers.get("supporter_similar_age") == "yes",
        offset_hours=offset_hours,
        availability=one(_set(answers.get("availability"))),
        # a program's extra options are wishes, not must-haves
        required=one(_set(answers.get("must_haves")) & REQUIRABLE),
        excluded=excluded,
    )


async def _time_zones(ctx: ServiceContext, ids: set[int]) -> dict[int, str]:
    rows = await ctx.session.execute(select(Person.id, Person.time_zone).where(Person.id.in_(ids)))
    return {person_id: zone for person_id, zone in rows.all()}


async def _not_again(ctx: ServiceContext, person_ids: set[int]) -> dict[int, frozenset[int]]:
    """Supporters each participant must not be offered again: declined or ended before."""
    rows = await ctx.session.execute(
        select(SupportRequest.person_id, Match.supporter_id)
        .join(Match, Match.support_request_id == SupportRequest.id)
        .where(SupportRequest.person_id.in_(person_ids), Match.status.in_(NOT_AGAIN))
    )
    found: dict[int, set[int]] = {}
    for person_id, supporter_id in rows.all():
        if supporter_id is not None:
            found.setdefault(person_id, set()).add(supporter_id)
    return {person_id: frozenset(ids) for person_id, ids in found.items()}


async def _count_matches(ctx: ServiceContext, statuses: Sequence[MatchStatus]) -> dict[int, int]:
    rows = await ctx.session.execute(
        select(Match.supporter_id, func.count())
        .where(Match.status.in_(statuses), Match.supporter_id.is_not(None))
        .group_by(Match.supporter_id)
    )
    return {supporter_id: count for supporter_id, count in rows.all() if supporter_id}


def _offset_hours(time_zone: str | None, now: datetime) -> float | None:
    if not time_zone:
        return None
    try:
        offset = now.astimezone(time_zone_of(time_zone)).utcoffset()
    except ValueError:
        return None
    return offset.total_seconds() / 3600 if offset is not None else None


def _set(value: Any) -> frozenset[str]:
    if isinstance(value, list | tuple):
        return frozenset(str(item) for item in value)
    return frozenset({str(value)}) if isinstance(value, str) else frozenset()


async def request_answers(
    ctx: ServiceContext, request_id: int, questions: Sequence[str] | None = None
) -> dict[str, list[Any]]:
    """A request's closed answers (all, or those named), each as a list of values."""
    statement = select(Answer.question, Answer.value).where(
        Answer.support_request_id == request_id, Answer.value.is_not(None)
    )
    if questions is not None:
        statement = statement.where(Answer.question.in_(questions))
    rows = await ctx.session.execute(statement)
    return {q: list(v) if isinstance(v, list) else [v] for q, v in rows.all() if v is not None}
