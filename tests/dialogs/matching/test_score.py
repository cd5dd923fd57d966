"""Scoring one supporter for one request: hard constraints, score, reasons, ranking."""

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from peerbot.dialogs.matching.model import Reason
from peerbot.dialogs.matching.policy import MatchingPolicy
from peerbot.dialogs.matching.score import score, top_proposals, violations
from tests.support.matching_builders import make_candidate, make_need, policies, pools

POLICY = MatchingPolicy()

# (what breaks the rule, what keeps it, the violation): need fields, then candidate fields.
HARD_CONSTRAINTS = {
    "no shared language": (
        ({"languages": {"es"}}, {"languages": {"en"}}),
        ({"languages": {"es"}}, {"languages": {"en", "es"}}),
        "no_shared_language",
    ),
    "on a break": (({}, {"active": False}), ({}, {"active": True}), "inactive"),
    "not trained": (({}, {"trained": False}), ({}, {"trained": True}), "untrained"),
    "full": (({}, {"capacity_left": 0}), ({}, {"capacity_left": 1}), "no_capacity"),
    "declined before": (
        ({"excluded": {7}}, {"supporter_id": 7}),
        ({"excluded": {8}}, {"supporter_id": 7}),
        "excluded",
    ),
    "gender required": (
        ({"wants_gender": "woman", "required": {"gender"}}, {"gender": "man"}),
        ({"wants_gender": "woman", "required": {"gender"}}, {"gender": "woman"}),
        "required_gender",
    ),
    "gender required, supporter's unknown": (
        ({"wants_gender": "woman", "required": {"gender"}}, {"gender": None}),
        ({"wants_gender": None, "required": {"gender"}}, {"gender": None}),
        "required_gender",
    ),
    "similar age required": (
        ({"age_band": "age_25_34", "required": {"similar_age"}}, {"age_band": "age_45_54"}),
        ({"age_band": "age_25_34", "required": {"similar_age"}}, {"age_band": "age_35_44"}),
        "required_similar_age",
    ),
    "similar age required, supporter's unknown": (
        ({"age_band": "age_25_34", "required": {"similar_age"}}, {"age_band": None}),
        (
            {"age_band": "prefer_not_to_say", "required": {"similar_age"}},
            {"age_band": "age_65_plus"},
        ),
        "required_similar_age",
    ),
    "experience required": (
        ({"topics": {"grief"}, "required": {"experience"}}, {"lived_experience": {"caring"}}),
        ({"topics": {"grief"}, "required": {"experience"}}, {"lived_experience": {"grief"}}),
        "required_experience",
    ),
    "format required": (
        ({"channels": {"phone"}, "required": {"format"}}, {"formats": {"text"}}),
        ({"channels": {"phone"}, "required": {"format"}}, {"formats": {"text", "phone"}}),
        "required_format",
    ),
    "group format required": (
        ({"group_format": True, "required": {"format"}}, {"formats": {"text"}}),
        ({"group_format": True, "required": {"format"}}, {"formats": {"text", "group"}}),
        "required_format",
    ),
}


@pytest.mark.parametrize("case", HARD_CONSTRAINTS.values(), ids=HARD_CONSTRAINTS.keys())
def test_each_hard_constraint_blocks_one_side_and_not_the_other(case):
    (broken_need, broken_candidate), (kept_need, kept_candidate), code = case
    need, candidate = make_need(**broken_need), make_candidate(**broken_candidate)
    assert violations(need, candidate) == (code,)
    assert score(need, candidate, POLICY) is None

    need, candidate = make_need(**kept_need), make_candidate(**kept_candidate)
    assert violations(need, candidate) == ()
    assert score(need, candidate, POLICY) is not None


def test_every_broken_constraint_is_reported_in_a_fixed_order():
    need = make_need(
        languages={"es"},
        topics={"grief"},
        channels={"phone"},
        wants_gender="man",
        required={"gender", "similar_age", "experience", "format"},
        excluded={5},
    )
    candidate = make_candidate(
        supporter_id=5,
        languages={"en"},
        lived_experience={"caring"},
        formats={"text"},
        gender="woman",
        age_band=None,
        active=False,
        trained=False,
        capacity_left=0,
    )
    assert violations(need, candidate) == (
        "no_shared_language",
        "inactive",
        "untrained",
        "no_capacity",
        "excluded",
        "required_gender",
        "required_similar_age",
        "required_experience",
        "required_format",
    )


def test_an_unknown_must_have_is_refused_when_the_need_is_built():
    with pytest.raises(ValueError, match="colour"):
        make_need(required={"colour"})


def test_reasons_say_what_they_share_most_important_first():
    need = make_need(
        languages={"en", "es"},
        topics={"grief", "caring"},
        channels={"text", "video"},
        age_band="age_25_34",
        wants_gender="woman",
        wants_similar_age=True,
        offset_hours=1.0,
        availability={"evenings", "weekends"},
    )
    candidate = make_candidate(
        languages={"es", "en"},
        lived_experience={"grief", "caring", "anxiety"},
        formats={"video", "text", "phone"},
        age_band="age_35_44",
        gender="woman",
        offset_hours=-1.0,
        availability={"evenings", "weekends", "mornings"},
        load=2,
    )
    proposal = score(need, candidate, POLICY)

    assert proposal is not None
    assert proposal.reasons == (
        Reason.of("shared_experience", topics=("caring", "grief")),
        Reason.of("shared_language", languages=("en", "es")),
        Reason.of("gender_as_asked", gender="woman"),
        Reason.of("similar_age", bands_apart=1),
        Reason.of("hours_apart", hours=2),
        Reason.of("shared_format", formats=("text", "video")),
        Reason.of("shared_availability", times=("evenings", "weekends")),
        Reason.of("load", count=2),
    )
    # 2 topics, 1 extra language, 1 band apart, similar age and gender as wished, 2 hours
    # apart, 2 ways of talking, 2 times, 2 participants already.
    assert proposal.score == pytest.approx(
        POLICY.shared_experience * 2
        + POLICY.shared_language_extra
        - POLICY.age_band_step
        + POLICY.similar_age_bonus
        - POLICY.hours_apart * 2
        + POLICY.shared_format * 2
        + POLICY.shared_availability * 2
        - POLICY.load * 2
        + POLICY.gender_as_asked
    )
    assert proposal.reasons[3].value("bands_apart") == 1
    with pytest.raises(KeyError):
        proposal.reasons[3].value("hours")


@pytest.mark.parametrize(
    ("mine", "theirs", "reason"),
    [
        (0.0, 0.0, Reason.of("same_time_zone")),
        (-10.0, 14.0, Reason.of("same_time_zone")),  # a day apart, the same clock
        (10.0, -10.0, Reason.of("hours_apart", hours=4)),  # 20 h one way, 4 h the other
        (5.5, 0.0, Reason.of("hours_apart", hours=5.5)),
    ],
)
def test_hours_apart_go_round_the_clock(mine, theirs, reason):
    proposal = score(make_need(offset_hours=mine), make_candidate(offset_hours=theirs), POLICY)
    assert proposal is not None
    assert reason in proposal.reasons


def test_unknown_time_zones_and_ages_give_no_reason_and_no_penalty():
    need = make_need(offset_hours=None, age_band="prefer_not_to_say")
    known = score(make_need(), make_candidate(), POLICY)
    unknown = score(need, make_candidate(offset_hours=12.0, age_band="age_65_plus"), POLICY)
    assert known is not None and unknown is not None
    codes = {reason.code for reason in unknown.reasons}
    assert codes.isdisjoint({"same_time_zone", "hours_apart", "similar_age"})
    assert unknown.score == known.score


def test_a_group_wanted_and_offered_is_a_reason_and_a_bonus():
    need = make_need(group_format=True)
    with_group = score(need, make_candidate(formats={"text", "group"}), POLICY)
    without = score(need, make_candidate(formats={"text"}), POLICY)
    assert with_group is not None and without is not None
    assert Reason.of("group_format") in with_group.reasons
    assert with_group.score == without.score + POLICY.group_format


def test_a_gender_wish_only_weighs_while_a_must_have_filters():
    wish = make_need(wants_gender="woman")
    as_wished = score(wish, make_candidate(gender="woman"), POLICY)
    otherwise = score(wish, make_candidate(gender="man"), POLICY)
    assert as_wished is not None and otherwise is not None
    assert as_wished.score == otherwise.score + POLICY.gender_as_asked

    must = make_need(wants_gender="woman", required={"gender"})
    assert score(must, make_candidate(gender="man"), POLICY) is None
    kept = score(must, make_candidate(gender="woman"), POLICY)
    # Every supporter left meets a must-have, so it adds nothing; the reason still shows.
    assert kept is not None and kept.score == otherwise.score
    assert Reason.of("gender_as_asked", gender="woman") in kept.reasons


def test_a_similar_age_wish_only_weighs_while_a_must_have_filters():
    wish = make_need(age_band="age_25_34", wants_similar_age=True)
    close = score(wish, make_candidate(age_band="age_25_34"), POLICY)
    far = score(wish, make_candidate(age_band="age_45_54"), POLICY)
    assert close is not None and far is not None
    assert close.score == POLICY.similar_age_bonus + far.score + 2 * POLICY.age_band_step

    must = make_need(age_band="age_25_34", wants_similar_age=True, required={"similar_age"})
    assert score(must, make_candidate(age_band="age_45_54"), POLICY) is None
    kept = score(must, make_candidate(age_band="age_25_34"), POLICY)
    assert kept is not None and kept.score == close.score - POLICY.similar_age_bonus


def test_by_default_someone_who_has_been_there_comes_first_even_far_away_and_busier():
    need = make_need(
        topics={"grief"},
        channels={"text", "phone"},
        availability={"mornings", "afternoons", "evenings", "weekends"},
        offset_hours=0.0,
    )
    been_there = make_candidate(
        lived_experience={"grief"},
        formats={"text"},
        availability={"weekends"},
        offset_hours=12.0,
        age_band="age_55_64",
        load=2,
    )
    close_by = make_candidate(
        lived_experience={"caring"},
        formats={"text", "phone"},
        availability={"mornings", "afternoons", "evenings", "weekends"},
        offset_hours=0.0,
    )
    ranked = top_proposals(need, [close_by, been_there], POLICY)
    assert [p.supporter_id for p in ranked] == [been_there.supporter_id, close_by.supporter_id]


def test_top_proposals_are_best_first_then_fewer_participants_then_lower_id():
    need = make_need(topics={"grief", "caring"})
    best = make_candidate(supporter_id=50, lived_experience={"grief", "caring"}, load=1)
    tied_busy = make_candidate(supporter_id=10, lived_experience={"grief"}, load=1)
    tied_high_id = make_candidate(supporter_id=31, lived_experience={"grief"}, load=0)
    tied_low_id = make_candidate(supporter_id=30, lived_experience={"grief"}, load=0)
    full = make_candidate(supporter_id=1, lived_experience={"grief", "caring"}, capacity_left=0)
    pool = [tied_busy, full, tied_high_id, best, tied_low_id]

    ids = [p.supporter_id for p in top_proposals(need, pool, POLICY, k=10)]
    assert ids == [50, 30, 31, 10]
    assert [p.supporter_id for p in top_proposals(need, pool, POLICY)] == [50, 30, 31]
    assert top_proposals(need, pool, POLICY, k=0) == []


def test_the_matching_section_has_documented_defaults_and_takes_overrides_from_yaml():
    assert MatchingPolicy.model_validate({}) == POLICY
    assert (POLICY.proposals_per_request, POLICY.candidates_per_request) == (3, 25)
    assert POLICY.requests_per_supporter == 25
    assert POLICY.most_matches_first and POLICY.require_confirmed_training
    document = yaml.safe_load("shared_experience: 5\nload: 0.5\nproposals_per_request: 5\n")
    policy = MatchingPolicy.model_validate(document)
    assert (policy.shared_experience, policy.load, policy.proposals_per_request) == (5.0, 0.5, 5)


@pytest.mark.parametrize(
    "section",
    [{"shared_experince": 3}, {"load": -1}, {"hours_apart": "nan"}, {"proposals_per_request": 0}],
)
def test_a_bad_matching_section_is_refused(section):
    with pytest.raises(ValidationError):
        MatchingPolicy.model_validate(section)


@given(pools(max_needs=3, max_candidates=8), policies(), st.integers(0, 5))
def test_top_proposals_never_break_a_hard_constraint_and_rank_every_feasible_one(pool, policy, k):
    needs, candidates = pool
    for need in needs:
        ranked = top_proposals(need, candidates, policy, k=k)
        feasible = [c for c in candidates if not violations(need, c)]
        assert len(ranked) == min(k, len(feasible))
        by_id = {c.supporter_id: c for c in candidates}
        for proposal in ranked:
            assert violations(need, by_id[proposal.supporter_id]) == ()
            assert proposal == score(need, by_id[proposal.supporter_id], policy)
        scores = [p.score for p in ranked]
        assert scores == sorted(scores, reverse=True)
        left_out = {c.supporter_id for c in feasible} - {p.supporter_id for p in ranked}
        if ranked:
            assert all(score(need, by_id[i], policy).score <= scores[-1] for i in left_out)
