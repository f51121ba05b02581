"""`coevo`: band-wise co-evolution of architectures and knowledge bases.

The run is split into K latency bands (the partition engine), each with its share of
the budget. After a random start in every band, the search runs in rounds. In each
round, for each band:

1. the band's knowledge base is rewritten from its evaluated candidates: by the LLM
   when one is configured (heuristics with evidence), and always from data (which
   (edge, op) choices its elites favour), the latter steering a sampling operator;
2. proposals are made: the LLM's mutations and crossovers of the band's elites (each
   naming the changed part and why), plus evolutionary operator proposals (all one-edit
   neighbours of the elites, two-edit mutations, crossovers, knowledge-guided samples);
   proposals that leave the band, repeat a known isomorphism class or fail the grammar
   are rejected and counted;
3. every surviving proposal goes through the same screen: a LightGBM ensemble trained
   on all evaluated candidates predicts each objective, and the batch with the largest
   optimistic hypervolume improvement (mean minus `kappa` std) is evaluated.

A cross-band step then distils patterns shared by bands (LLM distillation when
configured) and proposes crossovers of elites from different bands, screened against
the overall front. Without an LLM the proposal step is the evolutionary operator alone;
the run record and the screen say so.
"""

from __future__ import annotations

import math
import zlib
from typing import Any

import numpy as np

from hwnas.search._harness import Evaluation, SearchContext
from hwnas.search._knowledge import (
    DataHeuristic,
    derive_heuristics,
    knowledge_record,
    sampling_weights,
)
from hwnas.search._pareto import (
    crowding_distance,
    hypervolume_improvement,
    non_dominated_mask,
    non_dominated_ranks,
)
from hwnas.search._strategy import STRATEGIES, Proposal, Strategy
from hwnas.search._surrogate import EnsembleSurrogate, FeatureCache

NO_LLM_NOTE = ("coevo: no LLM configured; proposals come from the evolutionary operator only "
               "(pass --llm local for the embedded model)")


def spread(total: int, parts: int) -> list[int]:
    share, extra = divmod(max(0, total), parts)
    return [share + (1 if i < extra else 0) for i in range(parts)]


def hvi_2d_many(front: np.ndarray, points: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Hypervolume improvement of each point over a 2-objective front (vectorised)."""
    if len(points) == 0:
        return np.zeros(0)
    front = front[np.all(front < reference, axis=1)] if len(front) else front.reshape(0, 2)
    if len(front):
        front = front[non_dominated_mask(front)]
        front = front[np.lexsort((front[:, 1], front[:, 0]))]
    # staircase: segment i spans [x_i, x_{i+1}) at level y_{i-1} (the front's best y so far)
    xs = np.concatenate([[-np.inf], front[:, 0], [reference[0]]])
    levels = np.concatenate([[reference[1]], np.minimum(front[:, 1], reference[1])])
    levels = np.minimum.accumulate(levels)
    left = np.maximum(xs[:-1][None, :], points[:, :1])
    right = np.minimum(xs[1:][None, :], reference[0])
    width = np.clip(right - left, 0, None)
    height = np.clip(levels[None, :] - points[:, 1:2], 0, None)
    return (width * height).sum(axis=1)


@STRATEGIES.register("coevo")
class CoEvolution(Strategy):
    """LLM/knowledge-base co-evolution in latency bands with surrogate screening.

    Options: `guaranteed` (0.5: the part of the band budget spread evenly over the bands;
    the rest follows each band's share of the overall front), `init_fraction` (0.1 of the
    band budget sampled at random first, spread over the bands), `step` (4 evaluations per
    band step), `distill_fraction` (0.1 of the budget for the cross-band step), `kappa`
    (0.3, optimism of the screen: mean minus kappa x ensemble spread), `kappa_decay`
    (False; True lowers kappa linearly to 0 over the budget), `elites` (8 per band),
    `believer` (True: each pick joins the front before the next is scored), `log_scale`
    (False; True screens objectives spanning more than 4x on a log scale), `pool_random`
    (40 random samples per pool), `reference` (1.1), `llm_proposals` (4 asked of the LLM
    per band per round), `members` (4 surrogate members).
    """

    name = "coevo"
    uses_llm = True

    def __init__(self, init_fraction: float = 0.1, step: int = 4, distill_fraction: float = 0.1,
                 kappa: float = 0.3, elites: int = 8, llm_proposals: int = 4, members: int = 4,
                 reference: float = 1.1, pool_random: int = 40, guaranteed: float = 0.5,
                 log_scale: bool = False, believer: bool = True,
                 kappa_decay: bool = False, **options: Any) -> None:
        super().__init__(init_fraction=init_fraction, step=step, distill_fraction=distill_fraction,
                         kappa=kappa, elites=elites, llm_proposals=llm_proposals,
                         members=members, reference=reference, pool_random=pool_random,
                         guaranteed=guaranteed, log_scale=log_scale, believer=believer,
                         kappa_decay=kappa_decay, **options)
        self.believer = bool(believer)
        self.kappa_decay = bool(kappa_decay)
        self.guaranteed = float(guaranteed)
        self.log_scale = bool(log_scale)
        self._log_columns: np.ndarray | None = None
        self.reference = float(reference)
        self.pool_random = int(pool_random)
        self.init_fraction = float(init_fraction)
        self.step = int(step)
        self.batch_size = self.step
        self.distill_fraction = float(distill_fraction)
        self.kappa = float(kappa)
        self.elite_count = int(elites)
        self.llm_proposals = int(llm_proposals)
        self.members = int(members)
        self.llm: Any = None
        self.round = 0
        self._task: tuple[str, int | None] = ("init", 0)
        self._cursor = 0
        self._surrogate: EnsembleSurrogate | None = None
        self._trained_on = -1
        self.heuristics: dict[int, list[Any]] = {}
        self.data_heuristics: dict[int, list[DataHeuristic]] = {}
        self._kb_done: set[tuple[int | None, int]] = set()
        self.llm_stats = {"proposed": 0, "accepted_into_pool": 0, "selected": 0}

    # --- set-up -----------------------------------------------------------------------
    def start(self, context: SearchContext) -> None:
        bands = context.bands
        budget = context.budget
        self.distill_budget = int(round(self.distill_fraction * budget)) if bands > 1 else 0
        band_total = budget - self.distill_budget
        even = spread(band_total, bands)
        self.floor = spread(int(round(self.guaranteed * band_total)), bands)
        self.flexible = band_total - sum(self.floor)
        self.share = list(self.floor)  # grows with each band's part of the front
        self.init = [min(s, max(2, int(round(self.init_fraction * s)))) for s in even]
        self.floor = [max(f, i) for f, i in zip(self.floor, self.init, strict=True)]
        self.spent = [0] * bands
        self.distill_spent = 0
        steps = max(1, band_total - sum(self.init))
        rounds = max(1, math.ceil(steps / (bands * self.step)))
        self.distill_step = max(1, math.ceil(self.distill_budget / rounds)) if self.distill_budget else 0
        self.features = FeatureCache(context.space, context.band_feature, context.config.device)
        # each objective is modelled on the network that produced its values
        self._views = [chain[-1].executed for chain in context.sources]
        self.llm = context.llm
        if self.llm is None:
            context.log_event_once("note", "coevo:no-llm", {"message": NO_LLM_NOTE})

    def describe(self) -> dict[str, Any]:
        out = super().describe()
        out["proposal_step"] = "llm + evolutionary operator" if self.llm else "evolutionary operator (no LLM)"
        return out

    # --- the schedule ---------------------------------------------------------------------
    def _next_task(self, context: SearchContext) -> tuple[str, int | None]:
        for band in range(context.bands):
            if self.spent[band] < self.init[band]:
                return ("init", band)
        self._update_shares(context)
        order: list[tuple[str, int | None]] = [("band", b) for b in range(context.bands)]
        if self.distill_budget:
            order.append(("distill", None))
        for _ in range(len(order)):
            kind, band = order[self._cursor % len(order)]
            self._cursor += 1
            if self._cursor % len(order) == 0:
                self.round += 1
            if kind == "band" and band is not None and self.spent[band] < self.share[band]:
                return (kind, band)
            if kind == "distill" and self.distill_spent < self.distill_budget:
                return (kind, band)
        return ("free", None)

    def _update_shares(self, context: SearchContext) -> None:
        """Each band keeps its guaranteed floor; the flexible part of the budget follows
        the bands' shares of the overall front (plus one, so no band is starved)."""
        counts = [1] * context.bands
        for evaluation in context.front():
            if evaluation.candidate.band is not None:
                counts[evaluation.candidate.band] += 1
        total = sum(counts)
        self.share = [f + int(self.flexible * c / total) for f, c in zip(self.floor, counts,
                                                                         strict=True)]

    def propose(self, context: SearchContext, count: int) -> list[Proposal]:
        self._task = kind, band = self._next_task(context)
        if kind == "init" and band is not None:
            want = min(count, self.init[band] - self.spent[band])
            return self._random_in_band(context, band, want * 4)
        if kind == "band" and band is not None:
            want = min(count, self.share[band] - self.spent[band])
            return self._band_step(context, band, want)
        if kind == "distill":
            want = min(count, self.distill_step, self.distill_budget - self.distill_spent)
            return self._distill_step(context, want)
        return self._free_step(context, count)

    def observe(self, context: SearchContext, evaluations: list[Evaluation]) -> None:
        kind, band = self._task
        for evaluation in evaluations:
            if not evaluation.counted:
                continue
            if kind == "distill":
                self.distill_spent += 1
            elif kind in ("init", "band") and band is not None:
                self.spent[band] += 1
            if evaluation.proposal.origin.startswith("llm"):
                self.llm_stats["selected"] += 1

    # --- proposal sources -----------------------------------------------------------------
    def _random_in_band(self, context: SearchContext, band: int, count: int) -> list[Proposal]:
        rng = context.rng(f"coevo:init:{band}")
        out, keys = [], set()
        for _ in range(4000):
            arch = context.space.sample(1, seed=rng)[0]
            key = context.key(arch)
            if key in keys or key in context.seen_keys or context.band_of(arch) != band:
                continue
            keys.add(key)
            out.append(Proposal(arch, "random", band))
            if len(out) >= count:
                break
        return out

    def _band_evaluations(self, context: SearchContext, band: int | None) -> list[Evaluation]:
        finals = context.final()
        return finals if band is None else [e for e in finals if e.candidate.band == band]

    def _elites(self, context: SearchContext, evaluations: list[Evaluation]) -> list[Evaluation]:
        if not evaluations:
            return []
        points = np.array([context.vector(e.candidate) for e in evaluations])
        ranks = non_dominated_ranks(points)
        order = []
        for rank in range(int(ranks.max()) + 1):
            members = np.flatnonzero(ranks == rank)
            crowd = crowding_distance(points[members])
            order.extend(members[np.argsort(-crowd, kind="stable")])
            if len(order) >= self.elite_count:
                break
        return [evaluations[i] for i in order[: self.elite_count]]

    def _update_knowledge(self, context: SearchContext, band: int) -> None:
        if (band, self.round) in self._kb_done:
            return
        self._kb_done.add((band, self.round))
        evaluations = self._band_evaluations(context, band)
        elites = self._elites(context, evaluations)
        elite_ids = {e.arch.arch_id for e in elites}
        others = [e.arch for e in evaluations if e.arch.arch_id not in elite_ids]
        data = derive_heuristics(context.space, [e.arch for e in elites], others)
        self.data_heuristics[band] = data
        heuristics: list[Any] = list(data)
        source = "data"
        extra: dict[str, Any] = {}
        if self.llm is not None:
            from hwnas.llm import LlmError, rewrite_knowledge

            recent = evaluations[-12:]
            try:
                update = rewrite_knowledge(
                    self.llm.client, context.space, band=band,
                    evaluated=[e.candidate for e in recent],
                    heuristics=_as_llm(self.heuristics.get(band) or data),
                    band_description=self._band_description(context, band),
                    seed=self._seed(context, "kb", band),
                )
                if update.ok and update.heuristics:
                    heuristics, source = list(update.heuristics), f"llm:{self.llm.model_label}"
                else:
                    extra["llm_rejected"] = str(update.reply.rejection)
            except LlmError as error:
                context.rejections["llm:error"] += 1
                extra["llm_error"] = str(error)
        self.heuristics[band] = heuristics
        context.add_knowledge_once(band, self.round, knowledge_record(
            band, self.round, source, heuristics, [e.arch.string for e in elites],
            data_heuristics=[{"rule": h.rule, "evidence": h.evidence} for h in data], **extra))

    def _band_description(self, context: SearchContext, band: int | None) -> str:
        if band is None:
            return "any band: the whole latency range"
        edges = context.partition.edges
        low = edges[band - 1] if band > 0 else None
        high = edges[band] if band < len(edges) else None
        span = (f"{low:.4g} <= value" if low is not None else "value") + (
            f" < {high:.4g}" if high is not None else "")
        return f"band {band} of {context.bands}; {span}, value = {context.partition.description}"

    def _seed(self, context: SearchContext, what: str, band: int | None) -> int:
        return zlib.crc32(f"{context.config.seed}:{self.round}:{what}:{band}".encode()) % (2**31)

    def _llm_pool(self, context: SearchContext, band: int | None,
                  elites: list[Evaluation]) -> list[Proposal]:
        if self.llm is None or not elites:
            return []
        from hwnas.llm import LlmError, propose_candidates

        knowledge = self.heuristics.get(band, []) if band is not None else self._global_heuristics
        try:
            answer = propose_candidates(
                self.llm.client, context.space, band=-1 if band is None else band,
                elites=[e.candidate for e in elites], knowledge=_as_llm(knowledge),
                count=self.llm_proposals, band_description=self._band_description(context, band),
                seed=self._seed(context, "propose", band),
                exclude=[e.arch for e in context.evaluated],
            )
        except LlmError as error:
            context.rejections["llm:error"] += 1
            context.log_event_once("llm-error", f"llm-error:{self.round}:{band}",
                                   {"error": str(error)})
            return []
        kinds = {"architecture": "grammar", "duplicate": "duplicate", "known": "duplicate"}
        self.llm_stats["proposed"] += len(answer.candidates) + len(answer.rejections)
        for rejection in answer.rejections:
            context.rejections[f"llm:{kinds.get(rejection.kind, rejection.kind)}"] += 1
            if band is not None:
                context.band_rejections[(band, f"llm:{kinds.get(rejection.kind, rejection.kind)}")] += 1
        out = []
        for proposed in answer.candidates:
            proposal = Proposal(proposed.architecture, "llm", band,
                                f"{proposed.changed}; why: {proposed.why}")
            if not context.is_new(proposed.architecture):
                context.reject(proposal, "llm:duplicate")
            elif band is not None and context.band_of(proposed.architecture) != band:
                context.reject(proposal, "llm:leaves-band")
            else:
                out.append(proposal)
        self.llm_stats["accepted_into_pool"] += len(out)
        return out

    def _operator_pool(self, context: SearchContext, band: int | None, seeds: list[Any],
                       weights: list[np.ndarray], rng_name: str) -> list[Proposal]:
        rng = context.rng(rng_name)
        space = context.space
        raw: list[tuple[Any, str]] = []
        for arch in seeds:
            raw.extend((n, "neighbour") for n in space.neighbours(arch))
            raw.extend((space.mutate(arch, seed=rng, edits=2), "mutation") for _ in range(6))
        if len(seeds) > 1:
            for _ in range(30):
                first, second = rng.sample(seeds, 2)
                raw.append((space.crossover(first, second, seed=rng), "crossover"))
        for _ in range(40):
            genes = [rng.choices(range(len(w)), weights=list(w))[0] for w in weights]
            raw.append((space.from_genes(genes), "knowledge"))
        raw.extend((a, "random") for a in space.sample(self.pool_random, seed=rng))
        return [Proposal(arch, origin, band) for arch, origin in raw]

    def _filter(self, context: SearchContext, proposals: list[Proposal],
                band: int | None) -> list[Proposal]:
        out, keys = [], set()
        for proposal in proposals:
            key = context.key(proposal.arch)
            if key in keys:
                continue
            if key in context.seen_keys:
                if not proposal.origin.startswith("llm"):
                    context.rejections["operator:duplicate"] += 1
                continue
            if band is not None and context.band_of(proposal.arch) != band:
                context.rejections["operator:leaves-band"] += 1
                continue
            keys.add(key)
            out.append(proposal)
        return out

    # --- the screen ---------------------------------------------------------------------
    def _vectors(self, context: SearchContext, evaluations: list[Evaluation],
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

    def _fit(self, context: SearchContext) -> EnsembleSurrogate | None:
        finals = context.final()
        if len(finals) < 8:
            return None
        if self._trained_on != len(finals):
            features = self._matrices([e.arch for e in finals])
            targets = self._vectors(context, finals, update_scale=True)
            self._surrogate = EnsembleSurrogate(self.members, context.config.seed).fit(features, targets)
            self._trained_on = len(finals)
        return self._surrogate

    def _matrices(self, archs: list[Any]) -> list[np.ndarray]:
        return [self.features.matrix([view(a) for a in archs]) for view in self._views]

    def _screen(self, context: SearchContext, pool: list[Proposal], band: int | None,
                count: int) -> list[Proposal]:
        if not pool:
            return []
        surrogate = self._fit(context)
        if surrogate is None:
            rng = context.rng(f"coevo:shuffle:{band}")
            shuffled = list(pool)
            rng.shuffle(shuffled)
            return shuffled[: count * 3]
        finals = context.final()
        observed = self._vectors(context, finals)
        ideal, nadir = observed.min(axis=0), observed.max(axis=0)
        span = np.where(nadir - ideal > 0, nadir - ideal, 1.0)
        mean, std = surrogate.predict(self._matrices([p.arch for p in pool]))
        kappa = self.kappa * (1 - context.evaluations / context.budget) if self.kappa_decay \
            else self.kappa  # explore early, exploit late
        optimistic = (mean - kappa * std - ideal) / span
        reference = np.full(observed.shape[1], self.reference)
        empty = np.zeros((0, observed.shape[1]))
        front_members = context.front()
        front = (self._vectors(context, front_members) - ideal) / span if front_members else empty
        band_members = context.front(band) if band is not None else []
        band_front = (self._vectors(context, band_members) - ideal) / span if band_members else empty
        chosen: list[int] = []
        remaining = np.ones(len(pool), dtype=bool)
        for _ in range(min(count * 2, len(pool)) - len(chosen)):
            gain = self._improvement(front, optimistic, reference)
            band_gain = self._improvement(band_front, optimistic, reference) if len(band_front) else gain
            gap = self._gap(front, optimistic)
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

    @staticmethod
    def _improvement(front: np.ndarray, points: np.ndarray, reference: np.ndarray) -> np.ndarray:
        if points.shape[1] == 2:
            return hvi_2d_many(front, points, reference)
        return np.array([hypervolume_improvement(front, p, reference) for p in points])

    @staticmethod
    def _gap(front: np.ndarray, points: np.ndarray) -> np.ndarray:
        if len(front) == 0:
            return np.zeros(len(points))
        # how far each point must move to leave the dominated region of the front
        return np.max(np.min(points[:, None, :] - front[None, :, :], axis=2), axis=1)

    # --- steps --------------------------------------------------------------------------
    def _band_step(self, context: SearchContext, band: int, count: int) -> list[Proposal]:
        self._update_knowledge(context, band)
        evaluations = self._band_evaluations(context, band)
        elites = self._elites(context, evaluations)
        if len(elites) < 2:
            return self._random_in_band(context, band, count * 4)
        neighbours = [e for e in self._elites(context, context.final())
                      if e.candidate.band is not None and abs(e.candidate.band - band) == 1]
        seeds = [e.arch for e in elites] + [e.arch for e in neighbours[:4]]
        weights = sampling_weights(context.space, self.data_heuristics.get(band, []))
        llm_pool = self._llm_pool(context, band, elites)
        pool = self._filter(context, llm_pool + self._operator_pool(
            context, band, seeds, weights, f"coevo:pool:{band}"), band)
        picked = self._screen(context, pool, band, count)
        return picked or self._random_in_band(context, band, count * 4)

    @property
    def _global_heuristics(self) -> list[Any]:
        return getattr(self, "_distilled", [])

    def _distill_step(self, context: SearchContext, count: int) -> list[Proposal]:
        if ("distill", self.round) not in self._kb_done:
            self._kb_done.add(("distill", self.round))  # type: ignore[arg-type]
            self._distill_knowledge(context)
        elites_by_band = {b: self._elites(context, self._band_evaluations(context, b))
                          for b in range(context.bands)}
        seeds = [e.arch for e in context.front()]
        rng = context.rng("coevo:distill")
        crosses = []
        bands = [b for b, es in elites_by_band.items() if es]
        for _ in range(60):
            if len(bands) < 2:
                break
            first, second = rng.sample(bands, 2)
            a = rng.choice(elites_by_band[first]).arch
            b = rng.choice(elites_by_band[second]).arch
            crosses.append(Proposal(context.space.crossover(a, b, seed=rng), "distill", None))
        shared = [h for hs in self.data_heuristics.values() for h in hs]
        weights = sampling_weights(context.space, shared)
        llm_pool = self._llm_pool(context, None, context.front()[: self.elite_count])
        pool = self._filter(context, llm_pool + crosses + self._operator_pool(
            context, None, seeds, weights, "coevo:distill-pool"), None)
        return self._screen(context, pool, None, count)

    def _distill_knowledge(self, context: SearchContext) -> None:
        """Patterns that hold in two or more bands (data); the LLM's distillation when set."""
        rules: dict[tuple[int, int], list[int]] = {}
        for band, heuristics in self.data_heuristics.items():
            for h in heuristics:
                if h.lift > 0:
                    rules.setdefault((h.position, h.option), []).append(band)
        from hwnas.search._knowledge import edge_name

        distilled: list[Any] = []
        for (position, option), bands in sorted(rules.items()):
            if len(bands) >= 2:
                name = context.space.gene_choices[position][option]
                distilled.append(_Rule(f"prefer {name} on {edge_name(context.space, position)}",
                                       f"favoured by the elites of bands {bands}", tuple(bands)))
        source = "data"
        extra: dict[str, Any] = {}
        if self.llm is not None and self.heuristics:
            from hwnas.llm import LlmError, distill_knowledge

            try:
                update = distill_knowledge(self.llm.client, context.space,
                                           band_knowledge={b: _as_llm(h) for b, h in
                                                           self.heuristics.items()},
                                           seed=self._seed(context, "distill", None))
                if update.ok and update.heuristics:
                    distilled, source = list(update.heuristics), f"llm:{self.llm.model_label}"
                else:
                    extra["llm_rejected"] = str(update.reply.rejection)
            except LlmError as error:
                context.rejections["llm:error"] += 1
                extra["llm_error"] = str(error)
        self._distilled = distilled
        context.add_knowledge_once(None, self.round, knowledge_record(
            None, self.round, source, distilled, [e.arch.string for e in context.front()], **extra))

    def _free_step(self, context: SearchContext, count: int) -> list[Proposal]:
        seeds = [e.arch for e in context.front()] or [p.arch for p in
                                                       self._random_in_band(context, 0, 2)]
        weights = sampling_weights(context.space, [])
        pool = self._filter(context, self._operator_pool(context, None, seeds, weights,
                                                         "coevo:free"), None)
        return self._screen(context, pool, None, count)


class _Rule:
    """A distilled heuristic (rule, evidence, bands) in the shape the LLM layer formats."""

    def __init__(self, rule: str, evidence: str, bands: tuple[int, ...]) -> None:
        self.rule, self.evidence, self.bands = rule, evidence, bands


def _as_llm(heuristics: list[Any]) -> list[Any]:
    """Heuristics in the LLM layer's record type (rule, evidence, bands)."""
    from hwnas.llm import Heuristic

    return [h if isinstance(h, Heuristic) else
            Heuristic(h.rule, h.evidence, tuple(getattr(h, "bands", ()) or ()))
            for h in heuristics]
