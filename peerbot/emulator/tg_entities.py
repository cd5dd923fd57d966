"""Entities in the fake's texts: UTF-16 offsets, entity building for the HTML/Markdown parsers,
and the entities Telegram finds by itself in what a person writes."""

from __future__ import annotations

import re

from .fake_errors import ApiError, bad_request


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit Telegram uses for entity offsets."""
    return len(text.encode("utf-16-le")) // 2


_AUTO_ENTITIES = (
    ("bot_command", re.compile(r"(?<![\w/])/[a-zA-Z0-9_]{1,32}(?:@[a-zA-Z0-9_]{3,32})?")),
    ("mention", re.compile(r"(?<![\w@])@[a-zA-Z0-9_]{4,32}")),
    ("url", re.compile(r"\bhttps?://[^\s]+")),
    ("hashtag", re.compile(r"(?<![\w#])#[^\W\d]\w*")),
)


def detect_entities(text: str) -> list[dict]:
    """Entities Telegram adds to a user's plain text (commands, mentions, URLs, hashtags)."""
    found = []
    for kind, pattern in _AUTO_ENTITIES:
        for match in pattern.finditer(text):
            found.append(
                {
                    "type": kind,
                    "offset": utf16_len(text[: match.start()]),
                    "length": utf16_len(match.group()),
                }
            )
    return sorted(found, key=lambda e: e["offset"])


def byte_offset(text: str, index: int) -> int:
    """UTF-8 byte offset of text[index], as quoted in Telegram's parse errors."""
    return len(text[:index].encode("utf-8"))


def parse_error(detail: str) -> ApiError:
    """Telegram's 400 for text whose markup cannot be parsed."""
    return bad_request(f"can't parse entities: {detail}")


class TextBuilder:
    """Accumulates plain text and the MessageEntity dicts found while parsing markup."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.pos = 0
        self.entities: list[dict] = []

    def add(self, chunk: str) -> None:
        """Append literal text."""
        self.parts.append(chunk)
        self.pos += utf16_len(chunk)

    def entity(self, kind: str, start: int, **extra: object) -> None:
        """Record an entity from start to the current position (empty ones are dropped)."""
        if self.pos > start:
            self.entities.append(
                {"type": kind, "offset": start, "length": self.pos - start, **extra}
            )

    def result(self) -> tuple[str, list[dict]]:
        """The plain text and its entities, sorted like Telegram sorts them."""
        ordered = sorted(self.entities, key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.parts), ordered


def strip_text(text: str, entities: list[dict]) -> tuple[str, list[dict]]:
    """Trim surrounding whitespace as Telegram does, shifting/clipping entities to match."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    lead = utf16_len(text[: len(text) - len(text.lstrip())])
    end = lead + utf16_len(stripped)
    kept = []
    for ent in entities:
        start = max(ent["offset"], lead)
        stop = min(ent["offset"] + ent["length"], end)
        if stop > start:
            kept.append({**ent, "offset": start - lead, "length": stop - start})
    return stripped, kept
