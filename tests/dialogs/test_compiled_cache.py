"""Compiled red-flag rules kept between starts: read back when nothing they depend on changed,
compiled again when anything did, and never a reason for a start to fail."""

import os
import stat
from pathlib import Path

import pytest

from peerbot.dialogs.detection import build_rule_sets, detect, parse_rule_file
from peerbot.dialogs.detection.compiled_cache import PREFIX, cache_folder, cached_rule_sets
from peerbot.program import load_program

RULES = """
locale: en
lexicons:
  pills: [pills, tablets]
rules:
  - {id: s.means, category: suicide, severity: high, patterns: ["stockpiling @pills"]}
"""


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "peerbot"


class Compiles:
    """A compile step that counts its calls."""

    def __init__(self, *files: tuple[str, str]) -> None:
        self.files = files
        self.calls = 0

    def __call__(self):
        self.calls += 1
        return build_rule_sets((name, parse_rule_file(name, text)) for name, text in self.files)


def test_the_cache_is_the_users_xdg_cache_folder(own_cache: Path):
    assert cache_folder() == own_cache


def test_a_second_start_reads_the_compiled_rules_instead_of_compiling(own_cache: Path):
    files = (("redflags/en.yaml", RULES),)
    first, second = Compiles(*files), Compiles(*files)
    compiled = cached_rule_sets(files, first)
    read_back = cached_rule_sets(files, second)
    assert (first.calls, second.calls) == (1, 0)
    assert [path.name.startswith(PREFIX) for path in own_cache.iterdir()] == [True]
    message = "i have been stockpiling tablets"
    assert detect(message, read_back["en"]) == detect(message, compiled["en"])
    assert detect(message, read_back["en"]).flagged


def test_an_edited_rules_file_is_compiled_again_not_read_from_an_old_table():
    original = (("redflags/en.yaml", RULES),)
    edited = (("redflags/en.yaml", RULES.replace("tablets", "capsules")),)
    cached_rule_sets(original, Compiles(*original))
    recompiles = Compiles(*edited)
    rules = cached_rule_sets(edited, recompiles)
    assert recompiles.calls == 1
    assert detect("stockpiling capsules", rules["en"]).flagged
    assert not detect("stockpiling tablets", rules["en"]).flagged


def test_a_damaged_cache_file_is_compiled_again_and_replaced(own_cache: Path):
    files = (("redflags/en.yaml", RULES),)
    cached_rule_sets(files, Compiles(*files))
    (kept,) = own_cache.iterdir()
    kept.write_bytes(kept.read_bytes()[:100])  # a write cut short, a disk error
    again = Compiles(*files)
    rules = cached_rule_sets(files, again)
    assert again.calls == 1
    assert detect("stockpiling pills", rules["en"]).flagged
    after = Compiles(*files)
    cached_rule_sets(files, after)
    assert after.calls == 0, "the replaced file is read back"
    assert kept.stat().st_size > 100  # replaced by a whole file


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only folders")
def test_a_folder_that_cannot_be_written_only_means_compiling(own_cache: Path):
    own_cache.parent.mkdir()
    own_cache.parent.chmod(stat.S_IRUSR | stat.S_IXUSR)
    files = (("redflags/en.yaml", RULES),)
    rules = cached_rule_sets(files, Compiles(*files))
    assert detect("stockpiling pills", rules["en"]).flagged


def test_a_cache_path_that_is_a_file_only_means_compiling(tmp_path: Path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    files = (("redflags/en.yaml", RULES),)
    compiles = Compiles(*files)
    rules = cached_rule_sets(files, compiles)
    assert compiles.calls == 1
    assert detect("stockpiling pills", rules["en"]).flagged


def test_the_built_in_program_screens_the_same_from_the_cache_as_freshly_compiled(
    own_cache: Path,
):
    fresh = load_program().red_flag_rules
    assert len(list(own_cache.iterdir())) == 1
    cached = load_program().red_flag_rules
    messages = {
        "en": ["i wrote my goodbye letters and sorted who gets the cat", "see you at lunch"],
        "es": ["ya compre la cuerda, esta noche se acaba todo", "nos vemos el lunes"],
    }
    for locale, texts in messages.items():
        for text in texts:
            assert detect(text, cached[locale]) == detect(text, fresh[locale])
    assert detect(messages["es"][0], cached["es"]).flagged
