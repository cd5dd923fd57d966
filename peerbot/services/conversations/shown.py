"""What services ask the bot to show, besides the flow engine's own outputs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from peerbot.dialogs.outputs import Output


@dataclass(frozen=True)
class Notice:
    """A plain message from the text catalogue."""

    key: str
    values: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class MenuButton:
    """A button carrying typed callback data; its label is a text key or the literal text."""

    data: object
    label_key: str | None = None
    label_text: str | None = None


Buttons = tuple[tuple[MenuButton, ...], ...]  # rows of buttons under a message


@dataclass(frozen=True)
class Menu:
    """A message with buttons that are not part of a flow (e.g. /consent, /forget)."""

    key: str
    buttons: Buttons
    values: Mapping[str, object] = field(default_factory=dict)


#: A forum topic: its message_thread_id, or the outbox key of the call that opens it (the
#: message then waits for the topic).
Topic = int | str


@dataclass(frozen=True)
class Text:
    """A message: a text key and its values, or text already written (e.g. a card in the
    coordinators' language); how Telegram shows it is the renderer's business."""

    key: str | None = None
    values: Mapping[str, object] = field(default_factory=dict)
    text: str | None = None
    html: bool = False  # the text is Telegram HTML (its own parts escaped by the service)
    buttons: Buttons = ()
    link_preview: bool = True
    force_reply: bool = False  # ask the reader to answer this message (e.g. a note)
    reply_to: int | None = None  # shown as an answer to this message of the chat, if still there
    topic: Topic | None = None  # in this forum topic of the chat


@dataclass(frozen=True)
class Photo:
    """A picture with a caption already written (e.g. the digest's chart)."""

    filename: str
    content: bytes
    caption: str


@dataclass(frozen=True)
class SharedFile:
    """A copy of a message with a photo, document or voice note (copyMessage), its caption
    replaced by one already written (e.g. what a person sent to the coordinators)."""

    from_chat_id: int
    message_id: int
    caption: str
    reply_to: int | None = None
    topic: Topic | None = None


@dataclass(frozen=True)
class CommandMenu:
    """The commands offered in a person's chat menu, each described by `command_<name>`."""

    names: tuple[str, ...]


@dataclass(frozen=True)
class Document:
    """A file for the person (e.g. their data as JSON)."""

    filename: str
    content: bytes
    caption_key: str


@dataclass(frozen=True)
class EditPressed:
    """Replace the pressed message's text and buttons with this one's."""

    view: Text


@dataclass(frozen=True)
class EditSent:
    """Replace the text and buttons of an earlier message of ours, known by its id."""

    message_id: int
    view: Text


@dataclass(frozen=True)
class CloseMenu:
    """Remove the buttons of the message whose button was pressed."""


@dataclass(frozen=True)
class TopicChange:
    """Open, rename, close or reopen a forum topic of the chat (a case's, in the group)."""

    change: str  # "open", "rename", "close" or "reopen"
    topic: Topic | None = None  # None only to open one
    name: str | None = None


Shown = (
    Output
    | Notice
    | Menu
    | Text
    | Photo
    | SharedFile
    | Document
    | CommandMenu
    | CloseMenu
    | EditPressed
    | EditSent
    | TopicChange
)


@dataclass
class Reply:
    """Everything to show the person, in order, and the locale to show it in."""

    locale: str
    items: list[Shown] = field(default_factory=list)
    # what this answer also sends to other chats (e.g. the other side of a match)
    elsewhere: list[Outgoing] = field(default_factory=list)

    def add(self, *items: Shown) -> Reply:
        self.items.extend(items)
        return self


@dataclass(frozen=True)
class Outgoing:
    """A reply for a chat that did not just write to us (a scheduled prompt, a note)."""

    chat_id: int
    reply: Reply
    dedupe_key: str | None = None
