"""Which architecture of a run to export: the non-dominated front and the pick rules.

Rules (all on the run's non-dominated candidates, except an explicit id or string):

- `knee`: normalise every objective to [0, 1] over the front (maximised objectives
  negated first, so 0 is best), take the hyperplane through the front's extreme points
  (the best point of each objective; with two objectives, the line between the two ends
  of the front) and pick the point farthest from it on the side of the ideal point
  (Das 1999, "On characterizing the knee of the Pareto curve"; the same distance
  KnEA uses). When the extreme points do not span a plane (a front of one or two
  points, repeated extremes) the plane `sum(x) = 1` stands in for it.
- `fastest`: the best value of the run's latency-like objective (unit ms, or a name
  with `latency`); `best:NAME` picks on any objective by its own direction.
- `most-accurate`: the best value of the accuracy-like objective, read with its
  `minimize` flag, so an error rate (minimised) and an accuracy (maximised) both work.
- anything else: an arch_id prefix, or an architecture string of the run's space.

Ties go to the candidate closest to the ideal point, then the smaller arch_id.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from hwnas.core import Candidate, ConfigError, HwnasError
from hwnas.pareto import minimisation_matrix, non_dominated_mask, normalise

PICK_RULES = ("knee", "fastest", "most-accurate")
_ACCURACY_WORDS = ("accuracy", "acc", "top1", "top5", "score", "error", "err", "miou", "map")
_LATENCY_UNITS = ("ms", "s", "us")


@dataclass(frozen=True)
class Pick:
    """The chosen candidate, the rule that chose it and the front it came from."""

    candidate: Candidate
    rule: str
    objective_names: tuple[str, ...]
    front_size: int
    on_front: bool
    detail: Mapping[str, Any]


def usable_candidates(
    candidates: Sequence[Candidate],
    objective_names: Sequence[str] | None = None,
    extras: Sequence[Mapping[str, Any]] | None = None,
) -> tuple[list[Candidate], tuple[str, ...]]:
    """Candidates with a finite value for every objective (failed ones left out)."""
    if objective_names:
        names = tuple(objective_names)
    else:
        # The objective set most candidates carry (ties: the larger set).
        counts: dict[tuple[str, ...], int] = {}
        for candidate in candidates:
            key = tuple(sorted(candidate.objectives))
            if key:
                counts[key] = counts.get(key, 0) + 1
        names = max(counts, key=lambda k: (counts[k], len(k), k)) if counts else ()
    out = []
    for index, candidate in enumerate(candidates):
        if extras is not None and index < len(extras) and extras[index].get("status") == "failed":
            continue
        if all(n in candidate.objectives and math.isfinite(candidate.value(n)) for n in names):
            out.append(candidate)
    return out, names


def front(candidates: Sequence[Candidate], names: Sequence[str]) -> list[Candidate]:
    """The non-dominated candidates (every objective read with its direction)."""
    if not candidates:
        return []
    mask = non_dominated_mask(minimisation_matrix(candidates, names))
    return [c for c, keep in zip(candidates, mask, strict=True) if keep]


def knee_distances(points: np.ndarray) -> np.ndarray:
    """Signed distance of each row (minimisation) to the plane through the extreme points.

    Positive means on the ideal point's side; the knee has the largest value.
    """
    points = np.asarray(points, dtype=float)
    n, m = points.shape
    scaled = normalise(points)  # the front's own ideal -> 0, nadir -> 1
    extremes = scaled[[int(np.argmin(points[:, j])) for j in range(m)]]
    normal = np.ones(m)
    if n > m - 1 and np.linalg.matrix_rank(extremes) == m:
        try:
            solved = np.linalg.solve(extremes, np.ones(m))  # plane: solved . x = 1
            if np.all(np.isfinite(solved)) and np.any(solved != 0):
                normal = solved
        except np.linalg.LinAlgError:
            pass
    return (1.0 - scaled @ normal) / float(np.linalg.norm(normal))


def _closest_to_ideal(points: np.ndarray) -> np.ndarray:
    return np.linalg.norm(normalise(points), axis=1)


def _best_index(scores: np.ndarray, points: np.ndarray, candidates: Sequence[Candidate]) -> int:
    """Index of the highest score; ties by distance to the ideal point, then arch_id."""
    tie = _closest_to_ideal(points)
    order = sorted(
        range(len(candidates)),
        key=lambda i: (-round(float(scores[i]), 12), round(float(tie[i]), 12),
                       candidates[i].architecture.arch_id),
    )
    return order[0]


def latency_objective(candidate_objectives: Mapping[str, Any]) -> str:
    """The run's one latency-like objective (unit ms/s/us or a name with `latency`)."""
    found = [
        name for name, value in candidate_objectives.items()
        if value.minimize and (value.unit in _LATENCY_UNITS or "latency" in name.lower())
    ]
    if len(found) == 1:
        return found[0]
    if not found:
        raise ConfigError(
            f"the run has no latency objective (objectives: {', '.join(candidate_objectives)}); "
            "use --pick best:NAME to pick on another objective"
        )
    exact = [n for n in found if n.lower() == "latency"]
    if len(exact) == 1:
        return exact[0]
    raise ConfigError(
        f"the run has several latency objectives ({', '.join(found)}); "
        f"use --pick best:{found[0]} to say which"
    )


def accuracy_objective(candidate_objectives: Mapping[str, Any]) -> str:
    """The run's one accuracy-like objective: accuracy/score (max) or error (min)."""

    def words(name: str) -> list[str]:
        return name.lower().replace("-", "_").split("_")

    found = [n for n in candidate_objectives if any(w in _ACCURACY_WORDS for w in words(n))]
    if not found:
        found = [
            n for n, v in candidate_objectives.items()
            if not v.minimize and v.unit in ("percent", "%", "")
        ]
    if len(found) == 1:
        return found[0]
    if not found:
        raise ConfigError(
            f"the run has no accuracy objective (objectives: {', '.join(candidate_objectives)}); "
            "use --pick best:NAME to pick on another objective"
        )
    raise ConfigError(
        f"the run has several accuracy-like objectives ({', '.join(found)}); "
        f"use --pick best:{found[0]} to say which"
    )


def pick_candidate(
    candidates: Sequence[Candidate],
    rule: str,
    objective_names: Sequence[str] | None = None,
    extras: Sequence[Mapping[str, Any]] | None = None,
    space: Any = None,
) -> Pick:
    """Apply a pick rule (see the module docstring) to a run's candidates."""
    usable, names = usable_candidates(candidates, objective_names, extras)
    if not usable or not names:
        raise HwnasError(
            "the run has no candidate with every objective filled "
            f"(objectives: {', '.join(names) or 'none'}); let the search evaluate some first"
        )
    on_front = front(usable, names)
    rule = rule.strip()
    if rule == "knee":
        points = minimisation_matrix(on_front, names)
        distances = knee_distances(points)
        index = _best_index(distances, points, on_front)
        detail = {"knee_distance": float(distances[index])}
        return Pick(on_front[index], rule, names, len(on_front), True, detail)
    if rule in ("fastest", "most-accurate") or rule.startswith("best:"):
        if rule == "fastest":
            objective = latency_objective(on_front[0].objectives)
        elif rule == "most-accurate":
            objective = accuracy_objective(on_front[0].objectives)
        else:
            objective = rule.split(":", 1)[1]
            if objective not in names:
                raise ConfigError(
                    f"--pick {rule}: the run has no objective {objective!r}; "
                    f"objectives: {', '.join(names)}"
                )
        column = names.index(objective)
        points = minimisation_matrix(on_front, names)
        index = _best_index(-points[:, column], points, on_front)
        chosen = on_front[index]
        detail = {"objective": objective, "value": chosen.value(objective),
                  "minimize": chosen.objectives[objective].minimize}
        return Pick(chosen, rule, names, len(on_front), True, detail)
    return _pick_by_id(candidates, usable, on_front, names, rule, space)


def _pick_by_id(
    candidates: Sequence[Candidate], usable: Sequence[Candidate], on_front: Sequence[Candidate],
    names: tuple[str, ...], wanted: str, space: Any,
) -> Pick:
    front_ids = {c.architecture.arch_id for c in on_front}
    if "|" in wanted or "~" in wanted:
        if space is None:
            raise ConfigError(f"cannot read architecture {wanted!r} without the run's space")
        string = space.parse(wanted).string
        matches = [c for c in candidates if c.architecture.string == string]
        if not matches:
            raise ConfigError(
                f"architecture {string} is not a candidate of this run; "
                "`hwnas runs show RUN` lists them"
            )
    else:
        prefix = wanted.lower()
        if len(prefix) < 4 or any(ch not in "0123456789abcdef" for ch in prefix):
            raise ConfigError(
                f"--pick {wanted!r} is neither a rule ({', '.join(PICK_RULES)}, best:NAME), "
                "an arch_id prefix (4+ hex digits) nor an architecture string"
            )
        matches = [c for c in candidates if c.architecture.arch_id.startswith(prefix)]
        if not matches:
            raise ConfigError(
                f"no candidate's arch_id starts with {prefix!r}; `hwnas runs show RUN` lists them"
            )
        ids = {c.architecture.arch_id for c in matches}
        if len(ids) > 1:
            raise ConfigError(
                f"arch_id prefix {prefix!r} matches {len(ids)} candidates "
                f"({', '.join(sorted(ids)[:4])}); give more digits"
            )
    chosen = matches[0]
    return Pick(chosen, "id", names, len(on_front), chosen.architecture.arch_id in front_ids,
                {"requested": wanted, "usable": chosen in usable})
