"""Labels as a budget: the K labelled architectures a learned accuracy estimate is fitted on.

An objective `accuracy=ensemble:table:cifar10:50` (or `ensemble:table:cifar10` with
`--labels 50`) asks the run to label K architectures at its start from the named source
(a table here; a training run later), fit the learned ensemble of zero-cost proxies on
them, and estimate every other candidate's accuracy with it. How the labels are spent:

- the K architectures are drawn with the run's seed (`sample_label_architectures`, one
  per isomorphism class), labelled from their source, and the labels are written to the
  run store (event `labels`) before the ensemble is fitted: a resumed run reads them back
  and never labels again;
- each labelled architecture then becomes an evaluated candidate (origin `label`) through
  the run's normal evaluation, **counted against the budget**: a run with budget 200 and
  50 labels searches with 150 evaluations, so it is compared with a table-driven run at
  equal cost in evaluations. Its accuracy objective is its label in the estimator's scale
  (its rank fraction among the labels, exactly the value the ensemble was trained to
  give it), so the front as estimated mixes known and estimated accuracy on one scale;
- the summary reports `labels` (how many were obtained) and where they came from.
"""

from __future__ import annotations

import random
import time
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hwnas.core import Architecture, ConfigError
from hwnas.pareto import SOURCE_KINDS, SourceSpec, parse_objectives

if TYPE_CHECKING:
    from hwnas.search._context import SearchContext
    from hwnas.search._sources import SourceContext

DEFAULT_LABELS = 50
MIN_LABELS = 5  # the ensemble's own minimum
LABEL_ORIGIN = "label"


@dataclass(frozen=True)
class LabelPlan:
    """One ensemble objective's labels: where they come from and how many."""

    objective: str
    source: SourceSpec
    count: int


def parse_ensemble_target(target: str, default_count: int | None = None) -> tuple[SourceSpec, int]:
    """(label source, K) from an ensemble target `KIND:TARGET[:K]`, e.g. `table:cifar10:50`."""
    text = target.strip()
    head, sep, tail = text.rpartition(":")
    count: int | None = None
    if sep and tail.strip().isdigit():
        text, count = head, int(tail)
    kind, _, inner = text.partition(":")
    kind = kind.strip()
    if kind not in SOURCE_KINDS or kind == "ensemble":
        raise ConfigError(
            f"ensemble target {target!r} must name where labels come from: "
            "ensemble:KIND:TARGET[:K], e.g. ensemble:table:cifar10:50")
    count = count if count is not None else (default_count or DEFAULT_LABELS)
    if count < MIN_LABELS:
        raise ConfigError(f"the ensemble needs at least {MIN_LABELS} labels, got {count}; "
                          "e.g. ensemble:table:cifar10:50")
    return SourceSpec(kind, inner.strip()), int(count)


def label_plans(objectives_text: str, labels: int | None = None) -> list[LabelPlan]:
    """The label plan of every objective whose sources include an ensemble."""
    plans = []
    for objective in parse_objectives(objectives_text):
        for source in objective.sources:
            if source.kind == "ensemble":
                spec, count = parse_ensemble_target(source.target, labels)
                plans.append(LabelPlan(objective.name, spec, count))
    return plans


def check_labels(objectives_text: str, labels: int | None, budget: int) -> None:
    """ConfigError when `--labels` has no ensemble objective or the labels fill the budget."""
    plans = label_plans(objectives_text, labels)
    if labels is not None and not plans:
        raise ConfigError(
            "--labels needs an objective with an ensemble source, e.g. "
            "--objectives accuracy=ensemble:table:cifar10,latency=table:hwnasbench-raspi4")
    total = sum(p.count for p in plans)
    if total and total >= budget:
        raise ConfigError(f"{total} labels leave nothing of --budget {budget} to search; "
                          "labels count against the budget: raise it or label fewer")


def sample_label_architectures(space: Any, count: int, seed: int,
                               objective: str) -> list[Architecture]:
    """`count` architectures of distinct isomorphism classes, drawn with the run's seed."""
    rng = random.Random(seed * 1_000_003 + zlib.crc32(f"labels:{objective}".encode()))
    out: list[Architecture] = []
    keys: set[str] = set()
    for _ in range(count * 200):
        arch = space.sample(1, seed=rng)[0]
        key = space.isomorphism_key(arch)
        if key not in keys:
            keys.add(key)
            out.append(arch)
            if len(out) >= count:
                break
    return out


def label_values(context: SourceContext, spec: SourceSpec, archs: Sequence[Architecture],
                 executor: Any | None = None) -> list[tuple[str, float | None, str | None]]:
    """(architecture string, label or None, error) from the label source, in order."""
    from hwnas.search._sources import SourceContext, create_source

    label_context = SourceContext(context.space, context.objective, context.device,
                                  {k: v for k, v in context.options.items()
                                   if k not in ("ensemble_labels",)})
    source = create_source(spec.kind, spec.target, label_context)
    values = executor.values(source, list(archs)) if executor is not None \
        else source.values(list(archs))
    return [(a.string, v.value, v.error) for a, v in zip(archs, values, strict=True)]


def label_architectures(context: SourceContext, spec: SourceSpec, count: int,
                        seed: int | None = None, executor: Any | None = None
                        ) -> list[list[Any]]:
    """Draw and label `count` architectures: [[string, label], ...] (failed labels dropped)."""
    from hwnas.spaces import create_space

    seed = int(context.options.get("label_seed", 0)) if seed is None else seed
    archs = sample_label_architectures(create_space(context.space), count, seed,
                                       context.objective)
    return [[s, float(v)] for s, v, _ in label_values(context, spec, archs, executor)
            if v is not None]


def obtain_labels(run: SearchContext, objective: str, target: str,
                  options: Mapping[str, Any]) -> list[list[Any]]:
    """The run's labels for one objective: read back from the store, or drawn, labelled
    and written to the store (event `labels`) before anything uses them."""
    from hwnas.search._sources import SourceContext

    for event in run.store.events("labels"):
        if event["data"].get("objective") == objective:
            return [list(pair) for pair in event["data"]["labels"]]
    spec, count = parse_ensemble_target(target, run.config.labels)
    started = time.perf_counter()
    context = SourceContext(run.config.space, objective, run.config.device, dict(options))
    archs = sample_label_architectures(run.space, count, run.config.seed, objective)
    rows = label_values(context, spec, archs, run.executor)
    labels = [[s, float(v)] for s, v, _ in rows if v is not None]
    run.store.log_event("labels", {
        "objective": objective, "source": str(spec), "requested": count,
        "labels": labels, "failed": {s: e for s, v, e in rows if v is None},
        "seconds": round(time.perf_counter() - started, 3)})
    return labels


def evaluate_labelled(run: SearchContext) -> int:
    """Evaluate the labelled architectures as candidates (origin `label`, counted against
    the budget); replayed from the store on resume. The number evaluated."""
    from hwnas.search._strategy import Proposal

    proposals, pending = [], set()
    for string in run.labelled:
        arch = Architecture(run.space.name, string)
        key = run.key(arch)
        if key in pending or not run.is_new(arch):
            continue
        pending.add(key)
        proposals.append(Proposal(arch, LABEL_ORIGIN))
    if proposals:
        run.evaluate(proposals)
    return len(proposals)


def labels_summary(run: SearchContext) -> dict[str, Any]:
    """`labels` (count) and `label_sources` for the run's summary."""
    sources = {}
    total = 0
    for event in run.store.events("labels"):
        data = event["data"]
        sources[data["objective"]] = {"source": data["source"], "count": len(data["labels"]),
                                      "requested": data["requested"],
                                      "seconds": data.get("seconds")}
        total += len(data["labels"])
    return {"labels": total, "label_sources": sources}
