"""Pareto utilities against fronts small enough to compute by hand."""

from __future__ import annotations

import numpy as np
import pytest

from hwnas.pareto import (
    ParetoArchive,
    TrueFront,
    crowding_distance,
    hvi_2d_many,
    hypervolume,
    hypervolume_improvement,
    igd,
    non_dominated_mask,
    non_dominated_ranks,
)


def test_non_dominated_mask_and_ranks_by_hand() -> None:
    points = np.array([[1, 3], [2, 2], [3, 1], [2, 3], [3, 3], [1, 3]], dtype=float)
    # (2,3) is dominated by (1,3) and (2,2); (3,3) by everything; the equal (1,3) pair stays
    assert non_dominated_mask(points).tolist() == [True, True, True, False, False, True]
    assert non_dominated_ranks(points).tolist() == [0, 0, 0, 1, 2, 0]


def test_non_dominated_mask_three_objectives() -> None:
    points = np.array([[1, 2, 3], [2, 1, 3], [2, 2, 3], [1, 1, 4]], dtype=float)
    assert non_dominated_mask(points).tolist() == [True, True, False, True]


def test_two_dimensional_fast_path_matches_brute_force() -> None:
    rng = np.random.default_rng(1)
    for _ in range(50):
        points = rng.integers(0, 6, size=(25, 2)).astype(float)
        brute = [not any(np.all(q <= p) and np.any(q < p) for q in points) for p in points]
        assert non_dominated_mask(points).tolist() == brute


def test_hypervolume_by_hand() -> None:
    # staircase (1,3), (2,2), (3,1) to reference (4,4): 1*1 + 1*2 + 1*3 = 6
    front = np.array([[1, 3], [2, 2], [3, 1]], dtype=float)
    assert hypervolume(front, [4, 4]) == pytest.approx(6.0)
    # a point outside the reference box adds nothing
    assert hypervolume(np.vstack([front, [5, 0]]), [4, 4]) == pytest.approx(6.0)
    assert hypervolume(np.zeros((0, 2)), [4, 4]) == 0.0


def test_hypervolume_improvement_by_hand() -> None:
    front = np.array([[1, 3], [3, 1]], dtype=float)
    reference = np.array([4.0, 4.0])
    # HV(front) = 3*1 + 1*2 = 5 ; with (2,2): 6 -> gain 1
    assert hypervolume_improvement(front, np.array([2.0, 2.0]), reference) == pytest.approx(1.0)
    assert hypervolume_improvement(front, np.array([3.0, 3.0]), reference) == 0.0
    many = hvi_2d_many(front, np.array([[2.0, 2.0], [3.0, 3.0], [0.0, 0.0], [5.0, 0.0]]), reference)
    assert many.tolist() == pytest.approx([1.0, 0.0, 16.0 - 5.0, 0.0])


def test_vectorised_improvement_matches_pymoo() -> None:
    rng = np.random.default_rng(3)
    reference = np.array([1.1, 1.1])
    for _ in range(20):
        front = rng.random((6, 2))
        front = front[non_dominated_mask(front)]
        points = rng.random((10, 2)) * 1.2
        fast = hvi_2d_many(front, points, reference)
        slow = [hypervolume(np.vstack([front, p]), reference) - hypervolume(front, reference)
                for p in points]
        assert fast == pytest.approx(slow, abs=1e-9)


def test_igd_by_hand() -> None:
    true_front = np.array([[0.0, 1.0], [1.0, 0.0]])
    # one found point on the first true point: distances 0 and sqrt(2)
    assert igd(np.array([[0.0, 1.0]]), true_front) == pytest.approx(np.sqrt(2) / 2)
    assert igd(true_front, true_front) == pytest.approx(0.0)


def test_crowding_distance_by_hand() -> None:
    points = np.array([[0, 4], [1, 2], [2, 1], [4, 0]], dtype=float)
    distance = crowding_distance(points)
    assert np.isinf(distance[0]) and np.isinf(distance[3])
    # (1,2): (2-0)/4 + (4-1)/4 = 1.25 ; (2,1): (4-1)/4 + (2-0)/4 = 1.25
    assert distance[1:3].tolist() == pytest.approx([1.25, 1.25])


def test_archive_keeps_only_the_front() -> None:
    archive = ParetoArchive()
    assert archive.add("a", [2, 2])
    assert archive.add("b", [1, 3])
    assert not archive.add("c", [3, 3])
    assert archive.add("d", [1, 1])  # dominates a and b
    assert archive.keys == ["d"]


def test_true_front_quality_by_hand() -> None:
    # true front (minimisation): (0,10) and (10,0); ideal (0,0), nadir (10,10)
    front = TrueFront(np.array([[0.0, 10.0], [10.0, 0.0]]), ("a", "b"), ("ka", "kb"))
    perfect = front.quality(np.array([[0.0, 10.0], [10.0, 0.0]]), {"ka", "kb"})
    assert perfect.hv_ratio == pytest.approx(1.0)
    assert perfect.igd == pytest.approx(0.0)
    assert perfect.recall == 1.0
    # normalised true HV: 1.1^2 - 1*1 = 0.21 ; found only (0,1): 1.1*0.1 = 0.11
    half = front.quality(np.array([[0.0, 10.0], [5.0, 12.0]]), {"ka", "other"})
    assert half.hv_true == pytest.approx(0.21)
    assert half.hv == pytest.approx(0.11)
    assert half.hv_ratio == pytest.approx(0.11 / 0.21)
    assert half.igd == pytest.approx(np.sqrt(2) / 2)
    assert half.recall == 0.5 and half.recalled == 1
