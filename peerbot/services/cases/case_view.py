"""/case: what triage needs about one case; /close: a coordinator closes it with an outcome
and the person is told kindly (and offered to go back to questions a crisis paused). Both
for verified coordinators only, both audited."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import select

from peerbot.services.cases import cases, threads
from peerbot.services.common.context import ServiceContext
from peerbot.services.conversations import paused
from peerbot.services.conversations.shown import Notice, Reply, Text
from peerbot.services.coordination import coordinators
from peerbot.services.escalations import card
from peerbot.services.matching import match_actions, match_words, request_actions
from peerbot.services.participants import consent
from peerbot.services.privacy import case_audit
from peerbot.storage.enums import (
    CaseStatus,
    ConsentKind,
    EscalationStatus,
    MatchStatus,
    PersonStatus,
)
from peerbot.storage.models import Case, Escalation, Match, Person, SupportRequest
from peerbot.storage.outbox import Priority

OUTCOMES = card.OUTCOMES
CONSENTS = (
    ConsentKind.PARTICIPATION,
    ConsentKind.SHARE_WITH_SUPPORTER,
    ConsentKind.EVALUATION,
    ConsentKind.SHARE_TELEGRAM_NAME,
)


async def show(ctx: ServiceContext, coordinator: Person, at: threads.At, args: list[str]) -> Reply:
    """/case in a case's topic or as a reply in its thread, or /case CODE (a pseudonym or a
    request code)."""
    reply = Reply(coordinators.coordinator_locale(ctx))
    if args:
        found = await case_audit.find_case(ctx, args[0].strip().upper()[:16])
        case = await cases.latest(ctx, found.person_id) if found is not None else None
    else:
        case = await threads.case_of(ctx, at)
    if case is None:
        label = args[0][:16] if args else ""
        return reply.add(Notice("case.unknown" if label else "case.usage", {"case": label}))
    person = await ctx.session.get(Person, case.person_id)
    assert person is not None
    lines = await _facts(ctx, case, person)
    await cases.audited(ctx, "case.viewed", case, coordinator.id)
    latest = await ctx.session.scalar(
        select(SupportRequest)
        .where(SupportRequest.person_id == person.id)
        .order_by(SupportRequest.id.desc())
        .limit(1)
    )
    buttons = request_actions.case_buttons(ctx, latest)  # an open request: decide from here
    match = await _match_in_progress(ctx, person)
    if match is not None:
        buttons += match_actions.buttons_for(ctx, match)  # a support in progress: end or hand on
    return reply.add(Text(text="\n".join(lines), buttons=buttons))


async def close(
    ctx: ServiceContext, coordinator: Person, at: threads.At, args: list[str]
) -> Reply:
    """/close [outcome] in a case's topic or as a reply in its thread: closed (its topic too),
    and the person told."""
    reply = Reply(coordinators.coordinator_locale(ctx))
    outcome = args[0].lower() if args else "other"
    case = await threads.case_of(ctx, at)
    choices = ", ".join(OUTCOMES)
    if case is None or outcome not in OUTCOMES:
        return reply.add(Notice("case.close_usage", {"outcomes": choices}))
    person = await ctx.session.get(Person, case.person_id)
    assert person is not None
    if case.status != CaseStatus.OPEN:
        return reply.add(Notice("case.not_open", {"case": person.pseudonym}))
    await cases.close(ctx, case, coordinator, outcome)
    await threads.close_topic(ctx, case)
    if person.telegram_user_id is not None and person.status == PersonStatus.ACTIVE:
        await _tell_closed(ctx, case, person, person.telegram_user_id)
    outcome_text = coordinators.text(ctx, f"outcome.{outcome}")
    return reply.add(Notice("case.closed", {"case": person.pseudonym, "outcome": outcome_text}))


async def _tell_closed(ctx: ServiceContext, case: Case, person: Person, chat_id: int) -> None:
    """Kindly; and where a crisis paused their questions, the offer to go back to them."""
    await ctx.outbox.post(
        chat_id,
        Notice("case.closed_told"),
        priority=Priority.NOTICE,
        dedupe_key=threads.note_key(case, "closed"),
        locale=person.language,
    )
    waiting = await paused.paused_in(ctx, chat_id)
    if waiting is not None:
        await ctx.outbox.post(
            chat_id,
            paused.go_back_offer(waiting),
            priority=Priority.NOTICE,
            dedupe_key=threads.note_key(case, "closed:go_back"),
            locale=person.language,
        )


async def _facts(ctx: ServiceContext, case: Case, person: Person) -> list[str]:
    """Role, language, time zone and country, request and match, escalations, consents, and the
    intake summary only where the person allowed sharing it."""
    t = coordinators.text
    zone = ZoneInfo(ctx.settings.timezone)
    role = await card.subject_role(ctx, person)
    status = t(ctx, f"case.status.{case.status.value}")
    lines = [
        t(
            ctx,
            "case.view.heading",
            case=person.pseudonym,
            status=status,
            since=case.opened_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            reason=t(ctx, f"case.reason.{case.reason}"),
        ),
        t(
            ctx,
            "case.view.person",
            role=t(ctx, f"role.{role.value}"),
            language=person.language,
            time_zone=person.time_zone,
            country=person.country or "—",
        ),
    ]
    request = await ctx.session.scalar(
        select(SupportRequest)
        .where(SupportRequest.person_id == person.id)
        .order_by(SupportRequest.id.desc())
        .limit(1)
    )
    if request is None:
        lines.append(t(ctx, "case.view.no_request"))
    else:
        match = await ctx.session.scalar(
            select(Match).where(
                Match.support_request_id == request.id, Match.status == MatchStatus.ACCEPTED
            )
        )
        supporter = await ctx.session.get(Person, match.supporter_id) if match else None
        lines.append(
            t(
                ctx,
                "case.view.request",
                code=request.code,
                status=request.status.value,
                urgency=request.urgency.value,
                match=supporter.pseudonym if supporter else "—",
            )
        )
    lines += await _escalations(ctx, person)
    states = await consent.current_states(ctx, person.id)
    lines.append(
        t(
            ctx,
            "case.view.consents",
            consents=", ".join(f"{kind.value}: {states[kind].value}" for kind in CONSENTS),
        )
    )
    if request is not None:
        lines.append(await _summary(ctx, request, person))
    return lines


async def _match_in_progress(ctx: ServiceContext, person: Person) -> Match | None:
    """The support in progress on the person's newest request (End match and Reassign)."""
    request = await ctx.session.scalar(
        select(SupportRequest)
        .where(SupportRequest.person_id == person.id)
        .order_by(SupportRequest.id.desc())
        .limit(1)
    )
    return await match_actions.accepted_match_of(ctx, request) if request is not None else None


async def _escalations(ctx: ServiceContext, person: Person) -> list[str]:
    t = coordinators.text
    open_ones = await ctx.session.scalars(
        select(Escalation)
        .where(
            Escalation.person_id == person.id,
            Escalation.status.in_((EscalationStatus.OPEN, EscalationStatus.CLAIMED)),
        )
        .order_by(Escalation.id)
    )
    lines = []
    for escalation in open_ones:
        claimer = await ctx.session.get(Person, escalation.claimed_by_id or 0)
        lines.append(
            t(
                ctx,
                "case.view.escalation",
                severity=t(ctx, f"severity.{escalation.severity.value}"),
                category=t(ctx, f"category.{escalation.category.value}"),
                claimed=coordinators.name_of(ctx, claimer)
                if claimer
                else t(ctx, "card.state.open"),
            )
        )
    return lines or [t(ctx, "case.view.no_escalations")]


async def _summary(ctx: ServiceContext, request: SupportRequest, person: Person) -> str:
    t = coordinators.text
    if not await consent.is_granted(ctx, person.id, ConsentKind.SHARE_WITH_SUPPORTER):
        return t(ctx, "case.view.summary_not_shared")
    topics = match_words.labels(
        ctx, "topics", request.topics, coordinators.coordinator_locale(ctx)
    )
    words = ctx.cipher.decrypt(request.summary_enc) if request.summary_enc else None
    return t(ctx, "case.view.summary", topics=topics, words=words or "—")
