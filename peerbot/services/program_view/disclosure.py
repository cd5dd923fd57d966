"""What an export may show of a person: the rules in one place, so every kind of export
follows them alike.

- Only people whose newest evaluation consent is granted and not withdrawn appear; everyone
  else is left out and only counted (`peerbot export` says how many rows).
- People and requests appear under export codes, not the codes coordinators see on cards in
  the group: an export that travels cannot be laid beside a card to tell who is who. The code
  is a keyed digest of the card's code (the first encryption key), so it is the same in every
  export until the keys are rotated.
- Times are coarsened to the day, or with `--coarse` to the ISO week.
- A CSV cell that a spreadsheet would run as a formula (=, +, -, @, tab, carriage return) is
  written with a leading apostrophe.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from peerbot.storage.crypto import FieldCipher

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
EXPORT_CODE_LENGTH = 8


@dataclass(frozen=True)
class Disclosure:
    """How one export shows codes and times."""

    cipher: FieldCipher
    coarse: bool = False

    def code(self, shown: str | None) -> str | None:
        """The export code of a card's code (P-… for a person, R-… for a request)."""
        if shown is None:
            return None
        digest = self.cipher.blind(f"export:{shown}")[:EXPORT_CODE_LENGTH].upper()
        return f"{shown[:1]}X-{digest}"

    def when(self, moment: datetime | None) -> str | None:
        """The day (YYYY-MM-DD, UTC), or the ISO week (YYYY-Www) when coarse."""
        if moment is None:
            return None
        day = moment.astimezone(UTC).date()
        if not self.coarse:
            return day.isoformat()
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"


def spreadsheet_safe(text: str) -> str:
    """A text cell a spreadsheet shows as text, never runs as a formula."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text
