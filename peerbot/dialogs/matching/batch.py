"""Matching a whole waiting list at once: at most one supporter per request, nobody over
capacity, and the pairs chosen together scoring as high as possible.

Pairs are scored with numpy in blocks (sets as bitmasks), giving exactly the floats
score.points() gives. The solver weighs each request's ``candidates_per_request`` (N) best
feasible supporters and each supporter's ``requests_per_supporter`` (M) best requests, and
solves that sparse problem exactly with SciPy's
``scipy.sparse.csgraph.min_weight_full_bipartite_matching`` (LAPJVsp, sparse shortest
augmenting paths): it takes the few hundred thousand edges as they are, where
``linear_sum_assignment`` wants a dense requests x places matrix and ``milp`` returns floats
to round. Every free place of a supporter is a vertex of its own, and each vertex of the
smaller side gets a private "nobody" partner, so a full matching always exists.
The result is optimal over those edges only: exact whenever no request has more than N
feasible supporters or no supporter more than M feasible requests; otherwise a better
total may need a pair that is on neither list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from peerbot.dialogs.matching.model import (
    AGE_BANDS,
    GROUP,
    BatchPlan,
    Candidate,
    Need,
    Proposal,
    age_rank,
)
from peerbot.dialogs.matching.policy import MatchingPolicy
from peerbot.dialogs.matching.score import clock_hours, reasons

Bits = npt.NDArray[Any]  # (rows, words) unsigned integers: one bit per known value
Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.intp]

# Pairs scored per block: small enough for the temporaries to stay in the CPU's caches.
_PAIRS_PER_BLOCK = 1 << 18
_WORD = (1 << 64) - 1
_BYTE_BITS = np.array([bin(byte).count("1") for byte in range(256)], dtype=np.uint8)


def _popcount(words: Bits) -> npt.NDArray[np.uint8]:
    if hasattr(np, "bitwise_count"):  # numpy >= 2
        return np.bitwise_count(words)
    as_bytes = np.ascontiguousarray(words)[..., None].view(np.uint8)
    return _BYTE_BITS[as_bytes].sum(axis=-1, dtype=np.uint8)


class _Vocabulary:
    """Bit positions for the values seen in some sets, and masks built from them."""

    def __init__(self, *groups: Iterator[frozenset[str]]) -> None:
        seen = sorted({value for group in groups for values in group for value in values})
        self.bit = {value: position for position, value in enumerate(seen)}
        size = max(len(seen), 1)
        self.words = (size + 63) // 64
        self.dtype: type[np.unsignedinteger[Any]] = next(
            dtype
            for dtype in (np.uint8, np.uint16, np.uint32, np.uint64)
            if size <= 8 * np.dtype(dtype).itemsize or dtype is np.uint64
        )

    def masks(self, sets: Sequence[frozenset[str]]) -> Bits:
        """One row of words per set."""
        known: dict[frozenset[str], int] = {}  # the same few sets come back again and again
        numbers = []
        for values in sets:
            number = known.get(values)
            if number is None:
                number = known[values] = sum(1 << self.bit[value] for value in values)
            numbers.append(number)
        rows = np.empty((len(sets), self.words), dtype=self.dtype)
        for word in range(self.words):
            rows[:, word] = [(number >> (64 * word)) & _WORD for number in numbers]
        return rows


def _shared(left: Bits, right: Bits) -> npt.NDArray[np.unsignedinteger[Any]]:
    """How many values each left set shares with each right set."""
    total = _popcount(left[:, None, 0] & right[None, :, 0])
    if left.shape[1] > 1:  # over 64 values: counts may pass 255
        total = total.astype(np.uint32)
        for word in range(1, left.shape[1]):
            total += _popcount(left[:, None, word] & right[None, :, word])
    return total


# Age ranks as encoded: unknown ages sit far apart from every real band (and from each
# other), so |need - candidate| > len(AGE_BANDS) exactly when either age is unknown.
_NEED_AGE_UNKNOWN = -60
_CANDIDATE_AGE_UNKNOWN = 60
# Genders as encoded: "no preference" and "unknown" never equal each other or a gender.
_NO_PREFERENCE = -1
_GENDER_UNKNOWN = -2
# Above this many distinct UTC offsets, hours apart are computed per pair, not looked up.
_ZONE_TABLE_LIMIT = 128
# An infeasible pair's score in a block: finite, so masks can be multiplied in (0 * inf is
# nan), and far below any real score, which stays exact since x + (-0.0) == x.
_INFEASIBLE = -1e300
_FEASIBLE_ABOVE = -1e299


@dataclass(frozen=True)
class _Needs:
    languages: Bits
    topics: Bits
    channels: Bits
    availability: Bits
    group: npt.NDArray[np.bool_]
    age: npt.NDArray[np.int8]  # rank in AGE_BANDS, or _NEED_AGE_UNKNOWN
    wants_gender: npt.NDArray[np.int8]  # gender code, or _NO_PREFERENCE
    soft_gender: npt.NDArray[np.bool_]  # a gender wished for, not required
    required_gender: npt.NDArray[np.bool_]
    soft_age: npt.NDArray[np.bool_]  # similar age wished for, not required
    required_age: npt.NDArray[np.bool_]
    required_age_known: npt.NDArray[np.bool_]  # required, and their own band is known
    required_experience: npt.NDArray[np.bool_]
    required_format: npt.NDArray[np.bool_]
    zone: npt.NDArray[np.int32]  # row offset into the clock table (or index into offsets)

    def rows(self, start: int, stop: int) -> _Needs:
        """The needs in rows start..stop-1."""
        return _Needs(**{name: value[start:stop] for name, value in vars(self).items()})


@dataclass(frozen=True)
class _Candidates:
    languages: Bits
    lived_experience: Bits
    formats: Bits
    availability: Bits
    group: npt.NDArray[np.bool_]
    age: npt.NDArray[np.int8]  # rank in AGE_BANDS, or _CANDIDATE_AGE_UNKNOWN
    gender: npt.NDArray[np.int8]  # gender code, or _GENDER_UNKNOWN
    zone: npt.NDArray[np.int32]  # column in the clock table (or index into offsets)
    weighted_load: Floats  # policy.load * load, as score.points() computes it
    available: npt.NDArray[np.bool_]  # active, trained and with a place left


@dataclass(frozen=True)
class _Clock:
    """Hours-apart penalties by zone pair, computed as score.points() computes them."""

    table: Floats  # by need zone x candidate zone, flattened; empty: computed per pair
    weight: float  # policy.hours_apart, for penalties computed per pair
    offsets: Floats  # the distinct offsets, then 0.0 standing for unknown
    unknown: int  # the zone index meaning "time zone unknown"


def _clock_table(policy: MatchingPolicy, offsets: Sequence[float]) -> _Clock:
    table: list[float] = []
    if len(offsets) <= _ZONE_TABLE_LIMIT:
        known = [*offsets, None]
        table = [
            policy.hours_apart * (clock_hours(a, b) if a is not None and b is not None else 0.0)
            for a in known
            for b in known
        ]
    return _Clock(
        table=np.array(table, dtype=np.float64),
        weight=policy.hours_apart,
        offsets=np.array([*offsets, 0.0], dtype=np.float64),
        unknown=len(offsets),
    )


def _encode(
    needs: Sequence[Need], candidates: Sequence[Candidate], policy: MatchingPolicy
) -> tuple[_Needs, _Candidates, _Clock]:
    topics = _Vocabulary((n.topics for n in needs), (c.lived_experience for c in candidates))
    languages = _Vocabulary((n.languages for n in needs), (c.languages for c in candidates))
    channels = _Vocabulary((n.channels for n in needs), (c.formats for c in candidates))
    times = _Vocabulary((n.availability for n in needs), (c.availability for c in candidates))
    genders = {
        gender: code
        for code, gender in enumerate(
            sorted(
                {n.wants_gender for n in needs if n.wants_gender is not None}
                | {c.gender for c in candidates if c.gender is not None}
            )
        )
    }
    if len(genders) > 100:
        raise ValueError("more than 100 different genders in one batch")
    offsets = sorted(
        {n.offset_hours for n in needs if n.offset_hours is not None}
        | {c.offset_hours for c in candidates if c.offset_hours is not None}
    )
    clock = _clock_table(policy, offsets)
    zone_of = {offset: index for index, offset in enumerate(offsets)}
    row_width = len(offsets) + 1 if clock.table.size else 0

    def flags(test: Callable[[Need], bool]) -> npt.NDArray[np.bool_]:
        return np.fromiter((test(n) for n in needs), dtype=np.bool_, count=len(needs))

    def small(values: Iterable[int], count: int) -> npt.NDArray[np.int8]:
        return np.fromiter(values, dtype=np.int8, count=count)

    def zones(values: Iterable[float | None], count: int, width: int) -> npt.NDArray[np.int32]:
        indices = (clock.unknown if v is None else zone_of[v] for v in values)
        return np.fromiter(indices, dtype=np.int32, count=count) * np.int32(max(width, 1))

    def rank(band: str | None, unknown: int) -> int:
        known = age_rank(band)
        return unknown if known is None else known

    encoded_needs = _Needs(
        languages=languages.masks([n.languages for n in needs]),
        topics=topics.masks([n.topics for n in needs]),
        channels=channels.masks([n.channels for n in needs]),
        availability=times.masks([n.availability for n in needs]),
        group=flags(lambda n: n.group_format),
        age=small((rank(n.age_band, _NEED_AGE_UNKNOWN) for n in needs), len(needs)),
        wants_gender=small(
            (_NO_PREFERENCE if n.wants_gender is None else genders[n.wants_gender] for n in needs),
            len(needs),
        ),
        soft_gender=flags(lambda n: n.wants_gender is not None and "gender" not in n.required),
        required_gender=flags(lambda n: n.wants_gender is not None and "gender" in n.required),
        soft_age=flags(lambda n: n.wants_similar_age and "similar_age" not in n.required),
        required_age=flags(lambda n: "similar_age" in n.required),
        required_age_known=flags(
            lambda n: "similar_age" in n.required and age_rank(n.age_band) is not None
        ),
        required_experience=flags(lambda n: "experience" in n.required),
        required_format=flags(lambda n: "format" in n.required),
        zone=zones((n.offset_hours for n in needs), len(needs), row_width),
    )
    encoded_candidates = _Candidates(
        languages=languages.masks([c.languages for c in candidates]),
        lived_experience=topics.masks([c.lived_experience for c in candidates]),
        formats=channels.masks([c.formats for c in candidates]),
        availability=times.masks([c.availability for c in candidates]),
        group=np.array([GROUP in c.formats for c in candidates], dtype=np.bool_),
        age=small((rank(c.age_band, _CANDIDATE_AGE_UNKNOWN) for c in candidates), len(candidates)),
        gender=small(
            (_GENDER_UNKNOWN if c.gender is None else genders[c.gender] for c in candidates),
            len(candidates),
        ),
        zone=zones((c.offset_hours for c in candidates), len(candidates), 1),
        weighted_load=np.array([policy.load * c.load for c in candidates], dtype=np.float64),
        available=np.array(
            [c.active and c.trained and c.capacity_left >= 1 for c in candidates], dtype=np.bool_
        ),
    )
    return encoded_needs, encoded_candidates, clock


def _hours_apart(need: _Needs, candidate: _Candidates, clock: _Clock) -> Floats:
    """The hours-apart penalty of every pair, as score.points() computes it."""
    if clock.table.size:
        return clock.table[need.zone[:, None] + candidate.zone[None, :]]
    # Too many distinct offsets for a table: clock_hours() in numpy, the same operations.
    hours = np.abs(clock.offsets[need.zone][:, None] - clock.offsets[candidate.zone][None, :])
    hours %= 24.0
    hours = np.minimum(hours, 24.0 - hours)
    known = (need.zone != clock.unknown)[:, None] & (candidate.zone != clock.unknown)[None, :]
    return np.float64(clock.weight) * np.where(known, hours, 0.0)


def _score_block(
    need: _Needs, candidate: _Candidates, clock: _Clock, policy: MatchingPolicy
) -> Floats:
    """Scores of every need in the block against every candidate; _INFEASIBLE where a hard
    constraint fails.

    Adds score.points()'s terms in its order, each computed with the same operation on the
    same operands, so the floats are identical. Masks are multiplied, not selected with
    np.where, which is several times slower on irregular masks.
    """
    topics = _shared(need.topics, candidate.lived_experience)
    languages = _shared(need.languages, candidate.languages)
    formats = _shared(need.channels, candidate.formats)
    apart = np.abs(need.age[:, None] - candidate.age[None, :])  # > 6: an age unknown
    both_aged = apart < len(AGE_BANDS)
    gender_met = candidate.gender[None, :] == need.wants_gender[:, None]
    group = need.group[:, None] & candidate.group[None, :] if need.group.any() else None

    feasible = (languages != 0) & candidate.available[None, :]
    if need.required_gender.any():
        feasible &= ~(need.required_gender[:, None] & ~gender_met)
    if need.required_age.any():
        feasible &= ~(need.required_age_known[:, None] & (apart > 1))
        unknown = candidate.age == _CANDIDATE_AGE_UNKNOWN
        feasible &= ~(need.required_age[:, None] & unknown[None, :])
    if need.required_experience.any():
        feasible &= ~(need.required_experience[:, None] & (topics == 0))
    if need.required_format.any():
        no_format = formats == 0
        if group is not None:
            no_format |= need.group[:, None] & ~group
        feasible &= ~(need.required_format[:, None] & no_format)

    total = np.float64(policy.shared_experience) * topics
    total += np.float64(policy.shared_language_extra) * (np.maximum(languages, 1) - 1)
    total -= np.float64(policy.age_band_step) * (apart * both_aged)
    total += np.float64(policy.similar_age_bonus) * (need.soft_age[:, None] & (apart <= 1))
    total -= _hours_apart(need, candidate, clock)
    total += np.float64(policy.shared_format) * formats
    if group is not None:
        total += np.float64(policy.group_format) * group
    total += np.float64(policy.shared_availability) * _shared(
        need.availability, candidate.availability
    )
    total -= candidate.weighted_load[None, :]
    total += np.float64(policy.gender_as_asked) * (need.soft_gender[:, None] & gender_met)
    total += np.float64(_INFEASIBLE) * ~feasible
    return total


def _excluded_pairs(needs: Sequence[Need], candidates: Sequence[Candidate]) -> tuple[Ints, Ints]:
    column = {c.supporter_id: index for index, c in enumerate(candidates)}
    pairs = [
        (row, column[supporter])
        for row, need in enumerate(needs)
        for supporter in need.excluded
        if supporter in column
    ]
    rows = np.array([row for row, _ in pairs], dtype=np.intp)
    columns = np.array([col for _, col in pairs], dtype=np.intp)
    return rows, columns


def _blocks(
    needs: Sequence[Need], candidates: Sequence[Candidate], policy: MatchingPolicy
) -> Iterator[tuple[int, Floats]]:
    """(first row, scores) for consecutive blocks of needs against all candidates."""
    encoded_needs, encoded_candidates, clock = _encode(needs, candidates, policy)
    excluded_rows, excluded_columns = _excluded_pairs(needs, candidates)
    height = max(1, _PAIRS_PER_BLOCK // max(len(candidates), 1))
    for start in range(0, len(needs), height):
        stop = min(start + height, len(needs))
        block = _score_block(encoded_needs.rows(start, stop), encoded_candidates, clock, policy)
        inside = (excluded_rows >= start) & (excluded_rows < stop)
        block[excluded_rows[inside] - start, excluded_columns[inside]] = _INFEASIBLE
        yield start, block


def score_matrix(
    needs: Sequence[Need], candidates: Sequence[Candidate], policy: MatchingPolicy
) -> Floats:
    """Every pair's score as score() gives it, one row per need; -inf where infeasible."""
    matrix = np.full((len(needs), len(candidates)), -np.inf)
    if len(needs) and len(candidates):
        for start, block in _blocks(needs, candidates, policy):
            matrix[start : start + len(block)] = block
        matrix[matrix <= _FEASIBLE_ABOVE] = -np.inf
    return matrix


@dataclass(frozen=True)
class _Edges:
    """Each request's best feasible candidates: parallel arrays of (row, column, score)."""

    rows: Ints
    columns: Ints
    scores: Floats


def _best_per_row(block: Floats, keep: int) -> npt.NDArray[np.bool_]:
    """Mark each row's `keep` highest feasible scores; ties go to the lower column."""
    feasible = block > _FEASIBLE_ABOVE
    width = block.shape[1]
    if width <= keep:
        return feasible
    threshold = np.partition(block, width - keep, axis=1)[:, width - keep, None]
    chosen = block > threshold
    short = keep - chosen.sum(axis=1)
    ties = (block == threshold) & (threshold > _FEASIBLE_ABOVE)
    crowded = np.flatnonzero(ties.sum(axis=1) > short)
    if crowded.size:
        tied = ties[crowded]
        ties[crowded] = tied & (np.cumsum(tied, axis=1) <= short[crowded, None])
    return chosen | ties


class _BestPerColumn:
    """Each column's `keep` highest feasible scores over blocks of rows; ties: the earlier row."""

    def __init__(self, width: int, keep: int) -> None:
        self.width, self.keep = width, keep
        self.floor = np.full(width, _FEASIBLE_ABOVE)  # what a new score must beat
        self.kept: list[_Edges] = []
        self.count = 0

    def add(self, start: int, block: Floats) -> None:
        """Consider the rows of a block whose first row is `start`."""
        rows, columns = np.nonzero(block > self.floor)
        self.kept.append(_Edges(rows + start, columns, block[rows, columns]))
        self.count += len(rows)
        if self.count > 4 * self.keep * self.width:
            self._prune()

    def edges(self) -> _Edges:
        """The best edges of every column."""
        self._prune()
        return self.kept[0]

    def _prune(self) -> None:
        edges = _joined(self.kept)
        order = np.lexsort((edges.rows, -edges.scores, edges.columns))
        columns = edges.columns[order]
        rank = np.arange(len(columns)) - np.searchsorted(columns, columns)
        best = order[rank < self.keep]
        last = order[rank == self.keep - 1]
        self.floor[edges.columns[last]] = edges.scores[last]
        self.kept = [_Edges(edges.rows[best], edges.columns[best], edges.scores[best])]
        self.count = len(best)


def _joined(parts: Sequence[_Edges]) -> _Edges:
    if not parts:
        return _Edges(np.zeros(0, np.intp), np.zeros(0, np.intp), np.zeros(0, np.float64))
    return _Edges(
        np.concatenate([part.rows for part in parts]),
        np.concatenate([part.columns for part in parts]),
        np.concatenate([part.scores for part in parts]),
    )


def _edges(
    needs: Sequence[Need],
    candidates: Sequence[Candidate],
    policy: MatchingPolicy,
    proposals: list[_Edges] | None = None,
) -> _Edges:
    """The pairs the solver weighs: each request's best candidates, and each supporter's best
    requests, without which requests that all rank the same few supporters first would
    leave the other supporters' places out of reach.

    Given a list, each request's policy.proposals_per_request best pairs are added to it too,
    from the same scores.
    """
    by_request = []
    by_supporter = _BestPerColumn(len(candidates), policy.requests_per_supporter)
    for start, block in _blocks(needs, candidates, policy):
        rows, columns = np.nonzero(_best_per_row(block, policy.candidates_per_request))
        by_request.append(_Edges(rows + start, columns, block[rows, columns]))
        by_supporter.add(start, block)
        if proposals is not None:
            rows, columns = np.nonzero(_best_per_row(block, policy.proposals_per_request))
            proposals.append(_Edges(rows + start, columns, block[rows, columns]))
    edges = _joined([*by_request, by_supporter.edges()])
    _, first = np.unique(edges.rows * len(candidates) + edges.columns, return_index=True)
    return _Edges(edges.rows[first], edges.columns[first], edges.scores[first])


def _pool(needs: Sequence[Need], candidates: Sequence[Candidate]) -> list[Candidate]:
    """The candidates who can take anyone, fewest participants first, then lowest id."""
    for label, ids in (
        ("request", [n.request_id for n in needs]),
        ("supporter", [c.supporter_id for c in candidates]),
    ):
        if len(set(ids)) != len(ids):
            raise ValueError(f"each {label} may appear only once in a batch")
    available = [c for c in candidates if c.active and c.trained and c.capacity_left >= 1]
    return sorted(available, key=lambda c: (c.load, c.supporter_id))


def _proposals(
    pairs: Iterator[tuple[int, int, float]],
    needs: Sequence[Need],
    pool: Sequence[Candidate],
) -> list[Proposal]:
    return sorted(
        (
            Proposal(
                needs[row].request_id,
                pool[column].supporter_id,
                float(points),
                reasons(needs[row], pool[column]),
            )
            for row, column, points in pairs
        ),
        key=lambda proposal: proposal.request_id,
    )


def assign(
    needs: Sequence[Need], candidates: Sequence[Candidate], policy: MatchingPolicy
) -> list[Proposal]:
    """Match the waiting list: at most one supporter per request, nobody over capacity.

    With policy.most_matches_first (the default) as many requests as possible are matched
    and, among those choices, the total score is highest; without it only the total score
    counts, so a request whose feasible pairs all score below zero stays unmatched. Returns
    proposals in request id order; unmatched requests are left out.
    """
    pool = _pool(needs, candidates)
    if not needs or not pool:
        return []
    return _assigned(_edges(needs, pool, policy), needs, pool, policy)


def plan(
    needs: Sequence[Need], candidates: Sequence[Candidate], policy: MatchingPolicy
) -> BatchPlan:
    """assign(), and top_proposals() for every need, from one pass over the scores."""
    pool = _pool(needs, candidates)
    if not needs or not pool:
        return BatchPlan([], [[] for _ in needs])
    best: list[_Edges] = []
    chosen = _assigned(_edges(needs, pool, policy, best), needs, pool, policy)
    return BatchPlan(chosen, _ranked(_joined(best), needs, pool))


def _ranked(
    best: _Edges, needs: Sequence[Need], pool: Sequence[Candidate]
) -> list[list[Proposal]]:
    """Each need's pairs best first; the pool's order (fewer participants, then lower id)
    breaks ties, as in top_proposals()."""
    ranked: list[list[Proposal]] = [[] for _ in needs]
    order = np.lexsort((best.columns, -best.scores, best.rows))
    for row, column, points in zip(
        best.rows[order].tolist(),
        best.columns[order].tolist(),
        best.scores[order].tolist(),
        strict=True,
    ):
        need, candidate = needs[row], pool[column]
        ranked[row].append(
            Proposal(need.request_id, candidate.supporter_id, points, reasons(need, candidate))
        )
    return ranked


def _assigned(
    edges: _Edges, needs: Sequence[Need], pool: Sequence[Candidate], policy: MatchingPolicy
) -> list[Proposal]:
    if not edges.rows.size:
        return []
    capacity = np.array([c.capacity_left for c in pool], dtype=np.intp)
    chosen = _solve(edges, capacity, policy.most_matches_first)
    return _proposals(
        zip(
            edges.rows[chosen].tolist(),
            edges.columns[chosen].tolist(),
            edges.scores[chosen].tolist(),
            strict=True,
        ),
        needs,
        pool,
    )


def _solve(edges: _Edges, capacity: Ints, most_matches_first: bool) -> Ints:
    """Indices of the edges in an optimal capacitated matching."""
    from scipy.sparse import csr_array
    from scipy.sparse.csgraph import min_weight_full_bipartite_matching

    # Only requests with an edge take part: renumber them 0..n-1.
    requests, request_of_edge = np.unique(edges.rows, return_inverse=True)
    # One place per supporter's free slot, no more places than requests that want them.
    places = np.minimum(capacity, np.bincount(edges.columns, minlength=len(capacity)))
    first_place = np.cumsum(places) - places
    copies = places[edges.columns]
    entry_edge = np.repeat(np.arange(len(edges.rows)), copies)
    entry_place = first_place[edges.columns[entry_edge]] + (
        np.arange(len(entry_edge)) - np.repeat(np.cumsum(copies) - copies, copies)
    )
    entry_request = request_of_edge[entry_edge]
    # The smaller side is matched in full, each of its vertices to a real partner or to a
    # private "nobody" column, so a full matching always exists; fewer rows solve faster.
    place_count, request_count = int(places.sum()), len(requests)
    if place_count <= request_count:
        rows, columns, height, width = entry_place, entry_request, place_count, request_count
    else:
        rows, columns, height, width = entry_request, entry_place, request_count, place_count
    # Costs must be non-zero (a zero is no edge) and smaller is better: top - score >= 1.
    best, worst = float(edges.scores.max()), float(edges.scores.min())
    top = max(best, 0.0) + 1.0
    nobody = top
    if most_matches_first:
        # One match fewer costs more than any spread of scores can win back.
        nobody += height * (max(best, 0.0) - min(worst, 0.0)) + 1.0
    graph = csr_array(
        (
            np.concatenate([top - edges.scores[entry_edge], np.full(height, nobody)]),
            (
                np.concatenate([rows, np.arange(height)]),
                np.concatenate([columns, width + np.arange(height)]),
            ),
        ),
        shape=(height, width + height),
    )
    matched_rows, matched_columns = min_weight_full_bipartite_matching(graph)
    real = matched_columns < width
    matched_rows, matched_columns = matched_rows[real], matched_columns[real]
    if place_count <= request_count:
        matched_places, matched_requests = matched_rows, matched_columns
    else:
        matched_places, matched_requests = matched_columns, matched_rows
    # Back to edges: the place's supporter and the request make the edge's key.
    supporter_of_place = np.repeat(np.arange(len(capacity)), places)
    wanted = requests[matched_requests] * len(capacity) + supporter_of_place[matched_places]
    edge_keys = edges.rows * len(capacity) + edges.columns
    order = np.argsort(edge_keys)
    return order[np.searchsorted(edge_keys, wanted, sorter=order)]


def greedy(
    needs: Sequence[Need], candidates: Sequence[Candidate], policy: MatchingPolicy
) -> list[Proposal]:
    """Match best pair first until nothing fits: the baseline assign() is measured against.

    It looks at the same candidates_per_request best candidates per request as assign().
    """
    pool = _pool(needs, candidates)
    if not needs or not pool:
        return []
    edges = _edges(needs, pool, policy)
    # Highest score first; ties to fewer participants, lower supporter id, lower request id.
    loads = np.array([c.load for c in pool])[edges.columns]
    supporter_ids = np.array([c.supporter_id for c in pool])[edges.columns]
    request_ids = np.array([n.request_id for n in needs])[edges.rows]
    order = np.lexsort((request_ids, supporter_ids, loads, -edges.scores))
    places = [c.capacity_left for c in pool]
    matched: set[int] = set()
    chosen = []
    for edge in order.tolist():
        row, column = int(edges.rows[edge]), int(edges.columns[edge])
        if row not in matched and places[column] > 0:
            matched.add(row)
            places[column] -= 1
            chosen.append((row, column, float(edges.scores[edge])))
    return _proposals(iter(chosen), needs, pool)
