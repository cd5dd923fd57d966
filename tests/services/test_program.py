"""Program data: the built-in texts are complete in English and Spanish; overrides apply."""

import pytest

from peerbot.services.program import ProgramDataError, load_program


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
