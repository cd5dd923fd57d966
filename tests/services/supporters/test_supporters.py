"""Supporters join by a one-time invite, keep a profile they can change, and take breaks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from peerbot.dialogs.inputs import Cancel, Press, Text
from peerbot.scheduler.checkin_pass import run_pass
from peerbot.services.conversations import reminders
from peerbot.services.privacy import rights
from peerbot.services.supporters import invites, supporters
from peerbot.storage.enums import (
    CheckinStatus,
    ConsentKind,
    Role,
    SupporterStatus,
)
from peerbot.storage.models import (
    Checkin,
    Consent,
    Conversation,
    Invite,
    OutboxMessage,
    Person,
    RoleAssignment,
    SupporterProfile,
)
from tests.support.supporter_steps import (
    CIPHER,
    GROUP,
    Chat,
    context,
    deps_for,
    join,
    new_invite,
    rows,
    texts_of,
)

# Wednesday 2027-03-03, 15:00 UTC (10:00 in New York, EST)
NOW = datetime(2027, 3, 3, 15, 0, tzinfo=UTC)


async def test_an_invited_person_joins_with_a_full_profile(session_factory):
    code = await new_invite(session_factory, NOW, note="met at the March training")
    chat = Chat(session_factory, 5001)

    last = await join(chat, NOW, code)

    assert texts_of(chat.replies[0])[:2] == ["invite.welcome", "supporter.agreement"]
    assert "supporter.joined" in texts_of(last)
    [person] = await rows(session_factory, Person, Person.telegram_user_id == 5001)
    assert person.time_zone == "America/New_York"
    roles = await rows(session_factory, RoleAssignment, RoleAssignment.person_id == person.id)
    assert [r.role for r in roles] == [Role.SUPPORTER]
    [profile] = await rows(session_factory, SupporterProfile)
    assert profile.lived_experience == ["grief", "caring"]
    assert profile.languages == ["en", "es"]
    assert profile.formats == ["text", "phone"]
    assert (profile.age_band, profile.gender, profile.capacity) == ("age_35_44", None, 2)
    assert (profile.checkin_weekday, profile.checkin_time) == ("mon", "18:00")
    assert profile.training == "completed" and profile.training_confirmed_at is None
    assert profile.region_enc and "Queens" not in profile.region_enc
    assert CIPHER.decrypt(profile.region_enc) == "Queens, NYC"
    [agreement] = await rows(session_factory, Consent, Consent.person_id == person.id)
    assert agreement.kind == ConsentKind.SUPPORTER_AGREEMENT
    [invite] = await rows(session_factory, Invite)
    assert invite.used_by_id == person.id and invite.code_hash != code
    assert CIPHER.decrypt(invite.note_enc) == "met at the March training"
    # the first check-in: Monday 18:00 in New York (EST, UTC-5)
    [checkin] = await rows(session_factory, Checkin)
    assert checkin.status == CheckinStatus.SCHEDULED
    assert checkin.due_at == datetime(2027, 3, 8, 23, 0, tzinfo=UTC)
    [card] = await rows(session_factory, OutboxMessage, OutboxMessage.chat_id == GROUP)
    assert person.pseudonym in card.payload["text"]
    assert "Grief" in card.payload["text"] and "Queens" not in card.payload["text"]
    [[button]] = card.payload["reply_markup"]["inline_keyboard"]
    assert button["callback_data"] == f"trn:{person.id}"


async def test_a_link_works_once(session_factory):
    code = await new_invite(session_factory, NOW)
    await join(Chat(session_factory, 5001), NOW, code)

    second = await Chat(session_factory, 5002).start(NOW, f"{invites.START_PREFIX}{code}")

    assert texts_of(second) == ["invite.used"]
    assert len(await rows(session_factory, SupporterProfile)) == 1


async def test_two_people_opening_one_link_leave_one_holding_it(session_factory):
    code = await new_invite(session_factory, NOW)
    first = await Chat(session_factory, 5001).start(NOW, f"{invites.START_PREFIX}{code}")
    second = await Chat(session_factory, 5002).start(NOW, f"{invites.START_PREFIX}{code}")
    assert "invite.welcome" in texts_of(first)
    assert texts_of(second) == ["invite.used"]


async def test_expired_and_unknown_links_are_refused_kindly(session_factory):
    code = await new_invite(session_factory, NOW, valid_for=timedelta(days=1))
    later = NOW + timedelta(days=1, minutes=1)
    expired = await Chat(session_factory, 5001).start(later, f"{invites.START_PREFIX}{code}")
    unknown = await Chat(session_factory, 5002).start(NOW, f"{invites.START_PREFIX}nonsense")
    assert texts_of(expired) == ["invite.expired"]
    assert texts_of(unknown) == ["invite.unknown"]
    assert await rows(session_factory, Person) == []


async def test_saying_no_keeps_nothing_and_gives_the_link_back(session_factory):
    code = await new_invite(session_factory, NOW)
    chat = Chat(session_factory, 5001)
    await chat.start(NOW, f"{invites.START_PREFIX}{code}")

    declined = await chat.send(NOW, Press("agreement", "no"))

    assert "invite.declined" in texts_of(declined)
    assert await rows(session_factory, Person) == []
    [invite] = await rows(session_factory, Invite)
    assert invite.used_at is None
    again = await chat.start(NOW, f"{invites.START_PREFIX}{code}")
    assert "invite.welcome" in texts_of(again)


async def test_cancelling_midway_gives_the_link_back(session_factory):
    code = await new_invite(session_factory, NOW)
    chat = Chat(session_factory, 5001)
    await chat.start(NOW, f"{invites.START_PREFIX}{code}")
    await chat.send(NOW, Press("agreement", "yes"))

    await chat.send(NOW, Cancel())

    assert await rows(session_factory, Person) == []
    [invite] = await rows(session_factory, Invite)
    assert invite.used_at is None


async def test_a_supporter_opening_another_invite_is_told_they_are_one(session_factory):
    chat = Chat(session_factory, 5001)
    await join(chat, NOW, await new_invite(session_factory, NOW))
    spare = await new_invite(session_factory, NOW)

    reply = await chat.start(NOW, f"{invites.START_PREFIX}{spare}")

    assert texts_of(reply) == ["invite.already_supporter"]
    unused = await rows(session_factory, Invite, Invite.used_at.is_(None))
    assert len(unused) == 1


async def test_profile_opens_at_the_summary_and_one_answer_changes(session_factory):
    chat = Chat(session_factory, 5001)
    await join(chat, NOW, await new_invite(session_factory, NOW))

    shown = await chat.call(NOW, supporters.show_profile)
    await chat.send(NOW, Press("summary", "change"))
    await chat.send(NOW, Press("summary", "change:checkin_weekday"))
    await chat.send(NOW, Press("checkin_weekday", 2))  # Wednesday
    saved = await chat.send(NOW, Press("summary", "confirm"))

    assert texts_of(shown) == ["supporter.summary"]
    assert "supporter.profile_saved" in texts_of(saved)
    [profile] = await rows(session_factory, SupporterProfile)
    assert profile.checkin_weekday == "wed" and profile.languages == ["en", "es"]
    scheduled = await rows(session_factory, Checkin, Checkin.status == CheckinStatus.SCHEDULED)
    assert [c.due_at for c in scheduled] == [datetime(2027, 3, 3, 23, 0, tzinfo=UTC)]
    assert len(await rows(session_factory, Consent)) == 1, "the agreement is not asked again"


async def test_profile_is_for_supporters_only(session_factory):
    reply = await Chat(session_factory, 5009).call(NOW, supporters.show_profile)
    assert texts_of(reply) == ["supporter.only"]


async def test_pause_until_a_date_stops_check_ins_and_tells_coordinators(session_factory):
    chat = Chat(session_factory, 5001)
    await join(chat, NOW, await new_invite(session_factory, NOW))

    paused = await chat.call(NOW, supporters.pause, ["until", "2027-03-20"])

    assert texts_of(paused) == ["supporter.pause.until"]
    [profile] = await rows(session_factory, SupporterProfile)
    assert profile.status == SupporterStatus.ON_BREAK
    # the break ends when quiet hours end on that day, 08:00 in New York (EDT by then)
    assert profile.break_until == datetime(2027, 3, 20, 12, 0, tzinfo=UTC)
    assert await rows(session_factory, Checkin, Checkin.status == CheckinStatus.SCHEDULED) == []
    cards = await rows(session_factory, OutboxMessage, OutboxMessage.chat_id == GROUP)
    assert any("2027-03-20" in card.payload["text"] for card in cards)


async def test_pause_with_a_bad_or_past_date_explains_and_changes_nothing(session_factory):
    chat = Chat(session_factory, 5001)
    await join(chat, NOW, await new_invite(session_factory, NOW))
    for words in (["until", "next", "week"], ["2027-02-30"], ["2027-03-03"]):
        reply = await chat.call(NOW, supporters.pause, words)
        assert texts_of(reply) == ["supporter.pause.bad_date"], words
    [profile] = await rows(session_factory, SupporterProfile)
    assert profile.status == SupporterStatus.ACTIVE


async def test_resume_ends_the_break_and_schedules_the_next_check_in(session_factory):
    chat = Chat(session_factory, 5001)
    await join(chat, NOW, await new_invite(session_factory, NOW))
    await chat.call(NOW, supporters.pause, [])
    assert texts_of(await chat.call(NOW, supporters.pause, [])) == ["supporter.pause.already"]

    back = await chat.call(NOW + timedelta(days=6), supporters.resume)

    assert texts_of(back) == ["supporter.resume.done"]
    [profile] = await rows(session_factory, SupporterProfile)
    assert profile.status == SupporterStatus.ACTIVE
    scheduled = await rows(session_factory, Checkin, Checkin.status == CheckinStatus.SCHEDULED)
    assert [c.due_at for c in scheduled] == [datetime(2027, 3, 15, 22, 0, tzinfo=UTC)]
    assert texts_of(await chat.call(NOW, supporters.resume)) == ["supporter.resume.not_paused"]


async def test_a_participant_cannot_pause_or_resume(session_factory):
    chat = Chat(session_factory, 5009)
    assert texts_of(await chat.call(NOW, supporters.pause, [])) == ["supporter.only"]
    assert texts_of(await chat.call(NOW, supporters.resume)) == ["supporter.only"]


async def test_start_welcomes_a_supporter_back_instead_of_an_intake(session_factory):
    chat = Chat(session_factory, 5001)
    await join(chat, NOW, await new_invite(session_factory, NOW))
    assert texts_of(await chat.start(NOW)) == ["supporter.welcome_back"]


async def test_an_invite_stores_only_a_hash_of_its_code(session_factory):
    code = await new_invite(session_factory, NOW)
    async with session_factory() as session:
        stored = (await session.scalars(select(Invite.code_hash))).all()
    assert stored == [invites.hash_code(code)]
    assert len(code) >= 32 and invites.link("peer_bot", code).endswith(f"?start=join-{code}")


async def test_a_stopped_supporter_gets_no_check_in_until_they_write_again(
    engine, session_factory
):

    chat = Chat(session_factory, 5001)
    await join(chat, NOW, await new_invite(session_factory, NOW))
    await chat.call(NOW, rights.stop)

    [cancelled] = await rows(session_factory, Checkin)
    assert cancelled.status == CheckinStatus.CANCELLED, "cancelled at /stop"
    report = await run_pass(
        deps_for(engine, session_factory), now=datetime(2027, 3, 8, 23, 0, tzinfo=UTC)
    )
    assert report.sent == 0

    back = await chat.send(datetime(2027, 3, 9, 15, 0, tzinfo=UTC), Text("hello again"))
    assert "stop.resumed" in texts_of(back)
    scheduled = await rows(session_factory, Checkin, Checkin.status == CheckinStatus.SCHEDULED)
    assert [c.due_at for c in scheduled] == [datetime(2027, 3, 15, 22, 0, tzinfo=UTC)]


async def test_forget_erases_the_profile_and_ends_the_schedule(session_factory):

    chat = Chat(session_factory, 5001)
    await join(chat, NOW, await new_invite(session_factory, NOW))

    await chat.call(NOW, rights.forget_answer, True)

    [profile] = await rows(session_factory, SupporterProfile)
    assert profile.status == SupporterStatus.INACTIVE
    assert (profile.region_enc, profile.gender, profile.age_band) == (None, None, None)
    assert profile.lived_experience == []
    assert await rows(session_factory, Checkin, Checkin.status == CheckinStatus.SCHEDULED) == []


async def test_an_abandoned_profile_expires_and_the_link_works_again(session_factory):
    code = await new_invite(session_factory, NOW, valid_for=timedelta(days=30))
    chat = Chat(session_factory, 5001)
    await chat.start(NOW, f"{invites.START_PREFIX}{code}")
    await chat.send(NOW, Press("agreement", "yes"))

    async with session_factory() as session, session.begin():
        closed = await reminders.expire_idle(context(session, NOW + timedelta(days=8)))

    assert closed == 1
    assert await rows(session_factory, Conversation) == []
    [invite] = await rows(session_factory, Invite)
    assert invite.used_at is None
    assert "invite.welcome" in texts_of(
        await chat.start(NOW + timedelta(days=8), f"{invites.START_PREFIX}{code}")
    )
