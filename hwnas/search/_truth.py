"""Ground truth apart from the objective sources: how good a run's front really is.

A run may optimise estimates (a zero-cost proxy, the learned ensemble, a predictor). Its
truth (`--truth accuracy=table:cifar10,latency=table:hwnasbench-raspi4`; an objective whose
final source is a table is its own truth unless `--truth` names another) is looked up
**only after the search has finished**, for the candidates the run store holds, and kept
in its own table of the run database (`truth`). No strategy, screen, partition or band can
read it: the SearchContext a strategy sees holds none of it, and nothing of it exists
while the strategy runs. A resumed run reuses stored truth values (an expensive truth,
such as a measurement, is never repeated).

The run then reports, against the true front of the truth objectives (when every
objective has a table truth over an enumerable space):

- `estimated_front`: the front as the run estimated it, judged by the truth of its members;
- `reranked_front`: the evaluated set re-ranked by the truth (what a user holds after
  checking the finalists), with its members and their true values;

each with `hv_ratio`, `igd` and `recall` (the conventions of `hwnas.pareto.TrueFront`;
the estimated front's recall counts its own members, the re-ranked front's every
evaluated class, as the run's own `recall` does), plus `truth.spearman`: per objective,
Spearman's rank correlation of the estimate with its truth over the evaluated set (the
labelled cells of an ensemble excluded: their value is their label, not an estimate).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from hwnas.core import ConfigError
from hwnas.pareto import SOURCE_KINDS, ObjectiveSpec, SourceSpec, non_dominated_mask
from hwnas.search._labels import LABEL_ORIGIN

if TYPE_CHECKING:
    from hwnas.search._context import SearchContext
    from hwnas.search._records import Evaluation

EXAMPLE = "accuracy=table:cifar10,latency=table:hwnasbench-raspi4"


@dataclass(frozen=True)
class TruthSpec:
    """One objective's ground truth: its source, direction, and whether it is the default."""

    objective: str
    source: SourceSpec
    minimize: bool
    default: bool = False


def parse_truth(text: str | None, objectives: Sequence[ObjectiveSpec]) -> tuple[TruthSpec, ...]:
    """Truth specs from `name=kind:target,...` plus the table defaults; ConfigError when
    malformed or naming an objective the run does not have."""
    names = [o.name for o in objectives]
    explicit: dict[str, SourceSpec] = {}
    for part in (text or "").split(","):
        part = part.strip()
        if not part:
            continue
        name, sep, spec = part.partition("=")
        name, spec = name.strip(), spec.strip()
        kind, _, target = spec.partition(":")
        if not sep or not name or not spec or ">" in spec:
            raise ConfigError(f"--truth {part!r} must be NAME=SOURCE:TARGET, e.g. {EXAMPLE}")
        if kind not in SOURCE_KINDS or kind == "ensemble":
            raise ConfigError(f"--truth {name}: unknown source {kind!r}; use table, profile, "
                              f"predictor or proxy (e.g. {EXAMPLE})")
        if name not in names:
            raise ConfigError(f"--truth names {name!r}, which is not an objective of this run "
                              f"({', '.join(names)})")
        if name in explicit:
            raise ConfigError(f"--truth gives {name!r} twice; name each objective once")
        explicit[name] = SourceSpec(kind, target.strip())
    out = []
    for objective in objectives:
        if objective.name in explicit:
            out.append(TruthSpec(objective.name, explicit[objective.name], objective.minimize))
        elif objective.final_source.kind == "table":
            out.append(TruthSpec(objective.name, objective.final_source, objective.minimize,
                                 default=True))
    return tuple(out)


def truth_objectives_text(specs: Sequence[TruthSpec]) -> str:
    """The truth as an objectives text (`name:min=table:...`), for the true front."""
    return ",".join(f"{s.objective}:{'min' if s.minimize else 'max'}={s.source}" for s in specs)


# --- evaluation ----------------------------------------------------------------------
def evaluate_truth(context: SearchContext, truth: str | None) -> dict[str, Any] | None:
    """Look up the `truth` (the run's `--truth` text) of every evaluated candidate, after
    the search; store it and summarise it (`truth`, `estimated_front`, `reranked_front`).
    None when no objective has a truth."""
    from hwnas.search._sources import SourceContext, create_source

    specs = parse_truth(truth, context.objectives)
    if not specs:
        return None
    finals = context.final()
    stored = context.store.truth()
    for spec in specs:
        todo = [e.arch for e in finals if (e.arch.arch_id, spec.objective) not in stored]
        if not todo:
            continue
        source = create_source(spec.source.kind, spec.source.target, SourceContext(
            context.config.space, spec.objective, context.config.device,
            dict(context.config.source_options)))
        values = context.executor.values(source, todo)
        rows = [(a.arch_id, spec.objective, v.value, v.error, str(spec.source))
                for a, v in zip(todo, values, strict=True)]
        context.store.add_truth(rows)
        stored.update({(r[0], r[1]): (r[2], r[3]) for r in rows})
    truth = {e.arch.arch_id: {s.objective: stored.get((e.arch.arch_id, s.objective), (None,))[0]
                              for s in specs} for e in finals}
    return summarise_truth(context, specs, finals, truth)


def _spearman(estimates: list[float], truths: list[float]) -> float | None:
    from scipy.stats import spearmanr

    if len(estimates) < 3 or len(set(estimates)) < 2 or len(set(truths)) < 2:
        return None
    rho = float(spearmanr(estimates, truths)[0])
    return round(rho, 6) if np.isfinite(rho) else None


def summarise_truth(context: SearchContext, specs: Sequence[TruthSpec],
                    finals: list[Evaluation],
                    truth: dict[str, dict[str, float | None]]) -> dict[str, Any]:
    """The truth keys of a run's summary (module docstring)."""
    from hwnas.search._truefront import true_front_cached

    spearman, missing = {}, {}
    for spec in specs:
        name = spec.objective
        pairs = [(e.candidate.objectives[name].value, truth[e.arch.arch_id][name])
                 for e in finals if name in e.candidate.objectives
                 and e.proposal.origin != LABEL_ORIGIN]  # a label is not an estimate
        known = [(a, b) for a, b in pairs if b is not None]
        missing[spec.objective] = len(pairs) - len(known)
        spearman[spec.objective] = _spearman([a for a, _ in known], [b for _, b in known])
    out: dict[str, Any] = {"truth": {
        "sources": {s.objective: str(s.source) for s in specs},
        "defaults": [s.objective for s in specs if s.default],
        "spearman": spearman, "evaluated": len(finals), "missing": missing}}
    names = [o.name for o in context.objectives]
    if len(specs) != len(names):  # some objective has no truth: no true fronts to judge by
        out["estimated_front"] = out["reranked_front"] = None
        return out
    ordered = sorted(specs, key=lambda s: names.index(s.objective))
    signs = np.array([1.0 if s.minimize else -1.0 for s in ordered])
    complete = [e for e in finals if all(truth[e.arch.arch_id][n] is not None for n in names)]

    def points(members: list[Evaluation]) -> np.ndarray:
        return np.array([[truth[e.arch.arch_id][n] for n in names] for e in members],
                        dtype=float).reshape(-1, len(names)) * signs

    true_front = None
    if all(s.source.kind == "table" for s in ordered) and hasattr(context.space, "enumerate"):
        true_front = true_front_cached(context.config.space, truth_objectives_text(ordered))
    complete_ids = {e.arch.arch_id for e in complete}
    estimated = [e for e in context.front() if e.arch.arch_id in complete_ids]
    every_key = {context.key(e.arch) for e in context.evaluated}
    all_points = points(complete)
    mask = non_dominated_mask(all_points) if len(complete) else np.zeros(0, dtype=bool)
    reranked = sorted((e for e, keep in zip(complete, mask, strict=True) if keep),
                      key=lambda e: tuple(points([e])[0]))
    out["estimated_front"] = _quality(true_front, points(estimated),
                                      {context.key(e.arch) for e in estimated}, len(estimated))
    out["reranked_front"] = _quality(true_front, all_points, every_key, len(reranked))
    out["reranked_front"]["front"] = [
        {"arch": e.arch.string, "band": e.candidate.band,
         **{n: truth[e.arch.arch_id][n] for n in names},
         "estimated": {n: e.candidate.objectives[n].value for n in names}} for e in reranked]
    return out


def _quality(true_front: Any, found: np.ndarray, keys: set[str], size: int) -> dict[str, Any]:
    if true_front is None or not len(found):
        return {"size": size, "hv_ratio": None, "igd": None, "recall": None}
    quality = true_front.quality(found, keys)
    return {"size": size, "hv_ratio": round(quality.hv_ratio, 6), "igd": round(quality.igd, 6),
            "recall": round(quality.recall, 6), "hv": round(quality.hv, 6)}
