"""What check-config says of a program folder: each mistake at its file, line and column, and
the texts each locale lacks."""

import pytest

from peerbot.program import missing_texts, program_problems
from tests.support.program_folder import MOOD, MOOD_TEXTS, english, write


def test_built_in_program_has_no_problem_and_no_missing_text():
    problems = program_problems(None)
    assert (problems.errors, dict(problems.missing_texts)) == ((), {})
    assert problems.program is not None and "intake" in problems.program.flows


@pytest.mark.parametrize(
    ("change", "texts", "place", "problem"),
    [
        pytest.param(
            ("    max: 4\n", "    max: 4\n    colour: blue\n"),
            MOOD_TEXTS,
            "8:5",
            "flow mood, step energy, field colour: is not a known field",
            id="an unknown field at its line and column",
        ),
        pytest.param(
            ("max: 4", "max: 40"),
            MOOD_TEXTS,
            "7:5",
            "flow mood, step energy, field max: a scale offers at most 11 buttons",
            id="a mistake found across fields at the field",
        ),
        pytest.param(
            ("", ""),  # the flow as it is
            {"mood.energy": "Energy?"},
            "11:5",
            "flow mood, step thanks, field prompt: "
            "text 'mood.thanks' is missing from the 'en' texts",
            id="a flow text missing from the catalogue where the flow uses it",
        ),
        pytest.param(
            ("  - id: thanks\n    kind", "  - kind"),
            MOOD_TEXTS,
            "9:5",
            "flow mood, step #2, field id: is required",
            id="a step without an id by its place",
        ),
    ],
)
def test_a_mistake_in_a_flow_is_named_where_it_is(tmp_path, change, texts, place, problem):
    flow = write(tmp_path, "flows/mood.yaml", MOOD.replace(*change))
    write(tmp_path, "texts/en.yaml", english(texts))
    assert program_problems(tmp_path).errors == (f"{flow}:{place}: {problem}",)


def test_yaml_that_does_not_parse_is_named_at_the_line_and_column_it_stops(tmp_path):
    flow = write(tmp_path, "flows/mood.yaml", "flow: mood\nsteps: [\n  {id: a\n")
    (error,) = program_problems(tmp_path).errors
    assert error.startswith(f"{flow}:4:1: not valid YAML (")


@pytest.mark.parametrize(
    ("name", "text", "problems"),
    [
        pytest.param(
            "texts/es.yaml",
            "locale: es\ntexts:\n  help: Ayuda\n  intake.topics: ''\n",
            ["4:3: texts.intake.topics must be a non-empty string"],
            id="a broken text at its key",
        ),
        pytest.param(
            "redflags/es.yaml",
            "locale: es\nrules:\n  - id: x\n    category: suicide\n    severity: alta\n"
            "    patterns: [hola]\n",
            ["5:5: rules[0].severity: must be 'critical', 'high' or 'medium' (got 'alta')"],
            id="a broken red-flag rule at its field",
        ),
        pytest.param(
            "program.yaml",
            "# our program\nescalations:\n  max_reraises: -1\n  card_text: everything\n",
            [
                "3:3: escalations.max_reraises: must be ≥ 0",
                "4:3: escalations.card_text: must be 'redacted' or 'full' (got 'everything')",
            ],
            id="program.yaml mistakes each at their field",
        ),
        pytest.param(
            "program.yaml",
            "crisis:\n  countries:\n"
            "    ES: crisis.resources.nope\n    MX: crisis.resources.nada\n",
            [
                "3:5: crisis.countries.ES: no text 'crisis.resources.nope'",
                "4:5: crisis.countries.MX: no text 'crisis.resources.nada'",
            ],
            id="crisis lines naming unknown texts each",
        ),
        pytest.param(
            "program.yaml",
            "followup:\n  every_weeks: 0\n  consent_promises: [checkin, weekly_quiz]\n",
            [
                "2:3: followup.every_weeks: must be ≥ 1",
                "3:3: followup.consent_promises.1: must be 'checkin', 'satisfaction' or "
                "'review' (got 'weekly_quiz')",
            ],
            id="the follow-up's times and promises at their field",
        ),
    ],
)
def test_a_mistake_in_a_file_is_named_at_its_line_and_column(tmp_path, name, text, problems):
    path = write(tmp_path, name, text)
    assert program_problems(tmp_path).errors == tuple(f"{path}:{problem}" for problem in problems)


def test_texts_a_locale_lacks_are_listed_by_locale(tmp_path):
    write(tmp_path, "flows/mood.yaml", MOOD)
    write(tmp_path, "texts/en.yaml", english(MOOD_TEXTS))
    write(tmp_path, "texts/es.yaml", "locale: es\ntexts:\n  mood.energy: ¿Cómo va tu energía?\n")
    problems = program_problems(tmp_path)
    assert problems.errors == ()
    assert dict(problems.missing_texts) == {"es": ("mood.thanks",)}
    assert problems.program is not None
    assert missing_texts(problems.program) == {"es": ("mood.thanks",)}
