"""`seki`: Self-Evolution and Knowledge Inspiration (Cai et al., 2025), on the hwnas harness.

Two stages, one after the other:

1. **self-evolution**: one architecture at a time is refined from the feedback of its
   evaluations. With an LLM (`seki_evolve` template) the model is shown the architecture,
   its objectives and the last refinements with their results, and writes an analysis and
   a strategy (reasoning) and then the refined architecture (action), as separate schema
   fields. A refinement that joins the front becomes the next one to refine; after
   `patience` refinements that do not, the search moves to another member of the front.
2. **knowledge inspiration**: the run's top-k repository (Pareto rank, then crowding) goes
   to the LLM (`seki_inspire`), which writes the patterns the designs share and then new
   designs that follow them.

The switch is an option: `switch="budget"` at `budget_share` of the budget, or
`switch="stagnation"` after `stagnation` refinements in a row that did not join the front
(the run's `seki:switch` event and `llm_stats["switch"]` say when and why). Each stage's
proposals, rejections (`llm:evolve:duplicate`, `heuristics:inspire:infeasible`, ...),
evaluations and front joins are counted per stage in `llm_stats["stages"]`.

Without an LLM self-evolution refines by one-gene mutations, and knowledge inspiration
designs from the data-derived heuristics `coevo` uses (`derive_heuristics` of the top-k
against the rest, `sampling_weights`): a repository member with genes redrawn from the
heuristic weights, the heuristics' genes first. The run's `note` event says so.
"""

from __future__ import annotations

from collections import Counter, deque
from typing import Any

from hwnas.core import Architecture, ConfigError
from hwnas.search._context import SearchContext
from hwnas.search._knowledge import derive_heuristics, sampling_weights
from hwnas.search._ranking import pareto_order
from hwnas.search._records import Evaluation
from hwnas.search._scope import feasibility
from hwnas.search._seki_llm import SekiLlm, StageAnswer
from hwnas.search._strategy import STRATEGIES, Proposal, Strategy

NO_LLM_NOTE = ("seki: no LLM configured; self-evolution refines by one-gene mutations and "
               "knowledge inspiration designs from the data-derived heuristics of the top-k "
               "repository (pass --llm local for the embedded model)")
STAGES = ("self_evolution", "knowledge_inspiration")
_SHORT = {"self_evolution": "evolve", "knowledge_inspiration": "inspire"}


@STRATEGIES.register("seki")
class Seki(Strategy):
    """Self-evolution, then knowledge inspiration (see the module docstring).

    Options: `switch` ("budget" or "stagnation"), `budget_share` (0.5), `stagnation` (10
    refinements in a row off the front), `init` (10 random starts), `top_k` (10),
    `designs` (4 per inspiration step), `patience` (3), `history` (3 refinements shown),
    `max_patterns` (4), `edits` (1 gene), `attempts` (20 operator tries per proposal),
    `llm_fallback` (True: a step whose LLM proposals are all rejected uses the operator).
    """

    name = "seki"
    uses_llm = True

    def __init__(self, switch: str = "budget", budget_share: float = 0.5, stagnation: int = 10,
                 init: int = 10, top_k: int = 10, designs: int = 4, patience: int = 3,
                 history: int = 3, max_patterns: int = 4, edits: int = 1, attempts: int = 20,
                 llm_fallback: bool = True, **options: Any) -> None:
        super().__init__(switch=switch, budget_share=budget_share, stagnation=stagnation,
                         init=init, top_k=top_k, designs=designs, patience=patience,
                         history=history, max_patterns=max_patterns, edits=edits,
                         attempts=attempts, llm_fallback=llm_fallback, **options)
        if switch not in ("budget", "stagnation"):
            raise ConfigError(f"seki option switch must be budget or stagnation, got {switch!r}")
        if not 0 <= float(budget_share) <= 1:
            raise ConfigError(f"seki option budget_share must be in [0, 1], got {budget_share}")
        for name, value in (("stagnation", stagnation), ("init", init), ("top_k", top_k),
                            ("designs", designs), ("patience", patience), ("edits", edits),
                            ("attempts", attempts), ("max_patterns", max_patterns)):
            if int(value) < 1:
                raise ConfigError(f"seki option {name} must be 1 or more, got {value}")
        self.switch = switch
        self.budget_share = float(budget_share)
        self.stagnation = int(stagnation)
        self.init = int(init)
        self.top_k = int(top_k)
        self.designs = int(designs)
        self.patience = int(patience)
        self.edits = int(edits)
        self.attempts = int(attempts)
        self.max_patterns = int(max_patterns)
        self.llm_fallback = bool(llm_fallback)
        self.stage = STAGES[0]
        self.batch_size = self.designs
        self.current: Evaluation | None = None
        self.failures = 0
        self.stagnant = 0
        self.switched: dict[str, Any] | None = None
        self.history: deque[str] = deque(maxlen=max(0, int(history)))
        self.llm: SekiLlm | None = None
        self.stage_stats = {s: {"proposed": 0, "evaluated": 0, "joined_front": 0,
                                "rejected": Counter()} for s in STAGES}
        self._pending: dict[str, tuple[str, str]] = {}
        self._started = 0
        self._steps = 0

    @property
    def llm_stats(self) -> dict[str, Any]:
        """Per stage: proposals, rejections by kind, evaluations, front joins; the switch."""
        out: dict[str, Any] = {
            "mode": "llm" if self.llm else "offline: mutation, data-derived heuristics",
            "switch": self.switched or {"at_evaluation": None, "reason": None,
                                        "rule": self.switch},
            "stages": {s: {**{k: v for k, v in st.items() if k != "rejected"},
                           "rejected": dict(st["rejected"])}
                       for s, st in self.stage_stats.items()},
        }
        if self.llm is not None:
            out["llm_calls"] = dict(self.llm.calls)
            out["patterns"] = list(self.llm.patterns)
        return out

    def start(self, context: SearchContext) -> None:
        if context.llm is None:
            context.log_event_once("note", "seki:no-llm", {"message": NO_LLM_NOTE})
            return
        self.llm = SekiLlm(context.llm, self.designs, self.max_patterns)
        context.log_event_once("note", "seki:llm", {"message": (
            f"seki: self-evolution and knowledge inspiration by {self.llm.label}"
            + ("; a step whose proposals are all rejected uses the operator"
               if self.llm_fallback else ""))})

    # --- proposals ---------------------------------------------------------------------
    def propose(self, context: SearchContext, count: int) -> list[Proposal]:
        self._pending = {}
        if self._started < self.init:
            return self._random(context, min(count, self.init - self._started))
        self._maybe_switch(context)
        self._steps += 1
        if self.stage == STAGES[0]:
            return self._evolve(context)
        return self._inspire(context, count)

    def _random(self, context: SearchContext, count: int) -> list[Proposal]:
        out = []
        for arch in context.fresh_samples(count, "seki:init"):
            self._pending[arch.arch_id] = ("init", "random")
            out.append(Proposal(arch, "random"))
        return out

    def _maybe_switch(self, context: SearchContext) -> None:
        if self.stage != STAGES[0]:
            return
        reason = None
        if self.switch == "budget" and \
                context.evaluations >= round(self.budget_share * context.budget):
            reason = f"budget share {self.budget_share:g} reached"
        elif self.switch == "stagnation" and self.stagnant >= self.stagnation:
            reason = f"{self.stagnant} refinements in a row did not join the front"
        if reason is None:
            return
        self.stage = STAGES[1]
        self.switched = {"at_evaluation": context.evaluations, "reason": reason,
                         "rule": self.switch}
        context.log_event_once("note", "seki:switch", {
            "message": f"seki: knowledge inspiration from evaluation {context.evaluations} "
                       f"({reason})", **self.switched})

    def _check(self, context: SearchContext, arch: Any, parent: Architecture | None,
               pending: set[str]) -> tuple[Architecture | None, str | None]:
        parsed, kind, _ = feasibility(context.space, arch)
        if parsed is None:
            return None, kind
        if parent is not None and parsed == parent:
            return None, "unchanged"
        if kind != "ok":
            return None, kind
        key = context.key(parsed)
        if key in context.seen_keys or key in pending:
            return None, "duplicate"
        return parsed, None

    def _take(self, context: SearchContext, answer: StageAnswer, parent: Architecture | None,
              source: str, count: int) -> list[Proposal]:
        """The answer's architectures that pass the checks, as proposals; the rest counted."""
        for kind in answer.rejected:
            self._count(context, source, kind)
        out: list[Proposal] = []
        pending: set[str] = set()
        for index, arch in enumerate(answer.architectures):
            if len(out) >= count:
                break
            self.stage_stats[self.stage]["proposed"] += 1
            parsed, kind = self._check(context, arch, parent, pending)
            if parsed is None:
                self._count(context, source, kind or "duplicate")
                continue
            pending.add(context.key(parsed))
            note = answer.notes[index] if index < len(answer.notes) else ""
            out.append(self._proposal(parsed, source, note))
        return out

    def _proposal(self, arch: Architecture, source: str, note: str) -> Proposal:
        self._pending[arch.arch_id] = (self.stage, source)
        return Proposal(arch, f"seki-{_SHORT[self.stage]}-{source}", None, note)

    def _count(self, context: SearchContext, source: str, kind: str) -> None:
        context.rejections[f"{source}:{_SHORT[self.stage]}:{kind}"] += 1
        self.stage_stats[self.stage]["rejected"][f"{source}:{kind}"] += 1

    # --- stage 1: self-evolution -----------------------------------------------------------
    def _current(self, context: SearchContext) -> Evaluation | None:
        if self.current is not None and self.failures < self.patience:
            return self.current
        front = pareto_order(context, context.front()) or pareto_order(context, context.final())
        previous = self.current
        choices = [e for e in front if previous is None or e.arch != previous.arch] or front
        self.current = context.rng("seki:current").choice(choices) if choices else None
        self.failures = 0
        return self.current

    def _evolve(self, context: SearchContext) -> list[Proposal]:
        current = self._current(context)
        if current is None:
            return self._random(context, 1)
        if self.llm is not None:
            answer = self.llm.evolve(context, self._steps, current, list(self.history))
            taken = self._take(context, answer, current.arch, "llm", 1)
            if taken or not self.llm_fallback:
                return taken
        rng = context.rng("seki:evolve")
        for _ in range(self.attempts):
            child = context.space.mutate(current.arch, seed=rng, edits=self.edits)
            self.stage_stats[self.stage]["proposed"] += 1
            parsed, kind = self._check(context, child, current.arch, set())
            if parsed is not None:
                return [self._proposal(parsed, "mutation", "")]
            self._count(context, "mutation", kind or "duplicate")
        self.failures = self.patience  # nothing new near this one: refine another
        return []

    # --- stage 2: knowledge inspiration ----------------------------------------------------
    def _inspire(self, context: SearchContext, count: int) -> list[Proposal]:
        finals = context.final()
        repository = pareto_order(context, finals)[: self.top_k]
        if not repository:
            return self._random(context, count)
        if self.llm is not None:
            answer = self.llm.inspire(context, self._steps, repository)
            taken = self._take(context, answer, None, "llm", count)
            if taken or not self.llm_fallback:
                return taken
        return self._heuristic_designs(context, repository, finals, count)

    def _heuristic_designs(self, context: SearchContext, repository: list[Evaluation],
                           finals: list[Evaluation], count: int) -> list[Proposal]:
        space = context.space
        rng = context.rng("seki:inspire")
        top = {e.arch.arch_id for e in repository}
        elites = [e.arch for e in repository]
        heuristics = derive_heuristics(space, elites,
                                       [e.arch for e in finals if e.arch.arch_id not in top])
        weights = sampling_weights(space, heuristics)
        favoured = sorted({h.position for h in heuristics})
        out: list[Proposal] = []
        pending: set[str] = set()
        for _ in range(self.attempts * count):
            genes = list(space.genes(rng.choice(elites)))
            for _ in range(self.edits):
                position = rng.choice(favoured) if favoured and rng.random() < 0.7 \
                    else rng.randrange(len(genes))
                options = [o for o in range(len(weights[position])) if o != genes[position]]
                genes[position] = rng.choices(options,
                                              weights=[weights[position][o] for o in options])[0]
            self.stage_stats[self.stage]["proposed"] += 1
            parsed, kind = self._check(context, space.from_genes(genes), None, pending)
            if parsed is None:
                self._count(context, "heuristics", kind or "duplicate")
                continue
            pending.add(context.key(parsed))
            out.append(self._proposal(parsed, "heuristics", "; ".join(h.rule for h in
                                                                      heuristics[:3])))
            if len(out) >= count:
                break
        return out

    # --- feedback --------------------------------------------------------------------------
    def observe(self, context: SearchContext, evaluations: list[Evaluation]) -> None:
        from hwnas.llm import format_candidates

        front = set(context.archive.keys)
        for evaluation in evaluations:
            stage, source = self._pending.pop(evaluation.arch.arch_id, ("init", "random"))
            if stage == "init":
                self._started += 1
                continue
            joined = evaluation.arch.arch_id in front
            stats = self.stage_stats[stage]
            stats["evaluated"] += 1
            stats["joined_front"] += int(joined)
            if stage != STAGES[0]:
                continue
            self.stagnant = 0 if joined else self.stagnant + 1
            self.history.append(format_candidates([evaluation.candidate]).removeprefix("- ")
                                + ("; joined the front" if joined else "; dominated"))
            if joined:
                self.current, self.failures = evaluation, 0
            else:
                self.failures += 1
