"""Message text validation for the fake: parse_mode handling, length limits, entity checks."""

from __future__ import annotations

from .fake_errors import bad_request
from .tg_entities import strip_text, utf16_len
from .tg_html import parse_html
from .tg_markdown import parse_markdown, parse_markdown_v2

_PARSERS = {"html": parse_html, "markdownv2": parse_markdown_v2, "markdown": parse_markdown}


def parse_formatted(
    text: str, parse_mode: str | None, entities: list[dict] | None
) -> tuple[str, list[dict]]:
    """Plain text + entities as Telegram stores them (explicit entities win over parse_mode)."""
    if entities is not None:
        if not isinstance(entities, list) or not all(isinstance(e, dict) for e in entities):
            raise bad_request("can't parse entities JSON object")
        return strip_text(text, list(entities))
    if not parse_mode:
        return strip_text(text, [])
    parser = _PARSERS.get(str(parse_mode).lower())
    if parser is None:
        raise bad_request(f"unsupported parse_mode {parse_mode}")
    return strip_text(*parser(text))


def message_text(params: dict, limit: int = 4096) -> tuple[str, list[dict]]:
    """Validate sendMessage/editMessageText text: 1..limit characters after entity parsing."""
    raw = params.get("text")
    if raw is None or raw == "":
        raise bad_request("message text is empty")
    text, entities = parse_formatted(str(raw), params.get("parse_mode"), params.get("entities"))
    if not text:
        raise bad_request("message text is empty")
    if len(text) > limit:
        raise bad_request("message is too long")
    return text, entities


def caption_text(params: dict, limit: int = 1024) -> tuple[str | None, list[dict]]:
    """Validate an optional media caption (0..1024 characters after entity parsing)."""
    raw = params.get("caption")
    if raw in (None, ""):
        return None, []
    text, entities = parse_formatted(
        str(raw), params.get("parse_mode"), params.get("caption_entities")
    )
    if len(text) > limit:
        raise bad_request("message caption is too long")
    return text or None, entities


__all__ = ["caption_text", "message_text", "parse_formatted", "utf16_len"]
