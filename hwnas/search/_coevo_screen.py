"""The `coevo` screen: a surrogate ensemble picks the proposals worth evaluating.

A LightGBM ensemble trained on every evaluated candidate predicts each objective of the
pool (each objective modelled on the network that produced its values). Scores, in the
run's normalised objective space: a proposal that would improve the overall front's
hypervolume (optimistically: mean minus `kappa` x the ensemble's spread) scores above
one that improves only its band's front, which scores above the rest (ranked by how
close they come to the front). With `believer`, each pick joins the fronts before the
next is scored. Until eight candidates are final the screen shuffles the pool instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from hwnas.pareto import dominance_gap, hypervolume_improvements, normalise
from hwnas.search._context import SearchContext
from hwnas.search._records import Evaluation
from hwnas.search._strategy import Proposal
from hwnas.search._surrogate import EnsembleSurrogate, FeatureCache

MIN_TRAINING = 8  # final candidates needed before the surrogate is trained


class SurrogateScreen:
    """Ranks proposal pools by optimistic hypervolume improvement (see the module docstring)."""

    def __init__(self, features: FeatureCache, views: list[Callable[[Any], Any]],
                 members: int = 4, kappa: float = 0.3, kappa_decay: bool = False,
                 believer: bool = True, log_scale: bool = False,
                 reference: float = 1.1) -> None:
        self.features = features
        self.views = views
        self.members = int(members)
        self.kappa = float(kappa)
        self.kappa_decay = bool(kappa_decay)
        self.believer = bool(believer)
        self.log_scale = bool(log_scale)
        self.reference = float(reference)
        self._log_columns: np.ndarray | None = None
        self._surrogate: EnsembleSurrogate | None = None
        self._trained_on = -1

    def vectors(self, context: SearchContext, evaluations: list[Evaluation],
                update_scale: bool = False) -> np.ndarray:
        """Minimisation vectors in the screen's scale: a positive objective that spans more
        than 4x (latency, energy) is screened on a log scale, so the fast end of the front,
        where most front members sit, is not squeezed into a sliver."""
        points = np.array([context.vector(e.candidate) for e in evaluations])
        if update_scale or self._log_columns is None:
            self._log_columns = np.zeros(points.shape[1], dtype=bool)
            if self.log_scale:
                positive = np.all(points > 0, axis=0)
                self._log_columns = positive & (
                    points.max(axis=0) > 4 * np.where(positive, points.min(axis=0), 1))
        if self._log_columns.any():
            points = points.copy()
            points[:, self._log_columns] = np.log(points[:, self._log_columns])
        return points

    def fit(self, context: SearchContext) -> EnsembleSurrogate | None:
        """The surrogate trained on every final candidate (retrained when more arrive)."""
        finals = context.final()
        if len(finals) < MIN_TRAINING:
            return None
        if self._trained_on != len(finals):
            features = self._matrices([e.arch for e in finals])
            targets = self.vectors(context, finals, update_scale=True)
            self._surrogate = EnsembleSurrogate(self.members, context.config.seed).fit(
                features, targets)
            self._trained_on = len(finals)
        return self._surrogate

    def _matrices(self, archs: list[Any]) -> list[np.ndarray]:
        return [self.features.matrix([view(a) for a in archs]) for view in self.views]

    def select(self, context: SearchContext, pool: list[Proposal], band: int | None,
               count: int) -> list[Proposal]:
        """Up to `2 * count` proposals of `pool`, best first (`3 * count` shuffled untrained)."""
        if not pool:
            return []
        surrogate = self.fit(context)
        if surrogate is None:
            rng = context.rng(f"coevo:shuffle:{band}")
            shuffled = list(pool)
            rng.shuffle(shuffled)
            return shuffled[: count * 3]
        finals = context.final()
        observed = self.vectors(context, finals)
        ideal, nadir = observed.min(axis=0), observed.max(axis=0)
        mean, std = surrogate.predict(self._matrices([p.arch for p in pool]))
        kappa = self.kappa * (1 - context.evaluations / context.budget) if self.kappa_decay \
            else self.kappa  # explore early, exploit late
        optimistic = normalise(mean - kappa * std, ideal, nadir)
        reference = np.full(observed.shape[1], self.reference)
        empty = np.zeros((0, observed.shape[1]))
        front_members = context.front()
        front = normalise(self.vectors(context, front_members), ideal, nadir) \
            if front_members else empty
        band_members = context.front(band) if band is not None else []
        band_front = normalise(self.vectors(context, band_members), ideal, nadir) \
            if band_members else empty
        chosen: list[int] = []
        remaining = np.ones(len(pool), dtype=bool)
        for _ in range(min(count * 2, len(pool)) - len(chosen)):
            gain = hypervolume_improvements(front, optimistic, reference)
            band_gain = hypervolume_improvements(band_front, optimistic, reference) \
                if len(band_front) else gain
            gap = dominance_gap(optimistic, front)
            score = np.where(gain > 0, 2.0 + gain, np.where(band_gain > 0, 1.0 + band_gain, -gap))
            score[~remaining] = -np.inf
            best = int(np.argmax(score))
            if not np.isfinite(score[best]):
                break
            chosen.append(best)
            remaining[best] = False
            if self.believer:
                point = optimistic[best : best + 1]
                front = np.vstack([front, point]) if len(front) else point
                band_front = np.vstack([band_front, point]) if len(band_front) else point
        return [pool[i] for i in chosen]
