"""The ``matching:`` section of program.yaml: how much each shared trait counts when ranking
supporters for a waiting request, and how many proposals and candidates are kept."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

# Points added (or taken off, for penalties) per unit; penalties are given as positive numbers.
Weight = Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)]


class MatchingPolicy(BaseModel):
    """Matching weights and limits. Shared lived experience and language come first: language
    is a must, and one shared topic outweighs the usual spread of the smaller traits."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # Points per topic the participant asked about that the supporter has lived through.
    shared_experience: Weight = 4.0
    # Points per shared language beyond the first (one shared language is a must).
    shared_language_extra: Weight = 0.25
    # Points off per age band between them, counted only when both bands are known.
    age_band_step: Weight = 0.25
    # Points when similar age is wished for (not required) and they are at most one band apart.
    similar_age_bonus: Weight = 1.0
    # Points off per hour between their clocks now (never more than 12 hours apart).
    hours_apart: Weight = 0.1
    # Points per way of talking (text, phone, video, in person) both are happy with.
    shared_format: Weight = 0.25
    # Points when the participant wants a group and the supporter runs one.
    group_format: Weight = 1.0
    # Points per time of week (mornings, afternoons, evenings, weekends) both are free.
    shared_availability: Weight = 0.25
    # Points off per participant the supporter already supports, to spread the work.
    load: Weight = 0.25
    # Points when the supporter's gender is as wished (a required wish filters instead).
    gender_as_asked: Weight = 1.0
    # Proposals put to the coordinators per waiting request.
    proposals_per_request: int = Field(3, strict=True, ge=1, le=20)
    # Best supporters per request the batch solver weighs; more is slower and never worse.
    candidates_per_request: int = Field(25, strict=True, ge=1, le=500)
    # Best requests per supporter it also weighs, so that no free place is out of reach.
    requests_per_supporter: int = Field(25, strict=True, ge=1, le=500)
    # Batch: first match as many requests as possible, then maximise the total score.
    most_matches_first: bool = Field(True, strict=True)
    # Only supporters whose training a coordinator confirmed count as trained (the caller applies).
    require_confirmed_training: bool = Field(True, strict=True)
