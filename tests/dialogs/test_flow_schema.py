"""Flow files: a valid flow parses; each broken one is refused naming file, flow, step, field."""

import copy

import pytest
import yaml

from peerbot.dialogs.engine_texts import ENGINE_TEXT_KEYS
from peerbot.dialogs.flow_schema import FlowError, MultiChoiceStep
from peerbot.dialogs.flow_texts import check_texts, text_keys
from peerbot.dialogs.flow_yaml import build_flow, parse_flow
from peerbot.dialogs.texts import build_catalog

SOURCE = "dialogs/flows/intake.yaml"

INTAKE = {
    "flow": "intake",
    "remind_after_hours": 24,
    "steps": [
        {
            "id": "topics",
            "kind": "multi_choice",
            "prompt": "intake.topics",
            "options": [
                {"value": "anxiety", "text": "intake.topic.anxiety"},
                {"value": "other", "text": "intake.topic.other"},
            ],
        },
        {
            "id": "topics_other",
            "kind": "text",
            "prompt": "intake.topics_other",
            "hint": "intake.topics_other.hint",
            "ask_if": {"answer": "topics", "contains": "other"},
        },
        {"id": "age", "kind": "number", "prompt": "intake.age", "min": 16, "max": 99},
        {
            "id": "mood",
            "kind": "scale",
            "prompt": "intake.mood",
            "min": 0,
            "max": 4,
            "red_flags": [
                {"when": {"at_most": 0}, "category": "acute_distress", "severity": "high"}
            ],
            "next": [{"if": {"at_least": 3}, "goto": "summary"}, {"goto": "thanks"}],
        },
        {"id": "thanks", "kind": "message", "prompt": "intake.thanks", "continue": "common.ok"},
        {"id": "summary", "kind": "summary", "prompt": "intake.summary", "show": ["topics"]},
    ],
}


def intake(change=None):
    """Return the valid intake document, changed by change(document) if given."""
    document = copy.deepcopy(INTAKE)
    if change is not None:
        change(document)
    return document


def steps(document):
    return {step["id"]: step for step in document["steps"]}


def test_a_valid_flow_parses_with_defaults():
    flow = parse_flow(SOURCE, yaml.safe_dump(intake()))
    assert flow.first_step == "topics"
    assert flow.remind_after_hours == 24
    assert flow.expire_after_days is None
    topics = flow.find("topics")
    assert isinstance(topics, MultiChoiceStep)
    assert (topics.min_selected, topics.max_selected, topics.columns) == (1, None, 1)
    assert flow.find("topics_other").sensitive is True
    assert flow.following("summary") is None


def test_yes_and_no_stay_words_in_flow_files():
    text = """
flow: consent
steps:
  - id: safe
    kind: single_choice
    prompt: consent.safe
    options:
      - {value: yes, text: consent.safe.yes}
      - {value: no, text: consent.safe.no}
    red_flags:
      - {when: {equals: yes}, category: suicide, severity: critical}
  - id: participation
    kind: consent
    prompt: consent.participation
    consent_kind: participation
    yes: consent.yes
    no: consent.no
    optional: false
"""
    flow = parse_flow("flows/consent.yaml", text)
    participation = flow.find("participation")
    assert (participation.yes, participation.no) == ("consent.yes", "consent.no")
    assert flow.find("safe").red_flags[0].when.equals == "yes"


def _set(step_id, field, value):
    return lambda document: steps(document)[step_id].__setitem__(field, value)


def _top(field, value):
    return lambda document: document.__setitem__(field, value)


def _loop(first, second):
    def change(document):
        steps(document)[first]["next"] = second
        steps(document)[second]["next"] = first

    return change


def _drop(step_id, field):
    return lambda document: steps(document)[step_id].pop(field)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            _set("topics", "options", [{"value": "anxiety", "text": "intake.topic.anxiety"}]),
            "step topics, field options: at least 2 options are needed",
        ),
        (
            _set(
                "topics", "options", [{"value": "a", "text": "k.a"}, {"value": "a", "text": "k.b"}]
            ),
            "step topics, field options: option value 'a' is used more than once",
        ),
        (
            _set("topics", "columns", 5),
            "step topics, field columns: must be less than or equal to 4",
        ),
        (_set("topics", "min_selected", 3), "step topics, field min_selected: there are only 2"),
        (_set("topics", "kind", "choice"), "step topics, field kind: must be one of message, "),
        (_set("topics", "optoins", []), "step topics, field optoins: is not a known field"),
        (_drop("age", "max"), "step age, field max: is required"),
        (_set("age", "min", "sixteen"), "step age, field min: must be a whole number"),
        (_set("age", "max", 99.5), "step age, field max: must be a whole number"),
        (_set("mood", "max", 0), "step mood, field max: must be greater than min"),
        (_set("mood", "max", 20), "step mood, field max: a scale offers at most 11 buttons"),
        (_set("age", "id", "Age"), "step Age, field id: must match the pattern"),
        (_set("age", "id", "topics"), "step topics, field id: another step has the same id"),
        (_set("thanks", "next", "nowhere"), "step thanks, field next[0].goto: refers to unknown"),
        (_set("thanks", "next", 3), "step thanks, field next: must be a step id or a list"),
        (
            _set("mood", "next", [{"goto": "thanks"}, {"if": {"at_least": 3}, "goto": "summary"}]),
            "step mood, field next[0]: a branch without `if` must be the last one",
        ),
        (
            _set("age", "ask_if", {"answer": "topic", "contains": "other"}),
            "step age, field ask_if.answer: refers to unknown step 'topic'",
        ),
        (
            _set("age", "ask_if", {"contains": "other"}),
            "step age, field ask_if.answer: is required",
        ),
        (
            _set("age", "ask_if", {"answer": "thanks", "answered": True}),
            "step age, field ask_if.answer: step 'thanks' takes no answer",
        ),
        (
            _set("age", "ask_if", {"answer": "topics", "contains": "grief"}),
            "step age, field ask_if.contains: 'grief' is not an answer of step 'topics'",
        ),
        (
            _set("age", "ask_if", {"answer": "topics", "equals": "other"}),
            "step age, field ask_if.equals: a multi_choice answer is a list: use contains",
        ),
        (
            _set("age", "ask_if", {"any": [{"answer": "topics_other", "at_least": 2}]}),
            "step age, field ask_if.any[0].at_least: works on number and scale answers, not text",
        ),
        (
            _set(
                "mood",
                "red_flags",
                [{"when": {"at_most": 0}, "category": "sad", "severity": "high"}],
            ),
            "step mood, field red_flags[0].category: unknown category 'sad'",
        ),
        (
            _set(
                "mood",
                "red_flags",
                [{"when": {"at_most": 0}, "category": "medical", "severity": 1}],
            ),
            "step mood, field red_flags[0].severity: must be 'critical', 'high' or 'medium'",
        ),
        (
            _set("summary", "show", ["thanks"]),
            "step summary, field show[0]: 'thanks' is not a step",
        ),
        (_loop("mood", "thanks"), "step mood, field next: leads into a loop"),
        (
            lambda document: document["steps"].insert(
                0, {"id": "hello", "kind": "message", "prompt": "intake.hello", "next": "hello"}
            ),
            "step hello, field next: leads into a loop",
        ),
        (
            _set("topics", "prompt", None),
            "step topics, field prompt: must be a valid string",
        ),
        (_top("start", "begin"), "field start: refers to unknown"),
        (_top("steps", []), "field steps: a flow needs at least"),
        (_top("steps", ["topics"]), "step #1: must be a mapping"),
        (_top("version", 2), "field version: is not a known"),
        (_top("flow", "other"), "flow other, field flow: must match"),
    ],
)
def test_a_broken_flow_is_refused_naming_file_flow_step_and_field(change, expected):
    with pytest.raises(FlowError) as refused:
        build_flow(SOURCE, intake(change))
    first_problem = str(refused.value).splitlines()[0]
    assert first_problem.startswith(f"{SOURCE}: flow ")
    assert expected in first_problem


def test_a_consent_cannot_be_optional():
    consent = {
        "flow": "consent",
        "steps": [
            {
                "id": "participation",
                "kind": "consent",
                "prompt": "consent.participation",
                "consent_kind": "participation",
                "yes": "consent.yes",
                "no": "consent.no",
                "optional": True,
            }
        ],
    }
    with pytest.raises(FlowError, match="step participation, field optional: a consent is asked"):
        build_flow("flows/consent.yaml", consent)


def test_messages_that_loop_without_a_question_are_refused():
    document = intake(
        lambda document: document["steps"].__setitem__(
            slice(4, 4),
            [
                {"id": "m1", "kind": "message", "prompt": "k.m1", "next": "m2"},
                {
                    "id": "m2",
                    "kind": "message",
                    "prompt": "k.m2",
                    "next": [{"if": {"answer": "mood", "at_least": 2}, "goto": "m1"}],
                },
            ],
        )
    )
    with pytest.raises(FlowError, match="step m1, field next: messages loop back here"):
        build_flow(SOURCE, document)


def test_broken_yaml_names_the_file_and_line():
    with pytest.raises(FlowError, match=rf"^{SOURCE}: line 4: not valid YAML"):
        parse_flow(SOURCE, "flow: intake\nsteps:\n  - {id: topics\n")


def test_a_file_that_is_not_a_mapping_is_refused():
    with pytest.raises(FlowError, match=f"^{SOURCE}: expected a mapping"):
        parse_flow(SOURCE, "- just\n- a list\n")


def test_every_error_is_listed_one_per_line():
    def two_problems(document):
        steps(document)["age"]["max"] = "old"
        steps(document)["thanks"]["colour"] = "blue"

    with pytest.raises(FlowError) as refused:
        build_flow(SOURCE, intake(two_problems))
    assert str(refused.value).splitlines() == [
        f"{SOURCE}: flow intake, step age, field max: must be a whole number",
        f"{SOURCE}: flow intake, step thanks, field colour: is not a known field",
    ]


def test_text_keys_lists_every_key_a_flow_names():
    flow = build_flow(SOURCE, intake())
    assert text_keys(flow) == {
        "intake.topics",
        "intake.topic.anxiety",
        "intake.topic.other",
        "intake.topics_other",
        "intake.topics_other.hint",
        "intake.age",
        "intake.mood",
        "intake.thanks",
        "common.ok",
        "intake.summary",
    }


def catalog(flow_texts, **overrides):
    english = {key: f"text of {key}" for key in flow_texts} | overrides
    english |= {key: "Engine text" for key in ENGINE_TEXT_KEYS if key not in overrides}
    return build_catalog({"en.yaml": {"locale": "en", "texts": english}})


def test_check_texts_accepts_a_complete_catalogue():
    flow = build_flow(SOURCE, intake())
    check_texts([flow], catalog(text_keys(flow), **{"intake.age": "Age ({min} to {max})?"}))


def test_check_texts_names_file_flow_step_field_and_missing_key():
    flow = build_flow(SOURCE, intake())
    texts = catalog(text_keys(flow) - {"intake.topic.other"})
    with pytest.raises(FlowError) as refused:
        check_texts([flow], texts)
    assert str(refused.value) == (
        f"{SOURCE}: flow intake, step topics, field options[1].text: "
        "text 'intake.topic.other' is missing from the 'en' texts"
    )


def test_check_texts_refuses_a_placeholder_the_engine_does_not_fill():
    flow = build_flow(SOURCE, intake())
    texts = catalog(text_keys(flow), **{"intake.topics_other.hint": "Up to {limit} letters"})
    with pytest.raises(FlowError, match="step topics_other, field hint: .* uses placeholders"):
        check_texts([flow], texts)


def test_check_texts_needs_the_engine_texts_once_there_are_flows():
    flow = build_flow(SOURCE, intake())
    english = {key: "Text" for key in text_keys(flow)}
    texts = build_catalog({"en.yaml": {"locale": "en", "texts": english}})
    with pytest.raises(FlowError, match="texts of the flow engine: text 'engine.skip' is missing"):
        check_texts([flow], texts)
    check_texts([], texts)


def test_engine_text_keys_cover_buttons_notices_and_a_hint_per_kind():
    assert {"engine.skip", "engine.stale_button", "engine.hint.scale"} <= set(ENGINE_TEXT_KEYS)
    assert len(ENGINE_TEXT_KEYS) == len(set(ENGINE_TEXT_KEYS)) == 17
