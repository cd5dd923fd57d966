"""Telegram's parse_mode=HTML: turns markup into plain text + entities, with Telegram's errors."""

from __future__ import annotations

import re

from .tg_entities import TextBuilder, byte_offset, parse_error

_TAGS = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic",
    "u": "underline", "ins": "underline", "s": "strikethrough", "strike": "strikethrough",
    "del": "strikethrough", "tg-spoiler": "spoiler", "span": "spoiler", "a": "text_link",
    "code": "code", "pre": "pre", "blockquote": "blockquote", "tg-emoji": "custom_emoji",
}  # fmt: skip
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_NAME_RE = re.compile(r"<(/?)([^\s>/]*)")
_ATTR_RE = re.compile(r"""([a-zA-Z-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")
_CHARREF_RE = re.compile(r"&(#[xX][0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-zA-Z]+);")


def _charref(ref: str) -> str | None:
    if ref.startswith(("#x", "#X")):
        return chr(int(ref[2:], 16))
    if ref.startswith("#"):
        return chr(int(ref[1:]))
    return _NAMED.get(ref)


def _attrs(raw: str) -> dict[str, str]:
    """Tag attributes; a bare `expandable` (on <blockquote>) maps to ""."""
    found = {}
    for match in _ATTR_RE.finditer(raw):
        name, *values = match.groups()
        found[name.lower()] = next(value for value in values if value is not None)
    if re.search(r"(^|\s)expandable(\s|$)", raw):
        found["expandable"] = ""
    return found


def parse_html(source: str) -> tuple[str, list[dict]]:
    """Parse Telegram-flavoured HTML; raises ApiError(400) like Telegram on bad markup."""
    out = TextBuilder()
    stack: list[tuple[str, int, dict[str, str]]] = []
    i = 0
    while i < len(source):
        char = source[i]
        if char == "&" and (m := _CHARREF_RE.match(source, i)) and _charref(m[1]) is not None:
            out.add(_charref(m[1]) or "")
            i = m.end()
        elif char != "<":
            out.add(char)
            i += 1
        else:
            i = _tag(source, i, out, stack)
    if stack:
        raise parse_error(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return out.result()


def _tag(source: str, i: int, out: TextBuilder, stack: list) -> int:
    closing, name = _NAME_RE.match(source, i).groups()  # type: ignore[union-attr]
    name = name.lower()
    end = source.find(">", i)
    where = f"at byte offset {byte_offset(source, i)}"
    if not closing:
        if name not in _TAGS:
            raise parse_error(f'Unsupported start tag "{name}" {where}')
        if end < 0:
            raise parse_error(f"Unclosed start tag {where}")
        attrs = _attrs(source[i + 1 + len(name) : end])
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise parse_error(f'Tag "span" must have class "tg-spoiler" {where}')
        stack.append((name, out.pos, attrs))
        return end + 1
    if end < 0:
        raise parse_error(f"Unclosed end tag {where}")
    if not stack:
        raise parse_error(f"Unexpected end tag {where}")
    if stack[-1][0] != name:
        raise parse_error(
            f'Unmatched end tag {where}, expected "</{stack[-1][0]}>", found "</{name}>"'
        )
    _close(stack.pop(), out, stack)
    return end + 1


def _close(opened: tuple[str, int, dict[str, str]], out: TextBuilder, stack: list) -> None:
    name, start, attrs = opened
    kind = _TAGS[name]
    if kind == "code" and stack and stack[-1][0] == "pre":
        language = attrs.get("class", "")
        if language.startswith("language-"):
            stack[-1][2]["language"] = language.removeprefix("language-")
            return
    if kind == "text_link":
        if "href" in attrs:
            out.entity(kind, start, url=attrs["href"])
    elif kind == "pre" and attrs.get("language"):
        out.entity(kind, start, language=attrs["language"])
    elif kind == "custom_emoji":
        out.entity(kind, start, custom_emoji_id=attrs.get("emoji-id", ""))
    elif kind == "blockquote" and "expandable" in attrs:
        out.entity("expandable_blockquote", start)
    else:
        out.entity(kind, start)
