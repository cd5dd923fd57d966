"""Matching inputs for tests: a Need and a Candidate that fit each other unless told
otherwise, and Hypothesis strategies for small random pools."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import fields
from typing import Any

from hypothesis import strategies as st

from peerbot.dialogs.matching.model import AGE_BANDS, REQUIRABLE, Candidate, Need
from peerbot.dialogs.matching.policy import MatchingPolicy

_request_ids = itertools.count(1)
_supporter_ids = itertools.count(1001)

LANGUAGES = ("en", "es", "fr")
TOPICS = ("grief", "perinatal", "caring", "anxiety", "loneliness")
CHANNELS = ("text", "phone", "video", "in_person")
TIMES = ("mornings", "afternoons", "evenings", "weekends")
GENDERS = ("woman", "man", "non_binary")
# Includes offsets a day apart (-10 and 14 read the same clock) and half hours.
OFFSETS = (None, -10.0, -5.0, 0.0, 1.0, 5.5, 9.0, 14.0)


def _sets(changes: dict[str, Any], kind: type) -> dict[str, Any]:
    """Turn any iterable given for a set field into a frozenset."""
    set_fields = {f.name for f in fields(kind) if "frozenset" in str(f.type)}
    return {
        name: frozenset(value)
        if name in set_fields and isinstance(value, Iterable) and not isinstance(value, str)
        else value
        for name, value in changes.items()
    }


def make_need(**changes: Any) -> Need:
    """A request for grief support by text in English, evenings, no wishes (fields overridable)."""
    values: dict[str, Any] = {
        "request_id": next(_request_ids),
        "languages": {"en"},
        "topics": {"grief"},
        "channels": {"text"},
        "group_format": False,
        "age_band": "age_25_34",
        "wants_gender": None,
        "wants_similar_age": False,
        "offset_hours": 0.0,
        "availability": {"evenings"},
        "required": set(),
        "excluded": set(),
    }
    values.update(changes)
    return Need(**_sets(values, Need))


def make_candidate(**changes: Any) -> Candidate:
    """An active, trained supporter who fits make_need()'s default request (fields overridable)."""
    values: dict[str, Any] = {
        "supporter_id": next(_supporter_ids),
        "languages": {"en"},
        "lived_experience": {"grief"},
        "formats": {"text"},
        "age_band": "age_25_34",
        "gender": "woman",
        "offset_hours": 0.0,
        "availability": {"evenings"},
        "capacity_left": 1,
        "load": 0,
        "active": True,
        "trained": True,
    }
    values.update(changes)
    return Candidate(**_sets(values, Candidate))


def _subsets(values: Iterable[Any], min_size: int = 0) -> st.SearchStrategy[frozenset[Any]]:
    """Subsets drawn as a bitmask: much faster to generate than st.frozensets."""
    choices = tuple(values)

    def subset(mask: int) -> frozenset[Any]:
        return frozenset(value for bit, value in enumerate(choices) if mask >> bit & 1)

    return st.integers(0, 2 ** len(choices) - 1).map(subset).filter(lambda s: len(s) >= min_size)


_LANGUAGES = _subsets(LANGUAGES[:2], min_size=1) | _subsets(LANGUAGES)
_TOPICS = _subsets(TOPICS)
_CHANNELS = _subsets(CHANNELS)
_FORMATS = _subsets((*CHANNELS, "group"))
_TIMES = _subsets(TIMES)
_REQUIRED = _subsets(sorted(REQUIRABLE))
_AGES = st.sampled_from((None, "prefer_not_to_say", *AGE_BANDS))
_GENDERS = st.none() | st.sampled_from(GENDERS)
_OFFSETS = st.sampled_from(OFFSETS)
_MOSTLY = st.sampled_from((True, True, True, False))


@st.composite
def needs(draw: st.DrawFn, request_id: int, supporter_ids: Iterable[int] = ()) -> Need:
    """A random request; it may exclude some of `supporter_ids`."""
    return Need(
        request_id=request_id,
        languages=draw(_LANGUAGES),
        topics=draw(_TOPICS),
        channels=draw(_CHANNELS),
        group_format=draw(st.booleans()),
        age_band=draw(_AGES),
        wants_gender=draw(_GENDERS),
        wants_similar_age=draw(st.booleans()),
        offset_hours=draw(_OFFSETS),
        availability=draw(_TIMES),
        required=draw(_REQUIRED),
        excluded=draw(_subsets(supporter_ids)) if supporter_ids else frozenset(),
    )


@st.composite
def candidates(draw: st.DrawFn, supporter_id: int) -> Candidate:
    """A random supporter, now and then on a break, untrained or full."""
    return Candidate(
        supporter_id=supporter_id,
        languages=draw(_LANGUAGES),
        lived_experience=draw(_TOPICS),
        formats=draw(_FORMATS),
        age_band=draw(_AGES),
        gender=draw(_GENDERS),
        offset_hours=draw(_OFFSETS),
        availability=draw(_TIMES),
        capacity_left=draw(st.integers(0, 2)),
        load=draw(st.integers(0, 3)),
        active=draw(_MOSTLY),
        trained=draw(_MOSTLY),
    )


@st.composite
def pools(
    draw: st.DrawFn, max_needs: int = 5, max_candidates: int = 4
) -> tuple[list[Need], list[Candidate]]:
    """A few waiting requests and supporters with distinct ids."""
    supporter_ids = range(1, draw(st.integers(0, max_candidates)) + 1)
    pool = [draw(candidates(supporter_id)) for supporter_id in supporter_ids]
    count = draw(st.integers(0, max_needs))
    waiting = [draw(needs(100 + index, supporter_ids)) for index in range(count)]
    return waiting, pool


_WEIGHTS = st.floats(min_value=0, max_value=10, allow_nan=False, allow_infinity=False)


@st.composite
def policies(draw: st.DrawFn) -> MatchingPolicy:
    """Any valid weights, so float rounding gets a workout."""
    names = (
        "shared_experience",
        "shared_language_extra",
        "age_band_step",
        "similar_age_bonus",
        "hours_apart",
        "shared_format",
        "group_format",
        "shared_availability",
        "load",
        "gender_as_asked",
    )
    return MatchingPolicy.model_validate({name: draw(_WEIGHTS) for name in names})
