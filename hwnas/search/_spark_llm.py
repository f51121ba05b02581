"""The LLM side of `spark`: router, refinement and scoped rewrite, each one call.

Every call has a seed from the run seed and the step, so a resumed run replays it from the
call log. A rejected router reply is retried (`router_retries`) with another seed; when
every try is rejected the caller falls back to its rule router. An endpoint failure
(`LlmError`) is counted as `llm:error` and answered like a rejected reply.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hwnas.search._context import SearchContext
from hwnas.search._ranking import call_seed
from hwnas.search._records import Evaluation

# the LLM layer's rejection kinds as the search counts them
REPLY_KINDS = {"architecture": "grammar", "known": "duplicate"}


@dataclass(frozen=True)
class Rewritten:
    """What the rewrite call gave: an architecture (or None and why), and the texts."""

    architecture: Any | None
    kind: str | None  # None when there is an architecture to check
    changed: str
    directive: str


class SparkLlm:
    """The three calls of one SPARK step, against the run's LLM (`SearchLlm`)."""

    def __init__(self, llm: Any, router_retries: int) -> None:
        self.llm = llm
        self.router_retries = int(router_retries)
        self.calls = {"route": 0, "refine": 0, "rewrite": 0}
        self.router_rejected = 0

    @property
    def label(self) -> str:
        return str(self.llm.model_label)

    def route(self, context: SearchContext, step: int, parent: Evaluation,
              history: list[str]) -> tuple[str | None, str]:
        """(factor, analysis): the router's factor, or None after every try was rejected
        (or named a factor the parent cannot change)."""
        from hwnas.llm import LlmError, route_factor

        for attempt in range(1 + self.router_retries):
            self.calls["route"] += 1
            try:
                choice = route_factor(self.llm.client, context.space, parent=parent.candidate,
                                      history=history,
                                      seed=call_seed(context, "spark", step, "route", attempt))
            except LlmError as error:
                context.rejections["llm:error"] += 1
                context.log_event_once("llm-error", f"spark:llm-error:{step}:route",
                                       {"error": str(error)})
                return None, ""
            if choice.factor is not None and context.space.factor_moves(parent.arch,
                                                                        choice.factor):
                return choice.factor, choice.analysis
            self.router_rejected += 1
        return None, ""

    def rewrite(self, context: SearchContext, step: int, parent: Evaluation,
                factor: str) -> Rewritten:
        """The refinement directive, then the scoped rewrite's architecture (unchecked)."""
        from hwnas.llm import LlmError, refine_directive, rewrite_in_scope

        client = self.llm.client
        try:
            self.calls["refine"] += 1
            directive = refine_directive(client, context.space, parent=parent.candidate,
                                         factor=factor,
                                         seed=call_seed(context, "spark", step, "refine"))
            text = directive.text or f"change the {factor} factor only"
            self.calls["rewrite"] += 1
            answer = rewrite_in_scope(client, context.space, parent=parent.candidate,
                                      factor=factor, directive=text,
                                      seed=call_seed(context, "spark", step, "rewrite"))
        except LlmError as error:
            context.log_event_once("llm-error", f"spark:llm-error:{step}:rewrite",
                                   {"error": str(error)})
            return Rewritten(None, "error", "", "")
        changed = answer.fields.get("changed", "")
        if answer.architecture is None:
            kind = answer.rejection.kind if answer.rejection else "schema"
            return Rewritten(None, REPLY_KINDS.get(kind, kind), changed, text)
        return Rewritten(answer.architecture, None, changed, text)
