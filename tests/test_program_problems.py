"""What check-config says of a program folder: each mistake at its file, line and column, and
the texts each locale lacks."""

from importlib import resources

import yaml

from peerbot.dialogs.engine_texts import ENGINE_TEXT_KEYS
from peerbot.program import missing_texts, program_problems


def write(folder, name, text):
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def english(texts):
    """A program's English texts: these, plus engine texts the built-in ones may lack."""
    builtin = resources.files("peerbot.dialogs") / "texts" / "en.yaml"
    known = yaml.safe_load(builtin.read_text("utf-8"))["texts"]
    engine = {key: "Engine text" for key in ENGINE_TEXT_KEYS if key not in known}
    return yaml.safe_dump({"locale": "en", "texts": engine | texts})


MOOD = """\
flow: mood
steps:
  - id: energy
    kind: scale
    prompt: mood.energy
    min: 0
    max: 4
  - id: thanks
    kind: message
    prompt: mood.thanks
"""
MOOD_TEXTS = {"mood.energy": "How is your energy?", "mood.thanks": "Thank you"}


def test_built_in_program_has_no_problem_and_no_missing_text():
    problems = program_problems(None)
    assert (problems.errors, dict(problems.missing_texts)) == ((), {})
    assert problems.program is not None and "intake" in problems.program.flows


def test_an_unknown_field_is_named_at_its_line_and_column(tmp_path):
    broken = MOOD.replace("    max: 4\n", "    max: 4\n    colour: blue\n")
    flow = write(tmp_path, "flows/mood.yaml", broken)
    write(tmp_path, "texts/en.yaml", english(MOOD_TEXTS))
    assert program_problems(tmp_path).errors == (
        f"{flow}:8:5: flow mood, step energy, field colour: is not a known field",
    )


def test_a_mistake_found_across_fields_is_named_at_the_field(tmp_path):
    flow = write(tmp_path, "flows/mood.yaml", MOOD.replace("max: 4", "max: 40"))
    write(tmp_path, "texts/en.yaml", english(MOOD_TEXTS))
    assert program_problems(tmp_path).errors == (
        f"{flow}:7:5: flow mood, step energy, field max: a scale offers at most 11 buttons",
    )


def test_a_flow_text_missing_from_the_catalogue_is_named_where_the_flow_uses_it(tmp_path):
    flow = write(tmp_path, "flows/mood.yaml", MOOD)
    write(tmp_path, "texts/en.yaml", english({"mood.energy": "Energy?"}))
    assert program_problems(tmp_path).errors == (
        f"{flow}:10:5: flow mood, step thanks, field prompt: "
        "text 'mood.thanks' is missing from the 'en' texts",
    )


def test_a_step_without_an_id_is_named_by_its_place(tmp_path):
    flow = write(tmp_path, "flows/mood.yaml", MOOD.replace("  - id: thanks\n    kind", "  - kind"))
    write(tmp_path, "texts/en.yaml", english(MOOD_TEXTS))
    assert program_problems(tmp_path).errors == (
        f"{flow}:8:5: flow mood, step #2, field id: is required",
    )


def test_yaml_that_does_not_parse_is_named_at_the_line_and_column_it_stops(tmp_path):
    flow = write(tmp_path, "flows/mood.yaml", "flow: mood\nsteps: [\n  {id: a\n")
    (error,) = program_problems(tmp_path).errors
    assert error.startswith(f"{flow}:4:1: not valid YAML (")


def test_a_broken_text_is_named_at_its_key(tmp_path):
    broken = "locale: es\ntexts:\n  help: Ayuda\n  intake.topics: ''\n"
    texts = write(tmp_path, "texts/es.yaml", broken)
    assert program_problems(tmp_path).errors == (
        f"{texts}:4:3: texts.intake.topics must be a non-empty string",
    )


def test_a_broken_red_flag_rule_is_named_at_its_field(tmp_path):
    rules = write(
        tmp_path,
        "redflags/es.yaml",
        "locale: es\nrules:\n  - id: x\n    category: suicide\n    severity: alta\n"
        "    patterns: [hola]\n",
    )
    assert program_problems(tmp_path).errors == (
        f"{rules}:5:5: rules[0].severity: must be 'critical', 'high' or 'medium' (got 'alta')",
    )


def test_program_yaml_mistakes_are_each_named_at_their_field(tmp_path):
    policy = write(
        tmp_path,
        "program.yaml",
        "# our program\nescalations:\n  max_reraises: -1\n  card_text: everything\n",
    )
    assert program_problems(tmp_path).errors == (
        f"{policy}:3:3: escalations.max_reraises: must be ≥ 0",
        f"{policy}:4:3: escalations.card_text: must be 'redacted' or 'full' (got 'everything')",
    )


def test_crisis_lines_naming_unknown_texts_are_each_named(tmp_path):
    policy = write(
        tmp_path,
        "program.yaml",
        "crisis:\n  countries:\n    ES: crisis.resources.nope\n    MX: crisis.resources.nada\n",
    )
    errors = program_problems(tmp_path).errors
    assert errors == (
        f"{policy}:3:5: crisis.countries.ES: no text 'crisis.resources.nope'",
        f"{policy}:4:5: crisis.countries.MX: no text 'crisis.resources.nada'",
    )


def test_texts_a_locale_lacks_are_listed_by_locale(tmp_path):
    write(tmp_path, "flows/mood.yaml", MOOD)
    write(tmp_path, "texts/en.yaml", english(MOOD_TEXTS))
    write(tmp_path, "texts/es.yaml", "locale: es\ntexts:\n  mood.energy: ¿Cómo va tu energía?\n")
    problems = program_problems(tmp_path)
    assert problems.errors == ()
    assert dict(problems.missing_texts) == {"es": ("mood.thanks",)}
    assert problems.program is not None
    assert missing_texts(problems.program) == {"es": ("mood.thanks",)}
