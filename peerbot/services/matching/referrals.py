"""The referral options a person is given when their request is referred or declined:
program.yaml resources for their topics and country, in their language."""

from __future__ import annotations

from peerbot.dialogs.eligibility import referrals
from peerbot.services.common.context import ServiceContext
from peerbot.services.escalations import crisis
from peerbot.storage.models import Person, SupportRequest


def options_text(ctx: ServiceContext, request: SupportRequest, person: Person) -> str:
    """One line per option that fits, in the person's language (a kind general line if none)."""
    texts, locale = ctx.program.texts, person.language
    entries = referrals(ctx.program.policy.resources, request.topics, person.country)
    lines = [
        texts.get(entry.text, locale)
        if entry.text is not None
        else texts.get("requests.resource_line", locale, name=entry.name, contact=entry.contact)
        for entry in entries
    ]
    return "\n".join(lines) or texts.get("requests.no_resources", locale)


def crisis_text(ctx: ServiceContext, person: Person) -> str:
    """The crisis lines for where the person is, in their language."""
    return ctx.program.texts.get(crisis.resources_key(ctx, person), person.language)
