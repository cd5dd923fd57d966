"""Program data: built-in texts, flows and red-flag rules, the program folder's overrides,
named errors."""

from datetime import timedelta
from importlib import resources

import pytest

from peerbot.dialogs.detection import detect
from peerbot.program import ProgramDataError, load_program
from tests.support.program_folder import MOOD, MOOD_TEXTS, english, refusal, write


def test_builtin_texts_have_english_and_spanish_for_every_key():
    texts = load_program().texts
    assert texts.locales == ("en", "es")
    assert set(texts.texts["es"]) == set(texts.texts["en"])


def test_program_folder_overrides_a_text(tmp_path):
    (tmp_path / "texts").mkdir()
    (tmp_path / "texts" / "en.yaml").write_text("locale: en\ntexts:\n  help: Ask us anything\n")
    assert load_program(tmp_path).texts.get("help", "en") == "Ask us anything"


def test_broken_yaml_names_the_file(tmp_path):
    (tmp_path / "texts").mkdir()
    broken = tmp_path / "texts" / "en.yaml"
    broken.write_text("locale: en\ntexts: [unclosed\n")
    with pytest.raises(ProgramDataError, match=str(broken)):
        load_program(tmp_path)


def test_builtin_flows_are_loaded_under_their_ids():
    flows = load_program().flows
    for flow_id, flow in flows.items():
        assert flow.flow == flow_id
        assert flow.source == f"peerbot/dialogs/flows/{flow_id}.yaml"


def _program_folder(tmp_path, flows, texts):
    """Write a program folder with flow files and English texts."""
    for name, text in flows.items():
        write(tmp_path, f"flows/{name}", text)
    write(tmp_path, "texts/en.yaml", english(texts))
    return tmp_path


def test_program_folder_adds_a_flow(tmp_path):
    folder = _program_folder(tmp_path, {"mood.yaml": MOOD}, MOOD_TEXTS)
    program = load_program(folder)
    assert program.flows["mood"].source == str(folder / "flows" / "mood.yaml")
    builtin = resources.files("peerbot.dialogs") / "flows"
    builtin_ids = {entry.name.removesuffix(".yaml") for entry in builtin.iterdir()}
    assert set(program.flows) == builtin_ids | {"mood"}


def test_program_flow_replaces_the_builtin_flow_of_that_id(tmp_path):
    intake = MOOD.replace("flow: mood", "flow: intake")
    folder = _program_folder(tmp_path, {"intake.yaml": intake}, MOOD_TEXTS)
    replaced = load_program(folder).flows["intake"]
    assert replaced.source == str(folder / "flows" / "intake.yaml")
    assert [step.id for step in replaced.steps] == ["energy", "thanks"]


def test_broken_flow_file_names_file_flow_step_and_field(tmp_path):
    broken = MOOD.replace("max: 4", "max: 40")
    folder = _program_folder(tmp_path, {"mood.yaml": broken}, MOOD_TEXTS)
    path = folder / "flows" / "mood.yaml"
    assert refusal(folder) == (
        f"{path}: flow mood, step energy, field max: a scale offers at most 11 buttons"
    )


def test_flow_text_missing_from_the_catalogue_is_named(tmp_path):
    folder = _program_folder(tmp_path, {"mood.yaml": MOOD}, {"mood.energy": "Energy?"})
    path = folder / "flows" / "mood.yaml"
    assert refusal(folder) == (
        f"{path}: flow mood, step thanks, field prompt: "
        "text 'mood.thanks' is missing from the 'en' texts"
    )


def test_flow_file_that_is_not_yaml_names_the_file(tmp_path):
    folder = _program_folder(tmp_path, {"mood.yaml": "flow: [mood\n"}, {})
    with pytest.raises(ProgramDataError, match=rf"^{folder / 'flows' / 'mood.yaml'}: line"):
        load_program(folder)


def test_builtin_red_flag_rules_are_compiled_for_every_locale_with_texts():
    program = load_program()
    assert set(program.red_flag_rules) == set(program.texts.locales) == {"en", "es"}
    assert program.red_flag_rules["es"].sources == ("peerbot/dialogs/redflags/es.yaml",)
    assert detect("no quiero vivir", program.red_flag_rules["es"]).category == "suicide"


def test_program_folder_adds_red_flag_rules_on_top_of_the_builtin_ones(tmp_path):
    (tmp_path / "redflags").mkdir()
    extra = tmp_path / "redflags" / "en.yaml"
    extra.write_text(
        "locale: en\n"
        "rules:\n"
        "  - {id: program.night_shift, category: burnout, severity: medium,\n"
        "     patterns: [night shifts *2 (too much|too many)]}\n"
    )
    rules = load_program(tmp_path).red_flag_rules["en"]
    assert rules.sources == ("peerbot/dialogs/redflags/en.yaml", str(extra))
    assert detect("the night shifts are too much", rules).matched == ("program.night_shift",)
    assert detect("I want to die", rules).category == "suicide"


def test_broken_program_red_flag_rules_name_the_file_and_field(tmp_path):
    broken = write(
        tmp_path,
        "redflags/es.yaml",
        "locale: es\nrules:\n  - {id: x, category: suicide, severity: alta, patterns: [hola]}\n",
    )
    assert refusal(tmp_path) == (
        f"{broken}: rules[0].severity: must be 'critical', 'high' or 'medium' (got 'alta')"
    )


def test_a_locale_with_texts_but_no_red_flag_rules_is_refused(tmp_path):
    (tmp_path / "texts").mkdir()
    (tmp_path / "texts" / "fr.yaml").write_text("locale: fr\ntexts:\n  help: Aide\n")
    with pytest.raises(ProgramDataError, match="no red-flag rules for locale 'fr'"):
        load_program(tmp_path)


def test_builtin_policy_chases_every_severity():
    policy = load_program().policy.escalations
    assert [policy.reraise_after(severity) for severity in ("critical", "high", "medium")] == [
        timedelta(minutes=5),
        timedelta(minutes=30),
        timedelta(hours=4),
    ]
    claimed = [policy.remind_claimed_after(s) for s in ("critical", "high", "medium")]
    assert claimed == [timedelta(hours=1), timedelta(hours=24), timedelta(hours=72)]
    assert (policy.max_reraises, policy.card_text) == (3, "redacted")


def test_program_yaml_overrides_only_the_fields_it_sets(tmp_path):
    (tmp_path / "program.yaml").write_text(
        "escalations:\n  reraise_after_minutes: {high: 10, critical: null}\n  card_text: full\n"
    )
    policy = load_program(tmp_path).policy.escalations
    assert policy.reraise_after("high") == timedelta(minutes=10)
    assert policy.reraise_after("critical") is None  # null: never raised again
    assert (policy.max_reraises, policy.card_text) == (3, "full")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            "escalations:\n  reraise_after_minutes: {critical: 0}\n",
            "escalations.reraise_after_minutes.critical: must be ≥ 1",
        ),
        (
            "escalations:\n  reraise_after_minutes: {urgent: 5}\n",
            "escalations.reraise_after_minutes.urgent: is not a known field",
        ),
        ("escalations:\n  max_reraises: -1\n", "escalations.max_reraises: must be ≥ 0"),
        (
            "escalations:\n  max_reraises: three\n",
            "escalations.max_reraises: must be a whole number (got 'three')",
        ),
        (
            "escalations:\n  card_text: everything\n",
            "escalations.card_text: must be 'redacted' or 'full' (got 'everything')",
        ),
        ("escalations: 5\n", "escalations: must be a mapping"),
        ("escalation:\n  max_reraises: 2\n", "escalation: is not a known field"),
    ],
)
def test_broken_program_yaml_names_the_file_and_field(tmp_path, text, problem):
    policy = write(tmp_path, "program.yaml", text)
    assert refusal(tmp_path) == f"{policy}: {problem}"


def test_program_yaml_that_is_not_a_mapping_is_named(tmp_path):
    (tmp_path / "program.yaml").write_text("- escalations\n")
    with pytest.raises(ProgramDataError, match=r"program\.yaml: expected a mapping of fields$"):
        load_program(tmp_path)


def test_coordinators_read_the_language_program_yaml_names(tmp_path):
    assert load_program().policy.coordinators.language == "en"
    (tmp_path / "program.yaml").write_text("coordinators:\n  language: es\n")
    assert load_program(tmp_path).policy.coordinators.language == "es"


def test_a_coordinators_language_without_texts_is_refused(tmp_path):
    policy = write(tmp_path, "program.yaml", "coordinators:\n  language: fr\n")
    assert refusal(tmp_path) == (
        f"{policy}: coordinators.language: no texts in 'fr' (there are: en, es)"
    )
