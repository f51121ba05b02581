"""Pick rules on finished runs built from the NAS-Bench-201 tables.

Expected picks are never written down: each test checks that the pick is on the front
(by brute force) and satisfies its rule (recomputed independently of hwnas.export).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from hwnas.core import ConfigError, HwnasError
from hwnas.export import pick_candidate


def _usable_for(store, names):
    return [c for c, extra in zip(store.candidates(), store.candidate_extras(), strict=True)
            if extra.get("status") != "failed" and all(n in c.objectives for n in names)]


def _signed(candidate, name):
    value = candidate.objectives[name]
    return value.value if value.minimize else -value.value


def _dominated(candidate, others, names):
    mine = [_signed(candidate, n) for n in names]
    for other in others:
        theirs = [_signed(other, n) for n in names]
        pairs = list(zip(theirs, mine, strict=True))
        if all(t <= m for t, m in pairs) and any(t < m for t, m in pairs):
            return True
    return False


def _brute_front(candidates, names):
    return [c for c in candidates if not _dominated(c, candidates, names)]


@pytest.mark.parametrize("rule", ["knee", "fastest", "most-accurate"])
def test_every_rule_picks_a_front_member(table_run, rule) -> None:
    names = ("accuracy", "latency")
    usable = _usable_for(table_run, names)
    pick = pick_candidate(table_run.candidates(), rule, names, table_run.candidate_extras())
    front = _brute_front(usable, names)
    assert pick.on_front
    assert pick.candidate.architecture.arch_id in {c.architecture.arch_id for c in front}
    assert pick.front_size == len(front)
    assert 2 <= len(front) < len(usable)  # a real trade-off, not a degenerate run


def test_fastest_has_the_lowest_latency_and_most_accurate_the_highest_accuracy(table_run) -> None:
    names = ("accuracy", "latency")
    usable = _usable_for(table_run, names)
    fastest = pick_candidate(table_run.candidates(), "fastest", names, table_run.candidate_extras())
    accurate = pick_candidate(table_run.candidates(), "most-accurate", names,
                              table_run.candidate_extras())
    assert fastest.candidate.value("latency") == min(c.value("latency") for c in usable)
    assert accurate.candidate.value("accuracy") == max(c.value("accuracy") for c in usable)
    # The failed candidate and the one missing accuracy (latency 0.001 ms) are never used.
    assert fastest.candidate.value("latency") > 0.001


def test_knee_is_farthest_from_the_line_between_the_front_ends(table_run) -> None:
    names = ("accuracy", "latency")
    usable = _usable_for(table_run, names)
    front = _brute_front(usable, names)
    points = np.array([[c.value("latency"), -c.value("accuracy")] for c in front])
    scaled = (points - points.min(0)) / (points.max(0) - points.min(0))
    a = scaled[np.argmin(points[:, 0])]
    b = scaled[np.argmin(points[:, 1])]
    direction = (b - a) / np.linalg.norm(b - a)
    # 2-D cross product: distance from the chord, positive towards the ideal point (0, 0).
    distances = [(p - a)[0] * direction[1] - (p - a)[1] * direction[0] for p in scaled]
    origin = np.zeros(2) - a
    sign = 1.0 if origin[0] * direction[1] - origin[1] * direction[0] > 0 else -1.0
    distances = [sign * d for d in distances]
    pick = pick_candidate(table_run.candidates(), "knee", names, table_run.candidate_extras())
    chosen = [c.architecture.arch_id for c in front].index(pick.candidate.architecture.arch_id)
    assert math.isclose(distances[chosen], max(distances), rel_tol=1e-9, abs_tol=1e-12)
    assert distances[chosen] > 0  # a convex bend exists in real benchmark data


def test_three_objective_run_with_an_error_objective(table_run_3d) -> None:
    names = ("error", "latency", "energy")
    store = table_run_3d
    usable = _usable_for(store, names)
    front = _brute_front(usable, names)
    ids = {c.architecture.arch_id for c in front}
    accurate = pick_candidate(store.candidates(), "most-accurate", None, store.candidate_extras())
    assert accurate.detail["objective"] == "error" and accurate.detail["minimize"] is True
    assert accurate.candidate.value("error") == min(c.value("error") for c in usable)
    knee = pick_candidate(store.candidates(), "knee", None, store.candidate_extras())
    assert knee.candidate.architecture.arch_id in ids and set(knee.objective_names) == set(names)
    # Independent plane through the three extreme points (cross product), normalised space.
    points = np.array([[_signed(c, n) for n in knee.objective_names] for c in front])
    scaled = (points - points.min(0)) / np.where(np.ptp(points, 0) > 0, np.ptp(points, 0), 1)
    e = [scaled[np.argmin(points[:, j])] for j in range(3)]
    normal = np.cross(e[1] - e[0], e[2] - e[0])
    if np.linalg.norm(normal) > 1e-12:
        normal = normal / np.linalg.norm(normal)
        if np.dot(np.zeros(3) - e[0], normal) < 0:
            normal = -normal
        distances = (scaled - e[0]) @ normal
        chosen = [c.architecture.arch_id for c in front].index(knee.candidate.architecture.arch_id)
        assert math.isclose(distances[chosen], distances.max(), rel_tol=1e-9, abs_tol=1e-12)


def test_fastest_needs_one_latency_objective(table_run_3d) -> None:
    store = table_run_3d
    pick = pick_candidate(store.candidates(), "fastest", None, store.candidate_extras())
    usable = _usable_for(store, ("error", "latency", "energy"))
    assert pick.candidate.value("latency") == min(c.value("latency") for c in usable)
    best_energy = pick_candidate(store.candidates(), "best:energy", None, store.candidate_extras())
    assert best_energy.candidate.value("energy") == min(c.value("energy") for c in usable)


def test_pick_by_id_prefix_and_by_string(table_run, nb201) -> None:
    candidates = table_run.candidates()
    target = candidates[7]
    by_id = pick_candidate(candidates, target.architecture.arch_id[:10], None,
                           table_run.candidate_extras(), nb201)
    assert by_id.candidate.architecture == target.architecture and by_id.rule == "id"
    by_string = pick_candidate(candidates, target.architecture.string, None,
                               table_run.candidate_extras(), nb201)
    assert by_string.candidate.architecture == target.architecture


def test_bad_picks_say_what_to_do(table_run, nb201) -> None:
    candidates, extras = table_run.candidates(), table_run.candidate_extras()
    with pytest.raises(ConfigError, match="neither a rule"):
        pick_candidate(candidates, "slowest", None, extras, nb201)
    with pytest.raises(ConfigError, match="no candidate's arch_id starts with"):
        pick_candidate(candidates, "ffffffffffffff", None, extras, nb201)
    with pytest.raises(ConfigError, match="no objective 'energy'"):
        pick_candidate(candidates, "best:energy", None, extras, nb201)
    missing = ("|avg_pool_3x3~0|+|avg_pool_3x3~0|avg_pool_3x3~1|"
               "+|avg_pool_3x3~0|avg_pool_3x3~1|avg_pool_3x3~2|")
    if all(c.architecture.string != missing for c in candidates):
        with pytest.raises(ConfigError, match="not a candidate of this run"):
            pick_candidate(candidates, missing, None, extras, nb201)
    with pytest.raises(HwnasError, match="no candidate with every objective"):
        pick_candidate([candidates[-1]], "knee", ("accuracy", "latency"))


def test_ties_are_broken_deterministically(table_run) -> None:
    names = ("accuracy", "latency")
    candidates = table_run.candidates()
    for rule in ("knee", "fastest", "most-accurate"):
        picks = {
            pick_candidate(list(order), rule, names).candidate.architecture.arch_id
            for order in itertools.islice(itertools.permutations(candidates[:12]), 0, 30, 7)
        }
        assert len(picks) == 1
