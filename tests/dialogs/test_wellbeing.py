"""Scoring supporter check-ins: each threshold on both sides, bands, and program overrides."""

import pytest

from peerbot.dialogs.checkin_policy import CheckinPolicy
from peerbot.dialogs.wellbeing import Concern, WellbeingScore, band_of, score

POLICY = CheckinPolicy()


def answers(raw=15, burnout=2, contact="no", **extra):
    """Check-in answers whose WHO-5 items add up to `raw`."""
    items = [min(5, max(0, raw - 5 * index)) for index in range(5)]
    assert sum(items) == raw
    who5 = {f"who5_{number}": value for number, value in enumerate(items, start=1)}
    return {**who5, "burnout": burnout, "memories": "rarely", "contact": contact, **extra}


def reasons(result: WellbeingScore):
    return [(concern.severity, concern.reason) for concern in result.concerns]


def scored(previous_percentage=None, policy=POLICY, **kwargs):
    return score(answers(**kwargs), previous_percentage=previous_percentage, policy=policy)


def test_a_good_check_in_has_no_concerns():
    result = scored(raw=15)
    assert (result.raw, result.percentage, result.band, result.burnout) == (15, 60, "good", 2)
    assert result.concerns == ()
    assert result.severity is None


@pytest.mark.parametrize(
    ("raw", "severity", "reason"),
    [(7, "high", "who5_very_low"), (8, "medium", "who5_low")],
)
def test_who5_very_low_boundary(raw, severity, reason):
    result = scored(raw=raw)
    assert reasons(result) == [(severity, reason)]
    assert result.severity == severity


@pytest.mark.parametrize(("raw", "expected"), [(12, [("medium", "who5_low")]), (13, [])])
def test_who5_low_boundary(raw, expected):
    assert reasons(scored(raw=raw)) == expected


@pytest.mark.parametrize(
    ("burnout", "expected"),
    [(3, []), (4, [("high", "burnout_high")]), (5, [("high", "burnout_high")])],
)
def test_burnout_boundary(burnout, expected):
    assert reasons(scored(burnout=burnout)) == expected


@pytest.mark.parametrize(("previous", "expected"), [(68, []), (69, [])])
def test_a_drop_of_nine_points_or_less_is_not_a_concern(previous, expected):
    # raw 15 is 60%: from 68% is a drop of 8, from 69% (not a real WHO-5 value) of 9.
    assert reasons(scored(raw=15, previous_percentage=previous)) == expected


@pytest.mark.parametrize("previous", [70, 100])
def test_a_drop_of_ten_points_or_more_is_a_medium_concern(previous):
    assert reasons(scored(raw=15, previous_percentage=previous)) == [("medium", "who5_drop")]


def test_a_rise_is_not_a_drop():
    assert reasons(scored(raw=15, previous_percentage=20)) == []


def test_the_first_check_in_has_no_drop():
    result = scored(raw=13, previous_percentage=None)
    assert result.concerns == ()


@pytest.mark.parametrize(
    ("contact", "expected"), [("yes", [("medium", "contact_requested")]), ("no", [])]
)
def test_asking_for_contact_is_a_medium_concern(contact, expected):
    assert reasons(scored(contact=contact)) == expected


def test_every_applicable_reason_is_listed_high_first():
    result = scored(raw=4, burnout=5, contact="yes", previous_percentage=60)
    assert reasons(result) == [
        ("high", "who5_very_low"),
        ("high", "burnout_high"),
        ("medium", "who5_drop"),
        ("medium", "contact_requested"),
    ]
    assert result.severity == "high"
    assert all(concern.category == "burnout" for concern in result.concerns)


def test_a_medium_concern_alone_gives_medium_severity():
    result = scored(raw=10, contact="yes")
    assert result.concerns == (
        Concern("burnout", "medium", "who5_low"),
        Concern("burnout", "medium", "contact_requested"),
    )
    assert result.severity == "medium"


def test_a_high_burnout_answer_outranks_a_medium_concern():
    assert scored(raw=10, burnout=4).severity == "high"


@pytest.mark.parametrize(
    ("percentage", "band"),
    [(0, "very_low"), (28, "very_low"), (32, "low"), (48, "low"), (52, "good"), (100, "good")],
)
def test_bands_follow_the_default_thresholds(percentage, band):
    assert band_of(percentage, policy=POLICY) == band


def test_bands_follow_the_programs_thresholds():
    policy = CheckinPolicy(who5_high_at_or_below=5, who5_medium_below=10)
    assert [band_of(p, policy=policy) for p in (20, 24, 36, 40)] == [
        "very_low",
        "low",
        "low",
        "good",
    ]


def test_a_program_that_raises_a_threshold_changes_the_score():
    stricter = CheckinPolicy(who5_high_at_or_below=9, burnout_high_at_or_above=3)
    assert reasons(scored(raw=8, burnout=3)) == [("medium", "who5_low")]
    assert reasons(scored(raw=8, burnout=3, policy=stricter)) == [
        ("high", "who5_very_low"),
        ("high", "burnout_high"),
    ]


def test_a_program_that_widens_the_drop_changes_the_score():
    lenient = CheckinPolicy(who5_drop_points=20)
    assert reasons(scored(raw=15, previous_percentage=76)) == [("medium", "who5_drop")]
    assert reasons(scored(raw=15, previous_percentage=76, policy=lenient)) == []


def test_the_note_and_memories_do_not_change_the_score():
    plain = scored(raw=15)
    noted = scored(raw=15, note="a hard week", memories="very_often")
    assert noted == plain


@pytest.mark.parametrize("missing", ["who5_1", "who5_5"])
def test_a_missing_who5_item_is_an_error(missing):
    given = answers()
    del given[missing]
    with pytest.raises(ValueError, match=missing):
        score(given, previous_percentage=None, policy=POLICY)


@pytest.mark.parametrize(
    ("key", "value"), [("who5_2", 6), ("who5_3", -1), ("who5_4", "3"), ("burnout", 0)]
)
def test_an_out_of_range_answer_is_an_error(key, value):
    with pytest.raises(ValueError, match=key):
        score({**answers(), key: value}, previous_percentage=None, policy=POLICY)


def test_burnout_may_be_left_out():
    given = answers(raw=15)
    del given["burnout"]
    result = score(given, previous_percentage=None, policy=POLICY)
    assert result.burnout is None
    assert result.concerns == ()
