"""The `ensemble` objective source: the learned accuracy estimator fitted on a run's labels.

`accuracy=ensemble:table:cifar10:50` fits `hwnas.proxies.AccuracyEstimator` (LightGBM
boosters over zero-cost proxy scores and architecture features) on K labelled
architectures (`hwnas.search._labels`) and values every architecture by its predicted
accuracy rank (0 worst, 1 best, the estimator's `rank` target). Proxies score each
architecture's class representative through the shared score cache, so the estimate is
a function of the isomorphism class. A labelled class is valued by its label's rank
fraction among the labels (what the boosters were trained to give it).

Options: `labels` (K when the target gives none), `ensemble_proxies` (default
synflow,naswot,meco), `ensemble_models` (10 boosters), `proxy_cache`, `proxy_data`,
`proxy_seed`, `label_seed` (a source built outside a run labels its own sample).
The run passes its stored labels as `ensemble_labels`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from hwnas.core import Architecture, ConfigError, HwnasError
from hwnas.search._labels import label_architectures, parse_ensemble_target
from hwnas.search._proxy_scores import DEFAULT_ENSEMBLE_PROXIES, ProxyScorer
from hwnas.search._sources import SOURCES, ObjectiveSource, SourceContext, SourceValue


def _proxy_names(option: Any) -> list[str]:
    if option is None:
        return list(DEFAULT_ENSEMBLE_PROXIES)
    names = option.split(",") if isinstance(option, str) else list(option)
    return [str(n).strip() for n in names if str(n).strip()]


@SOURCES.register("ensemble")
class EnsembleSource(ObjectiveSource):
    """Accuracy rank from the learned ensemble fitted on K labels (module docstring)."""

    kind = "ensemble"
    recorded_as = "proxy"
    unit = "rank"

    def __init__(self, target: str, context: SourceContext) -> None:
        super().__init__(target, context)
        from scipy.stats import rankdata

        from hwnas.proxies import AccuracyEstimator

        options = context.options
        self.label_source, self.count = parse_ensemble_target(target, options.get("labels"))
        labels = options.get("ensemble_labels")
        if labels is None:
            labels = label_architectures(context, self.label_source, self.count)
        self.scorer = ProxyScorer(context.space, _proxy_names(options.get("ensemble_proxies")),
                                  options)
        networks, values, scores = [], [], []
        for string, label in labels:
            try:
                network = self.scorer.executed(Architecture(context.space, str(string)))
            except HwnasError:
                continue
            row = self.scorer.rows([network])[0]
            if row.values is not None:
                networks.append(network.string)
                values.append(float(label))
                scores.append(row.values)
        if len(networks) < 5:
            raise ConfigError(
                f"objective {context.objective!r}: only {len(networks)} usable labels from "
                f"{self.label_source}; the ensemble needs at least 5")
        self.estimator = AccuracyEstimator(
            context.space, proxies=self.scorer.instances, data=self.scorer.data,
            seed=self.scorer.seed, cache=self.scorer.cache,
            n_models=int(options.get("ensemble_models", 10)), target="rank")
        self.estimator.fit(networks, values, scores=scores)
        ranks = rankdata(np.asarray(values)) / len(values)
        self.labelled = {n: float(r) for n, r in zip(networks, ranks, strict=True)}

    def _values(self, archs: Sequence[Architecture]) -> list[SourceValue]:
        rows = self.scorer.rows(archs)
        networks: list[str | None] = []
        for arch, row in zip(archs, rows, strict=True):
            networks.append(None if row.values is None else self.scorer.executed(arch).string)
        wanted = [i for i, n in enumerate(networks) if n is not None and n not in self.labelled]
        predicted: dict[int, float] = {}
        if wanted:
            mean, _ = self.estimator.predict([networks[i] for i in wanted],  # type: ignore[misc]
                                             scores=[rows[i].values for i in wanted])  # type: ignore[misc]
            predicted = {i: float(v) for i, v in zip(wanted, mean, strict=True)}
        out = []
        for i, (network, row) in enumerate(zip(networks, rows, strict=True)):
            if network is None:
                out.append(SourceValue(None, row.error, seconds=row.seconds))
            elif network in self.labelled:
                out.append(SourceValue(self.labelled[network], seconds=row.seconds))
            else:
                out.append(SourceValue(predicted[i], seconds=row.seconds))
        return out

    def executed(self, arch: Architecture) -> Architecture:
        try:
            return self.scorer.executed(arch)
        except HwnasError:
            return arch

    def describe(self) -> dict[str, Any]:
        training = self.estimator.manifest.get("training", {})
        return {"kind": "ensemble", "unit": self.unit,
                "labels": {"source": str(self.label_source), "count": len(self.labelled),
                           "requested": self.count, "sha256": training.get("sha256")},
                "models": self.estimator.n_models, "scores": self.scorer.describe()}
