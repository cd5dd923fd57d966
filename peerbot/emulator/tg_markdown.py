"""Telegram's parse_mode=MarkdownV2 and legacy Markdown: plain text + entities, Telegram errors."""

from __future__ import annotations

from .tg_entities import TextBuilder, byte_offset, parse_error

_RESERVED = set("_*[]()~`>#+-=|{}.!")
_TOGGLES = (
    ("||", "spoiler"),
    ("__", "underline"),
    ("*", "bold"),
    ("_", "italic"),
    ("~", "strikethrough"),
)
_NAMES = {
    "bold": "Bold", "italic": "Italic", "underline": "Underline", "spoiler": "Spoiler",
    "strikethrough": "Strikethrough", "text_link": "TextUrl", "custom_emoji": "CustomEmoji",
    "code": "Code", "pre": "Pre", "blockquote": "Blockquote",
}  # fmt: skip


def _unclosed(kind: str, src: str, index: int) -> Exception:
    return parse_error(
        f"Can't find end of {_NAMES[kind]} entity at byte offset {byte_offset(src, index)}"
    )


def _reserved(char: str) -> Exception:
    detail = f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
    return parse_error(detail)


def _literal_until(src: str, i: int, closer: str) -> tuple[str, int] | None:
    """Read code/pre/URL content up to an unescaped closer; returns (text, index after)."""
    chunk: list[str] = []
    while i < len(src):
        if src[i] == "\\" and i + 1 < len(src):
            chunk.append(src[i + 1])
            i += 2
        elif src.startswith(closer, i):
            return "".join(chunk), i + len(closer)
        else:
            chunk.append(src[i])
            i += 1
    return None


def parse_markdown_v2(src: str) -> tuple[str, list[dict]]:
    """Parse MarkdownV2; raises ApiError(400) for unescaped reserved chars or unclosed entities."""
    out = TextBuilder()
    stack: list[tuple[str, int, int]] = []  # (kind, text position, source index)
    i = 0
    while i < len(src):
        char = src[i]
        toggle = next(((m, k) for m, k in _TOGGLES if src.startswith(m, i)), None)
        if char == "\\":
            if i + 1 >= len(src) or not 1 <= ord(src[i + 1]) <= 126:
                raise _reserved("\\")
            out.add(src[i + 1])
            i += 2
        elif char == "`":
            i = _v2_code(src, i, out)
        elif toggle:
            if stack and stack[-1][0] == toggle[1]:
                out.entity(toggle[1], stack.pop()[1])
            else:
                stack.append((toggle[1], out.pos, i))
            i += len(toggle[0])
        elif char == "[" or src.startswith("![", i):
            stack.append(("text_link" if char == "[" else "custom_emoji", out.pos, i))
            i += 1 if char == "[" else 2
        elif char == "]" and stack and stack[-1][0] in ("text_link", "custom_emoji"):
            i = _v2_link_target(src, i, out, stack)
        elif char == ">" and (i == 0 or src[i - 1] == "\n"):
            if not any(kind == "blockquote" for kind, _, _ in stack):
                stack.append(("blockquote", out.pos, i))
            i += 1
        elif char == "\n" and stack and stack[-1][0] == "blockquote" and src[i + 1 : i + 2] != ">":
            out.entity("blockquote", stack.pop()[1])
            out.add(char)
            i += 1
        elif char in _RESERVED:
            raise _reserved(char)
        else:
            out.add(char)
            i += 1
    if stack and stack[-1][0] == "blockquote":
        out.entity("blockquote", stack.pop()[1])
    if stack:
        raise _unclosed(stack[-1][0], src, stack[-1][2])
    return out.result()


def _v2_code(src: str, i: int, out: TextBuilder) -> int:
    if src.startswith("```", i):
        found = _literal_until(src, i + 3, "```")
        if found is None:
            raise _unclosed("pre", src, i)
        body, after = found
        language, newline, code = body.partition("\n")
        if not newline or " " in language:
            language, code = "", body
        start = out.pos
        out.add(code)
        extra = {"language": language} if language else {}
        out.entity("pre", start, **extra)
        return after
    found = _literal_until(src, i + 1, "`")
    if found is None:
        raise _unclosed("code", src, i)
    start = out.pos
    out.add(found[0])
    out.entity("code", start)
    return found[1]


def _v2_link_target(src: str, i: int, out: TextBuilder, stack: list) -> int:
    kind, start, origin = stack.pop()
    found = _literal_until(src, i + 2, ")") if src.startswith("(", i + 1) else None
    if found is None:
        raise _unclosed(kind, src, origin)
    url, after = found
    if kind == "custom_emoji":
        out.entity(kind, start, custom_emoji_id=url.rpartition("id=")[2])
    else:
        out.entity(kind, start, url=url)
    return after


_LEGACY = {"*": "bold", "_": "italic", "`": "code"}


def parse_markdown(src: str) -> tuple[str, list[dict]]:
    """Parse legacy Markdown (no nesting; only _*`[ can be escaped)."""
    out = TextBuilder()
    i = 0
    while i < len(src):
        char = src[i]
        unclosed = parse_error(
            f"Can't find end of the entity starting at byte offset {byte_offset(src, i)}"
        )
        if char == "\\" and src[i + 1 : i + 2] in ("_", "*", "`", "["):
            out.add(src[i + 1])
            i += 2
        elif src.startswith("```", i):
            end = src.find("```", i + 3)
            if end < 0:
                raise unclosed
            start = out.pos
            out.add(src[i + 3 : end])
            out.entity("pre", start)
            i = end + 3
        elif char in _LEGACY or char == "[":
            i = _legacy_entity(src, i, out, unclosed)
        else:
            out.add(char)
            i += 1
    return out.result()


def _legacy_entity(src: str, i: int, out: TextBuilder, unclosed: Exception) -> int:
    char = src[i]
    end = src.find("]" if char == "[" else char, i + 1)
    if end < 0:
        raise unclosed
    start = out.pos
    out.add(src[i + 1 : end])
    if char != "[":
        out.entity(_LEGACY[char], start)
        return end + 1
    if not src.startswith("(", end + 1) or (close := src.find(")", end + 2)) < 0:
        raise unclosed
    out.entity("text_link", start, url=src[end + 2 : close])
    return close + 1
