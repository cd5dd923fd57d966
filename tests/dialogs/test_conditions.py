"""Conditions on answers: each test, combinations, the step a bare test is about, and shape."""

import pytest
from pydantic import ValidationError

from peerbot.dialogs.conditions import Condition, holds, leaves

ANSWERS = {
    "who_for": "self",
    "topics": ("anxiety", "sleep"),
    "story": "I could not SLEEP for weeks",
    "mood": 2,
    "region": None,
}


def condition(**fields):
    return Condition.model_validate(fields)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"answer": "who_for", "equals": "self"}, True),
        ({"answer": "who_for", "equals": "other"}, False),
        ({"answer": "mood", "equals": 2}, True),
        ({"answer": "mood", "equals": "2"}, False),
        ({"answer": "who_for", "in": ["other", "self"]}, True),
        ({"answer": "who_for", "in": ["other"]}, False),
        ({"answer": "topics", "contains": "sleep"}, True),
        ({"answer": "topics", "contains": "grief"}, False),
        ({"answer": "story", "contains": "sleep"}, True),
        ({"answer": "who_for", "answered": True}, True),
        ({"answer": "region", "answered": False}, True),
        ({"answer": "never_asked", "answered": False}, True),
        ({"answer": "mood", "at_least": 2}, True),
        ({"answer": "mood", "at_least": 3}, False),
        ({"answer": "mood", "at_most": 2}, True),
        ({"answer": "mood", "at_least": 1, "at_most": 1}, False),
        ({"answer": "region", "at_most": 5}, False),
        ({"answer": "story", "at_least": 0}, False),
    ],
)
def test_each_test_on_an_answer(fields, expected):
    assert holds(condition(**fields), ANSWERS) is expected


def test_all_any_and_not_combine_conditions():
    self_and_low = {
        "all": [{"answer": "who_for", "equals": "self"}, {"answer": "mood", "at_most": 2}]
    }
    assert holds(condition(**self_and_low), ANSWERS)
    either = {"any": [{"answer": "who_for", "equals": "other"}, {"answer": "mood", "at_least": 5}]}
    assert not holds(condition(**either), ANSWERS)
    assert holds(condition(**{"not": either}), ANSWERS)


def test_a_test_without_answer_is_about_the_subject_step():
    bare = condition(at_most=2)
    assert holds(bare, ANSWERS, subject="mood")
    assert not holds(bare, ANSWERS, subject="who_for")


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"answer": "mood"}, "a condition needs one of"),
        ({"answer": "mood", "equals": 1, "in": [1]}, "tests one thing"),
        ({"answer": "mood", "all": [{"answer": "mood", "equals": 1}]}, "stand alone"),
        ({"answer": "mood", "equals": 1.5}, "text or a whole number"),
        ({"answer": "mood", "equals": True}, "text or a whole number"),
        ({"answer": "mood", "greater": 1}, "Extra inputs"),
    ],
)
def test_a_malformed_condition_is_refused(fields, problem):
    with pytest.raises(ValidationError, match=problem):
        condition(**fields)


def test_leaves_name_their_place_in_the_condition():
    nested = condition(
        **{"any": [{"answer": "a", "equals": "x"}, {"not": {"answer": "b", "answered": True}}]}
    )
    places = [(test.path, test.answer, test.test) for test in leaves(nested, "ask_if")]
    assert places == [("ask_if.any[0]", "a", "equals"), ("ask_if.any[1].not", "b", "answered")]
