"""Flow files for editors: the JSON Schema every built-in flow meets, and the line and column
of any field in a YAML text."""

from importlib import resources

import pytest
import yaml

from peerbot.dialogs.flow_yaml import YamlPositions, _FlowLoader, flow_file_schema
from tests.support.program_folder import MOOD

BUILTIN_FLOWS = sorted(
    entry.name for entry in (resources.files("peerbot.dialogs") / "flows").iterdir()
    if entry.name.endswith(".yaml")
)  # fmt: skip


def validator():
    """A JSON Schema validator of the printed schema (the jsonschema package, a test extra)."""
    jsonschema = pytest.importorskip("jsonschema")
    schema = flow_file_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def read(text):
    return yaml.load(text, Loader=_FlowLoader)  # as the bot reads it: yes/no stay words


@pytest.mark.parametrize("name", BUILTIN_FLOWS)
def test_every_builtin_flow_meets_the_schema(name):
    text = (resources.files("peerbot.dialogs") / "flows" / name).read_text("utf-8")
    assert [error.message for error in validator().iter_errors(read(text))] == []


def test_a_step_id_alone_is_a_valid_next():
    assert list(validator().iter_errors(read(MOOD))) == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (("kind: scale", "kind: slider"), ["steps", 0]),
        (("max: 4", "max: 4\n    colour: blue"), ["steps", 0]),
        (("id: energy", "id: Energy"), ["steps", 0]),
        (("next: thanks", "next: 5"), ["steps", 0]),
        (("flow: mood", "flow: mood\nsource: x"), []),
    ],
)
def test_a_broken_flow_fails_the_schema_at_its_step(change, field):
    errors = list(validator().iter_errors(read(MOOD.replace(*change))))
    assert errors
    assert all(list(error.absolute_path)[: len(field)] == field for error in errors)


def test_fields_carry_help_for_editors():
    schema = flow_file_schema()
    assert schema["title"] == "peerbot flow file"
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert "source" not in schema["properties"]
    scale = schema["$defs"]["ScaleStep"]
    assert scale["description"] == "A whole number between min and max, offered as buttons."
    assert scale["properties"]["prompt"]["description"].startswith("The key of the text shown")
    branch = schema["$defs"]["Branch"]["properties"]
    assert branch["if"]["description"] == "Take this branch when the condition holds."


FILE = """\
flow: mood
steps:
  - id: energy
    kind: scale
    red_flags:
      - {when: {at_most: 0}, category: suicide, severity: high}
  - id: who
    options:
      - {value: a, text: mood.a}
texts:
  intake.topics.other: Other
  intake.topics: Topics
"""


@pytest.mark.parametrize(
    ("path", "position"),
    [
        ("flow", (1, 1)),
        ("steps[0].kind", (4, 5)),
        ("steps[#energy].red_flags[0].severity", (6, 49)),
        ("steps[#who].options[0].text", (9, 20)),
        ("steps[1]", (7, 5)),
        ("steps[#nobody].kind", (2, 1)),  # no such step: the steps
        ("steps[0].hint", (3, 5)),  # a field not written: its step
        ("texts.intake.topics.other", (11, 3)),  # the longest key that fits
        ("texts.intake.topics", (12, 3)),
        ("(file)", (1, 1)),
    ],
)
def test_the_line_and_column_a_field_is_written_at(path, position):
    assert YamlPositions(FILE).of(path) == position


def test_text_that_is_not_yaml_says_where_it_stops():
    positions = YamlPositions("flow: mood\nsteps: [unclosed\n")
    assert positions.syntax_error is not None
    assert positions.syntax_error[:2] == (3, 1)
    assert positions.of("steps") == (3, 1)
