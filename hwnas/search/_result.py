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
    # estimates judged by the truth (hwnas.search._truth); None without a truth
    truth: dict[str, Any] | None = None
    estimated_front: dict[str, Any] | None = None
    reranked_front: dict[str, Any] | None = None
    labels: int = 0  # labelled architectures (hwnas.search._labels)
    label_sources: dict[str, Any] | None = None
    proxy_seconds_per_arch: float | None = None  # proxy compute cost per valued candidate

    def summary(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in (
            "run", "folder", "strategy", "evaluations", "failed", "screened_only", "front_size",
            "hv", "hv_ratio", "igd", "recall", "llm", "status", "rejections", "seconds")}
        out["bands"] = self.bands
        if self.truth is not None:
            out.update(truth=self.truth, estimated_front=self.estimated_front,
                       reranked_front=self.reranked_front)
        if self.labels or self.label_sources:
            out.update(labels=self.labels, label_sources=self.label_sources)
        if self.proxy_seconds_per_arch is not None:
            out["proxy_seconds_per_arch"] = self.proxy_seconds_per_arch
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


def proxy_seconds_per_arch(context: SearchContext) -> float | None:
    """Mean proxy compute seconds per stored candidate valued by a proxy or ensemble source
    (cached scores count what they cost when computed); None when no objective is one."""
    totals = []
    for candidate, extra in zip(context.store.candidates(), context.store.candidate_extras(),
                                strict=True):
        names = [n for n, v in candidate.objectives.items() if v.source == "proxy"]
        if names:
            totals.append(sum(float(extra.get("seconds", {}).get(n, 0.0)) for n in names))
    return round(float(np.mean(totals)), 4) if totals else None


def build_result(context: SearchContext, strategy: Strategy, status: str,
                 seconds: float, truth: dict[str, Any] | None = None) -> SearchResult:
    """The SearchResult of a context whose strategy ended with `status` (with the truth
    summary of `hwnas.search._truth.evaluate_truth` when the run has one)."""
    from hwnas.search._labels import labels_summary

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
        truth=(truth or {}).get("truth"), estimated_front=(truth or {}).get("estimated_front"),
        reranked_front=(truth or {}).get("reranked_front"),
        proxy_seconds_per_arch=proxy_seconds_per_arch(context), **labels_summary(context),
    )


def llm_label(context: SearchContext) -> str:
    """The model the run's LLM answers as, or `none`."""
    if context.llm is None:
        return "none"
    return str(getattr(context.llm, "model_label", None) or getattr(context.llm, "model", "llm"))
