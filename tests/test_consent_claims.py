"""Each claim the consent and stop texts make, and the test that shows the bot does it.

A person agrees to what they read, so every line of these texts is either a behaviour with a
named test below, or says why it is not one (a heading, a question, the program's own
practice). A line added to a text without its row here fails; so does a row whose words are
no longer in the text, or whose test no longer exists. The Spanish texts must have as many
lines as the English ones, so a claim is not added or dropped in one language only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

from peerbot.dialogs.policy import ProgramPolicy
from peerbot.program import ProgramData, load_program

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Claim:
    """Words of the English text, and the tests ("path::name") that show them true."""

    says: str
    shown_by: tuple[str, ...]


def claim(says: str, *tests: str) -> Claim:
    return Claim(says, tests)


@dataclass(frozen=True)
class NotABehaviour:
    """Words that promise nothing the bot does, and why."""

    says: str
    why: str


HEADING = "a heading or a question, not a claim"
PRACTICE = "what the program and its people are, not something the bot does"

PARTICIPANT_JOURNEY = "tests/e2e/test_participant_journey.py"
MATCHING = "tests/services/matching/test_matching.py"
INTRODUCTIONS = "tests/services/matching/test_introductions.py"
STOP = "tests/services/privacy/test_stop_and_withdraw.py"
PROMISES = "tests/services/participants/test_consent_promises.py"
EXPORT = "tests/services/program_view/test_export.py"
SUPPORTERS = "tests/services/supporters/test_supporters.py"
FOLLOWUP = "tests/services/participants/test_followup.py"
FOLLOWUP_E2E = "tests/e2e/test_participant_followup.py"
FEEDBACK_ANY = "tests/services/participants/test_feedback_any.py"

CLAIMS: dict[str, tuple[Claim | NotABehaviour, ...]] = {
    "consent.about_program": (
        NotABehaviour("Here is how the program works.", HEADING),
        claim(
            "We put you in touch with a peer supporter",
            f"{MATCHING}::test_accepting_introduces_both_and_schedules_the_follow_up",
        ),
        NotABehaviour("Supporters are not doctors or therapists.", PRACTICE),
        claim(
            "You can stop at any time, with no need to give a reason.",
            f"{STOP}::test_withdraw_promise_we_stop_your_support_closes_the_request_and_its_offer",
            "tests/e2e/test_participant_rights.py::test_stop_pauses_the_program_and_writing_again_resumes",
        ),
    ),
    "consent.about_contact": (
        NotABehaviour("How we keep in touch", HEADING),
        claim(
            "We write to you here, in this chat.",
            f"{PARTICIPANT_JOURNEY}::test_whole_journey_in_english_then_forget_leaves_no_personal_data",
        ),
        claim(
            "Your supporter contacts you in the way you choose",
            f"{MATCHING}::test_the_participant_says_how_to_be_reached_and_only_the_supporter_hears",
        ),
        claim(
            "Our own messages are few",
            f"{PROMISES}::test_contact_promise_our_own_messages_are_a_follow_up_and_nothing_more",
            f"{MATCHING}::test_ending_gives_the_participant_a_survey_and_tells_the_supporter",
            "tests/services/conversations/test_reminders.py::test_one_reminder_after_the_idle_time_in_the_persons_language",
        ),
        claim(
            "we ask after two weeks how satisfied you are",
            f"{FOLLOWUP}::test_satisfaction_at_two_weeks_is_kept_as_its_score",
            f"{FOLLOWUP_E2E}::test_follow_up_satisfaction_check_ins_review_end_and_an_invite",
            "tests/test_consent_claims.py::test_the_follow_up_times_the_contact_text_names_are_the_defaults",
        ),
        claim(
            "every 4 weeks how it is going",
            f"{FOLLOWUP}::test_check_in_fine_is_kept_and_the_next_comes_4_weeks_on",
            f"{FOLLOWUP}::test_a_consent_on_the_older_text_gets_no_check_in_satisfaction_or_review",
            f"{FOLLOWUP_E2E}::test_a_consent_on_the_older_text_brings_no_periodic_check_in",
        ),
        claim(
            "after 12 weeks whether you would like to continue",
            f"{FOLLOWUP}::test_review_continue_brings_another_review_after_as_long",
            f"{FOLLOWUP}::test_review_end_ends_the_match_with_the_survey",
        ),
        claim(
            "whether you would like to hear about becoming a peer supporter",
            f"{FEEDBACK_ANY}::test_become_supporter_yes_card_send_invite_gives_a_working_link_once",
            f"{FEEDBACK_ANY}::test_after_the_survey_a_no_to_becoming_a_supporter_is_kept_and_nothing_sent",
        ),
        claim(
            "If you leave something unfinished, we remind you once.",
            "tests/services/conversations/test_reminders.py::test_one_reminder_after_the_idle_time_in_the_persons_language",
            f"{FOLLOWUP}::test_a_check_in_is_reminded_once_then_counted_missed",
        ),
    ),
    "consent.about_privacy": (
        NotABehaviour("Your privacy", HEADING),
        claim(
            "a coordinator will act to keep people safe",
            "tests/e2e/test_red_flags.py::test_crisis_sentence_mid_intake_gets_resources_and_a_card",
            "tests/faults/test_faults.py::test_killed_right_after_the_flag_the_card_and_resources_follow_the_restart",
            "tests/e2e/test_nothing_readable_at_rest.py::test_no_phrase_is_readable_in_the_database_after_every_journey",
        ),
        claim(
            "A supporter we ask to help you sees only your languages",
            f"{MATCHING}::test_an_offer_shows_what_triage_needs_and_never_their_words_or_name",
            f"{MATCHING}::test_without_consent_to_share_the_introduction_keeps_their_words_back",
            "tests/e2e/test_telegram_names.py::test_names_are_given_only_on_a_yes_and_words_only_after_accepting",
        ),
        claim(
            "We erase what you wrote in your own words 6 months after your request closes",
            "tests/services/privacy/test_retention.py::test_free_text_of_cases_closed_long_ago_is_erased_and_the_rest_kept",
            "tests/services/privacy/test_retention.py::test_people_gone_quiet_are_pseudonymized_and_no_one_else",
            "tests/services/privacy/test_data_rights.py::test_mydata_shows_what_we_store_about_you_including_coordinators_notes",
            f"{PARTICIPANT_JOURNEY}::test_whole_journey_in_english_then_forget_leaves_no_personal_data",
            "tests/test_consent_claims.py::test_the_retention_periods_the_privacy_text_names_are_the_defaults",
        ),
    ),
    "consent.participation": (
        NotABehaviour("Would you like to take part?", HEADING),
        claim(
            "we store your answers as explained above so we can find a supporter for you",
            f"{MATCHING}::test_a_confirmed_intake_gets_a_proposal_card_with_reasons",
        ),
    ),
    "consent.share_with_supporter": (
        NotABehaviour("may we share a summary of your request with them?", HEADING),
        claim(
            "once a supporter has agreed to support you, they can read the summary",
            f"{MATCHING}::test_an_offer_shows_what_triage_needs_and_never_their_words_or_name",
            f"{MATCHING}::test_without_consent_to_share_the_introduction_keeps_their_words_back",
        ),
        claim(
            "If you say no, you still get support.",
            f"{MATCHING}::test_without_consent_to_share_the_offer_is_the_same_triage",
        ),
    ),
    "consent.evaluation": (
        NotABehaviour("Last question, and it is up to you.", HEADING),
        claim(
            "without your name, your Telegram details or the codes we know you by",
            f"{EXPORT}::test_only_people_whose_evaluation_consent_stands_are_exported",
            f"{EXPORT}::test_free_text_is_given_for_the_consenting_and_no_one_else_s_is_read",
            "tests/cli/test_report.py::test_a_count_below_five_is_printed_as_less_than_five_by_default",
        ),
        claim(
            "Your answer does not change the support you get.",
            f"{PROMISES}::test_evaluation_promise_a_no_does_not_change_the_support",
        ),
    ),
    "consent.declined": (
        NotABehaviour("That is completely fine, and thank you for telling us.", HEADING),
        claim(
            "We have not stored anything about you except this choice.",
            f"{PARTICIPANT_JOURNEY}::test_declining_consent_keeps_only_the_refusal",
        ),
    ),
    "consent.withdraw_participation_note": (
        claim(
            "we stop your support and our messages",
            f"{STOP}::test_withdraw_promise_we_stop_your_support_ends_the_match_with_a_kind_word",
            f"{STOP}::test_withdraw_promise_and_our_messages_stop_as_with_stop",
        ),
        claim(
            "What we have stored stays with us until you ask us to erase it",
            f"{STOP}::test_withdraw_promise_what_we_stored_stays_until_forget",
        ),
    ),
    "stop.done": (
        claim(
            "You will get no more messages from the program until you write to us again.",
            f"{STOP}::test_stop_promise_no_more_messages_holds_an_introduction_until_they_write_again",
            f"{STOP}::test_stop_promise_no_more_messages_a_stopped_supporter_gets_no_offer",
            f"{STOP}::test_stop_promise_no_more_messages_a_stopped_persons_request_waits_out_of_matching",
            "tests/e2e/test_stop_means_stop.py::test_stop_promise_no_more_messages_holds_an_introduction_until_they_write_again",
        ),
        claim(
            "To come back, send /start.",
            f"{STOP}::test_stop_promise_until_you_write_again_news_waits_and_stale_prompts_are_dropped",
        ),
    ),
    "supporter.agreement": (
        claim(
            "we send you a short well-being check-in every week, at a time you choose",
            "tests/dialogs/test_checkin_schedule.py::test_a_weekly_chain_crosses_the_autumn_change_at_1800_local",
            "tests/services/supporters/test_checkins.py::test_a_good_check_in_is_scored_and_thanked",
        ),
        claim(
            "You can take a break with /pause, see your data with /mydata and leave at any time.",
            f"{SUPPORTERS}::test_pause_until_a_date_stops_check_ins_and_tells_coordinators",
            f"{SUPPORTERS}::test_forget_erases_the_profile_and_ends_the_schedule",
            "tests/services/supporters/test_checkins.py::test_a_low_score_alerts_each_coordinator_privately",
        ),
        NotABehaviour("Do you agree?", HEADING),
    ),
    "invite.declined": (
        claim(
            "nothing about you has been stored",
            f"{SUPPORTERS}::test_saying_no_keeps_nothing_and_gives_the_link_back",
        ),
    ),
    "intro.name_question.participant": (
        claim(
            "May we give your supporter your Telegram name",
            f"{INTRODUCTIONS}::test_each_side_is_asked_and_no_name_is_given_before_a_yes",
            f"{INTRODUCTIONS}::test_a_yes_gives_the_other_side_the_link_and_is_recorded_as_consent",
        ),
    ),
    "intro.name_question.supporter": (
        claim(
            "May we give the person you will support your Telegram name",
            f"{INTRODUCTIONS}::test_the_supporter_is_asked_the_mirror_question",
            f"{INTRODUCTIONS}::test_a_supporter_yes_gives_the_participant_the_link",
        ),
    ),
    "intro.name_kept": (
        claim(
            "your Telegram name stays private. We will connect you another way.",
            f"{INTRODUCTIONS}::test_a_participant_who_says_no_is_asked_how_to_be_reached_instead",
        ),
    ),
    "offer.more_after": (
        claim(
            "Their own words and how to reach them come only if you accept",
            f"{MATCHING}::test_an_offer_shows_what_triage_needs_and_never_their_words_or_name",
        ),
    ),
}


@cache
def program() -> ProgramData:
    return load_program()


def lines(key: str, locale: str) -> list[str]:
    """The text as the person reads it, a paragraph or bullet a line."""
    text = program().texts.get(key, locale)
    return [line.strip() for line in text.splitlines() if line.strip()]


@pytest.mark.parametrize("key", sorted(CLAIMS))
def test_every_line_of_the_text_is_a_claim_with_its_tests_or_says_why_not(key: str) -> None:
    text = "\n".join(lines(key, "en"))
    rows = CLAIMS[key]
    assert [row.says for row in rows if row.says not in text] == [], "words no longer shown"
    unclaimed = [line for line in lines(key, "en") if not any(row.says in line for row in rows)]
    assert unclaimed == [], f"{key}: lines with no row in CLAIMS"


@pytest.mark.parametrize("key", sorted(CLAIMS))
def test_the_spanish_text_has_as_many_lines_as_the_english(key: str) -> None:
    assert len(lines(key, "es")) == len(lines(key, "en"))


def test_every_named_test_exists() -> None:
    missing = []
    for rows in CLAIMS.values():
        for row in rows:
            for node in getattr(row, "shown_by", ()):
                path, name = node.split("::")
                source = ROOT / path
                found = source.is_file() and re.search(
                    rf"^(async )?def {re.escape(name)}\(", source.read_text("utf-8"), re.M
                )
                if not found:
                    missing.append(node)
    assert missing == []


def test_every_claim_names_at_least_one_test() -> None:
    assert [row.says for rows in CLAIMS.values() for row in rows if row.says == ""] == []
    empty = [
        row.says
        for rows in CLAIMS.values()
        for row in rows
        if isinstance(row, Claim) and not row.shown_by
    ]
    assert empty == []


def test_the_retention_periods_the_privacy_text_names_are_the_defaults() -> None:
    """The privacy text's "6 months after your request closes" and "2 years after your last
    contact" are the built-in retention policy (a program that changes it rewrites its
    privacy text)."""
    policy = program().policy.retention
    assert policy == ProgramPolicy().retention
    assert 180 <= policy.free_text_days <= 184, "six months"
    assert policy.inactive_months == 24, "two years"
    text = program().texts.get("consent.about_privacy", "en")
    assert "6 months" in text and "2 years" in text


def test_the_follow_up_times_the_contact_text_names_are_the_defaults() -> None:
    """The contact text's "after two weeks", "every 4 weeks" and "after 12 weeks" are the
    built-in follow-up policy, and the prompts it names are the ones a consent records as
    promised (a program that changes either rewrites the text with it)."""
    policy = program().policy.followup
    assert policy == ProgramPolicy().followup
    assert (policy.satisfaction_after_days, policy.every_weeks, policy.planned_weeks) == (
        14,
        4,
        12,
    )
    assert set(policy.consent_promises) == {"checkin", "satisfaction", "review"}
    text = program().texts.get("consent.about_contact", "en")
    assert "two weeks" in text and "every 4 weeks" in text and "after 12 weeks" in text
