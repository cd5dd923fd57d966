"""What matching works on: a waiting request's needs, a supporter's profile, and the
proposals made from them with the reasons behind each."""

from __future__ import annotations

from dataclasses import dataclass

# Age bands from youngest to oldest; any other value (None, "prefer_not_to_say") is unknown.
AGE_BANDS = (
    "under_18",
    "age_18_24",
    "age_25_34",
    "age_35_44",
    "age_45_54",
    "age_55_64",
    "age_65_plus",
)
# The format a supporter offers when they run a group; a participant asks for it with group_format.
GROUP = "group"
# Preferences a participant may mark as must-haves.
REQUIRABLE = frozenset({"gender", "similar_age", "experience", "format"})

_AGE_RANK = {band: rank for rank, band in enumerate(AGE_BANDS)}


def age_rank(band: str | None) -> int | None:
    """The band's place in AGE_BANDS, or None when the age is unknown."""
    return _AGE_RANK.get(band) if band is not None else None


@dataclass(frozen=True, slots=True)
class Need:
    """One waiting support request, as matching sees it."""

    request_id: int
    languages: frozenset[str]
    topics: frozenset[str]  # what they want support with: "grief", "perinatal", ...
    channels: frozenset[str]  # how they want to talk: text, phone, video, in_person
    group_format: bool  # they want a group rather than one-to-one
    age_band: str | None
    wants_gender: str | None  # the supporter's gender they asked for; None: no preference
    wants_similar_age: bool
    offset_hours: float | None  # their time zone's UTC offset now
    availability: frozenset[str]  # mornings, afternoons, evenings, weekends
    required: frozenset[str]  # preferences marked as must-haves (a subset of REQUIRABLE)
    excluded: frozenset[int]  # supporters declined or ended with, by either side

    def __post_init__(self) -> None:
        unknown = self.required - REQUIRABLE
        if unknown:
            raise ValueError(
                f"request {self.request_id}: unknown required preference(s) {sorted(unknown)}; "
                f"expected some of {sorted(REQUIRABLE)}"
            )


@dataclass(frozen=True, slots=True)
class Candidate:
    """One peer supporter who might take a request, as matching sees them."""

    supporter_id: int
    languages: frozenset[str]
    lived_experience: frozenset[str]  # the same topic ids as Need.topics
    formats: frozenset[str]  # text, phone, video, in_person, group
    age_band: str | None
    gender: str | None
    offset_hours: float | None
    availability: frozenset[str]
    capacity_left: int  # participants they can still take
    load: int  # participants they support now
    active: bool  # neither on a break nor gone
    trained: bool


@dataclass(frozen=True, slots=True)
class Reason:
    """One fact behind a proposal, as a code and values; the bot puts it into words."""

    code: str
    values: tuple[tuple[str, object], ...] = ()

    @classmethod
    def of(cls, code: str, **values: object) -> Reason:
        """Build a reason from keyword values, e.g. Reason.of("hours_apart", hours=2)."""
        return cls(code, tuple(values.items()))

    def value(self, name: str) -> object:
        """The value called `name`; KeyError when this reason has none."""
        for key, value in self.values:
            if key == name:
                return value
        raise KeyError(name)


@dataclass(frozen=True, slots=True)
class Proposal:
    """A supporter proposed for a request, with its score and reasons (most important first)."""

    request_id: int
    supporter_id: int
    score: float
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class BatchPlan:
    """A waiting list's assignment, and each request's own best supporters (batch.plan())."""

    chosen: list[Proposal]  # as batch.assign() gives them
    ranked: list[list[Proposal]]  # per request, in order: score.top_proposals() of each
