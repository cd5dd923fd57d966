"""Pseudonyms and request codes: short, prefixed, unambiguous characters."""

from __future__ import annotations

import re

from peerbot.storage.codes import ALPHABET, new_pseudonym, new_request_code
from peerbot.storage.models import Person, SupportRequest


def test_code_shapes_fit_their_columns() -> None:
    pseudonym, code = new_pseudonym(), new_request_code()
    assert re.fullmatch(rf"P-[{ALPHABET}]{{5}}", pseudonym)
    assert re.fullmatch(rf"R-[{ALPHABET}]{{6}}", code)
    assert len(pseudonym) <= Person.__table__.c.pseudonym.type.length  # type: ignore[attr-defined]
    assert len(code) <= SupportRequest.__table__.c.code.type.length  # type: ignore[attr-defined]


def test_alphabet_has_no_look_alikes() -> None:
    assert not set("01ILO") & set(ALPHABET)
    assert len({new_pseudonym() for _ in range(200)}) > 190
