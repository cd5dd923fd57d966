"""Program-wide settings that are data (``program.yaml``): how escalations are chased, and so on.

Pure pydantic: the file is read and merged by ``peerbot/program.py``.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta, tzinfo
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from peerbot.dialogs.checkin_policy import CheckinPolicy
from peerbot.dialogs.checkin_schedule import ClockTime, Weekday, parse_hhmm
from peerbot.dialogs.matching.policy import MatchingPolicy

Minutes = Annotated[int, Field(strict=True, ge=1, le=24 * 60)]


class PolicyError(ValueError):
    """A program.yaml cannot be used; the message names the file and the field."""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ReraiseAfter(_Model):
    """Minutes an open escalation may stay unclaimed before it is raised again, per severity.

    A severity left out (or set to null) is never raised again.
    """

    critical: Minutes | None = 5
    high: Minutes | None = 30
    medium: Minutes | None = 240


ClaimedMinutes = Annotated[int, Field(strict=True, ge=1, le=14 * 24 * 60)]


class RemindClaimedAfter(_Model):
    """Minutes a claimed escalation may stay unresolved before its claimer is reminded, per
    severity (and as long again before each later reminder, to the group).

    A severity left out (or set to null) is never chased once claimed.
    """

    critical: ClaimedMinutes | None = 60
    high: ClaimedMinutes | None = 24 * 60
    medium: ClaimedMinutes | None = 72 * 60


class EscalationPolicy(_Model):
    """How unclaimed and unresolved escalations are chased, and how much their cards show."""

    reraise_after_minutes: ReraiseAfter = Field(
        default_factory=lambda: ReraiseAfter.model_validate({})
    )
    max_reraises: int = Field(3, strict=True, ge=0, le=20)
    remind_claimed_after_minutes: RemindClaimedAfter = Field(
        default_factory=lambda: RemindClaimedAfter.model_validate({})
    )
    # Reminders for one claimed escalation: the first to its claimer, the rest to the group.
    max_claimed_reminders: int = Field(3, strict=True, ge=1, le=20)
    card_text: Literal["redacted", "full"] = "redacted"

    def remind_claimed_after(self, severity: str) -> timedelta | None:
        """How long a claimed escalation of this severity may stay unresolved; None: never."""
        minutes = getattr(self.remind_claimed_after_minutes, str(severity), None)
        return timedelta(minutes=minutes) if minutes is not None else None

    def reraise_after(self, severity: str) -> timedelta | None:
        """How long an escalation of this severity may wait unclaimed; None: never chased."""
        minutes = getattr(self.reraise_after_minutes, str(severity), None)
        return timedelta(minutes=minutes) if minutes is not None else None

    def reraise_at(self, severity: str, after: datetime) -> datetime | None:
        """When an escalation of this severity raised (or re-raised) at `after` is due again."""
        interval = self.reraise_after(severity)
        return after + interval if interval is not None else None


CountryCode = Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
CrisisTextKey = Annotated[str, Field(pattern=r"^crisis\.resources(\.[a-z0-9_-]{2,32})?$")]


class CrisisPolicy(_Model):
    """Which crisis resources a person is given: those of the country they told us (ISO 3166
    alpha-2 code -> text key), else of their time zone's country, else the general ones."""

    countries: Mapping[CountryCode, CrisisTextKey] = Field(default_factory=dict)
    # A time zone -> the country whose resources someone there gets when we know no country.
    countries_by_time_zone: Mapping[str, CountryCode] = Field(default_factory=dict)
    # Older form: a time zone -> region, whose texts are crisis.resources.<region>.
    regions_by_time_zone: Mapping[str, Annotated[str, Field(pattern=r"^[a-z_]{2,16}$")]] = Field(
        default_factory=dict
    )
    # After "Are you safe right now?": the C-SSRS screener's questions (cssrs), or none.
    screen: Literal["cssrs", "none"] = "none"

    @model_validator(mode="after")
    def _time_zones_name_known_countries(self) -> CrisisPolicy:
        for zone, country in self.countries_by_time_zone.items():
            if country not in self.countries:
                raise ValueError(
                    f"countries_by_time_zone: {zone}: {country} is not in crisis.countries"
                )
        return self

    def text_keys(self) -> dict[str, str]:
        """Every text key the policy names, by the field that names it (for load-time checks)."""
        keys = {f"countries.{code}": key for code, key in self.countries.items()}
        for zone, region in self.regions_by_time_zone.items():
            keys[f"regions_by_time_zone.{zone}"] = f"crisis.resources.{region}"
        return keys

    def country_key(self, country: str | None, time_zone: str | None = None) -> str | None:
        """The text key for this country (or, failing that, this time zone); None: unknown."""
        code = (country or "").upper()
        if code in self.countries:
            return self.countries[code]
        by_zone = self.countries_by_time_zone.get(time_zone or "")
        if by_zone is not None:
            return self.countries[by_zone]
        region = self.regions_by_time_zone.get(time_zone or "")
        return f"crisis.resources.{region}" if region else None

    def resources_key(
        self, time_zone: str | None, has_text: Any, country: str | None = None
    ) -> str:
        """The text key of the crisis resources for someone in this country or time zone."""
        key = self.country_key(country, time_zone)
        return key if key is not None and has_text(key) else "crisis.resources"


def check_crisis_texts(policy: CrisisPolicy, has_text: Callable[[str], bool]) -> None:
    """Every crisis text key the policy names must exist: a typo would hide a crisis line."""
    missing = [
        f"crisis.{field}: no text {key!r}"
        for field, key in policy.text_keys().items()
        if not has_text(key)
    ]
    if missing:
        raise PolicyError("\n".join(missing))


class IntroductionPolicy(_Model):
    """Offers to supporters and what follows an introduction."""

    # Hours a supporter has to answer an offer before the next candidate is proposed.
    offer_hours: int = Field(48, strict=True, ge=1, le=24 * 14)
    # Days after an introduction when both are asked whether they have connected.
    followup_after_days: int = Field(3, strict=True, ge=1, le=60)


FollowupPrompt = Literal["checkin", "satisfaction", "review"]


class FollowupPolicy(_Model):
    """What a participant is asked while they are supported (counted from the introduction)."""

    # "How is it going with your supporter?" this many weeks apart, while the match lasts.
    every_weeks: int = Field(4, strict=True, ge=1, le=26)
    # Days after the introduction when they are asked how satisfied they are (1-5).
    satisfaction_after_days: int = Field(14, strict=True, ge=1, le=180)
    # The planned length of support: then they choose to continue (reviewed again after as
    # long) or to end.
    planned_weeks: int = Field(12, strict=True, ge=1, le=104)
    # One reminder this long after a prompt; counted as missed after missed_after_hours.
    remind_after_hours: int = Field(48, strict=True, ge=1, le=24 * 14)
    missed_after_hours: int = Field(96, strict=True, ge=1, le=24 * 30)
    # The prompts the participation consent text (consent.about_contact) promises. Each
    # consent records the list as it was, so a person is sent only what the text they agreed
    # to promised; a program whose text promises fewer lists fewer.
    consent_promises: tuple[FollowupPrompt, ...] = ("checkin", "satisfaction", "review")

    @model_validator(mode="after")
    def _missed_after_reminder(self) -> FollowupPolicy:
        if self.missed_after_hours <= self.remind_after_hours:
            raise ValueError("missed_after_hours must be longer than remind_after_hours")
        return self


class DigestPolicy(_Model):
    """The weekly digest of program figures posted to the coordinators' group."""

    enabled: bool = True
    # The day and local time (the program's time zone, PEERBOT_TIMEZONE) it is posted.
    weekday: Weekday = "mon"
    time: ClockTime = "09:00"


class RetentionPolicy(_Model):
    """How long free text of closed cases and records of people gone quiet are kept."""

    # Days after a case closed (request closed or withdrawn, escalation resolved, check-in
    # answered, conversation ended, invite used or expired) when its free text is erased.
    free_text_days: int = Field(180, strict=True, ge=1, le=3650)
    # Months without activity after which a person is pseudonymized as /forget does.
    inactive_months: int = Field(24, strict=True, ge=1, le=240)
    # The local time (the program's time zone, PEERBOT_TIMEZONE) of the daily run.
    run_at: ClockTime = "03:30"

    def free_text_before(self, now: datetime) -> datetime:
        """Free text of cases closed before this moment is erased."""
        return now - timedelta(days=self.free_text_days)

    def inactive_before(self, now: datetime) -> datetime:
        """People last active before this moment are pseudonymized (calendar months)."""
        months = now.year * 12 + now.month - 1 - self.inactive_months
        year, month = divmod(months, 12)
        day = min(now.day, calendar.monthrange(year, month + 1)[1])
        return now.replace(year=year, month=month + 1, day=day)

    def last_run_due(self, now: datetime, time_zone: tzinfo) -> datetime:
        """The latest daily run time at or before now, in the program's time zone."""
        local, at = now.astimezone(time_zone), parse_hhmm(self.run_at)
        day = local.date() if local.time() >= at else local.date() - timedelta(days=1)
        return datetime.combine(day, at, tzinfo=time_zone)


class SupporterPolicy(_Model):
    """What happens to a supporter's participants when the supporter cannot go on."""

    # Days of a break after which the supporter's participants are handed over to others.
    handover_after_break_days: int = Field(21, strict=True, ge=1, le=365)


class ReportPolicy(_Model):
    """What `peerbot report` may print for a funder or a board."""

    # A count above 0 and below this is printed as "<5" (and its medians left empty): in a
    # small program a count of 1 or 2 in a week can point at one person.
    smallest_count: int = Field(5, strict=True, ge=1, le=100)


class CasePolicy(_Model):
    """How a case thread relays between a person and the coordinators."""

    # A coordinator's reply reaches the person from "the program's coordinators"; with this
    # on, the coordinator's first name is added.
    coordinator_first_name: bool = False
    # While a case is open the person is told "passed to the coordinators" at most this often.
    acknowledge_every_minutes: int = Field(30, strict=True, ge=0, le=24 * 60)


class CoordinatorPolicy(_Model):
    """How the bot speaks to the program's coordinators."""

    # The language of what coordinators read (cards, /stats, the weekly digest): a locale
    # the program has texts for. A text missing in it is shown in English.
    language: str = Field("en", pattern=r"^[a-z]{2,3}$")


AgeYears = Annotated[int, Field(strict=True, ge=0, le=120)]
# A choice value of the intake's questions (topics, languages), e.g. "grief" or "es".
ChoiceValue = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,31}$")]
AnyOrCountry = Annotated[str, Field(pattern=r"^([A-Z]{2}|any)$")]
AnyOrTopic = Annotated[str, Field(pattern=r"^([a-z][a-z0-9_]{1,31}|any)$")]
ResourceTextKey = Annotated[str, Field(pattern=r"^resources\.[a-z0-9_.-]{2,48}$")]


class EligibilityPolicy(_Model):
    """Who the program can offer peer support to; a request outside it waits for a coordinator.

    Empty regions or languages: every region, every language.
    """

    # The youngest age the program supports, compared with the intake's age band: a band that
    # may hold someone younger (e.g. under_18 against 18) is held for a coordinator.
    minimum_age: AgeYears = 18
    # Countries served: the intake's country answer (ISO 3166 two-letter codes).
    regions: tuple[CountryCode, ...] = ()
    # Languages served: at least one of the intake's languages answer must be one of them.
    languages: tuple[ChoiceValue, ...] = ()


class WaitingPolicy(_Model):
    """What someone waiting for a supporter is told while nobody is found."""

    # Days a request may wait in matching, with no supporter offered, before the person is told
    # "we are still looking"; as long again before each later message.
    still_looking_after_days: int = Field(3, strict=True, ge=1, le=60)
    # At most this many such messages per request.
    still_looking_at_most: int = Field(3, strict=True, ge=0, le=20)


class ResourceEntry(_Model):
    """One referral option: for these topics in these regions, a text or a name and contact."""

    topics: tuple[AnyOrTopic, ...] = ("any",)
    regions: tuple[AnyOrCountry, ...] = ("any",)
    text: ResourceTextKey | None = None
    name: Annotated[str, Field(min_length=2, max_length=80)] | None = None
    contact: Annotated[str, Field(min_length=2, max_length=160)] | None = None

    @model_validator(mode="after")
    def _text_or_name_and_contact(self) -> ResourceEntry:
        literal = self.name is not None or self.contact is not None
        if self.text is not None and literal:
            raise ValueError("give either text or name and contact, not both")
        if self.text is None and (self.name is None or self.contact is None):
            raise ValueError("needs a text key, or both name and contact")
        if not self.topics or not self.regions:
            raise ValueError("topics and regions may not be empty (use [any])")
        return self

    def fits(self, topics: Sequence[str], country: str | None) -> bool:
        """For someone with these topics in this country (None: unknown)."""
        topic_fits = "any" in self.topics or any(topic in self.topics for topic in topics)
        region_fits = "any" in self.regions or (country or "").upper() in self.regions
        return topic_fits and region_fits


def check_resource_texts(
    entries: Sequence[ResourceEntry], has_text: Callable[[str], bool]
) -> None:
    """Every referral text key must exist: a typo would send an empty referral."""
    missing = [
        f"resources.{index}.text: no text {entry.text!r}"
        for index, entry in enumerate(entries)
        if entry.text is not None and not has_text(entry.text)
    ]
    if missing:
        raise PolicyError("\n".join(missing))


class ProgramPolicy(_Model):
    """The whole ``program.yaml``."""

    escalations: EscalationPolicy = Field(
        default_factory=lambda: EscalationPolicy.model_validate({})
    )
    crisis: CrisisPolicy = Field(default_factory=lambda: CrisisPolicy.model_validate({}))
    checkins: CheckinPolicy = Field(default_factory=lambda: CheckinPolicy.model_validate({}))
    matching: MatchingPolicy = Field(default_factory=lambda: MatchingPolicy.model_validate({}))
    introductions: IntroductionPolicy = Field(
        default_factory=lambda: IntroductionPolicy.model_validate({})
    )
    followup: FollowupPolicy = Field(default_factory=lambda: FollowupPolicy.model_validate({}))
    digest: DigestPolicy = Field(default_factory=lambda: DigestPolicy.model_validate({}))
    retention: RetentionPolicy = Field(default_factory=lambda: RetentionPolicy.model_validate({}))
    cases: CasePolicy = Field(default_factory=lambda: CasePolicy.model_validate({}))
    report: ReportPolicy = Field(default_factory=lambda: ReportPolicy.model_validate({}))
    coordinators: CoordinatorPolicy = Field(
        default_factory=lambda: CoordinatorPolicy.model_validate({})
    )
    eligibility: EligibilityPolicy = Field(
        default_factory=lambda: EligibilityPolicy.model_validate({})
    )
    waiting: WaitingPolicy = Field(default_factory=lambda: WaitingPolicy.model_validate({}))
    # Referral options for requests the program cannot take (see program.yaml).
    resources: tuple[ResourceEntry, ...] = ()
    supporters: SupporterPolicy = Field(default_factory=lambda: SupporterPolicy.model_validate({}))


def merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Fields the override sets replace the base's; mappings are merged key by key."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def build_policy(documents: Sequence[tuple[str, Mapping[str, Any]]]) -> ProgramPolicy:
    """Validate the (source, document) pairs merged in order; errors name who set the field."""
    merged: dict[str, Any] = {}
    for _, document in documents:
        merged = merge(merged, document)
    try:
        return ProgramPolicy.model_validate(merged)
    except ValidationError as error:
        problems = [
            f"{_setter(documents, detail['loc'])}: {_where(detail['loc'])}: {_problem(detail)}"
            for detail in error.errors()
        ]
        raise PolicyError("\n".join(dict.fromkeys(problems))) from None


def _setter(documents: Sequence[tuple[str, Mapping[str, Any]]], loc: tuple[Any, ...]) -> str:
    """The last file that set the field at loc (or the nearest mapping around it)."""
    for depth in range(len(loc), 0, -1):
        for source, document in reversed(documents):
            if _sets(document, loc[:depth]):
                return source
    return documents[-1][0] if documents else "program.yaml"


def _sets(document: Any, path: tuple[Any, ...]) -> bool:
    for part in path:
        if not isinstance(document, Mapping) or part not in document:
            return False
        document = document[part]
    return True


def _where(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(file)"


def _problem(error: Any) -> str:
    kind = error["type"]
    context = error.get("ctx") or {}
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "is not a known field"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return "must be a mapping"
    if kind == "greater_than_equal":
        return f"must be ≥ {context['ge']}"
    if kind == "less_than_equal":
        return f"must be ≤ {context['le']}"
    if kind == "int_type":
        return f"must be a whole number (got {error.get('input')!r})"
    if kind == "string_pattern_mismatch":
        return f"{error.get('input')!r} does not have the form {context['pattern']}"
    if kind == "literal_error":
        return f"must be {context['expected']} (got {error.get('input')!r})"
    return str(error["msg"]).removeprefix("Value error, ")
