"""The evaluation set in tests/redflags/eval: big enough, both languages, a held-out part."""

from collections import Counter
from functools import cache
from pathlib import Path

from peerbot.cli.redflags import load_examples
from peerbot.dialogs.detection.evaluate import Example
from peerbot.dialogs.red_flags import RED_FLAG_CATEGORIES

EVAL = Path(__file__).with_name("eval")


@cache
def examples() -> tuple[Example, ...]:
    return tuple(load_examples([EVAL]))


def test_at_least_600_messages_about_half_spanish_with_a_held_out_quarter():
    items = examples()
    assert len(items) >= 600
    languages = Counter(item.lang for item in items)
    assert set(languages) == {"en", "es"}
    assert 0.4 <= languages["es"] / len(items) <= 0.6
    held_out = sum(item.split == "heldout" for item in items)
    assert 0.2 <= held_out / len(items) <= 0.3


def test_every_category_and_hard_negatives_in_both_languages_and_both_splits():
    for lang in ("en", "es"):
        for split in ("tuned", "heldout"):
            mine = [item for item in examples() if (item.lang, item.split) == (lang, split)]
            categories = {item.category for item in mine}
            assert categories == {*RED_FLAG_CATEGORIES, "none"}, (lang, split)
            assert sum(not item.positive for item in mine) >= 0.25 * len(mine)


def test_no_message_twice():
    texts = Counter(item.text.casefold() for item in examples())
    assert [text for text, count in texts.items() if count > 1] == []
