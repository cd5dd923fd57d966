"""The shape of a flow file: steps of eight kinds, options, branches, conditions, red flags."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PositiveInt,
    StrictBool,
    StringConstraints,
    field_validator,
)

from peerbot.dialogs.conditions import Condition, WholeNumber
from peerbot.dialogs.red_flags import RedFlagRule

STEP_KINDS = (
    "message",
    "single_choice",
    "multi_choice",
    "text",
    "number",
    "scale",
    "consent",
    "summary",
)
ConsentKind = Literal[
    "participation",
    "share_with_supporter",
    "evaluation",
    "supporter_agreement",
    "share_telegram_name",
]

StepId = Annotated[str, Field(strict=True), StringConstraints(pattern=r"^[a-z0-9_]+$")]
TextKey = Annotated[str, Field(strict=True), StringConstraints(pattern=r"^[A-Za-z0-9_.\-]+$")]


class FlowError(ValueError):
    """A flow cannot be used; the message names the file, flow, step and field."""


def located(source: str, flow: str, step: str | None, field: str | None, problem: str) -> str:
    """Say where a problem is: `file: flow f, step s, field x: problem`."""
    where = f"{source}: flow {flow}"
    where += f", step {step}" if step else ""
    where += f", field {field}" if field else ""
    return f"{where}: {problem}"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Option(_Model):
    """One choice: the value stored and the key of the text on its button."""

    value: Annotated[str, Field(strict=True, min_length=1)]
    text: TextKey


class Branch(_Model):
    """Go to `goto` when `if` holds (always, without `if`)."""

    if_: Condition | None = Field(None, alias="if")
    goto: StepId


class _Step(_Model):
    id: StepId
    prompt: TextKey
    ask_if: Condition | None = None
    next: tuple[Branch, ...] = ()

    @field_validator("next", mode="before")
    @classmethod
    def _goto_shorthand(cls, value: object) -> object:
        if isinstance(value, str):
            return ({"goto": value},)
        if value is not None and not isinstance(value, list | tuple):
            raise ValueError("must be a step id or a list of branches")
        return () if value is None else value


class _Question(_Step):
    hint: TextKey | None = None
    optional: StrictBool = False
    red_flags: tuple[RedFlagRule, ...] = ()


class _Choice(_Question):
    options: tuple[Option, ...]
    columns: Annotated[int, Field(strict=True, ge=1, le=4)] = 1

    @field_validator("options")
    @classmethod
    def _two_distinct(cls, options: tuple[Option, ...]) -> tuple[Option, ...]:
        if len(options) < 2:
            raise ValueError("at least 2 options are needed")
        values = [option.value for option in options]
        for value in values:
            if values.count(value) > 1:
                raise ValueError(f"option value {value!r} is used more than once")
        return options


class MessageStep(_Step):
    """Text shown; with `continue`, the flow waits for that button."""

    kind: Literal["message"]
    continue_: TextKey | None = Field(None, alias="continue")


class SingleChoiceStep(_Choice):
    """One option out of several."""

    kind: Literal["single_choice"]


class MultiChoiceStep(_Choice):
    """Several options, toggled, then Done."""

    kind: Literal["multi_choice"]
    min_selected: Annotated[int, Field(strict=True, ge=0)] = 1
    max_selected: Annotated[int, Field(strict=True, ge=1)] | None = None


class TextStep(_Question):
    """Free text of bounded length, stored encrypted unless marked not sensitive."""

    kind: Literal["text"]
    min_length: Annotated[int, Field(strict=True, ge=1)] = 1
    max_length: Annotated[int, Field(strict=True, ge=1, le=4000)] = 1000
    sensitive: StrictBool = True


class NumberStep(_Question):
    """A typed whole number between min and max."""

    kind: Literal["number"]
    min: WholeNumber
    max: WholeNumber


class ScaleStep(_Question):
    """A whole number between min and max, offered as buttons."""

    kind: Literal["scale"]
    min: WholeNumber
    max: WholeNumber
    low_label: TextKey | None = None
    high_label: TextKey | None = None


class ConsentStep(_Question):
    """A yes/no consent, recorded with the text the person saw."""

    kind: Literal["consent"]
    consent_kind: ConsentKind
    yes: TextKey
    no: TextKey
    on_decline: Literal["end", "continue"] = "end"


class SummaryStep(_Step):
    """The answers so far, with Confirm and Change an answer."""

    kind: Literal["summary"]
    show: tuple[StepId, ...] | None = None


Question = SingleChoiceStep | MultiChoiceStep | TextStep | NumberStep | ScaleStep | ConsentStep
AnyStep = MessageStep | Question | SummaryStep
Step = Annotated[AnyStep, Field(discriminator="kind")]


class Flow(_Model):
    """A conversation as data: its steps in order, where it starts, and its timing."""

    flow: StepId
    start: StepId | None = None
    remind_after_hours: PositiveInt | None = None
    expire_after_days: PositiveInt | None = None
    # After a critical or high red flag: go on with the next question, or pause the
    # questions until the person sends /start (a coordinator will be in touch meanwhile).
    on_red_flag: Literal["continue", "pause"] = "continue"
    steps: tuple[Step, ...]
    source: str = Field("", exclude=True)

    @property
    def first_step(self) -> str | None:
        return self.start or (self.steps[0].id if self.steps else None)

    def find(self, step_id: str | None) -> AnyStep | None:
        """Return the step with this id, or None."""
        return next((step for step in self.steps if step.id == step_id), None)

    def following(self, step_id: str) -> str | None:
        """Return the id of the step listed after step_id (None after the last)."""
        ids = [step.id for step in self.steps]
        index = ids.index(step_id) + 1
        return ids[index] if index < len(ids) else None
