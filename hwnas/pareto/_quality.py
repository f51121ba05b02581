"""Front quality on minimisation vectors: hypervolume (and its improvement), IGD, recall.

Hypervolume and IGD come from pymoo (imported when first used); the hypervolume
improvement of 2-objective points is computed exactly here (the screen's fast path).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from hwnas.pareto._front import non_dominated_mask
from hwnas.pareto._scale import normalise

REFERENCE_POINT = 1.1  # per normalised objective, as in the HV-ratio convention


def hypervolume(points: np.ndarray, reference: Sequence[float] | np.ndarray) -> float:
    """Hypervolume dominated by `points` up to `reference` (pymoo); points past it add 0."""
    from pymoo.indicators.hv import HV

    points = np.asarray(points, dtype=float)
    reference = np.asarray(reference, dtype=float)
    if points.size == 0:
        return 0.0
    inside = np.all(points < reference, axis=1)
    if not inside.any():
        return 0.0
    return float(HV(ref_point=reference)(points[inside]))


def igd(points: np.ndarray, true_front: np.ndarray) -> float:
    """Inverted generational distance of `points` to `true_front` (pymoo)."""
    from pymoo.indicators.igd import IGD

    points = np.asarray(points, dtype=float)
    if points.size == 0:
        return float("inf")
    return float(IGD(np.asarray(true_front, dtype=float))(points))


def hypervolume_improvement_2d(front: np.ndarray, point: np.ndarray,
                               reference: np.ndarray) -> float:
    """Exact HV gained by adding `point` to a 2-objective `front` (fast path for screening)."""
    if np.any(point >= reference):
        return 0.0
    if len(front):
        inside = front[np.all(front < reference, axis=1)]
    else:
        inside = front
    if len(inside) and np.any(np.all(inside <= point, axis=1)):
        return 0.0
    return _hv2d(np.vstack([inside, point[None, :]]), reference) - _hv2d(inside, reference)


def _hv2d(points: np.ndarray, reference: np.ndarray) -> float:
    if len(points) == 0:
        return 0.0
    order = np.argsort(points[:, 0], kind="stable")
    total, best_y = 0.0, reference[1]
    for x, y in points[order]:
        if y < best_y:
            total += (reference[0] - x) * (best_y - y)
            best_y = y
    return float(total)


def hypervolume_improvement(front: np.ndarray, point: np.ndarray, reference: np.ndarray) -> float:
    """HV gained by adding `point` to `front` (any number of objectives)."""
    front = np.asarray(front, dtype=float).reshape(-1, len(point))
    if len(point) == 2:
        return hypervolume_improvement_2d(front, np.asarray(point, dtype=float), reference)
    if np.any(np.all(front <= point, axis=1)):
        return 0.0
    return hypervolume(np.vstack([front, point]), reference) - hypervolume(front, reference)


def hvi_2d_many(front: np.ndarray, points: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Hypervolume improvement of each point over a 2-objective front (vectorised)."""
    if len(points) == 0:
        return np.zeros(0)
    front = front[np.all(front < reference, axis=1)] if len(front) else front.reshape(0, 2)
    if len(front):
        front = front[non_dominated_mask(front)]
        front = front[np.lexsort((front[:, 1], front[:, 0]))]
    # staircase: segment i spans [x_i, x_{i+1}) at level y_{i-1} (the front's best y so far)
    xs = np.concatenate([[-np.inf], front[:, 0], [reference[0]]])
    levels = np.concatenate([[reference[1]], np.minimum(front[:, 1], reference[1])])
    levels = np.minimum.accumulate(levels)
    left = np.maximum(xs[:-1][None, :], points[:, :1])
    right = np.minimum(xs[1:][None, :], reference[0])
    width = np.clip(right - left, 0, None)
    height = np.clip(levels[None, :] - points[:, 1:2], 0, None)
    return (width * height).sum(axis=1)


def hypervolume_improvements(front: np.ndarray, points: np.ndarray,
                             reference: np.ndarray) -> np.ndarray:
    """HV gained by adding each row of `points` alone to `front` (vectorised for 2 objectives)."""
    if points.shape[1] == 2:
        return hvi_2d_many(front, points, reference)
    return np.array([hypervolume_improvement(front, p, reference) for p in points])


@dataclass(frozen=True)
class FrontQuality:
    """How a found front compares with the true front (normalised objectives)."""

    hv: float  # hypervolume of the found front, normalised space, reference 1.1
    hv_true: float
    hv_ratio: float
    igd: float
    recall: float  # share of true-front isomorphism classes among the evaluated ones
    recalled: int
    true_front_size: int

    def to_dict(self) -> dict[str, float | int]:
        return {"hv": self.hv, "hv_true": self.hv_true, "hv_ratio": self.hv_ratio,
                "igd": self.igd, "recall": self.recall, "recalled": self.recalled,
                "true_front_size": self.true_front_size}


@dataclass(frozen=True)
class TrueFront:
    """The exact front of an enumerable space whose objectives all come from tables.

    `points` are minimisation vectors of the front's architectures (`strings`), and
    `keys` their isomorphism classes. Recall convention: a true-front architecture
    counts as found when any architecture of its isomorphism class was evaluated
    (isomorphic cells are the same network; a search never evaluates two of them).
    """

    points: np.ndarray
    strings: tuple[str, ...]
    keys: tuple[str, ...]

    @property
    def ideal(self) -> np.ndarray:
        return self.points.min(axis=0)

    @property
    def nadir(self) -> np.ndarray:
        return self.points.max(axis=0)

    def quality(self, found: np.ndarray, evaluated_keys: set[str]) -> FrontQuality:
        """HV, HV ratio, IGD (normalised by this front's ideal and nadir) and recall."""
        reference = np.full(self.points.shape[1], REFERENCE_POINT)
        true_normalised = normalise(self.points, self.ideal, self.nadir)
        hv_true = hypervolume(true_normalised, reference)
        found = np.asarray(found, dtype=float).reshape(-1, self.points.shape[1])
        if len(found):
            found = found[non_dominated_mask(found)]
        found_normalised = normalise(found, self.ideal, self.nadir)
        hv_found = hypervolume(found_normalised, reference)
        classes = set(self.keys)
        recalled = len(classes & evaluated_keys)
        return FrontQuality(
            hv=hv_found, hv_true=hv_true, hv_ratio=hv_found / hv_true if hv_true else 0.0,
            igd=igd(found_normalised, true_normalised), recall=recalled / len(classes),
            recalled=recalled, true_front_size=len(classes),
        )


def own_range_hypervolume(points: np.ndarray) -> float:
    """HV of the non-dominated rows of `points`, normalised by the points' own ideal and
    nadir (reference point 1.1 per objective): the quality figure without a true front."""
    points = np.asarray(points, dtype=float)
    if len(points) == 0:
        return 0.0
    front = points[non_dominated_mask(points)]
    reference = np.full(points.shape[1], REFERENCE_POINT)
    return hypervolume(normalise(front, points.min(axis=0), points.max(axis=0)), reference)


def assess_front(points: np.ndarray, true_front: TrueFront | None = None,
                 evaluated_keys: Iterable[str] | None = None) -> tuple[float, FrontQuality | None]:
    """(hv, quality) of the evaluated `points` (minimisation vectors).

    With a true front: its `quality` (hv normalised by the true front; recall counts
    `evaluated_keys`, the isomorphism classes evaluated). Without: the hv normalised by
    the points' own range, and no quality.
    """
    if true_front is not None:
        quality = true_front.quality(points, set(evaluated_keys or ()))
        return quality.hv, quality
    return own_range_hypervolume(points), None
