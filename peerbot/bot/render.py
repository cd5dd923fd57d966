"""Turn a service's Reply into Bot API calls (text, inline keyboards, edits, files)."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from peerbot.dialogs.outputs import Ask, Button, Chosen, Rows, Say, Summary, Toggle
from peerbot.dialogs.texts import TextCatalog
from peerbot.services.conversations.callback_data import FlowPress, encode
from peerbot.services.conversations.shown import (
    Buttons,
    CloseMenu,
    CommandMenu,
    Document,
    EditPressed,
    EditSent,
    Menu,
    Notice,
    Photo,
    Reply,
    SharedFile,
    Text,
    Topic,
    TopicChange,
)
from peerbot.storage.outbox import THREAD_OF

SELECTED_MARK = "engine.selected_mark"
TOPIC_METHODS = {
    "open": "createForumTopic",
    "rename": "editForumTopic",
    "close": "closeForumTopic",
    "reopen": "reopenForumTopic",
}


@dataclass(frozen=True)
class Delivery:
    """One Bot API call to queue: the method and its parameters (chat_id added by the outbox)."""

    method: str
    payload: dict[str, Any]


def _replying(message_id: int | None, topic: Topic | None = None) -> dict[str, Any]:
    """Shown as a reply to that message, or as a plain message if it is gone; in a forum
    topic (one still being opened is named by its outbox key, and waited for)."""
    placed: dict[str, Any] = {}
    if message_id is not None:
        placed["reply_parameters"] = {
            "message_id": message_id,
            "allow_sending_without_reply": True,
        }
    if isinstance(topic, str):
        placed["message_thread_id"] = {THREAD_OF: topic}
    elif topic is not None:
        placed["message_thread_id"] = topic
    return placed


@dataclass(frozen=True)
class Renderer:
    """Renders in one locale; edits target the message whose button was pressed."""

    texts: TextCatalog
    locale: str
    pressed_message_id: int | None = None

    def render(self, reply: Reply) -> list[Delivery]:
        renderer = Renderer(self.texts, reply.locale, self.pressed_message_id)
        return [d for item in reply.items for d in renderer._item(item)]

    def _item(self, item: object) -> list[Delivery]:
        match item:
            case Ask():
                return [
                    self._send(
                        self._question(item), self._flow_keyboard(item.step_id, item.buttons)
                    )
                ]
            case Toggle() if self.pressed_message_id is not None:
                return [
                    Delivery(
                        "editMessageReplyMarkup",
                        {
                            "message_id": self.pressed_message_id,
                            "reply_markup": self._flow_keyboard(item.step_id, item.buttons),
                        },
                    )
                ]
            case Chosen(keep_text=True) | CloseMenu() if self.pressed_message_id is not None:
                return [
                    Delivery("editMessageReplyMarkup", {"message_id": self.pressed_message_id})
                ]
            case Chosen() if self.pressed_message_id is not None:
                answer = self._answer(item.answer_keys, item.answer_text)
                text = f"{self._t(item.prompt_key)}\n\n→ {answer}"
                return [
                    Delivery(
                        "editMessageText", {"message_id": self.pressed_message_id, "text": text}
                    )
                ]
            case Text():
                return [Delivery("sendMessage", self._text(item))]
            case EditPressed() if self.pressed_message_id is not None:
                payload = {**self._text(item.view), "message_id": self.pressed_message_id}
                return [Delivery("editMessageText", payload)]
            case EditSent():
                payload = {**self._text(item.view), "message_id": item.message_id}
                payload.pop("reply_parameters", None)
                return [Delivery("editMessageText", payload)]
            case Say() | Notice():
                return [self._send(self._t(item.key, **dict(item.values)))]
            case Summary():
                return [
                    self._send(
                        self._summary(item), self._flow_keyboard(item.step_id, item.buttons)
                    )
                ]
            case Menu():
                return [
                    self._send(
                        self._t(item.key, **dict(item.values)), self._menu_keyboard(item.buttons)
                    )
                ]
            case Document():
                return [self._file("sendDocument", "document", item, self._t(item.caption_key))]
            case Photo():
                return [self._file("sendPhoto", "photo", item, item.caption)]
            case SharedFile():
                copied = {
                    "from_chat_id": item.from_chat_id,
                    "message_id": item.message_id,
                    "caption": item.caption,
                    **_replying(item.reply_to, item.topic),
                }
                return [Delivery("copyMessage", copied)]
            case TopicChange():
                named = {"name": item.name} if item.name else {}
                method = TOPIC_METHODS[item.change]
                return [Delivery(method, {**named, **_replying(None, item.topic)})]
            case CommandMenu():
                commands = [
                    {"command": name, "description": self._t(f"command_{name}")}
                    for name in item.names
                ]
                return [Delivery("setMyCommands", {"commands": commands})]
            case Toggle() | Chosen() | CloseMenu() | EditPressed():
                return []  # an edit with no message to edit (the answer was typed): no change
        raise TypeError(f"nothing renders a {type(item).__name__}")

    def _text(self, view: Text) -> dict[str, Any]:
        """A Text's sendMessage parameters (also those of an edit)."""
        text = view.text if view.text is not None else self._t(view.key or "", **view.values)
        payload: dict[str, Any] = {"text": text}
        if view.html:
            payload["parse_mode"] = "HTML"
        if not view.link_preview:
            payload["link_preview_options"] = {"is_disabled": True}
        if view.force_reply:
            payload["reply_markup"] = {"force_reply": True, "selective": True}
        elif view.buttons:
            payload["reply_markup"] = self._menu_keyboard(view.buttons)
        payload.update(_replying(view.reply_to, view.topic))
        return payload

    @staticmethod
    def _file(method: str, field: str, item: Photo | Document, caption: str) -> Delivery:
        content = base64.b64encode(item.content).decode("ascii")
        return Delivery(
            method,
            {field: {"filename": item.filename, "content_b64": content}, "caption": caption},
        )

    def _t(self, key: str, **values: object) -> str:
        return self.texts.get(key, self.locale, **values)

    def _send(self, text: str, keyboard: dict[str, Any] | None = None) -> Delivery:
        payload: dict[str, Any] = {"text": text}
        if keyboard is not None:
            payload["reply_markup"] = keyboard
        return Delivery("sendMessage", payload)

    def _question(self, ask: Ask) -> str:
        text = self._t(ask.prompt_key, **dict(ask.values))
        if ask.low_label and ask.high_label:
            low, high = ask.values.get("min", ""), ask.values.get("max", "")
            text += f"\n\n{low} = {self._t(ask.low_label)} · {high} = {self._t(ask.high_label)}"
        return text

    def _answer(self, keys: tuple[str, ...], text: str | None) -> str:
        return ", ".join(self._t(key) for key in keys) if keys else (text or "")

    def _summary(self, summary: Summary) -> str:
        lines = [self._t(summary.prompt_key), ""]
        for entry in summary.entries:
            label_key = f"{entry.prompt_key}.label"
            label = self._t(label_key if self.texts.has(label_key) else entry.prompt_key)
            lines.append(f"• {label}: {self._answer(entry.answer_keys, entry.answer_text)}")
        return "\n".join(lines)

    def _label(self, button: Button) -> str:
        label = self._t(button.label_key) if button.label_key else (button.label_text or "?")
        return f"{self._t(SELECTED_MARK)} {label}" if button.selected else label

    def _flow_keyboard(self, step_id: str, rows: Rows) -> dict[str, Any] | None:
        if not rows:
            return None
        return {
            "inline_keyboard": [
                [
                    {
                        "text": self._label(b),
                        "callback_data": encode(FlowPress(step_id, str(b.choice))),
                    }
                    for b in row
                ]
                for row in rows
            ]
        }

    def _menu_keyboard(self, rows: Buttons) -> dict[str, Any] | None:
        if not rows:
            return None
        return {
            "inline_keyboard": [
                [
                    {
                        "text": self._t(b.label_key) if b.label_key else (b.label_text or "?"),
                        "callback_data": encode(b.data),
                    }
                    for b in row
                ]
                for row in rows
            ]
        }
