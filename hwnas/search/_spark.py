"""`spark`: Structured Progressive Knowledge Activation (Liu et al., ICML 2026), on the
hwnas harness.

An archive split into islands (default 5), each a population of at most `archive_size`
candidates kept by Pareto rank and crowding; every `migration_interval` evaluations each
island sends its best member to the next (a ring). After a random start on every island,
each step picks an island (in turn), samples a parent there (Pareto tournament), then:

1. **router**: which of the space's factors to edit (`SearchSpace.factors`: for NB201
   `operator`, the op on an edge that is not none, and `action`, the wiring);
2. **refinement**: a short directive local to that factor;
3. **scoped rewrite**: the whole new architecture.

With an LLM each is one call (prompt templates `spark_route`, `spark_refine`,
`spark_rewrite`). Before evaluation the child is checked, in order: reply and grammar,
unchanged, **scope** (the diff of parent and child may touch the chosen factor only; off
with `freeze=False`), **feasibility** (`SearchSpace.infeasibility`: the output depends on
the input), novelty. Every rejection is counted by source, kind and factor
(`llm:scope:operator`, `mutation:duplicate:action`, ...) and in `llm_stats["by_factor"]`.
A rejected LLM child is replaced by a scoped mutation when `llm_fallback` (the default).

Without an LLM the router is a rule (the factor whose children joined the front most
often, Laplace-smoothed, with `exploration` chance of a random factor) and the rewrite is
a scoped mutation (`SearchSpace.scoped_mutation`); the run's `note` event says so.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass
from typing import Any

import numpy as np

from hwnas.core import Architecture, ConfigError
from hwnas.search._baselines import select_best
from hwnas.search._context import SearchContext
from hwnas.search._ranking import pareto_order, usable
from hwnas.search._records import Evaluation
from hwnas.search._scope import factor_violation, feasibility
from hwnas.search._spark_llm import SparkLlm
from hwnas.search._strategy import STRATEGIES, Proposal, Strategy

NO_LLM_NOTE = ("spark: no LLM configured; the router is a rule (the factor whose edits joined "
               "the front most, with exploration) and the rewrite a scoped mutation "
               "(pass --llm local for the embedded model)")


@dataclass(frozen=True)
class _Step:
    island: int | None  # None: a random start, placed on the smallest island
    factor: str | None
    source: str  # random, llm, mutation


@STRATEGIES.register("spark")
class Spark(Strategy):
    """Island archive + factor router + factor-scoped rewrites (see the module docstring).

    Options: `islands` (5), `migration_interval` (20 evaluations), `archive_size` (10 per
    island), `router_retries` (3 more tries after a rejected router reply), `freeze` (True:
    reject edits outside the chosen factor), `init_per_island` (4 random starts),
    `tournament` (3), `exploration` (0.2, rule router), `edits` (1 gene per scoped
    mutation), `attempts` (20 scoped mutations per step before it gives up),
    `llm_fallback` (True: a rejected LLM child is replaced by a scoped mutation).
    """

    name = "spark"
    uses_llm = True

    def __init__(self, islands: int = 5, migration_interval: int = 20, archive_size: int = 10,
                 router_retries: int = 3, freeze: bool = True, init_per_island: int = 4,
                 tournament: int = 3, exploration: float = 0.2, edits: int = 1,
                 attempts: int = 20, llm_fallback: bool = True, **options: Any) -> None:
        super().__init__(islands=islands, migration_interval=migration_interval,
                         archive_size=archive_size, router_retries=router_retries,
                         freeze=freeze, init_per_island=init_per_island, tournament=tournament,
                         exploration=exploration, edits=edits, attempts=attempts,
                         llm_fallback=llm_fallback, **options)
        self.islands = int(islands)
        self.migration_interval = int(migration_interval)
        self.archive_size = int(archive_size)
        self.router_retries = int(router_retries)
        self.freeze = bool(freeze)
        self.init_per_island = int(init_per_island)
        self.tournament = int(tournament)
        self.exploration = float(exploration)
        self.edits = int(edits)
        self.attempts = int(attempts)
        self.llm_fallback = bool(llm_fallback)
        for name, value, low in (("islands", self.islands, 1), ("archive_size",
                                 self.archive_size, 2), ("migration_interval",
                                 self.migration_interval, 1), ("router_retries",
                                 self.router_retries, 0), ("init_per_island",
                                 self.init_per_island, 1), ("tournament", self.tournament, 1),
                                 ("edits", self.edits, 1), ("attempts", self.attempts, 1)):
            if value < low:
                raise ConfigError(f"spark option {name} must be {low} or more, got {value}")
        if not 0 <= self.exploration <= 1:
            raise ConfigError(f"spark option exploration must be in [0, 1], got {exploration}")
        self.batch_size = self.islands
        self.populations: list[list[Evaluation]] = [[] for _ in range(self.islands)]
        self.history: list[deque[str]] = [deque(maxlen=4) for _ in range(self.islands)]
        self.by_factor: dict[str, dict[str, Any]] = {}
        self.llm: SparkLlm | None = None
        self._pending: dict[str, _Step] = {}
        self._cursor = 0
        self._steps = 0
        self._started = 0
        self._last_migration = 0
        self.counts: Counter[str] = Counter()

    # --- what the run reports ------------------------------------------------------------
    @property
    def llm_stats(self) -> dict[str, Any]:
        """Steps, sources, migrations, LLM calls, and per factor: routed, evaluated, joined
        the front, rejected by kind."""
        out: dict[str, Any] = {
            "mode": "llm" if self.llm else "offline: rule router, scoped mutation",
            "freeze": self.freeze, **dict(self.counts),
            "by_factor": {f: {**{k: v for k, v in s.items() if k != "rejected"},
                              "rejected": dict(s["rejected"])}
                          for f, s in self.by_factor.items()},
        }
        if self.llm is not None:
            out["llm_calls"] = dict(self.llm.calls)
            out["router_rejected_replies"] = self.llm.router_rejected
        return out

    def describe(self) -> dict[str, Any]:
        out = super().describe()
        out["factors"] = "declared by the space (SearchSpace.factors)"
        return out

    # --- set-up ----------------------------------------------------------------------------
    def start(self, context: SearchContext) -> None:
        self.by_factor = {f: {"routed": 0, "evaluated": 0, "joined_front": 0,
                              "rejected": Counter()} for f in context.space.factors()}
        if context.llm is None:
            context.log_event_once("note", "spark:no-llm", {"message": NO_LLM_NOTE})
            return
        self.llm = SparkLlm(context.llm, self.router_retries)
        context.log_event_once("note", "spark:llm", {"message": (
            f"spark: router, refinement and rewrite by {self.llm.label}; a rejected router "
            "reply falls back to the rule router" + (", a rejected child to a scoped mutation"
                                                     if self.llm_fallback else ""))})

    # --- proposals -----------------------------------------------------------------------------
    def propose(self, context: SearchContext, count: int) -> list[Proposal]:
        self._pending = {}
        starts = self.islands * self.init_per_island
        if self._started < starts:
            return self._random(context, min(count, starts - self._started))
        self._migrate_if_due(context)
        out: list[Proposal] = []
        pending: set[str] = set()
        for _ in range(count):
            island = self._cursor % self.islands
            self._cursor += 1
            proposal = self._step(context, island, pending)
            if proposal is not None:
                pending.add(context.key(proposal.arch))
                out.append(proposal)
        return out

    def _random(self, context: SearchContext, count: int) -> list[Proposal]:
        out = []
        for arch in context.fresh_samples(count, "spark:init"):
            self._pending[arch.arch_id] = _Step(None, None, "random")
            out.append(Proposal(arch, "random"))
        return out

    def _parent(self, context: SearchContext, island: int) -> Evaluation | None:
        members = usable(self.populations[island]) or usable(
            [e for p in self.populations for e in p])
        if not members:
            return None
        rng = context.rng("spark:parent")
        picked = rng.sample(members, k=min(self.tournament, len(members)))
        points = np.array([context.vector(e.candidate) for e in picked])
        return picked[select_best(points)]

    def _rule_route(self, context: SearchContext, parent: Architecture) -> str | None:
        rng = context.rng("spark:router")
        movable = [f for f in self.by_factor if context.space.factor_moves(parent, f)]
        if not movable:
            return None
        if rng.random() < self.exploration:
            return rng.choice(movable)

        def rate(factor: str) -> float:
            stats = self.by_factor[factor]
            return (stats["joined_front"] + 1) / (stats["evaluated"] + 2)

        best = max(rate(f) for f in movable)
        return rng.choice([f for f in movable if rate(f) >= best - 1e-12])

    def _step(self, context: SearchContext, island: int, pending: set[str]) -> Proposal | None:
        parent = self._parent(context, island)
        if parent is None:
            return None
        self._steps += 1
        self.counts["steps"] += 1
        factor, router = None, "rule"
        if self.llm is not None:
            factor, _ = self.llm.route(context, self._steps, parent, self._router_history(island))
            router = "llm"
            if factor is None:
                self._count(context, "llm", "router", None)
                router = "rule"
        if factor is None:
            factor = self._rule_route(context, parent.arch)
        if factor is None:
            return None
        self.by_factor[factor]["routed"] += 1
        self.counts[f"routed_by_{router}"] += 1
        if self.llm is not None:
            proposal = self._llm_child(context, island, parent, factor, pending)
            if proposal is not None or not self.llm_fallback:
                return proposal
            self.counts["fallbacks"] += 1
        return self._mutation_child(context, island, parent, factor, pending)

    def _llm_child(self, context: SearchContext, island: int, parent: Evaluation, factor: str,
                   pending: set[str]) -> Proposal | None:
        if self.llm is None:
            return None
        answer = self.llm.rewrite(context, self._steps, parent, factor)
        self.counts["llm_children"] += 1
        if answer.kind == "error":
            context.rejections["llm:error"] += 1
            return None
        kind = answer.kind or self._check(context, parent.arch, answer.architecture, factor,
                                          pending)
        if kind is not None:
            self._count(context, "llm", kind, factor)
            return None
        note = f"island {island}; factor {factor}; parent {parent.arch.arch_id}; " \
               f"directive: {answer.directive}; changed: {answer.changed}"
        return self._accept(answer.architecture, "llm", island, factor, note)

    def _mutation_child(self, context: SearchContext, island: int, parent: Evaluation,
                        factor: str, pending: set[str]) -> Proposal | None:
        rng = context.rng("spark:rewrite")
        for _ in range(self.attempts):
            child = context.space.scoped_mutation(parent.arch, factor, seed=rng,
                                                  edits=self.edits)
            if child is None:
                return None
            if not self.freeze and rng.random() < 0.5:
                child = context.space.mutate(child, seed=rng)
            kind = self._check(context, parent.arch, child, factor, pending)
            if kind is None:
                return self._accept(child, "mutation", island, factor,
                                    f"island {island}; factor {factor}; "
                                    f"parent {parent.arch.arch_id}")
            self._count(context, "mutation", kind, factor)
        return None

    def _check(self, context: SearchContext, parent: Architecture, child: Any, factor: str,
               pending: set[str]) -> str | None:
        """The kind of rejection of `child`, in the order: grammar, unchanged, scope,
        infeasible, duplicate; None when it may be evaluated."""
        arch, kind, _ = feasibility(context.space, child)
        if arch is None:
            return kind
        if arch == parent:
            return "unchanged"
        if factor_violation(context.space, parent, arch, factor) is not None:
            if self.freeze:
                return "scope"
            self.counts["out_of_scope_allowed"] += 1
        if kind != "ok":
            return kind
        key = context.key(arch)
        if key in context.seen_keys or key in pending:
            return "duplicate"
        return None

    def _accept(self, arch: Architecture, source: str, island: int, factor: str,
                note: str) -> Proposal:
        self._pending[arch.arch_id] = _Step(island, factor, source)
        return Proposal(arch, f"spark-{source}", None, note)

    def _count(self, context: SearchContext, source: str, kind: str, factor: str | None) -> None:
        context.rejections[f"{source}:{kind}" + (f":{factor}" if factor else "")] += 1
        if factor is not None:
            self.by_factor[factor]["rejected"][f"{source}:{kind}"] += 1

    def _router_history(self, island: int) -> list[str]:
        lines = [f"{f}: {s['evaluated']} edits evaluated, {s['joined_front']} joined the front"
                 for f, s in self.by_factor.items()]
        return lines + list(self.history[island])

    # --- archive -------------------------------------------------------------------------------
    def _migrate_if_due(self, context: SearchContext) -> None:
        if self.islands < 2 or context.evaluations - self._last_migration < \
                self.migration_interval:
            return
        self._last_migration = context.evaluations
        best = [pareto_order(context, p)[:1] for p in self.populations]
        for island, emigrants in enumerate(best):
            target = (island + 1) % self.islands
            present = {e.arch.arch_id for e in self.populations[target]}
            for evaluation in emigrants:
                if evaluation.arch.arch_id not in present:
                    self.populations[target].append(evaluation)
                    self.counts["migrants"] += 1
            self.populations[target] = pareto_order(context, self.populations[target])[
                : self.archive_size]
        self.counts["migrations"] += 1

    def observe(self, context: SearchContext, evaluations: list[Evaluation]) -> None:
        front = set(context.archive.keys)
        for evaluation in evaluations:
            step = self._pending.pop(evaluation.arch.arch_id, _Step(None, None, "random"))
            if step.source == "random":
                self._started += 1
            island = step.island
            if island is None:
                island = min(range(self.islands), key=lambda i: len(self.populations[i]))
            joined = evaluation.arch.arch_id in front
            if step.factor is not None:
                stats = self.by_factor[step.factor]
                stats["evaluated"] += 1
                stats["joined_front"] += int(joined)
                self.counts[f"evaluated_{step.source}"] += 1
                self.history[island].append(
                    f"a {step.factor} edit ({step.source}) "
                    + ("joined the front" if joined else "did not join the front"))
            if evaluation.ok:
                self.populations[island] = pareto_order(
                    context, self.populations[island] + [evaluation])[: self.archive_size]
