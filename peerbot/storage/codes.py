"""Short random codes shown instead of names: person pseudonyms and support request codes."""

from __future__ import annotations

import secrets

# Digits and capitals without the look-alikes 0/O, 1/I/L, so codes survive being read aloud.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def random_code(prefix: str, length: int) -> str:
    """Return ``prefix-`` followed by ``length`` random characters, e.g. ``P-7K3Q9``."""
    return prefix + "-" + "".join(secrets.choice(ALPHABET) for _ in range(length))


def new_pseudonym() -> str:
    """Return a fresh pseudonym such as ``P-7K3Q9`` (unique in the table; retry on clash)."""
    return random_code("P", 5)


def new_request_code() -> str:
    """Return a fresh support request code such as ``R-4F7KQ2``."""
    return random_code("R", 6)
