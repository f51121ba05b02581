"""Knowledge bases: per-band design heuristics with the evidence behind them.

Without an LLM, a band's knowledge base is derived from data: for every (edge, op)
choice, how often it appears among the band's elites (its Pareto front and the next
rank) versus the rest. The strongest contrasts become heuristics ("prefer X on edge E:
5/6 elites, 3/14 others"), and their weights bias the operator that samples new cells.
With an LLM, the model rewrites the heuristics' text from the same evaluated candidates;
the data weights still steer the sampling operator.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class DataHeuristic:
    rule: str
    evidence: str
    position: int
    option: int
    lift: float


def edge_name(space: Any, position: int) -> str:
    edges = getattr(space, "edges", None)
    if edges is not None:
        source, target = edges[position]
        return f"edge {target}<-{source}"
    return f"gene {position}"


def derive_heuristics(space: Any, elites: list[Any], others: list[Any],
                      limit: int = 6) -> list[DataHeuristic]:
    """The (gene, option) choices whose share among elites differs most from the rest."""
    if not elites:
        return []
    elite_genes = np.array([space.genes(a) for a in elites])
    other_genes = np.array([space.genes(a) for a in others]) if others else None
    found = []
    for position, choices in enumerate(space.gene_choices):
        for option, name in enumerate(choices):
            in_elites = int((elite_genes[:, position] == option).sum())
            in_others = int((other_genes[:, position] == option).sum()) if other_genes is not None else 0
            n_elite, n_other = len(elites), len(others)
            share_elite = (in_elites + 0.5) / (n_elite + 1)
            share_other = (in_others + 0.5) / (n_other + 1)
            lift = float(np.log(share_elite / share_other))
            if abs(lift) < 0.4 or (in_elites < 2 and lift > 0):
                continue
            verb = "prefer" if lift > 0 else "avoid"
            found.append(DataHeuristic(
                f"{verb} {name} on {edge_name(space, position)}",
                f"{in_elites}/{n_elite} elites vs {in_others}/{n_other} others",
                position, option, lift,
            ))
    found.sort(key=lambda h: (-abs(h.lift), h.position, h.option))
    return found[:limit]


def sampling_weights(space: Any, heuristics: list[DataHeuristic]) -> list[np.ndarray]:
    """Per-gene option weights for the knowledge-guided operator (uniform plus the lifts)."""
    weights = [np.ones(len(c)) for c in space.gene_choices]
    for heuristic in heuristics:
        weights[heuristic.position][heuristic.option] *= float(np.exp(np.clip(heuristic.lift, -2, 2)))
    return [w / w.sum() for w in weights]


def knowledge_record(band: int | None, round_index: int, source: str,
                     heuristics: list[Any], elites: list[str], **extra: Any) -> dict[str, Any]:
    """What the run store keeps for one knowledge-base version."""
    return {
        "band": band, "round": round_index, "source": source,
        "heuristics": [{"rule": h.rule, "evidence": h.evidence,
                        **({"bands": list(h.bands)} if getattr(h, "bands", None) else {})}
                       for h in heuristics],
        "elites": elites, **extra,
    }
