"""Red-flag rules written into flows: which answers need a coordinator, and how urgently."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, field_validator

from peerbot.dialogs.conditions import Answer, Condition, holds

RED_FLAG_CATEGORIES = (
    "suicide",
    "self_harm",
    "harm_to_others",
    "abuse",
    "medical",
    "postpartum",
    "acute_distress",
    "burnout",
)
Severity = Literal["critical", "high", "medium"]


class RedFlagRule(BaseModel):
    """When `when` holds for a step's answer, raise a flag of this category and severity."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    when: Condition
    category: str
    severity: Severity

    @field_validator("category")
    @classmethod
    def _known_category(cls, category: str) -> str:
        if category not in RED_FLAG_CATEGORIES:
            raise ValueError(
                f"unknown category {category!r}; use one of {', '.join(RED_FLAG_CATEGORIES)}"
            )
        return category


def raised(
    rules: tuple[RedFlagRule, ...], step_id: str, answers: Mapping[str, Answer]
) -> Iterator[tuple[int, RedFlagRule]]:
    """Yield (index, rule) for every rule that fires on the answers just given at step_id."""
    for index, rule in enumerate(rules):
        if holds(rule.when, answers, subject=step_id):
            yield index, rule
