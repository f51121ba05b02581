"""What a finished (or stopped) run reports: its front, quality and counts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from hwnas.pareto import FrontQuality, assess_front
from hwnas.search._context import SearchContext
from hwnas.search._strategy import Strategy


@dataclass(frozen=True)
class SearchResult:
    """What a finished (or stopped) run reports."""

    run: str
    folder: str
    strategy: str
    evaluations: int
    failed: int
    screened_only: int
    front_size: int
    hv: float
    hv_ratio: float | None
    igd: float | None
    recall: float | None
    llm: str
    status: str
    rejections: dict[str, int]
    bands: dict[str, Any]
    seconds: float
    front: list[dict[str, Any]]

    def summary(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in (
            "run", "folder", "strategy", "evaluations", "failed", "screened_only", "front_size",
            "hv", "hv_ratio", "igd", "recall", "llm", "status", "rejections", "seconds")}
        out["bands"] = self.bands
        return out


def front_quality(context: SearchContext) -> tuple[float, FrontQuality | None]:
    """(hv, quality): hv normalised by the true front when known, else by the run's own front."""
    finals = context.final()
    points = np.array([context.vector(e.candidate) for e in finals]).reshape(
        -1, len(context.objectives))
    true_front = context.true_front()
    evaluated_keys = {context.key(e.arch) for e in context.evaluated} \
        if true_front is not None else None
    return assess_front(points, true_front, evaluated_keys)


def build_result(context: SearchContext, strategy: Strategy, status: str,
                 seconds: float) -> SearchResult:
    """The SearchResult of a context whose strategy ended with `status`."""
    hv, quality = front_quality(context)
    front = sorted(context.front(), key=lambda e: tuple(context.vector(e.candidate)))
    bands = {
        "partition": context.partition.to_dict(),
        "evaluations": list(context.band_counts),
        "front_sizes": [len(a) for a in context.band_archives],
    }
    return SearchResult(
        run=context.store.run_id, folder=str(context.store.folder), strategy=strategy.name,
        evaluations=context.evaluations, failed=context.failed,
        screened_only=context.screened_only, front_size=len(front), hv=round(hv, 6),
        hv_ratio=None if quality is None else round(quality.hv_ratio, 6),
        igd=None if quality is None else round(quality.igd, 6),
        recall=None if quality is None else round(quality.recall, 6),
        llm=llm_label(context), status=status, rejections=dict(context.rejections),
        bands=bands, seconds=round(seconds, 3),
        front=[{"arch": e.arch.string, "band": e.candidate.band,
                **{n: v.value for n, v in e.candidate.objectives.items()}} for e in front],
    )


def llm_label(context: SearchContext) -> str:
    """The model the run's LLM answers as, or `none`."""
    if context.llm is None:
        return "none"
    return str(getattr(context.llm, "model_label", None) or getattr(context.llm, "model", "llm"))
