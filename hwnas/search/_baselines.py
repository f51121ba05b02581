"""Baseline strategies: random search, regularized (aging) evolution and NSGA-II (pymoo).

They are band-agnostic on purpose (bands are still assigned and reported): they show
what the partition and the co-evolution add.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import numpy as np

from hwnas.pareto import crowding_distance, non_dominated_ranks
from hwnas.search._context import SearchContext
from hwnas.search._records import Evaluation
from hwnas.search._strategy import STRATEGIES, Proposal, Strategy

_PENALTY = 1e9  # objective value given to a failed evaluation inside NSGA-II


@STRATEGIES.register("random")
class RandomSearch(Strategy):
    """Uniform samples of the space, skipping known isomorphism classes."""

    name = "random"
    batch_size = 8

    def propose(self, context: SearchContext, count: int) -> list[Proposal]:
        rng = context.rng(self.name)
        return [Proposal(a, "random") for a in context.space.sample(count * 3, seed=rng)]

    def observe(self, context: SearchContext, evaluations: list[Evaluation]) -> None:
        return None


def select_best(points: np.ndarray) -> int:
    """Index of the best row: lowest non-dominated rank, then largest crowding distance."""
    ranks = non_dominated_ranks(points)
    best = np.flatnonzero(ranks == ranks.min())
    if len(best) == 1:
        return int(best[0])
    crowding = crowding_distance(points[best])
    return int(best[int(np.argmax(crowding))])


@STRATEGIES.register("evolution")
class RegularizedEvolution(Strategy):
    """Regularized (aging) evolution with a Pareto tournament (Real et al., 2019).

    Options: `population` (20), `sample` (5), `edits` (1 gene per mutation).
    """

    name = "evolution"

    def __init__(self, population: int = 20, sample: int = 5, edits: int = 1,
                 **options: Any) -> None:
        super().__init__(population=population, sample=sample, edits=edits, **options)
        self.population_size = int(population)
        self.sample_size = int(sample)
        self.edits = int(edits)
        self.population: deque[Evaluation] = deque()

    def propose(self, context: SearchContext, count: int) -> list[Proposal]:
        rng = context.rng(self.name)
        if len(self.population) < self.population_size:
            return [Proposal(a, "random") for a in context.space.sample(8, seed=rng)]
        members = list(self.population)
        picked = rng.sample(range(len(members)), k=min(self.sample_size, len(members)))
        points = np.array([context.vector(members[i].candidate) for i in picked])
        parent = members[picked[select_best(points)]].arch
        return [Proposal(context.space.mutate(parent, seed=rng, edits=self.edits), "mutation")
                for _ in range(12)]

    def observe(self, context: SearchContext, evaluations: list[Evaluation]) -> None:
        for evaluation in evaluations:
            if evaluation.ok and evaluation.candidate.objectives:
                self.population.append(evaluation)
                if len(self.population) > self.population_size:
                    self.population.popleft()  # aging: the oldest dies, not the worst


@STRATEGIES.register("nsga2")
class Nsga2(Strategy):
    """NSGA-II from pymoo on the space's integer gene encoding (SBX + polynomial
    mutation with rounding repair). An offspring whose isomorphism class is already
    known takes the known objectives instead of a new evaluation.

    Options: `population` (20).
    """

    name = "nsga2"

    def __init__(self, population: int = 20, **options: Any) -> None:
        super().__init__(population=population, **options)
        self.population_size = int(population)
        self.batch_size = self.population_size
        self._algorithm: Any = None
        self._pending: Any = None

    def start(self, context: SearchContext) -> None:
        from pymoo.algorithms.moo.nsga2 import NSGA2
        from pymoo.core.problem import Problem
        from pymoo.operators.crossover.sbx import SBX
        from pymoo.operators.mutation.pm import PM
        from pymoo.operators.repair.rounding import RoundingRepair
        from pymoo.operators.sampling.rnd import IntegerRandomSampling

        upper = np.array([len(c) - 1 for c in context.space.gene_choices])
        problem = Problem(n_var=len(upper), n_obj=len(context.objectives), xl=0, xu=upper,
                          vtype=int)
        self._algorithm = NSGA2(
            pop_size=self.population_size, sampling=IntegerRandomSampling(),
            crossover=SBX(prob=0.9, eta=15, vtype=float, repair=RoundingRepair()),
            mutation=PM(eta=20, vtype=float, repair=RoundingRepair()),
            eliminate_duplicates=True,
        )
        self._algorithm.setup(problem, termination=("n_gen", 10**9),
                              seed=context.rng(self.name).randrange(2**31), verbose=False)

    def _arch(self, context: SearchContext, genes: np.ndarray) -> Any:
        return context.space.from_genes([int(round(g)) for g in genes])

    def _known(self, context: SearchContext, arch: Any) -> np.ndarray | None:
        evaluation = context.evaluation_of_key(context.key(arch))
        if evaluation is None:
            return None
        objectives = evaluation.candidate.objectives
        if not evaluation.ok or len(objectives) < len(context.objectives):
            return np.full(len(context.objectives), _PENALTY)
        return context.vector(evaluation.candidate)

    def _tell_if_complete(self, context: SearchContext) -> bool:
        archs = [self._arch(context, x) for x in self._pending.get("X")]
        values = [self._known(context, a) for a in archs]
        if any(v is None for v in values):
            return False
        self._pending.set("F", np.vstack(values))
        self._algorithm.tell(infills=self._pending)
        self._pending = None
        return True

    def propose(self, context: SearchContext, count: int) -> list[Proposal]:
        for _ in range(100):
            if self._pending is None:
                self._pending = self._algorithm.ask()
            if self._tell_if_complete(context):
                continue  # a whole generation of known classes: ask the next one
            out, keys = [], set()
            for genes in self._pending.get("X"):
                arch = self._arch(context, genes)
                key = context.key(arch)
                if context.evaluation_of_key(key) is None and key not in keys:
                    keys.add(key)
                    out.append(Proposal(arch, "nsga2"))
            return out
        return []

    def observe(self, context: SearchContext, evaluations: list[Evaluation]) -> None:
        if self._pending is not None:
            self._tell_if_complete(context)
