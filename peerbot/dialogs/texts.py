"""The catalogue of every text a person reads, per locale, with a fallback language."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from string import Formatter

DEFAULT_LOCALE = "en"


class TextCatalogError(ValueError):
    """A texts file is malformed; the message names the file and the key."""


@dataclass(frozen=True)
class TextCatalog:
    """Texts keyed by locale then key; a missing translation falls back to English."""

    texts: Mapping[str, Mapping[str, str]]
    default_locale: str = DEFAULT_LOCALE
    sources: Mapping[str, str] = field(default_factory=dict)

    @property
    def locales(self) -> tuple[str, ...]:
        return tuple(sorted(self.texts))

    def resolve_locale(self, language_code: str | None) -> str:
        """Map Telegram's language_code (e.g. 'es-MX') onto a locale we have."""
        if language_code:
            base = language_code.split("-", 1)[0].lower()
            if base in self.texts:
                return base
        return self.default_locale

    def get(self, key: str, locale: str, /, **values: object) -> str:
        """Return the text for key in locale, filled with values."""
        for candidate in (locale, self.default_locale):
            text = self.texts.get(candidate, {}).get(key)
            if text is not None:
                return text.format(**values) if values else text
        raise KeyError(f"no text {key!r} in locale {locale!r} or {self.default_locale!r}")

    def has(self, key: str) -> bool:
        return key in self.texts.get(self.default_locale, {})


def build_catalog(
    files: Mapping[str, Mapping[str, object]],
    default_locale: str = DEFAULT_LOCALE,
) -> TextCatalog:
    """Validate parsed texts files ({source name: {locale:, texts: {...}}}) into a catalogue.

    Later files override earlier ones key by key, so a program folder can change one text.
    """
    merged: dict[str, dict[str, str]] = {}
    sources: dict[str, str] = {}
    for source, document in files.items():
        locale = document.get("locale") if isinstance(document, Mapping) else None
        if not isinstance(locale, str) or not locale:
            raise TextCatalogError(f"{source}: field 'locale' must name a language, e.g. en")
        entries = document.get("texts") if isinstance(document, Mapping) else None
        if not isinstance(entries, Mapping):
            raise TextCatalogError(f"{source}: field 'texts' must be a mapping of key: text")
        for key, text in entries.items():
            if not isinstance(text, str) or not text.strip():
                raise TextCatalogError(f"{source}: texts.{key} must be a non-empty string")
            _check_placeholders(source, key, text)
            merged.setdefault(locale, {})[str(key)] = text
            sources[f"{locale}:{key}"] = source
    if default_locale not in merged:
        raise TextCatalogError(f"no texts for the default locale {default_locale!r}")
    _check_same_placeholders(merged, default_locale, sources)
    return TextCatalog(texts=merged, default_locale=default_locale, sources=sources)


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(text) if name}


def _check_placeholders(source: str, key: str, text: str) -> None:
    try:
        _placeholders(text)
    except ValueError as error:
        raise TextCatalogError(
            f"{source}: texts.{key} has a broken placeholder: {error}"
        ) from None


def _check_same_placeholders(
    merged: Mapping[str, Mapping[str, str]], default_locale: str, sources: Mapping[str, str]
) -> None:
    """A translation must use the placeholders of the original, or it would fail at send time."""
    reference = merged[default_locale]
    for locale, entries in merged.items():
        for key, text in entries.items():
            if key in reference and _placeholders(text) != _placeholders(reference[key]):
                raise TextCatalogError(
                    f"{sources[f'{locale}:{key}']}: texts.{key} must use the placeholders "
                    f"{sorted(_placeholders(reference[key]))}"
                )
