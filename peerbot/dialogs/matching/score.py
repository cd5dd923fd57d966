"""Scoring one supporter for one waiting request: the hard constraints, the score and the
reasons a coordinator (and later the participant) is shown."""

from __future__ import annotations

import heapq
from collections.abc import Iterable

from peerbot.dialogs.matching.model import GROUP, Candidate, Need, Proposal, Reason, age_rank
from peerbot.dialogs.matching.policy import MatchingPolicy

# Hard-constraint codes, in the order violations() reports them.
NO_SHARED_LANGUAGE = "no_shared_language"
INACTIVE = "inactive"
UNTRAINED = "untrained"
NO_CAPACITY = "no_capacity"
EXCLUDED = "excluded"
REQUIRED_GENDER = "required_gender"
REQUIRED_SIMILAR_AGE = "required_similar_age"
REQUIRED_EXPERIENCE = "required_experience"
REQUIRED_FORMAT = "required_format"


def bands_apart(need: Need, candidate: Candidate) -> int | None:
    """How many age bands apart they are; None when either age is unknown."""
    mine, theirs = age_rank(need.age_band), age_rank(candidate.age_band)
    return abs(mine - theirs) if mine is not None and theirs is not None else None


def clock_hours(offset: float, other: float) -> float:
    """Hours between two UTC offsets' clocks, around the day: 0 to 12."""
    difference = abs(offset - other) % 24.0
    return min(difference, 24.0 - difference)


def hours_apart(need: Need, candidate: Candidate) -> float | None:
    """Hours between their clocks now (0-12); None when either zone is unknown."""
    if need.offset_hours is None or candidate.offset_hours is None:
        return None
    return clock_hours(need.offset_hours, candidate.offset_hours)


def violations(need: Need, candidate: Candidate) -> tuple[str, ...]:
    """The hard constraints this pairing breaks; empty when the supporter may be proposed."""
    found = []
    if need.languages.isdisjoint(candidate.languages):
        found.append(NO_SHARED_LANGUAGE)
    if not candidate.active:
        found.append(INACTIVE)
    if not candidate.trained:
        found.append(UNTRAINED)
    if candidate.capacity_left < 1:
        found.append(NO_CAPACITY)
    if candidate.supporter_id in need.excluded:
        found.append(EXCLUDED)
    if need.required:
        found.extend(_required_unmet(need, candidate))
    return tuple(found)


def _required_unmet(need: Need, candidate: Candidate) -> list[str]:
    unmet = []
    required = need.required
    if (
        "gender" in required
        and need.wants_gender is not None
        and candidate.gender != need.wants_gender
    ):
        unmet.append(REQUIRED_GENDER)
    if "similar_age" in required:
        apart = bands_apart(need, candidate)
        if age_rank(candidate.age_band) is None or (apart is not None and apart > 1):
            unmet.append(REQUIRED_SIMILAR_AGE)
    if "experience" in required and need.topics.isdisjoint(candidate.lived_experience):
        unmet.append(REQUIRED_EXPERIENCE)
    if "format" in required and (
        need.channels.isdisjoint(candidate.formats)
        or (need.group_format and GROUP not in candidate.formats)
    ):
        unmet.append(REQUIRED_FORMAT)
    return unmet


def _feasible(need: Need, candidate: Candidate) -> bool:
    return (
        candidate.active
        and candidate.trained
        and candidate.capacity_left >= 1
        and not need.languages.isdisjoint(candidate.languages)
        and candidate.supporter_id not in need.excluded
        and (not need.required or not _required_unmet(need, candidate))
    )


def points(need: Need, candidate: Candidate, policy: MatchingPolicy) -> float:
    """The pairing's score, whether or not it is feasible.

    The terms and their order are mirrored by the vectorised scorer in batch.py, which must
    give the very same floats: change both together.
    """
    apart = bands_apart(need, candidate)
    clock = hours_apart(need, candidate)
    languages = len(need.languages & candidate.languages)
    similar_age = (
        need.wants_similar_age
        and "similar_age" not in need.required
        and apart is not None
        and apart <= 1
    )
    gender_as_asked = (
        need.wants_gender is not None
        and "gender" not in need.required
        and candidate.gender == need.wants_gender
    )
    group = need.group_format and GROUP in candidate.formats
    return (
        policy.shared_experience * len(need.topics & candidate.lived_experience)
        + policy.shared_language_extra * max(languages - 1, 0)
        - policy.age_band_step * (apart if apart is not None else 0)
        + (policy.similar_age_bonus if similar_age else 0.0)
        - policy.hours_apart * (clock if clock is not None else 0.0)
        + policy.shared_format * len(need.channels & candidate.formats)
        + (policy.group_format if group else 0.0)
        + policy.shared_availability * len(need.availability & candidate.availability)
        - policy.load * candidate.load
        + (policy.gender_as_asked if gender_as_asked else 0.0)
    )


def reasons(need: Need, candidate: Candidate) -> tuple[Reason, ...]:
    """What the two have in common (and what stands between them), most important first."""
    found = []
    topics = need.topics & candidate.lived_experience
    if topics:
        found.append(Reason.of("shared_experience", topics=tuple(sorted(topics))))
    languages = need.languages & candidate.languages
    if languages:
        found.append(Reason.of("shared_language", languages=tuple(sorted(languages))))
    if need.wants_gender is not None and candidate.gender == need.wants_gender:
        found.append(Reason.of("gender_as_asked", gender=need.wants_gender))
    apart = bands_apart(need, candidate)
    if apart is not None and apart <= 1:
        found.append(Reason.of("similar_age", bands_apart=apart))
    clock = hours_apart(need, candidate)
    if clock == 0:
        found.append(Reason.of("same_time_zone"))
    elif clock is not None:
        found.append(Reason.of("hours_apart", hours=int(clock) if clock.is_integer() else clock))
    formats = need.channels & candidate.formats
    if formats:
        found.append(Reason.of("shared_format", formats=tuple(sorted(formats))))
    if need.group_format and GROUP in candidate.formats:
        found.append(Reason.of("group_format"))
    times = need.availability & candidate.availability
    if times:
        found.append(Reason.of("shared_availability", times=tuple(sorted(times))))
    found.append(Reason.of("load", count=candidate.load))
    return tuple(found)


def score(need: Need, candidate: Candidate, policy: MatchingPolicy) -> Proposal | None:
    """Propose this supporter for this request, or None when a hard constraint fails."""
    if not _feasible(need, candidate):
        return None
    return Proposal(
        need.request_id,
        candidate.supporter_id,
        points(need, candidate, policy),
        reasons(need, candidate),
    )


def top_proposals(
    need: Need, candidates: Iterable[Candidate], policy: MatchingPolicy, k: int | None = None
) -> list[Proposal]:
    """The best k feasible supporters for one request, best first.

    Ties go to the supporter with fewer participants, then the lower id, so the same pool
    always gives the same list. k defaults to the policy's proposals_per_request.
    """
    wanted = policy.proposals_per_request if k is None else k
    if wanted <= 0:
        return []
    ranked = (
        (-points(need, candidate, policy), candidate.load, candidate.supporter_id, candidate)
        for candidate in candidates
        if _feasible(need, candidate)
    )
    best = heapq.nsmallest(wanted, ranked, key=lambda entry: entry[:3])
    return [
        Proposal(need.request_id, candidate.supporter_id, -negated, reasons(need, candidate))
        for negated, _, _, candidate in best
    ]
