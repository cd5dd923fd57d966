"""Field encryption: round trip, wrong keys, rotation, key validation, the key file."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from peerbot.storage.crypto import DecryptionError, FieldCipher, load_or_create_key_file

SECRET = "I have not slept in three days — ayuda"


def test_round_trip() -> None:
    cipher = FieldCipher(FieldCipher.generate_key())
    token = cipher.encrypt(SECRET)
    assert token is not None
    assert cipher.decrypt(token) == SECRET


def test_ciphertext_hides_the_text_and_differs_each_time() -> None:
    cipher = FieldCipher(FieldCipher.generate_key())
    first, second = cipher.encrypt(SECRET), cipher.encrypt(SECRET)
    assert first is not None and second is not None
    assert first != SECRET and first != second
    assert "three days" not in first and "ayuda" not in first


def test_none_passes_through() -> None:
    cipher = FieldCipher(FieldCipher.generate_key())
    assert cipher.encrypt(None) is None
    assert cipher.decrypt(None) is None


def test_a_wrong_key_cannot_decrypt() -> None:
    token = FieldCipher(FieldCipher.generate_key()).encrypt(SECRET)
    with pytest.raises(DecryptionError, match="PEERBOT_ENCRYPTION_KEY"):
        FieldCipher(FieldCipher.generate_key()).decrypt(token)


def test_tampered_ciphertext_is_refused() -> None:
    cipher = FieldCipher(FieldCipher.generate_key())
    with pytest.raises(DecryptionError):
        cipher.decrypt("not-a-token")


def test_rotation_new_key_encrypts_old_keys_still_decrypt() -> None:
    old_key, new_key = FieldCipher.generate_key(), FieldCipher.generate_key()
    old_token = FieldCipher(old_key).encrypt(SECRET)
    rotated = FieldCipher(f"{new_key}, {old_key}")
    assert rotated.decrypt(old_token) == SECRET
    new_token = rotated.encrypt(SECRET)
    assert FieldCipher(new_key).decrypt(new_token) == SECRET
    re_encrypted = rotated.rotate(old_token)
    assert FieldCipher(new_key).decrypt(re_encrypted) == SECRET
    with pytest.raises(DecryptionError):
        FieldCipher(old_key).decrypt(new_token)


@pytest.mark.parametrize("key", ["", " , ", "too-short", "x" * 44, "ñ" * 44])
def test_malformed_key_names_the_setting(key: str) -> None:
    with pytest.raises(ValueError, match="PEERBOT_ENCRYPTION_KEY") as raised:
        FieldCipher(key)
    if key.strip(" ,"):
        assert key not in str(raised.value)  # never echo key material


def test_malformed_second_key_is_reported_by_position() -> None:
    with pytest.raises(ValueError, match="key #2"):
        FieldCipher(FieldCipher.generate_key() + ",bad")


def test_key_file_is_created_private_and_reused(tmp_path: Path) -> None:
    path = tmp_path / ".peerbot-key"
    key = load_or_create_key_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_key_file(path) == key
    FieldCipher(key)  # a valid key


def test_malformed_key_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "key"
    path.write_text("garbage\n")
    with pytest.raises(ValueError, match=str(path)):
        load_or_create_key_file(path)


def test_blind_digest_is_stable_keyed_and_does_not_show_the_text():
    key = FieldCipher.generate_key()
    cipher = FieldCipher(key)
    digest = cipher.blind("123456789:42")
    assert digest == FieldCipher(key).blind("123456789:42"), "stable across restarts"
    assert digest != cipher.blind("123456789:43")
    assert digest != FieldCipher(FieldCipher.generate_key()).blind("123456789:42"), "keyed"
    assert "123456789" not in digest
