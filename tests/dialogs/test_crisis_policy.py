"""Crisis resources by country: the country a person chose, else their time zone's country,
else the general ones; program.yaml names only texts that exist."""

import pytest
from pydantic import ValidationError

from peerbot.dialogs.policy import CrisisPolicy, PolicyError, check_crisis_texts
from peerbot.program import load_program
from tests.support.program_folder import refusal, write

POLICY = CrisisPolicy(
    countries={
        "ES": "crisis.resources.es",
        "AR": "crisis.resources.ar",
        "JP": "crisis.resources.jp",
    },
    countries_by_time_zone={"Europe/Madrid": "ES", "Asia/Tokyo": "JP"},
)
TEXTS = {"crisis.resources", "crisis.resources.es", "crisis.resources.ar"}
PROGRAM = load_program()
REQUIRED = ("ES", "GB", "IE", "US", "CA", "MX", "AR", "CO", "CL", "PE")


@pytest.mark.parametrize(
    ("country", "time_zone", "key"),
    [
        ("AR", "Europe/Madrid", "crisis.resources.ar"),  # the country before the time zone
        ("ar", None, "crisis.resources.ar"),
        (None, "Europe/Madrid", "crisis.resources.es"),
        ("other", "Europe/Madrid", "crisis.resources.es"),
        ("JP", None, "crisis.resources"),  # a country without its own texts
        (None, "Asia/Tokyo", "crisis.resources"),
        (None, "America/Lima", "crisis.resources"),
        (None, None, "crisis.resources"),
    ],
)
def test_the_country_picks_the_resources_then_the_time_zone_then_the_general(
    country, time_zone, key
):
    assert POLICY.resources_key(time_zone, TEXTS.__contains__, country=country) == key


def test_the_older_regions_by_time_zone_still_work():
    policy = CrisisPolicy(regions_by_time_zone={"Europe/Madrid": "spain"})
    assert policy.resources_key("Europe/Madrid", {"crisis.resources.spain"}.__contains__) == (
        "crisis.resources.spain"
    )


@pytest.mark.parametrize(
    "bad",
    [
        {"countries": {"Ar": "crisis.resources.ar"}},
        {"countries": {"ARG": "crisis.resources.ar"}},
        {"countries": {"AR": "help"}},  # not a crisis text key
        {"countries_by_time_zone": {"Europe/Madrid": "ES"}},  # a country not listed
        {"regions_by_time_zone": {"Europe/Madrid": "Spain!"}},
    ],
)
def test_malformed_entries_are_refused(bad):
    with pytest.raises(ValidationError):
        CrisisPolicy.model_validate(bad)


def test_an_unknown_text_key_is_refused_naming_the_field():
    expected = r"crisis\.countries\.JP: no text 'crisis\.resources\.jp'"
    with pytest.raises(PolicyError, match=expected):
        check_crisis_texts(POLICY, TEXTS.__contains__)


def test_the_defaults_cover_the_required_countries_in_english_and_spanish():
    crisis = PROGRAM.policy.crisis
    assert set(REQUIRED) <= set(crisis.countries)
    for code in REQUIRED:
        key = crisis.resources_key(None, PROGRAM.texts.has, country=code)
        assert key == f"crisis.resources.{code.lower()}"
        english, spanish = PROGRAM.texts.get(key, "en"), PROGRAM.texts.get(key, "es")
        assert english != spanish
        assert "If you are in danger" in english and "Si estás en peligro" in spanish


@pytest.mark.parametrize(
    ("code", "numbers"),
    [
        ("ES", ["112", "024"]),
        ("GB", ["999", "116 123", "111"]),
        ("IE", ["112", "116 123", "1800 247 247"]),
        ("US", ["911", "988"]),
        ("CA", ["911", "9-8-8"]),
        ("MX", ["911", "800 911 2000"]),
        ("AR", ["911", "107", "135"]),
        ("CO", ["123", "192", "106"]),
        ("CL", ["131", "133", "*4141"]),
        ("PE", ["105", "106", "113"]),
    ],
)
def test_each_country_block_gives_its_numbers_in_both_languages(code, numbers):
    key = PROGRAM.policy.crisis.countries[code]
    for locale in ("en", "es"):
        text = PROGRAM.texts.get(key, locale)
        assert all(number in text for number in numbers), (code, locale)


@pytest.mark.parametrize(
    ("yaml", "field"),
    [
        ("crisis:\n  countries: {XX: crisis.resources.xx}\n", "crisis.countries.XX"),
        ("crisis:\n  countries: {ar: crisis.resources.ar}\n", "crisis.countries.ar"),
    ],
)
def test_program_yaml_names_the_file_and_field_of_a_bad_entry(tmp_path, yaml, field):
    policy = write(tmp_path, "program.yaml", yaml)
    refused = refusal(tmp_path)
    assert str(policy) in refused
    assert field in refused
