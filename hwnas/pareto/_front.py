"""Dominance on minimisation vectors: non-dominated masks and ranks, crowding, gaps, an archive.

Every function here works on minimisation vectors (a maximised objective is negated
before it arrives; `minimisation_matrix` does that).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


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


def dominance_gap(points: np.ndarray, front: np.ndarray,
                  span: np.ndarray | None = None) -> np.ndarray:
    """How far each row of `points` must improve to leave the region `front` dominates.

    Per front member, the smallest objective-wise difference (point minus member,
    divided by `span` when given); the gap is the largest of those over the front.
    Positive: dominated by that much; zero or negative: not dominated. An empty front
    gives zeros.
    """
    points = np.asarray(points, dtype=float)
    if len(front) == 0:
        return np.zeros(len(points))
    differences = points[:, None, :] - np.asarray(front, dtype=float)[None, :, :]
    if span is not None:
        differences = differences / span
    return np.max(np.min(differences, axis=2), axis=1)


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
