"""Conditions on a person's answers: whether a step is asked, where a branch goes, when a
red flag fires."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, model_validator

Answer = str | int | tuple[str, ...] | None

TESTS = ("equals", "in", "contains", "answered", "at_least", "at_most")
COMBINATORS = ("all", "any", "not")


def _scalar(value: object) -> object:
    """Accept a text or a whole number, never a YAML boolean or a float."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError("must be a text or a whole number")
    return value


def _whole_number(value: object) -> object:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("must be a whole number")
    return value


Scalar = Annotated[str | int, BeforeValidator(_scalar)]
WholeNumber = Annotated[int, BeforeValidator(_whole_number)]


class Condition(BaseModel):
    """One test on one answer, or all/any/not of other conditions."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    answer: Annotated[str, Field(strict=True)] | None = None
    equals: Scalar | None = None
    in_: Annotated[tuple[Scalar, ...], Field(min_length=1)] | None = Field(None, alias="in")
    contains: Annotated[str, Field(strict=True)] | None = None
    answered: StrictBool | None = None
    at_least: WholeNumber | None = None
    at_most: WholeNumber | None = None
    all_: Annotated[tuple[Condition, ...], Field(min_length=1)] | None = Field(None, alias="all")
    any_: Annotated[tuple[Condition, ...], Field(min_length=1)] | None = Field(None, alias="any")
    not_: Condition | None = Field(None, alias="not")

    @model_validator(mode="after")
    def _one_thing(self) -> Condition:
        tests = self.tests()
        combinators = [name for name in COMBINATORS if self._operand(name) is not None]
        if combinators and (len(combinators) > 1 or tests or self.answer is not None):
            raise ValueError("all, any and not each stand alone in their condition")
        if not combinators and not tests:
            raise ValueError(f"a condition needs one of {', '.join(TESTS + COMBINATORS)}")
        if len(tests) > 1 and set(tests) != {"at_least", "at_most"}:
            raise ValueError("a condition tests one thing; combine several with all or any")
        return self

    def tests(self) -> list[str]:
        """Name the tests this condition makes on its answer."""
        return [name for name in TESTS if self._operand(name) is not None]

    def _operand(self, name: str) -> object:
        return getattr(self, name + "_" if name in ("in", "all", "any", "not") else name)


def holds(condition: Condition, answers: Mapping[str, Answer], subject: str | None = None) -> bool:
    """Tell whether the condition is true; subject is the step a test without `answer` is about."""
    if condition.all_ is not None:
        return all(holds(part, answers, subject) for part in condition.all_)
    if condition.any_ is not None:
        return any(holds(part, answers, subject) for part in condition.any_)
    if condition.not_ is not None:
        return not holds(condition.not_, answers, subject)
    value = answers.get(condition.answer or subject or "")
    return all(_passes(name, condition._operand(name), value) for name in condition.tests())


def _passes(test: str, operand: object, value: Answer) -> bool:
    number = value if isinstance(value, int) and not isinstance(value, bool) else None
    if test == "equals":
        return value == operand
    if test == "in":
        return isinstance(operand, tuple) and value in operand
    if test == "contains":
        if isinstance(value, str):
            return str(operand).casefold() in value.casefold()
        return isinstance(value, tuple) and operand in value
    if test == "answered":
        return (value is not None) is operand
    if not isinstance(operand, int) or number is None:
        return False
    return number >= operand if test == "at_least" else number <= operand


@dataclass(frozen=True)
class Test:
    """One leaf test inside a condition, with its place there (for error messages)."""

    path: str
    answer: str | None
    test: str
    operand: object


def leaves(condition: Condition, path: str) -> Iterator[Test]:
    """Yield every leaf test of a condition, with a field path such as ask_if.all[0]."""
    for name in ("all", "any"):
        parts = condition._operand(name)
        if isinstance(parts, tuple):
            for index, part in enumerate(parts):
                yield from leaves(part, f"{path}.{name}[{index}]")
    if condition.not_ is not None:
        yield from leaves(condition.not_, f"{path}.not")
    for name in condition.tests():
        yield Test(path, condition.answer, name, condition._operand(name))
