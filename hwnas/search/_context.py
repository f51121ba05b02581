"""What a strategy sees of a run: the space, bands, evaluated candidates, fronts, RNGs, LLM.

The context owns the run's bookkeeping (budget, duplicates, rejections, the Pareto
archives per band and overall) and answers `evaluate`: proposals the run store already
holds are replayed from it (resume), new ones go through the staged evaluator.
"""

from __future__ import annotations

import random
import zlib
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from hwnas.core import Architecture, Candidate
from hwnas.pareto import (
    ObjectiveSpec,
    ParetoArchive,
    TrueFront,
    format_objectives,
    minimisation_matrix,
    objective_signs,
    parse_objectives,
    split_evenly,
)
from hwnas.search._evaluator import StagedEvaluator
from hwnas.search._executor import Executor
from hwnas.search._partition import BandFeature, Partition, build_partition
from hwnas.search._records import Evaluation, SearchConfig
from hwnas.search._sources import ObjectiveSource, SourceContext, TableSource, create_source
from hwnas.search._strategy import Proposal
from hwnas.search._truefront import true_front_cached


class SearchContext:
    """What a strategy sees: the space, bands, evaluated candidates, fronts, RNGs, LLM."""

    def __init__(self, config: SearchConfig, store: Any, executor: Executor,
                 llm: Any | None = None,
                 progress: Callable[[SearchContext], None] | None = None) -> None:
        from hwnas.spaces import create_space

        self.config = config
        self.store = store
        self.executor = executor
        self.llm = llm
        self.progress = progress
        self.space = create_space(config.space)
        self.objectives: tuple[ObjectiveSpec, ...] = parse_objectives(config.objectives)
        self._names = [o.name for o in self.objectives]
        self._minimize = [o.minimize for o in self.objectives]
        self.signs = objective_signs(self._minimize)
        self.budget = config.budget
        predictor = None
        if config.band_predictor:
            from hwnas.predictors import load_predictor

            predictor = load_predictor(config.band_predictor)
        self.band_feature = BandFeature(self.space, config.band_by, config.device, predictor)
        self.partition: Partition = build_partition(
            self.band_feature, config.bands, config.band_bounds
        )
        self.sources = self._build_sources()
        # Chains whose cheap and final sources differ in unit (proxy:synflow>train:...)
        # screen against the confirmed candidates' cheap values, not their final ones.
        self.screen_in_cheap_units = any(
            o.screened and chain[0].unit != chain[-1].unit
            for o, chain in zip(self.objectives, self.sources, strict=True))
        self.screen_archive = ParetoArchive()
        self.screen_points: list[np.ndarray] = []
        self.evaluator = StagedEvaluator(self)
        # state
        self.evaluations = 0  # counted against the budget
        self.failed = 0
        self.screened_only = 0
        self.replayed = 0  # evaluations answered from the store on resume
        self.evaluated: list[Evaluation] = []
        self.seen_keys: set[str] = set()
        self.rejections: Counter[str] = Counter()
        self.band_rejections: Counter[tuple[int, str]] = Counter()
        self.band_archives = [ParetoArchive() for _ in range(self.partition.bands)]
        self.archive = ParetoArchive()
        self.band_counts = [0] * self.partition.bands
        self._rngs: dict[str, random.Random] = {}
        self._by_key: dict[str, Evaluation] = {}
        self._keys: dict[str, str] = {}
        # what the store already holds (resume by replay)
        self._stored = {}
        for candidate, extra in zip(store.candidates(), store.candidate_extras(), strict=True):
            self._stored[candidate.architecture.arch_id] = (candidate, extra)
        self._logged_events = {
            e["data"].get("key") for e in store.events() if isinstance(e["data"], dict)
        }
        self._stored_knowledge = {(k["band"], k["round"]) for k in store.knowledge()}

    # --- setup ----------------------------------------------------------------------
    def _build_sources(self) -> list[list[ObjectiveSource]]:
        from hwnas.search._labels import obtain_labels

        built = []
        self.labelled: list[str] = []  # architectures labelled for an ensemble objective
        for objective in self.objectives:
            options = dict(self.config.source_options)
            if self.config.labels is not None:
                options.setdefault("labels", self.config.labels)
            chain = []
            for spec in objective.sources:
                context_options = options
                if spec.kind == "ensemble":  # labels are stored before the fit uses them
                    labels = obtain_labels(self, objective.name, spec.target, options)
                    self.labelled.extend(s for s, _ in labels)
                    context_options = dict(options, ensemble_labels=labels)
                context = SourceContext(self.config.space, objective.name, self.config.device,
                                        context_options)
                chain.append(create_source(spec.kind, spec.target, context))
            built.append(chain)
        return built

    def rng(self, name: str) -> random.Random:
        """A generator seeded by the run seed and `name` (stable across resumes)."""
        if name not in self._rngs:
            seed = self.config.seed * 1_000_003 + zlib.crc32(name.encode())
            self._rngs[name] = random.Random(seed)
        return self._rngs[name]

    def np_rng(self, name: str) -> np.random.Generator:
        return np.random.default_rng(self.rng(f"np:{name}").getrandbits(63))

    # --- queries --------------------------------------------------------------------
    @property
    def bands(self) -> int:
        return self.partition.bands

    @property
    def remaining(self) -> int:
        return self.budget - self.evaluations

    def band_of(self, arch: Architecture) -> int:
        return self.partition.band_of_value(self.band_feature(arch))

    def band_budget(self, band: int) -> int:
        """The budget share of a band: the budget spread evenly, remainder to the lowest bands."""
        return split_evenly(self.budget, self.bands)[band]

    def key(self, arch: Architecture) -> str:
        """The isomorphism class of `arch` (cached: strategies ask for it many times)."""
        key = self._keys.get(arch.string)
        if key is None:
            key = self._keys[arch.string] = self.space.isomorphism_key(arch)
        return key

    def is_new(self, arch: Architecture) -> bool:
        return self.key(arch) not in self.seen_keys

    def fresh_samples(self, count: int, stream: str) -> list[Architecture]:
        """Up to `count` random feasible architectures of distinct classes not yet seen,
        drawn from the generator `stream` (one draw of 40 x count samples)."""
        out: list[Architecture] = []
        keys: set[str] = set()
        for arch in self.space.sample(count * 40, seed=self.rng(stream)):
            key = self.key(arch)
            if key in keys or key in self.seen_keys or self.space.infeasibility(arch):
                continue
            keys.add(key)
            out.append(arch)
            if len(out) >= count:
                break
        return out

    def vector(self, candidate: Candidate) -> np.ndarray:
        """The candidate's objectives as a minimisation vector (maximised ones negated)."""
        return minimisation_matrix([candidate], self._names, self._minimize)[0]

    def final(self) -> list[Evaluation]:
        """Evaluations with every objective from its final source (what fronts are made of)."""
        return [e for e in self.evaluated if e.ok and e.confirmed]

    def front(self, band: int | None = None) -> list[Evaluation]:
        archive = self.archive if band is None else self.band_archives[band]
        keys = set(archive.keys)
        return [e for e in self.final() if e.arch.arch_id in keys]

    def evaluation_of_key(self, key: str) -> Evaluation | None:
        return self._by_key.get(key)

    def true_front(self) -> TrueFront | None:
        """The exact front when the space is enumerable and every objective is a table."""
        finals = [chain[-1] for chain in self.sources]
        if not all(isinstance(s, TableSource) for s in finals) \
                or not hasattr(self.space, "enumerate"):
            return None
        return true_front_cached(self.config.space, format_objectives(self.objectives))

    # --- the budget and the store ---------------------------------------------------
    def reject(self, proposal: Proposal, reason: str) -> None:
        self.rejections[reason] += 1
        if proposal.band is not None:
            self.band_rejections[(proposal.band, reason)] += 1

    def check(self, proposal: Proposal, pending: set[str]) -> str | None:
        """Why a proposal is rejected (duplicate, leaves-band), or None to accept it."""
        key = self.key(proposal.arch)
        if key in self.seen_keys or key in pending:
            return "duplicate"
        if proposal.band is not None and self.band_of(proposal.arch) != proposal.band:
            return "leaves-band"
        return None

    def log_event_once(self, kind: str, key: str, data: dict[str, Any]) -> None:
        """Log an event unless a replayed run logged it already."""
        if key in self._logged_events:
            return
        self._logged_events.add(key)
        self.store.log_event(kind, {"key": key, **data})

    def add_knowledge_once(self, band: int | None, round_index: int,
                           content: dict[str, Any]) -> None:
        if (band, round_index) in self._stored_knowledge:
            return
        self._stored_knowledge.add((band, round_index))
        self.store.add_knowledge(band, round_index, content)

    def evaluate(self, proposals: Sequence[Proposal]) -> list[Evaluation]:
        """Evaluate accepted proposals (cheap sources first), store them, then return them."""
        results: list[Evaluation | None] = [None] * len(proposals)
        todo = []
        for index, proposal in enumerate(proposals):
            stored = self._stored.get(proposal.arch.arch_id)
            if stored is not None:
                results[index] = self._from_store(proposal, *stored)
            else:
                todo.append(index)
        if todo:
            live = self.evaluator.evaluate([proposals[i] for i in todo])
            for index, evaluation in zip(todo, live, strict=True):
                results[index] = evaluation
        done = [r for r in results if r is not None]
        for evaluation in done:
            self._account(evaluation)
        if self.progress is not None:
            self.progress(self)
        return done

    @staticmethod
    def _from_store(proposal: Proposal, candidate: Candidate, extra: dict[str, Any]) -> Evaluation:
        return Evaluation(candidate, proposal, extra.get("status", "ok"),
                          bool(extra.get("confirmed", True)), bool(extra.get("counted", True)),
                          extra.get("error"), replayed=True, screen=extra.get("screen"))

    def _account(self, evaluation: Evaluation) -> None:
        key = self.key(evaluation.arch)
        self.seen_keys.add(key)
        self._by_key[key] = evaluation
        self.evaluated.append(evaluation)
        self.replayed += evaluation.replayed
        if evaluation.counted:
            self.evaluations += 1
        else:
            self.screened_only += 1
        if not evaluation.ok:
            self.failed += 1
            return
        band = evaluation.candidate.band or 0
        if evaluation.confirmed:
            self.band_counts[band] += 1
            point = self.vector(evaluation.candidate)
            self.archive.add(evaluation.arch.arch_id, point)
            self.band_archives[band].add(evaluation.arch.arch_id, point)
            if self.screen_in_cheap_units:
                screen = evaluation.screen or {}
                cheap = np.array([screen.get(o.name, evaluation.candidate.value(o.name))
                                  for o in self.objectives]) * self.signs
                self.screen_points.append(cheap)
                self.screen_archive.add(evaluation.arch.arch_id, cheap)
