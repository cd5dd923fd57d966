"""Button data: round trips, the 64-byte limit, and malformed data decoded as None."""

import dataclasses
from typing import ClassVar

import pytest

from peerbot.services.conversations import actions
from peerbot.services.conversations import callback_data as cd


@pytest.mark.parametrize(
    "data",
    [
        cd.FlowPress(step="topics", choice="3"),
        cd.FlowPress(step="confirm", choice="change:who_for"),
        actions.ConsentWithdraw(kind="evaluation"),
        actions.ForgetAnswer(erase=True),
        actions.ForgetAnswer(erase=False),
        actions.LanguageChoice(locale="es"),
    ],
)
def test_round_trip(data):
    encoded = cd.encode(data)
    assert len(encoded.encode()) <= cd.MAX_BYTES
    assert cd.decode(encoded) == data


def test_data_is_short_and_typed():
    assert cd.encode(actions.ForgetAnswer(erase=True)) == "fg:1"
    assert cd.encode(cd.FlowPress(step="age", choice="2")) == "f:age:2"


def test_over_64_bytes_is_refused_at_encode():
    with pytest.raises(cd.CallbackDataError, match="64 bytes"):
        cd.encode(cd.FlowPress(step="s" * 40, choice="c" * 30))


def test_separator_only_allowed_in_the_last_field():
    with pytest.raises(cd.CallbackDataError):
        cd.encode(cd.FlowPress(step="a:b", choice="1"))


@pytest.mark.parametrize("raw", [None, "", "zz:1", "fg:maybe", "fg", "f:onlystep", "cw"])
def test_unknown_or_malformed_data_decodes_to_none(raw):
    assert cd.decode(raw) is None


def test_registered_type_with_int_field():
    @cd.register
    @dataclasses.dataclass(frozen=True)
    class Claim:
        prefix: ClassVar[str] = "test_claim"
        escalation_id: int

    assert cd.decode(cd.encode(Claim(42))) == Claim(42)
    assert cd.decode("test_claim:forty-two") is None
