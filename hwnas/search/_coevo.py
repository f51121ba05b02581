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
from typing import Any

import numpy as np

from hwnas.core import HwnasError
from hwnas.pareto import crowding_distance, non_dominated_ranks, split_evenly
from hwnas.search._coevo_knowledge import CoevoKnowledge
from hwnas.search._coevo_screen import SurrogateScreen
from hwnas.search._context import SearchContext
from hwnas.search._knowledge import sampling_weights
from hwnas.search._records import Evaluation
from hwnas.search._strategy import STRATEGIES, Proposal, Strategy
from hwnas.search._surrogate import FeatureCache

NO_LLM_NOTE = ("coevo: no LLM configured; proposals come from the evolutionary operator only "
               "(pass --llm local for the embedded model)")


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
    per band per round), `members` (4 surrogate members), `knowledge` (True; False drops the
    knowledge bases: no rewrites or distillation, and the knowledge-guided samples of the
    operator pool become uniform samples, the ablation of `benchmarks/search_estimates.py`).
    """

    name = "coevo"
    uses_llm = True

    def __init__(self, init_fraction: float = 0.1, step: int = 4, distill_fraction: float = 0.1,
                 kappa: float = 0.3, elites: int = 8, llm_proposals: int = 4, members: int = 4,
                 reference: float = 1.1, pool_random: int = 40, guaranteed: float = 0.5,
                 log_scale: bool = False, believer: bool = True,
                 kappa_decay: bool = False, knowledge: bool = True, **options: Any) -> None:
        super().__init__(init_fraction=init_fraction, step=step, distill_fraction=distill_fraction,
                         kappa=kappa, elites=elites, llm_proposals=llm_proposals,
                         members=members, reference=reference, pool_random=pool_random,
                         guaranteed=guaranteed, log_scale=log_scale, believer=believer,
                         kappa_decay=kappa_decay, knowledge=knowledge, **options)
        self.believer = bool(believer)
        self.kappa_decay = bool(kappa_decay)
        self.use_knowledge = bool(knowledge)  # False: the no-knowledge-base ablation
        self.guaranteed = float(guaranteed)
        self.log_scale = bool(log_scale)
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
        self.knowledge = CoevoKnowledge(self.llm_proposals)
        self.screen: SurrogateScreen | None = None  # built at start (it needs the space)
        self._kb_done: set[tuple[int | str | None, int]] = set()

    @property
    def llm_stats(self) -> dict[str, int]:
        """LLM proposals: proposed, accepted into a pool, selected by the screen."""
        return self.knowledge.stats

    # --- set-up -----------------------------------------------------------------------
    def start(self, context: SearchContext) -> None:
        bands = context.bands
        budget = context.remaining  # labelled cells (hwnas.search._labels) are spent already
        self.distill_budget = int(round(self.distill_fraction * budget)) if bands > 1 else 0
        band_total = budget - self.distill_budget
        even = split_evenly(band_total, bands)
        self.floor = split_evenly(int(round(self.guaranteed * band_total)), bands)
        self.flexible = band_total - sum(self.floor)
        self.share = list(self.floor)  # grows with each band's part of the front
        self.init = [min(s, max(2, int(round(self.init_fraction * s)))) for s in even]
        self.floor = [max(f, i) for f, i in zip(self.floor, self.init, strict=True)]
        self.spent = [0] * bands
        self.distill_spent = 0
        steps = max(1, band_total - sum(self.init))
        rounds = max(1, math.ceil(steps / (bands * self.step)))
        self.distill_step = (max(1, math.ceil(self.distill_budget / rounds))
                             if self.distill_budget else 0)
        features = FeatureCache(context.space, context.band_feature, context.config.device)
        # each objective is modelled on the network that produced its values
        views = [chain[-1].executed for chain in context.sources]
        self.screen = SurrogateScreen(features, views, self.members, self.kappa, self.kappa_decay,
                                      self.believer, self.log_scale, self.reference)
        self.llm = self.knowledge.llm = context.llm
        if self.llm is None:
            context.log_event_once("note", "coevo:no-llm", {"message": NO_LLM_NOTE})

    def describe(self) -> dict[str, Any]:
        out = super().describe()
        out["proposal_step"] = ("llm + evolutionary operator" if self.llm
                                else "evolutionary operator (no LLM)")
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
                self.knowledge.stats["selected"] += 1

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
        if not self.use_knowledge or (band, self.round) in self._kb_done:
            return
        self._kb_done.add((band, self.round))
        evaluations = self._band_evaluations(context, band)
        self.knowledge.rewrite_band(context, band, self.round, evaluations,
                                    self._elites(context, evaluations))

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

    def _screen(self, context: SearchContext, pool: list[Proposal], band: int | None,
                count: int) -> list[Proposal]:
        if self.screen is None:
            raise HwnasError("coevo: call start(context) before propose(); run_search does")
        return self.screen.select(context, pool, band, count)

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
        weights = sampling_weights(context.space, self.knowledge.data_heuristics.get(band, []))
        llm_pool = self.knowledge.llm_pool(context, band, elites, self.round)
        pool = self._filter(context, llm_pool + self._operator_pool(
            context, band, seeds, weights, f"coevo:pool:{band}"), band)
        picked = self._screen(context, pool, band, count)
        return picked or self._random_in_band(context, band, count * 4)

    def _distill_step(self, context: SearchContext, count: int) -> list[Proposal]:
        if self.use_knowledge and ("distill", self.round) not in self._kb_done:
            self._kb_done.add(("distill", self.round))
            self.knowledge.distill(context, self.round)
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
        shared = [h for hs in self.knowledge.data_heuristics.values() for h in hs]
        weights = sampling_weights(context.space, shared)
        llm_pool = self.knowledge.llm_pool(context, None, context.front()[: self.elite_count],
                                           self.round)
        pool = self._filter(context, llm_pool + crosses + self._operator_pool(
            context, None, seeds, weights, "coevo:distill-pool"), None)
        return self._screen(context, pool, None, count)

    def _free_step(self, context: SearchContext, count: int) -> list[Proposal]:
        seeds = [e.arch for e in context.front()] or [p.arch for p in
                                                       self._random_in_band(context, 0, 2)]
        weights = sampling_weights(context.space, [])
        pool = self._filter(context, self._operator_pool(context, None, seeds, weights,
                                                         "coevo:free"), None)
        return self._screen(context, pool, None, count)

