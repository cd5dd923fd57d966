"""Matching a whole waiting list: vectorised scores, capacities, and optimality."""

import math
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from peerbot.dialogs.matching import batch
from peerbot.dialogs.matching.batch import assign, greedy, plan, score_matrix
from peerbot.dialogs.matching.policy import MatchingPolicy
from peerbot.dialogs.matching.score import score, top_proposals, violations
from tests.support.matching_builders import make_candidate, make_need, policies, pools

POLICY = MatchingPolicy()


def expected_matrix(needs, candidates, policy):
    """score() for every pair, -inf where it proposes nobody."""
    return np.array(
        [
            [
                -math.inf if (found := score(need, candidate, policy)) is None else found.score
                for candidate in candidates
            ]
            for need in needs
        ],
        dtype=np.float64,
    ).reshape(len(needs), len(candidates))


def best_by_brute_force(needs, candidates, policy, most_matches_first):
    """The best (matches, total) or total over every assignment that respects capacities."""
    options = [
        [(c.supporter_id, p.score) for c in candidates if (p := score(need, c, policy))]
        for need in needs
    ]
    places = {c.supporter_id: c.capacity_left for c in candidates}
    best = (-1, -math.inf) if most_matches_first else -math.inf

    def walk(index, matched, total):
        nonlocal best
        if index == len(options):
            value = (matched, total) if most_matches_first else total
            best = max(best, value)
            return
        walk(index + 1, matched, total)
        for supporter_id, points in options[index]:
            if places[supporter_id] > 0:
                places[supporter_id] -= 1
                walk(index + 1, matched + 1, total + points)
                places[supporter_id] += 1

    walk(0, 0, 0.0)
    return best


def assert_respects_every_rule(proposals, needs, candidates, policy):
    by_request = {need.request_id: need for need in needs}
    by_supporter = {candidate.supporter_id: candidate for candidate in candidates}
    assert len({p.request_id for p in proposals}) == len(proposals)
    for proposal in proposals:
        need, candidate = by_request[proposal.request_id], by_supporter[proposal.supporter_id]
        assert violations(need, candidate) == ()
        assert proposal == score(need, candidate, policy)
    taken = Counter(p.supporter_id for p in proposals)
    assert all(count <= by_supporter[i].capacity_left for i, count in taken.items())


@given(pools(max_needs=6, max_candidates=8), policies())
def test_vectorised_scores_are_exactly_the_scores_of_score(pool, policy):
    needs, candidates = pool
    assert np.array_equal(
        score_matrix(needs, candidates, policy), expected_matrix(needs, candidates, policy)
    )


def test_vectorised_scores_hold_with_many_time_zones_and_over_64_topics():
    topics = [f"topic_{n}" for n in range(70)]
    needs = [
        make_need(topics=topics[n : n + 5], offset_hours=n / 4 - 12, languages={"en", "es"})
        for n in range(0, 70, 3)
    ]
    candidates = [
        make_candidate(lived_experience=topics[n : n + 4], offset_hours=n / 7 - 11, load=n % 3)
        for n in range(0, 150)
    ]
    expected = expected_matrix(needs, candidates, POLICY)
    assert np.array_equal(score_matrix(needs, candidates, POLICY), expected)
    assert np.isfinite(expected).all() and (expected > 2 * POLICY.shared_experience).any()


def test_vectorised_scores_hold_when_hours_are_looked_up(monkeypatch):
    monkeypatch.setattr(batch, "_ZONE_TABLE_LIMIT", 0)
    needs = [make_need(offset_hours=offset) for offset in (None, -10.0, 5.5, 14.0)]
    candidates = [make_candidate(offset_hours=offset) for offset in (None, 14.0, -3.0, 5.0)]
    expected = expected_matrix(needs, candidates, POLICY)
    assert np.array_equal(score_matrix(needs, candidates, POLICY), expected)


def test_vectorised_scores_hold_without_numpy_2s_bitwise_count(monkeypatch):
    monkeypatch.delattr(np, "bitwise_count", raising=False)
    topics = [f"topic_{n}" for n in range(70)]
    needs = [make_need(topics=topics[n : n + 9], channels={"text", "video"}) for n in range(9)]
    candidates = [make_candidate(lived_experience=topics[n : n + 3]) for n in range(0, 70, 2)]
    expected = expected_matrix(needs, candidates, POLICY)
    assert np.array_equal(score_matrix(needs, candidates, POLICY), expected)


@given(pools(), policies(), st.booleans())
def test_assign_and_greedy_never_break_a_rule_or_overfill_a_supporter(pool, policy, first):
    needs, candidates = pool
    policy = policy.model_copy(update={"most_matches_first": first})
    assert_respects_every_rule(assign(needs, candidates, policy), needs, candidates, policy)
    assert_respects_every_rule(greedy(needs, candidates, policy), needs, candidates, policy)


@settings(max_examples=200)
@given(pools(), policies(), st.booleans())
def test_assign_finds_the_best_assignment_brute_force_finds(pool, policy, first):
    needs, candidates = pool
    policy = policy.model_copy(update={"most_matches_first": first})
    proposals = assign(needs, candidates, policy)
    total = sum(p.score for p in proposals)
    best = best_by_brute_force(needs, candidates, policy, first)
    if first:
        matched, best_total = best
        assert len(proposals) == matched
    else:
        best_total = best
    assert total == pytest.approx(best_total, abs=1e-9)


@given(pools(max_needs=6, max_candidates=6), policies(), st.integers(1, 3), st.integers(1, 3))
def test_short_candidate_lists_still_respect_every_rule(pool, policy, per_request, per_supporter):
    needs, candidates = pool
    policy = policy.model_copy(
        update={"candidates_per_request": per_request, "requests_per_supporter": per_supporter}
    )
    best = assign(needs, candidates, policy)
    assert_respects_every_rule(best, needs, candidates, policy)
    # Over the same edges, greedy's choice is one assign() weighed and did not prefer.
    baseline = greedy(needs, candidates, policy)
    tolerance = 1e-9
    assert len(best) >= len(baseline)
    if len(best) == len(baseline):
        assert sum(p.score for p in best) >= sum(p.score for p in baseline) - tolerance


def test_assign_beats_greedy_where_the_best_pair_blocks_two_good_ones():
    # Ann shares grief with both; Xavi also matches her three ways of talking. Ben cares
    # for someone, as Xavi did; Yara has no experience in common with Ben.
    ann = make_need(
        topics={"grief"},
        channels={"text", "phone", "video"},
        availability={"mornings", "evenings", "weekends"},
    )
    ben = make_need(
        topics={"caring"}, channels={"text", "phone"}, availability={"mornings", "evenings"}
    )
    xavi = make_candidate(
        lived_experience={"grief", "caring"},
        formats={"text", "phone", "video"},
        availability={"mornings", "evenings", "weekends"},
    )
    yara = make_candidate(
        lived_experience={"grief"},
        formats={"text", "phone"},
        availability={"mornings", "evenings", "weekends"},
    )
    scores = {
        (need.request_id, candidate.supporter_id): score(need, candidate, POLICY).score
        for need in (ann, ben)
        for candidate in (xavi, yara)
    }
    ann_xavi = scores[ann.request_id, xavi.supporter_id]
    assert ann_xavi == max(scores.values())

    pairs = {(p.request_id, p.supporter_id) for p in greedy([ann, ben], [xavi, yara], POLICY)}
    assert pairs == {(ann.request_id, xavi.supporter_id), (ben.request_id, yara.supporter_id)}
    pairs = {(p.request_id, p.supporter_id) for p in assign([ann, ben], [xavi, yara], POLICY)}
    assert pairs == {(ann.request_id, yara.supporter_id), (ben.request_id, xavi.supporter_id)}
    greedy_total = ann_xavi + scores[ben.request_id, yara.supporter_id]
    best_total = (
        scores[ann.request_id, yara.supporter_id] + scores[ben.request_id, xavi.supporter_id]
    )
    assert greedy_total < best_total


def test_a_supporter_takes_as_many_as_their_places_and_no_more():
    needs = [make_need() for _ in range(4)]
    roomy = make_candidate(capacity_left=3)
    proposals = assign(needs, [roomy], POLICY)
    assert [p.supporter_id for p in proposals] == [roomy.supporter_id] * 3


def test_a_request_whose_only_supporter_scores_below_zero_is_matched_when_most_matches_count():
    need = make_need(topics={"grief"}, offset_hours=0.0)
    far_and_busy = make_candidate(lived_experience={"caring"}, offset_hours=12.0, load=3)
    only_total = POLICY.model_copy(update={"most_matches_first": False})
    assert score(need, far_and_busy, POLICY).score < 0
    assert [p.supporter_id for p in assign([need], [far_and_busy], POLICY)] == [
        far_and_busy.supporter_id
    ]
    assert assign([need], [far_and_busy], only_total) == []


def test_most_matches_first_serves_two_people_over_one_better_pair():
    # Xavi suits Ann far better than anyone else suits anyone; Ben can only have Xavi.
    xavi = make_candidate(lived_experience={"grief", "caring"})
    yara = make_candidate(lived_experience={"loneliness"})
    ann = make_need(topics={"grief", "caring"})
    ben = make_need(topics={"anxiety"}, excluded={yara.supporter_id})
    only_total = POLICY.model_copy(update={"most_matches_first": False})

    pairs = {(p.request_id, p.supporter_id) for p in assign([ann, ben], [xavi, yara], POLICY)}
    assert pairs == {(ann.request_id, yara.supporter_id), (ben.request_id, xavi.supporter_id)}
    pairs = {(p.request_id, p.supporter_id) for p in assign([ann, ben], [xavi, yara], only_total)}
    assert pairs == {(ann.request_id, xavi.supporter_id)}


def test_each_supporters_best_requests_keep_their_places_in_reach():
    # Both requests rank Xavi first. Kept to one candidate each, they could not both be
    # matched; Yara's own list of best requests brings one of them back.
    xavi = make_candidate(lived_experience={"grief", "caring"})
    yara = make_candidate(lived_experience=set())
    needs = [make_need(topics={"grief", "caring"}) for _ in range(2)]
    one_each = POLICY.model_copy(update={"candidates_per_request": 1})
    assert len(assign(needs, [xavi, yara], one_each)) == 2


def test_lists_too_short_for_the_pool_can_cost_a_match():
    # Everyone ranks Xavi first, and Xavi, Yara and Zoe all rank Ann first: kept to one
    # each way, Ben and Cleo can only reach Xavi, so one of them goes without.
    ann = make_need(topics={"grief", "caring", "anxiety"})
    ben, cleo = make_need(topics={"grief"}), make_need(topics={"grief"})
    xavi = make_candidate(lived_experience={"grief", "caring", "anxiety"})
    yara = make_candidate(lived_experience={"caring"})
    zoe = make_candidate(lived_experience={"anxiety"})
    one_both_ways = POLICY.model_copy(
        update={"candidates_per_request": 1, "requests_per_supporter": 1}
    )
    assert len(assign([ann, ben, cleo], [xavi, yara, zoe], one_both_ways)) == 2
    assert len(assign([ann, ben, cleo], [xavi, yara, zoe], POLICY)) == 3


def test_nothing_to_match_gives_no_proposals():
    assert assign([], [make_candidate()], POLICY) == []
    assert assign([make_need()], [], POLICY) == []
    assert assign([make_need(languages={"es"})], [make_candidate()], POLICY) == []
    assert greedy([make_need(languages={"es"})], [make_candidate()], POLICY) == []


def test_a_request_or_supporter_listed_twice_is_refused():
    need, candidate = make_need(), make_candidate()
    with pytest.raises(ValueError, match="request"):
        assign([need, need], [candidate], POLICY)
    with pytest.raises(ValueError, match="supporter"):
        assign([need], [candidate, candidate], POLICY)


@settings(max_examples=200)
@given(pools(), policies(), st.integers(min_value=1, max_value=4))
def test_plan_is_assign_and_each_requests_top_proposals(pool, policy, per_request):
    needs, candidates = pool
    policy = policy.model_copy(update={"proposals_per_request": per_request})
    planned = plan(needs, candidates, policy)
    assert planned.chosen == assign(needs, candidates, policy)
    assert planned.ranked == [top_proposals(need, candidates, policy) for need in needs]


def test_plan_ranks_ties_by_fewer_participants_then_lower_id():
    need = make_need()
    busy, idle, later = (
        make_candidate(supporter_id=sid, load=load) for sid, load in ((1, 2), (3, 0), (2, 0))
    )
    [ranked] = plan([need], [busy, idle, later], POLICY).ranked
    assert [p.supporter_id for p in ranked] == [2, 3, 1]
    assert ranked == top_proposals(need, [busy, idle, later], POLICY)
