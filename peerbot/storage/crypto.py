"""Encryption of sensitive free text at rest (Fernet, with key rotation)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

KEY_VARIABLE = "PEERBOT_ENCRYPTION_KEY"
# Kept apart from any other use of a hash of the key.
_FINGERPRINT_DOMAIN = b"peerbot encryption key fingerprint\0"
_BLIND_DOMAIN = b"peerbot blind digest\0"


def key_fingerprint(key: str) -> str:
    """A short public name of a key: 16 hex digits of a SHA-256 of it, never the key itself.

    Stored in the database so a start with another key is caught before any decryption.
    """
    raw = base64.urlsafe_b64decode(key.strip().encode("ascii"))
    return hashlib.sha256(_FINGERPRINT_DOMAIN + raw).hexdigest()[:16]


class DecryptionError(Exception):
    """A ciphertext was not made with any configured key, or was altered."""


class FieldCipher:
    """Encrypt and decrypt ``*_enc`` column values.

    ``key`` is one Fernet key or several separated by commas: the first encrypts, all
    decrypt, so a new key can be put first while old ciphertexts stay readable.
    """

    def __init__(self, key: str) -> None:
        keys = [part.strip() for part in key.split(",") if part.strip()]
        if not keys:
            raise ValueError(f"{KEY_VARIABLE} is empty; make one with `peerbot keys generate`")
        fernets = []
        for position, part in enumerate(keys, start=1):
            try:
                fernets.append(Fernet(part))
            except ValueError:
                raise ValueError(
                    f"{KEY_VARIABLE}: key #{position} is not a Fernet key "
                    "(32 url-safe base64-encoded bytes, 44 characters)"
                ) from None
        self._fernet = MultiFernet(fernets)
        self._fernets = fernets
        self.fingerprints = tuple(key_fingerprint(part) for part in keys)
        """The keys' fingerprints, in order: the first is the one that encrypts."""
        first = base64.urlsafe_b64decode(keys[0].encode("ascii"))
        self._blind_key = hashlib.sha256(_BLIND_DOMAIN + first).digest()

    def blind(self, text: str) -> str:
        """A keyed digest: the same text always gives the same value, and without the key
        nobody can tell which text it was (e.g. a Telegram chat id kept to de-duplicate)."""
        return hmac.new(self._blind_key, text.encode("utf-8"), hashlib.sha256).hexdigest()[:32]

    @staticmethod
    def generate_key() -> str:
        """Return a new random key in the form ``PEERBOT_ENCRYPTION_KEY`` expects."""
        return Fernet.generate_key().decode("ascii")

    def encrypt(self, text: str | None) -> str | None:
        """Return the ciphertext of ``text`` (``None`` stays ``None``)."""
        if text is None:
            return None
        return self._fernet.encrypt(text.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str | None) -> str | None:
        """Return the plain text of ``token`` (``None`` stays ``None``)."""
        if token is None:
            return None
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeEncodeError):
            raise DecryptionError(f"ciphertext does not match any key in {KEY_VARIABLE}") from None

    def opens(self, token: str, position: int = 0) -> bool:
        """Whether the key at ``position`` (0: the first, which encrypts) decrypts ``token``."""
        try:
            self._fernets[position].decrypt(token.encode("ascii"))
        except (InvalidToken, UnicodeEncodeError):
            return False
        return True

    def rotate(self, token: str | None) -> str | None:
        """Re-encrypt ``token`` with the first key (after a key rotation)."""
        if token is None:
            return None
        try:
            return self._fernet.rotate(token.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeEncodeError):
            raise DecryptionError(f"ciphertext does not match any key in {KEY_VARIABLE}") from None


def load_or_create_key_file(path: Path) -> str:
    """Return the key stored at ``path``, creating the file (mode 0600) when it is missing.

    For the embedded default, when the operator set no ``PEERBOT_ENCRYPTION_KEY``.
    Losing this file makes every encrypted field unreadable: back it up with the database.
    """
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_text(encoding="ascii").strip()
        try:
            FieldCipher(key)
        except ValueError as error:
            raise ValueError(f"key file {path}: {error}") from None
        return key
    key = FieldCipher.generate_key()
    with os.fdopen(descriptor, "w", encoding="ascii") as key_file:
        key_file.write(key + "\n")
    return key
