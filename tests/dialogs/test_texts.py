"""The text catalogue: locale resolution, fallback, and validation naming file and key."""

import pytest

from peerbot.dialogs.texts import TextCatalogError, build_catalog


def catalog(**extra):
    files = {
        "en.yaml": {"locale": "en", "texts": {"hello": "Hello {name}", "bye": "Bye"}},
        "es.yaml": {"locale": "es", "texts": {"hello": "Hola {name}"}},
    }
    files.update(extra)
    return build_catalog(files)


def test_text_in_the_persons_language_with_values():
    assert catalog().get("hello", "es", name="Ana") == "Hola Ana"


def test_missing_translation_falls_back_to_english():
    assert catalog().get("bye", "es") == "Bye"


@pytest.mark.parametrize(
    ("code", "locale"), [("es-MX", "es"), ("ES", "es"), ("fr", "en"), (None, "en")]
)
def test_telegram_language_code_maps_to_a_locale(code, locale):
    assert catalog().resolve_locale(code) == locale


def test_program_file_overrides_one_text():
    texts = catalog(**{"program/en.yaml": {"locale": "en", "texts": {"bye": "See you"}}})
    assert texts.get("bye", "en") == "See you"
    assert texts.get("hello", "en", name="Jo") == "Hello Jo"


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({"texts": {"a": "b"}}, "bad.yaml: field 'locale'"),
        ({"locale": "en", "texts": ["a"]}, "bad.yaml: field 'texts'"),
        ({"locale": "en", "texts": {"bye": ""}}, "bad.yaml: texts.bye"),
        ({"locale": "en", "texts": {"bye": "Bye {"}}, "bad.yaml: texts.bye"),
        ({"locale": "es", "texts": {"hello": "Hola {nombre}"}}, "bad.yaml: texts.hello"),
    ],
)
def test_broken_file_names_file_and_field(document, expected):
    with pytest.raises(TextCatalogError, match=expected.replace(".", r"\.")):
        catalog(**{"bad.yaml": document})


def test_unknown_key_is_an_error():
    with pytest.raises(KeyError):
        catalog().get("nope", "en")
