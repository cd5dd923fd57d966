"""Which text keys a flow uses, and a check that the catalogue has each of them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from string import Formatter

from peerbot.dialogs.engine_texts import ENGINE_TEXT_KEYS, VALUE_NAMES, hint_key
from peerbot.dialogs.flow_schema import Flow, FlowError, located
from peerbot.dialogs.texts import TextCatalog


@dataclass(frozen=True)
class TextUse:
    """A text key in a step's field, and the placeholders the engine fills there."""

    step: str
    field: str
    key: str
    values: tuple[str, ...] = ()


def text_uses(flow: Flow) -> Iterator[TextUse]:
    """Yield every place a flow names a text key."""
    for step in flow.steps:
        values = VALUE_NAMES.get(step.kind, ())
        yield TextUse(step.id, "prompt", step.prompt, values)
        for field in ("hint", "continue_", "yes", "no", "low_label", "high_label"):
            key = getattr(step, field, None)
            if key is not None:
                yield TextUse(step.id, field.rstrip("_"), key, values if field == "hint" else ())
        for index, option in enumerate(getattr(step, "options", ())):
            yield TextUse(step.id, f"options[{index}].text", option.text)


def text_keys(flow: Flow) -> frozenset[str]:
    """Return every text key a flow names (the engine's own keys are ENGINE_TEXT_KEYS)."""
    return frozenset(use.key for use in text_uses(flow))


def check_texts(flows: Iterable[Flow], catalog: TextCatalog) -> None:
    """Raise FlowError unless the default locale has every key the flows and engine use."""
    flows = tuple(flows)
    texts = catalog.texts[catalog.default_locale]
    for flow in flows:
        for use in text_uses(flow):
            problem = _text_problem(texts.get(use.key), use.key, use.values, catalog)
            if problem:
                raise FlowError(located(flow.source, flow.flow, use.step, use.field, problem))
    if not flows:
        return
    kinds = {hint_key(kind): VALUE_NAMES.get(kind, ()) for kind in VALUE_NAMES}
    for key in ENGINE_TEXT_KEYS:
        problem = _text_problem(texts.get(key), key, kinds.get(key, ()), catalog)
        if problem:
            raise FlowError(f"texts of the flow engine: {problem}")


def _text_problem(
    text: str | None, key: str, values: tuple[str, ...], catalog: TextCatalog
) -> str | None:
    if text is None:
        return f"text {key!r} is missing from the {catalog.default_locale!r} texts"
    unknown = sorted({name for _, name, _, _ in Formatter().parse(text) if name} - set(values))
    if unknown:
        given = ", ".join(values) or "none"
        return f"text {key!r} uses placeholders {unknown} the engine does not fill ({given})"
    return None
