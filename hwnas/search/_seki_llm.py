"""The LLM side of `seki`: one self-evolution call (analysis, strategy, then the refined
architecture) and one knowledge-inspiration call (patterns of the top-k repository, then
new designs). Seeds come from the run seed and the step, so a resumed run replays them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hwnas.search._context import SearchContext
from hwnas.search._ranking import call_seed
from hwnas.search._records import Evaluation

REPLY_KINDS = {"architecture": "grammar", "known": "duplicate"}


@dataclass(frozen=True)
class StageAnswer:
    """Architectures a stage call gave (unchecked against the run), the rejections the LLM
    layer found (search kinds), and the model's reasoning text."""

    architectures: tuple[Any, ...] = ()
    rejected: tuple[str, ...] = ()
    reasoning: str = ""
    notes: tuple[str, ...] = field(default=())


class SekiLlm:
    """The two asks of SEKI against the run's LLM (`SearchLlm`)."""

    def __init__(self, llm: Any, designs: int, max_patterns: int) -> None:
        self.llm = llm
        self.designs = int(designs)
        self.max_patterns = int(max_patterns)
        self.calls = {"evolve": 0, "inspire": 0}
        self.patterns: list[str] = []

    @property
    def label(self) -> str:
        return str(self.llm.model_label)

    def evolve(self, context: SearchContext, step: int, current: Evaluation,
               history: list[str]) -> StageAnswer:
        from hwnas.llm import LlmError, evolve_architecture

        self.calls["evolve"] += 1
        try:
            answer = evolve_architecture(self.llm.client, context.space,
                                         current=current.candidate, history=history,
                                         seed=call_seed(context, "seki", step, "evolve"))
        except LlmError as error:
            context.log_event_once("llm-error", f"seki:llm-error:{step}:evolve",
                                   {"error": str(error)})
            return StageAnswer(rejected=("error",))
        reasoning = "; ".join(f"{k}: {v}" for k, v in answer.fields.items())
        if answer.architecture is None:
            kind = answer.rejection.kind if answer.rejection else "schema"
            return StageAnswer(rejected=(REPLY_KINDS.get(kind, kind),), reasoning=reasoning)
        return StageAnswer((answer.architecture,), reasoning=reasoning,
                           notes=(f"strategy: {answer.fields.get('strategy', '')}",))

    def inspire(self, context: SearchContext, step: int,
                repository: list[Evaluation]) -> StageAnswer:
        from hwnas.llm import LlmError, inspire_designs

        self.calls["inspire"] += 1
        try:
            answer = inspire_designs(self.llm.client, context.space,
                                     repository=[e.candidate for e in repository],
                                     count=self.designs, max_patterns=self.max_patterns,
                                     seed=call_seed(context, "seki", step, "inspire"))
        except LlmError as error:
            context.log_event_once("llm-error", f"seki:llm-error:{step}:inspire",
                                   {"error": str(error)})
            return StageAnswer(rejected=("error",))
        if answer.patterns:
            self.patterns = list(answer.patterns)
        rejected = tuple(REPLY_KINDS.get(r.kind, r.kind) for r in answer.rejections)
        return StageAnswer(tuple(d.architecture for d in answer.designs), rejected,
                           "; ".join(answer.patterns),
                           tuple(f"inspired by: {d.inspired_by}" for d in answer.designs))
