"""Pareto fronts and their quality: non-dominated archives, crowding, HV, IGD, recall.

Every function here works on minimisation vectors (a maximised objective is negated
before it arrives). Hypervolume and IGD come from pymoo.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

REFERENCE_POINT = 1.1  # per normalised objective, as in the HV-ratio convention


def non_dominated_mask(points: np.ndarray) -> np.ndarray:
    """True for each row no other row dominates (minimisation; equal rows both kept)."""
    points = np.asarray(points, dtype=float)
    if points.size == 0:
        return np.zeros(0, dtype=bool)
    n = len(points)
    if points.shape[1] == 2:
        return _non_dominated_mask_2d(points)
    mask = np.ones(n, dtype=bool)
    for i in range(n):
        if not mask[i]:
            continue
        others = points
        dominates_i = np.all(others <= points[i], axis=1) & np.any(others < points[i], axis=1)
        if dominates_i.any():
            mask[i] = False
    return mask


def _non_dominated_mask_2d(points: np.ndarray) -> np.ndarray:
    order = np.lexsort((points[:, 1], points[:, 0]))
    mask = np.zeros(len(points), dtype=bool)
    best_y = np.inf
    last_kept: tuple[float, float] | None = None
    for index in order:
        x, y = float(points[index, 0]), float(points[index, 1])
        if y < best_y or (x, y) == last_kept:  # an equal row is not dominated either
            mask[index] = True
            best_y = y
            last_kept = (x, y)
    return mask


def non_dominated_ranks(points: np.ndarray) -> np.ndarray:
    """Front index of each row: 0 for the non-dominated set, 1 for the next, ..."""
    points = np.asarray(points, dtype=float)
    ranks = np.full(len(points), -1, dtype=int)
    remaining = np.arange(len(points))
    rank = 0
    while remaining.size:
        mask = non_dominated_mask(points[remaining])
        ranks[remaining[mask]] = rank
        remaining = remaining[~mask]
        rank += 1
    return ranks


def crowding_distance(points: np.ndarray) -> np.ndarray:
    """NSGA-II crowding distance of each row within its set (boundary rows: inf)."""
    points = np.asarray(points, dtype=float)
    n, m = points.shape if points.ndim == 2 else (0, 0)
    distance = np.zeros(n)
    if n <= 2:
        return np.full(n, np.inf)
    for j in range(m):
        order = np.argsort(points[:, j], kind="stable")
        span = points[order[-1], j] - points[order[0], j]
        distance[order[0]] = distance[order[-1]] = np.inf
        if span <= 0:
            continue
        gaps = (points[order[2:], j] - points[order[:-2], j]) / span
        distance[order[1:-1]] += gaps
    return distance


def normalise(points: np.ndarray, ideal: np.ndarray, nadir: np.ndarray) -> np.ndarray:
    """Scale so that `ideal` maps to 0 and `nadir` to 1 in every objective."""
    span = np.where(nadir - ideal > 0, nadir - ideal, 1.0)
    return (np.asarray(points, dtype=float) - ideal) / span


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


def hypervolume_improvement_2d(front: np.ndarray, point: np.ndarray, reference: np.ndarray) -> float:
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


class ParetoArchive:
    """The non-dominated set of everything added (minimisation vectors with a key each)."""

    def __init__(self) -> None:
        self._keys: list[str] = []
        self._points: list[np.ndarray] = []

    def add(self, key: str, point: Sequence[float] | np.ndarray) -> bool:
        """Add a point; True when it joins the front (dominated members drop out)."""
        point = np.asarray(point, dtype=float)
        if self._points:
            stacked = np.vstack(self._points)
            if np.any(np.all(stacked <= point, axis=1) & np.any(stacked < point, axis=1)):
                return False
            keep = ~(np.all(point <= stacked, axis=1) & np.any(point < stacked, axis=1))
            self._keys = [k for k, ok in zip(self._keys, keep, strict=True) if ok]
            self._points = [p for p, ok in zip(self._points, keep, strict=True) if ok]
        self._keys.append(key)
        self._points.append(point)
        return True

    @property
    def keys(self) -> list[str]:
        return list(self._keys)

    @property
    def points(self) -> np.ndarray:
        return np.vstack(self._points) if self._points else np.zeros((0, 0))

    def __len__(self) -> int:
        return len(self._keys)


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
