"""Eligibility (program.yaml eligibility) holds a request for a coordinator; resources
(program.yaml resources) are the referral options that fit a person's topics and country."""

from __future__ import annotations

from importlib import resources

import pytest
from pydantic import ValidationError

from peerbot.dialogs.eligibility import hold_reasons, referrals, youngest_in_band
from peerbot.dialogs.policy import EligibilityPolicy, ResourceEntry
from peerbot.program import load_program
from tests.support.program_folder import refusal, write

ANSWERS = {"age_band": "age_25_34", "country": "ES", "languages": ["es"], "safety": "no"}
SERVES_ES = EligibilityPolicy(minimum_age=18, regions=("ES", "MX"), languages=("es",))


@pytest.mark.parametrize(
    ("band", "youngest"),
    [
        ("under_18", 0),
        ("age_18_24", 18),
        ("age_65_plus", 65),
        ("prefer_not_to_say", None),
        (None, None),
    ],
)
def test_an_age_band_says_the_youngest_age_it_can_hold(band, youngest):
    assert youngest_in_band(band) == youngest


@pytest.mark.parametrize(
    ("changed", "reasons"),
    [
        ({}, ()),
        ({"age_band": "under_18"}, ("age",)),
        ({"age_band": "prefer_not_to_say"}, ()),  # nothing known: a coordinator is not needed
        ({"country": "AR"}, ("region",)),
        ({"country": "other"}, ("region",)),
        ({"country": None}, ("region",)),  # skipped: the program cannot know it serves them
        ({"languages": ["en", "es"]}, ()),
        ({"languages": ["en", "other"]}, ("language",)),
        ({"safety": "yes"}, ("safety",)),
        ({"safety": "prefer_not_to_say"}, ()),
        ({"age_band": "under_18", "safety": "yes", "country": "GB"}, ("age", "region", "safety")),
    ],
)
def test_a_request_outside_eligibility_or_not_safe_is_held_with_each_reason(changed, reasons):
    assert hold_reasons(SERVES_ES, {**ANSWERS, **changed}) == reasons


def test_the_defaults_hold_only_under_18_and_not_safe():
    everyone = EligibilityPolicy()
    assert everyone.minimum_age == 18 and everyone.regions == () and everyone.languages == ()
    anywhere = {**ANSWERS, "country": None, "languages": ["other"]}
    assert hold_reasons(everyone, anywhere) == ()
    assert hold_reasons(everyone, {**anywhere, "age_band": "under_18"}) == ("age",)


def test_a_higher_minimum_age_holds_a_band_that_may_be_younger():
    assert hold_reasons(EligibilityPolicy(minimum_age=21), {"age_band": "age_18_24"}) == ("age",)
    assert hold_reasons(EligibilityPolicy(minimum_age=21), {"age_band": "age_25_34"}) == ()


ENTRIES = (
    ResourceEntry(text="resources.general"),
    ResourceEntry(topics=("grief",), text="resources.grief"),
    ResourceEntry(regions=("ES",), name="Teléfono de la Esperanza", contact="717 003 717"),
    ResourceEntry(topics=("substance_use",), regions=("GB",), name="Frank", contact="0300"),
)


@pytest.mark.parametrize(
    ("topics", "country", "named"),
    [
        (["grief"], "ES", ["resources.general", "resources.grief", "Teléfono de la Esperanza"]),
        (["anxiety"], "es", ["resources.general", "Teléfono de la Esperanza"]),
        (["anxiety"], None, ["resources.general"]),
        (["substance_use"], "GB", ["resources.general", "Frank"]),
        (["substance_use"], "ES", ["resources.general", "Teléfono de la Esperanza"]),
    ],
)
def test_referral_options_fit_the_topics_and_the_country_in_program_order(topics, country, named):
    found = referrals(ENTRIES, topics, country)
    assert [entry.text or entry.name for entry in found] == named


@pytest.mark.parametrize(
    "bad",
    [
        {"text": "resources.general", "name": "A", "contact": "B"},
        {"name": "Only a name"},
        {},
        {"text": "crisis.resources"},  # not a resources text key
        {"text": "resources.general", "regions": ["Spain"]},
        {"text": "resources.general", "topics": []},
    ],
)
def test_a_malformed_resource_entry_is_refused(bad):
    with pytest.raises(ValidationError):
        ResourceEntry.model_validate(bad)


def test_the_built_in_resources_exist_in_english_and_spanish_and_say_to_check_them():
    program = load_program()
    keys = [entry.text for entry in program.policy.resources if entry.text]
    assert "resources.general" in keys
    for key in keys:
        assert program.texts.get(key, "en") != program.texts.get(key, "es")
    text = (resources.files("peerbot.dialogs") / "program.yaml").read_text("utf-8")
    assert "CHECK EVERY ENTRY BEFORE USE" in text


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("eligibility:\n  minimum_age: eighteen\n", "eligibility.minimum_age: must be a whole"),
        ("eligibility:\n  regions: [Spain]\n", "eligibility.regions.0: 'Spain' does not have"),
        ("waiting:\n  still_looking_after_days: 0\n", "waiting.still_looking_after_days: must"),
        (
            "resources:\n  - {name: Frank}\n",
            "resources.0: needs a text key, or both name and contact",
        ),
    ],
)
def test_a_broken_eligibility_or_resources_field_names_the_file_and_the_field(
    tmp_path, text, problem
):
    policy = write(tmp_path, "program.yaml", text)
    assert refusal(tmp_path).startswith(f"{policy}: {problem}")


def test_a_resource_text_that_does_not_exist_names_the_file_and_the_field(tmp_path):
    policy = write(tmp_path, "program.yaml", "resources:\n  - {text: resources.nowhere}\n")
    assert refusal(tmp_path) == f"{policy}: resources.0.text: no text 'resources.nowhere'"
