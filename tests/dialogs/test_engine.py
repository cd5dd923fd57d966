"""The flow engine as stories: happy path, wrong answers, /back, /skip, /cancel, branches, the
summary, stale buttons, consent, red flags, and a restart at every step."""

import json

import pytest

from peerbot.dialogs.engine import Transition, step
from peerbot.dialogs.events import (
    Answered,
    Cancelled,
    Completed,
    ConsentDecided,
    Declined,
    Reasked,
    RedFlag,
)
from peerbot.dialogs.flow_schema import FlowError
from peerbot.dialogs.flow_yaml import parse_flow
from peerbot.dialogs.inputs import Back, Begin, Cancel, Press, Skip, Text
from peerbot.dialogs.outputs import Ask, Button, Chosen, Say, Summary, SummaryEntry, Toggle
from peerbot.dialogs.state import FlowState

CHECKUP = parse_flow(
    "tests/checkup.yaml",
    """
flow: checkup
steps:
  - {id: welcome, kind: message, prompt: t.welcome}
  - id: agree
    kind: consent
    prompt: t.agree
    consent_kind: participation
    yes: t.yes
    no: t.no
  - id: who_for
    kind: single_choice
    prompt: t.who_for
    options:
      - {value: self, text: t.self}
      - {value: other, text: t.other}
    next:
      - {if: {equals: other}, goto: relation}
      - {goto: topics}
  - {id: relation, kind: text, prompt: t.relation, max_length: 20, sensitive: false}
  - id: topics
    kind: multi_choice
    prompt: t.topics
    columns: 2
    min_selected: 2
    max_selected: 3
    options:
      - {value: anxiety, text: t.anxiety}
      - {value: sleep, text: t.sleep}
      - {value: grief, text: t.grief}
      - {value: other, text: t.other_topic}
    red_flags:
      - {when: {contains: grief}, category: acute_distress, severity: medium}
  - id: topics_other
    kind: text
    prompt: t.topics_other
    hint: t.topics_other.hint
    ask_if: {answer: topics, contains: other}
    optional: true
  - {id: age, kind: number, prompt: t.age, min: 16, max: 99}
  - id: mood
    kind: scale
    prompt: t.mood
    min: 0
    max: 4
    low_label: t.low
    high_label: t.high
    red_flags:
      - {when: {at_most: 0}, category: acute_distress, severity: high}
  - {id: ready, kind: message, prompt: t.ready, continue: t.continue}
  - {id: summary, kind: summary, prompt: t.summary}
  - {id: thanks, kind: message, prompt: t.thanks}
""",
)

LABELS = {
    "t.yes": "Yes, I agree",
    "t.no": "No",
    "t.self": "Myself",
    "t.other": "Someone else",
    "t.anxiety": "Anxiety",
    "t.sleep": "Sleep",
    "t.grief": "Grief",
    "t.other_topic": "Something else",
}


def labels(key):
    return LABELS.get(key, key)


def play(*inputs, state=None, flow=CHECKUP):
    """Feed inputs one by one (each state through JSON, as stored); return the last transition."""
    transition = Transition(state)
    for received in inputs:
        stored = transition.state
        if stored is not None:
            stored = FlowState.from_dict(json.loads(json.dumps(stored.to_dict())))
            assert stored == transition.state
        transition = step(flow, stored, received, labels)
    return transition


def asked(transition):
    """Return the step id of the question the transition ends on."""
    last = transition.outputs[-1]
    assert isinstance(last, Ask | Summary), transition.outputs
    return last.step_id


TO_TOPICS = (Begin(), Press("agree", "yes"), Press("who_for", 0))
TO_AGE = (*TO_TOPICS, Press("topics", 0), Press("topics", 1), Press("topics", "done"))
TO_SUMMARY = (*TO_AGE, Text("34"), Press("mood", 3), Press("ready", "continue"))


def test_happy_path_through_every_kind_of_step():
    begun = play(Begin())
    assert begun.outputs == (
        Say("t.welcome"),
        Ask(
            "agree",
            "t.agree",
            buttons=((Button("t.yes", "yes"), Button("t.no", "no")),),
            input_hint="engine.hint.consent",
        ),
    )
    agreed = play(Begin(), Press("agree", "yes"))
    assert agreed.events == (
        Answered("agree", "granted", sensitive=False),
        ConsentDecided("agree", "participation", "granted", "t.agree"),
    )
    assert agreed.outputs[0] == Chosen("agree", "t.agree", ("t.yes",))
    topics = play(*TO_TOPICS)
    assert topics.outputs[-1] == Ask(
        "topics",
        "t.topics",
        values={"min": 2, "max": 3},
        buttons=(
            (Button("t.anxiety", 0), Button("t.sleep", 1)),
            (Button("t.grief", 2), Button("t.other_topic", 3)),
            (Button("engine.done", "done"),),
        ),
        input_hint="engine.hint.multi_choice",
    )
    age = play(*TO_AGE)
    assert age.outputs == (
        Chosen("topics", "t.topics", ("t.anxiety", "t.sleep")),
        Ask("age", "t.age", values={"min": 16, "max": 99}, input_hint="engine.hint.number"),
    )
    mood = play(*TO_AGE, Text(" 34 "))
    assert mood.outputs[-1] == Ask(
        "mood",
        "t.mood",
        values={"min": 0, "max": 4},
        buttons=(tuple(Button(None, n, label_text=str(n)) for n in range(5)),),
        input_hint="engine.hint.scale",
        low_label="t.low",
        high_label="t.high",
    )
    ready = play(*TO_AGE, Text("34"), Press("mood", 3))
    assert ready.outputs == (
        Chosen("mood", "t.mood", answer_text="3"),
        Ask(
            "ready",
            "t.ready",
            buttons=((Button("t.continue", "continue"),),),
            input_hint="engine.hint.message",
        ),
    )
    summary = play(*TO_SUMMARY)
    assert summary.outputs == (
        Chosen("ready", "t.ready", keep_text=True),
        Summary(
            "summary",
            "t.summary",
            entries=(
                SummaryEntry("agree", "t.agree", ("t.yes",)),
                SummaryEntry("who_for", "t.who_for", ("t.self",)),
                SummaryEntry("topics", "t.topics", ("t.anxiety", "t.sleep")),
                SummaryEntry("age", "t.age", answer_text="34"),
                SummaryEntry("mood", "t.mood", answer_text="3"),
            ),
            buttons=((Button("engine.confirm", "confirm"), Button("engine.change", "change")),),
        ),
    )
    done = play(*TO_SUMMARY, Press("summary", "confirm"))
    answers = {
        "agree": "granted",
        "who_for": "self",
        "topics": ("anxiety", "sleep"),
        "age": 34,
        "mood": 3,
    }
    assert done.outputs == (
        Chosen("summary", "t.summary", ("engine.confirm",), keep_text=True),
        Say("t.thanks"),
    )
    assert done.events == (Completed(answers),)
    assert done.state.status == "completed"
    assert done.state.current is None
    assert dict(done.state.answers) == answers


@pytest.mark.parametrize(
    ("before", "wrong", "hint", "values"),
    [
        (
            (*TO_TOPICS[:2], Press("who_for", 1)),
            Text("   "),
            "engine.hint.text",
            {"min": 1, "max": 20},
        ),
        (
            (*TO_TOPICS[:2], Press("who_for", 1)),
            Text("my neighbour's cousin"),
            "engine.hint.text",
            {"min": 1, "max": 20},
        ),
        (TO_AGE, Text("12"), "engine.hint.number", {"min": 16, "max": 99}),
        (TO_AGE, Text("thirty"), "engine.hint.number", {"min": 16, "max": 99}),
        (TO_AGE, Text("3.5"), "engine.hint.number", {"min": 16, "max": 99}),
        ((*TO_AGE, Text("34")), Text("7"), "engine.hint.scale", {"min": 0, "max": 4}),
        (TO_TOPICS[:2], Text("my mother"), "engine.hint.single_choice", {}),
        (TO_TOPICS[:2], Text("3"), "engine.hint.single_choice", {}),
        (TO_TOPICS, Text("Anxiety, Cats"), "engine.hint.multi_choice", {"min": 2, "max": 3}),
        (TO_TOPICS[:1], Text("maybe"), "engine.hint.consent", {}),
        ((*TO_AGE, Text("34"), Press("mood", 3)), Text("ok"), "engine.hint.message", {}),
        (TO_SUMMARY, Text("looks fine"), "engine.hint.summary", {}),
    ],
)
def test_a_wrong_answer_is_reasked_with_the_hint(before, wrong, hint, values):
    waiting = play(*before)
    reasked = play(wrong, state=waiting.state)
    question = waiting.outputs[-1]
    assert reasked.outputs == (Say(hint, values), question)
    assert reasked.events == (Reasked(question.step_id),)
    assert reasked.state == waiting.state.moved(reasks=1)
    assert play(wrong, state=reasked.state).state.reasks == 2


def test_a_step_with_its_own_hint_uses_it():
    waiting = play(*TO_TOPICS, Press("topics", 3), Press("topics", 0), Press("topics", "done"))
    assert asked(waiting) == "topics_other"
    reasked = play(Text(" "), state=waiting.state)
    assert reasked.outputs[0] == Say("t.topics_other.hint", {"min": 1, "max": 1000})


@pytest.mark.parametrize("typed", ["someone else", " SOMEONE ELSE ", "2"])
def test_a_typed_option_label_or_number_answers_a_choice(typed):
    answered = play(*TO_TOPICS[:2], Text(typed))
    assert answered.outputs[0] == Chosen("who_for", "t.who_for", ("t.other",))
    assert answered.state.answers["who_for"] == "other"
    assert asked(answered) == "relation"


def test_typed_yes_label_and_typed_options_list_are_accepted():
    agreed = play(Begin(), Text("yes, i agree"))
    assert agreed.state.answers["agree"] == "granted"
    chosen = play(*TO_TOPICS, Text("sleep, 1"))
    assert chosen.state.answers["topics"] == ("anxiety", "sleep")
    assert chosen.outputs[0] == Chosen("topics", "t.topics", ("t.anxiety", "t.sleep"))


def test_back_returns_to_the_previous_question_with_its_answer_marked():
    at_topics = play(*TO_TOPICS)
    back = play(Back(), state=at_topics.state)
    assert back.outputs[-1].step_id == "who_for"
    assert back.outputs[-1].buttons == (
        (Button("t.self", 0, selected=True),),
        (Button("t.other", 1),),
    )
    assert back.state.answers["who_for"] == "self"
    assert play(Back(), Back(), state=at_topics.state).outputs[-1].step_id == "agree"


def test_back_at_the_first_question_says_there_is_nothing_to_go_back_to():
    first = play(Begin())
    back = play(Back(), state=first.state)
    assert back.outputs == (Say("engine.nothing_to_go_back_to"), first.outputs[-1])
    assert back.state == first.state


def test_back_to_a_multi_choice_starts_from_the_earlier_selection():
    at_age = play(*TO_AGE)
    back = play(Back(), state=at_age.state)
    assert back.state.draft == ("anxiety", "sleep")
    redone = play(
        Press("topics", 1), Press("topics", 2), Press("topics", "done"), state=back.state
    )
    assert redone.state.answers["topics"] == ("anxiety", "grief")


def test_a_branch_left_by_going_back_is_not_in_the_completed_answers():
    for_someone = play(*TO_TOPICS[:2], Press("who_for", 1), Text("my sister"))
    assert for_someone.state.answers["relation"] == "my sister"
    changed = play(
        Back(),
        Back(),
        Press("who_for", 0),
        Press("topics", 0),
        Press("topics", 1),
        Press("topics", "done"),
        Text("40"),
        Press("mood", 2),
        Press("ready", "continue"),
        Press("summary", "confirm"),
        state=for_someone.state,
    )
    completed = changed.events[-1]
    assert isinstance(completed, Completed)
    assert "relation" not in completed.answers
    assert completed.answers["who_for"] == "self"


def test_skip_leaves_an_optional_question_unanswered():
    at_other = play(*TO_TOPICS, Press("topics", 3), Press("topics", 0), Press("topics", "done"))
    assert at_other.outputs[-1].buttons == ((Button("engine.skip", "skip"),),)
    for skip in (Skip(), Press("topics_other", "skip")):
        skipped = play(skip, state=at_other.state)
        assert skipped.outputs[0] == Chosen("topics_other", "t.topics_other", ("engine.skipped",))
        assert skipped.events == (Answered("topics_other", None, sensitive=False),)
        assert skipped.state.answers["topics_other"] is None
        assert asked(skipped) == "age"


def test_skip_is_refused_on_a_required_question():
    at_age = play(*TO_AGE)
    refused = play(Skip(), state=at_age.state)
    assert refused.outputs == (
        Say("engine.hint.number", {"min": 16, "max": 99}),
        at_age.outputs[-1],
    )
    assert refused.events == (Reasked("age"),)
    assert play(Press("age", "skip"), state=at_age.state).outputs[0] == Say("engine.stale_button")


def test_cancel_midway_stops_the_flow():
    cancelled = play(*TO_AGE, Cancel())
    assert cancelled.outputs == (Say("engine.cancelled"),)
    assert cancelled.events == (Cancelled(),)
    assert cancelled.state.status == "cancelled"
    assert cancelled.state.current is None
    late = play(Press("age", "skip"), state=cancelled.state)
    assert late.outputs == (Say("engine.stale_button"),)
    assert late.state == cancelled.state
    assert play(Text("34"), state=cancelled.state).outputs == ()


def test_begin_after_the_end_starts_again():
    cancelled = play(*TO_AGE, Cancel())
    again = play(Begin(), state=cancelled.state)
    assert asked(again) == "agree"
    assert again.state == FlowState("checkup", "agree")


def test_next_branches_and_ask_if_choose_the_questions():
    for_self = play(*TO_TOPICS)
    assert asked(for_self) == "topics"
    for_someone = play(*TO_TOPICS[:2], Press("who_for", 1))
    assert asked(for_someone) == "relation"
    assert play(Text("my son"), state=for_someone.state).events == (
        Answered("relation", "my son", sensitive=False),
    )
    no_other_topic = play(*TO_AGE)
    assert asked(no_other_topic) == "age"
    other_topic = play(*TO_TOPICS, Press("topics", 0), Press("topics", 3), Press("topics", "done"))
    assert asked(other_topic) == "topics_other"


def test_an_answer_to_a_step_no_longer_asked_is_dropped():
    with_other = play(
        *TO_TOPICS,
        Press("topics", 0),
        Press("topics", 3),
        Press("topics", "done"),
        Text("work stress"),
    )
    assert with_other.state.answers["topics_other"] == "work stress"
    assert with_other.events[0] == Answered("topics_other", "work stress", sensitive=True)
    without = play(
        Back(),
        Back(),
        Press("topics", 3),
        Press("topics", 1),
        Press("topics", "done"),
        state=with_other.state,
    )
    assert asked(without) == "age"
    assert "topics_other" not in without.state.answers


def test_change_an_answer_from_the_summary_returns_to_the_summary():
    at_summary = play(*TO_SUMMARY)
    listed = play(Press("summary", "change"), state=at_summary.state)
    assert listed.outputs == (
        Ask(
            "summary",
            "engine.change_which",
            buttons=tuple(
                (Button(f"t.{step_id}", f"change:{step_id}"),)
                for step_id in ("who_for", "topics", "age", "mood")
            ),
            input_hint="engine.hint.summary",
        ),
    )
    assert listed.state == at_summary.state
    changing = play(Press("summary", "change:age"), state=listed.state)
    assert changing.outputs[0] == Chosen("summary", "engine.change_which", ("t.age",))
    assert asked(changing) == "age"
    assert changing.state.returning_to == "summary"
    back_at_summary = play(Text("35"), state=changing.state)
    summary = back_at_summary.outputs[-1]
    assert isinstance(summary, Summary)
    assert SummaryEntry("age", "t.age", answer_text="35") in summary.entries
    assert back_at_summary.state.returning_to is None
    assert back_at_summary.state.history == at_summary.state.history
    done = play(Press("summary", "confirm"), state=back_at_summary.state)
    assert done.events[-1].answers["age"] == 35


def test_a_changed_answer_that_opens_a_branch_asks_the_new_question_then_the_summary():
    at_summary = play(*TO_SUMMARY)
    changing = play(
        Press("summary", "change:who_for"), Press("who_for", 1), state=at_summary.state
    )
    assert asked(changing) == "relation"
    returned = play(Text("my dad"), state=changing.state)
    assert asked(returned) == "summary"
    assert (
        SummaryEntry("relation", "t.relation", answer_text="my dad")
        in returned.outputs[-1].entries
    )


def test_back_while_changing_returns_to_the_summary():
    changing = play(*TO_SUMMARY, Press("summary", "change"), Press("summary", "change:mood"))
    back = play(Back(), state=changing.state)
    assert asked(back) == "summary"
    assert back.state.returning_to is None


def test_change_of_a_step_that_cannot_be_changed_is_a_stale_button():
    at_summary = play(*TO_SUMMARY)
    for choice in ("change:agree", "change:relation", "change:nope", 3):
        stale = play(Press("summary", choice), state=at_summary.state)
        assert stale.outputs[0] == Say("engine.stale_button")
        assert stale.state == at_summary.state


def test_a_stale_button_shows_where_we_are_and_changes_nothing():
    at_age = play(*TO_AGE)
    for press in (Press("who_for", 1), Press("topics", "done"), Press("agree", "no")):
        stale = play(press, state=at_age.state)
        assert stale.outputs == (Say("engine.stale_button"), at_age.outputs[-1])
        assert stale.events == ()
        assert stale.state == at_age.state
    for press in (Press("mood", 9), Press("mood", "yes")):
        at_mood = play(Text("34"), state=at_age.state)
        assert play(press, state=at_mood.state).outputs[0] == Say("engine.stale_button")


def test_multi_choice_toggles_and_done_needs_the_minimum():
    at_topics = play(*TO_TOPICS)
    on = play(Press("topics", 2), state=at_topics.state)
    assert on.outputs == (
        Toggle(
            "topics",
            (
                (Button("t.anxiety", 0), Button("t.sleep", 1)),
                (Button("t.grief", 2, selected=True), Button("t.other_topic", 3)),
                (Button("engine.done", "done"),),
            ),
        ),
    )
    assert on.events == ()
    assert on.state.draft == ("grief",)
    too_few = play(Press("topics", "done"), state=on.state)
    assert too_few.outputs[0] == Say("engine.hint.multi_choice", {"min": 2, "max": 3})
    assert too_few.outputs[1].buttons == on.outputs[0].buttons
    assert too_few.events == (Reasked("topics"),)
    off = play(Press("topics", 2), state=on.state)
    assert off.state.draft == ()
    three = play(Press("topics", 0), Press("topics", 1), state=on.state)
    too_many = play(Press("topics", 3), state=three.state)
    assert too_many.outputs[0] == Say("engine.hint.multi_choice", {"min": 2, "max": 3})
    assert too_many.state.draft == ("anxiety", "sleep", "grief")
    done = play(Press("topics", "done"), state=three.state)
    assert done.state.answers["topics"] == ("anxiety", "sleep", "grief")
    assert done.state.draft == ()


def test_begin_on_an_active_flow_shows_the_current_question_again():
    toggled = play(*TO_TOPICS, Press("topics", 1))
    again = play(Begin(), state=toggled.state)
    assert again.outputs == (
        Ask(
            "topics",
            "t.topics",
            values={"min": 2, "max": 3},
            buttons=toggled.outputs[0].buttons,
            input_hint="engine.hint.multi_choice",
        ),
    )
    assert again.state == toggled.state
    assert again.events == ()


RESTART_POINTS = [
    TO_TOPICS[:1],
    TO_TOPICS[:2],
    TO_TOPICS,
    (*TO_TOPICS, Press("topics", 0)),
    TO_AGE,
    (*TO_AGE, Text("34")),
    (*TO_AGE, Text("34"), Press("mood", 3)),
    TO_SUMMARY,
    (*TO_SUMMARY, Press("summary", "change:mood")),
]


@pytest.mark.parametrize("before", RESTART_POINTS, ids=lambda inputs: f"after {len(inputs)}")
def test_a_restart_midway_asks_the_same_question_again(before):
    running = play(*before)
    stored = json.dumps(running.state.to_dict())
    restored = FlowState.from_dict(json.loads(stored))
    assert restored == running.state
    resumed = step(CHECKUP, restored, Begin(), labels)
    (question,) = resumed.outputs
    last_shown = running.outputs[-1]
    assert question.step_id == running.state.current
    if isinstance(last_shown, Toggle):
        assert question.buttons == last_shown.buttons
    else:
        assert question == last_shown
    assert resumed.state == restored
    assert resumed.events == ()


def test_a_stored_state_of_a_removed_step_starts_the_flow_again():
    lost = FlowState("checkup", "favourite_colour", {"agree": "granted"}, history=("agree",))
    again = step(CHECKUP, lost, Text("blue"), labels)
    assert again.state == FlowState("checkup", "agree")


def test_a_malformed_stored_state_is_refused():
    with pytest.raises(ValueError, match="malformed"):
        FlowState.from_dict({"current": "agree"})
    with pytest.raises(ValueError, match="status"):
        FlowState.from_dict({"flow_id": "checkup", "current": "agree", "status": "paused"})
    with pytest.raises(ValueError, match="malformed"):
        FlowState.from_dict({"flow_id": "checkup", "current": "agree", "answers": {"a": 1.5}})


CONSENT = parse_flow(
    "consent.yaml",
    """
flow: consent
steps:
  - id: participation
    kind: consent
    prompt: c.participation
    consent_kind: participation
    yes: c.yes
    no: c.no
  - id: evaluation
    kind: consent
    prompt: c.evaluation
    consent_kind: evaluation
    yes: c.yes
    no: c.no
    on_decline: continue
  - {id: welcome, kind: message, prompt: c.welcome}
""",
)


def test_declining_a_consent_that_ends_the_flow():
    declined = play(Begin(), Press("participation", "no"), flow=CONSENT)
    assert declined.outputs == (Chosen("participation", "c.participation", ("c.no",)),)
    assert declined.events == (
        Answered("participation", "declined", sensitive=False),
        ConsentDecided("participation", "participation", "declined", "c.participation"),
        Declined("participation"),
    )
    assert declined.state.status == "declined"
    assert declined.state.current is None


def test_declining_a_consent_that_continues():
    finished = play(
        Begin(), Press("participation", "yes"), Press("evaluation", "no"), flow=CONSENT
    )
    assert finished.outputs[-1] == Say("c.welcome")
    assert finished.events[-2] == ConsentDecided(
        "evaluation", "evaluation", "declined", "c.evaluation"
    )
    assert finished.events[-1] == Completed({"participation": "granted", "evaluation": "declined"})
    assert finished.state.status == "completed"


def test_a_red_flag_fires_on_the_matching_answer_only():
    at_topics = play(*TO_TOPICS)
    with_grief = play(
        Press("topics", 0), Press("topics", 2), Press("topics", "done"), state=at_topics.state
    )
    assert with_grief.events == (
        Answered("topics", ("anxiety", "grief"), sensitive=False),
        RedFlag("topics", "acute_distress", "medium", 0),
    )
    without = play(
        Press("topics", 0), Press("topics", 1), Press("topics", "done"), state=at_topics.state
    )
    assert not any(isinstance(event, RedFlag) for event in without.events)
    at_mood = play(*TO_AGE, Text("34"))
    lowest = play(Press("mood", 0), state=at_mood.state)
    assert RedFlag("mood", "acute_distress", "high", 0) in lowest.events
    assert asked(lowest) == "ready"
    assert not any(isinstance(e, RedFlag) for e in play(Text("1"), state=at_mood.state).events)


def test_a_state_of_another_flow_is_refused():
    with pytest.raises(ValueError, match="flow 'consent'"):
        step(CHECKUP, FlowState("consent", "participation"), Begin(), labels)


def test_a_loop_of_skipped_steps_is_reported_not_run_forever():
    looping = parse_flow(
        "loop.yaml",
        """
flow: loop
steps:
  - {id: a, kind: text, prompt: k.a}
  - id: b
    kind: text
    prompt: k.b
    ask_if: {answer: a, equals: never}
    next: [{if: {answer: a, equals: again}, goto: c}]
  - id: c
    kind: text
    prompt: k.c
    ask_if: {answer: a, equals: never}
    next: [{if: {answer: a, equals: again}, goto: b}]
""",
    )
    with pytest.raises(FlowError, match="loop.yaml: flow loop: steps loop without asking"):
        play(Begin(), Text("again"), flow=looping)
