"""From objective values to comparable minimisation vectors: directions and normalisation."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from hwnas.core import Candidate


def objective_signs(minimize: Sequence[bool]) -> np.ndarray:
    """+1.0 for each minimised objective, -1.0 for each maximised one."""
    return np.array([1.0 if flag else -1.0 for flag in minimize])


def minimisation_matrix(candidates: Sequence[Candidate], names: Sequence[str],
                        minimize: Sequence[bool] | None = None) -> np.ndarray:
    """Objective values as rows, maximised objectives negated (lower is better everywhere).

    The direction of each objective comes from `minimize` (one flag per name) when
    given, else from each stored value's own `minimize` flag.
    """
    shape = (len(candidates), len(names))
    values = np.asarray([[c.objectives[n].value for n in names] for c in candidates],
                        dtype=float).reshape(shape)
    if minimize is not None:
        return values * objective_signs(minimize)
    signs = np.asarray([[1.0 if c.objectives[n].minimize else -1.0 for n in names]
                        for c in candidates], dtype=float).reshape(shape)
    return values * signs


def normalise(points: np.ndarray, ideal: np.ndarray | None = None,
              nadir: np.ndarray | None = None) -> np.ndarray:
    """Scale so that `ideal` maps to 0 and `nadir` to 1 in every objective.

    Without `ideal` and `nadir` the points' own best and worst values are used; an
    objective with no spread is only shifted.
    """
    points = np.asarray(points, dtype=float)
    if ideal is None:
        ideal = points.min(axis=0)
    if nadir is None:
        nadir = points.max(axis=0)
    span = np.where(nadir - ideal > 0, nadir - ideal, 1.0)
    return (points - ideal) / span
