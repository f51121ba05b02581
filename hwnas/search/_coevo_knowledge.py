"""The knowledge side of `coevo`: band knowledge bases, LLM proposals, cross-band distillation.

Each band's knowledge base is rewritten from its evaluated candidates every round: from
data always (which (edge, op) choices the band's elites favour; these steer a sampling
operator) and by the LLM when one is configured (heuristics with evidence). The LLM
also proposes mutations and crossovers of a band's elites, each naming the changed part
and why; a proposal whose diff from every elite touches parts its `changed` field does not
name is rejected as `llm:scope` before it can reach the screen or the evaluator.
Distillation keeps the patterns that hold in two or more bands (the LLM's distillation of
the band knowledge when configured). Every LLM call has a seed derived
from the run seed, the round, the step and the band, so a resumed run replays it.
"""

from __future__ import annotations

import zlib
from typing import Any

from hwnas.search._context import SearchContext
from hwnas.search._knowledge import DataHeuristic, derive_heuristics, edge_name, knowledge_record
from hwnas.search._records import Evaluation
from hwnas.search._scope import claim_violation
from hwnas.search._strategy import Proposal

_REJECTION_KINDS = {"architecture": "grammar", "duplicate": "duplicate", "known": "duplicate"}


class CoevoKnowledge:
    """Knowledge bases per band (data and LLM), the LLM's proposals and distilled rules."""

    def __init__(self, llm_proposals: int = 4) -> None:
        self.llm: Any = None  # the run's SearchLlm, set when the search starts
        self.llm_proposals = int(llm_proposals)
        self.heuristics: dict[int, list[Any]] = {}
        self.data_heuristics: dict[int, list[DataHeuristic]] = {}
        self.distilled: list[Any] = []
        self.stats = {"proposed": 0, "accepted_into_pool": 0, "selected": 0}

    def rewrite_band(self, context: SearchContext, band: int, round_index: int,
                     evaluations: list[Evaluation], elites: list[Evaluation]) -> None:
        """Rewrite band `band`'s knowledge base from its evaluations and store it once."""
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
                    band_description=band_description(context, band),
                    seed=call_seed(context, round_index, "kb", band),
                )
                if update.ok and update.heuristics:
                    heuristics, source = list(update.heuristics), f"llm:{self.llm.model_label}"
                else:
                    extra["llm_rejected"] = str(update.reply.rejection)
            except LlmError as error:
                context.rejections["llm:error"] += 1
                extra["llm_error"] = str(error)
        self.heuristics[band] = heuristics
        context.add_knowledge_once(band, round_index, knowledge_record(
            band, round_index, source, heuristics, [e.arch.string for e in elites],
            data_heuristics=[{"rule": h.rule, "evidence": h.evidence} for h in data], **extra))

    def llm_pool(self, context: SearchContext, band: int | None, elites: list[Evaluation],
                 round_index: int) -> list[Proposal]:
        """The LLM's proposals for `band` (None: any band) that are new and stay in the band."""
        if self.llm is None or not elites:
            return []
        from hwnas.llm import LlmError, propose_candidates

        knowledge = self.heuristics.get(band, []) if band is not None else self.distilled
        try:
            answer = propose_candidates(
                self.llm.client, context.space, band=-1 if band is None else band,
                elites=[e.candidate for e in elites], knowledge=_as_llm(knowledge),
                count=self.llm_proposals, band_description=band_description(context, band),
                seed=call_seed(context, round_index, "propose", band),
                exclude=[e.arch for e in context.evaluated],
            )
        except LlmError as error:
            context.rejections["llm:error"] += 1
            context.log_event_once("llm-error", f"llm-error:{round_index}:{band}",
                                   {"error": str(error)})
            return []
        self.stats["proposed"] += len(answer.candidates) + len(answer.rejections)
        for rejection in answer.rejections:
            reason = f"llm:{_REJECTION_KINDS.get(rejection.kind, rejection.kind)}"
            context.rejections[reason] += 1
            if band is not None:
                context.band_rejections[(band, reason)] += 1
        out = []
        parents = [e.arch for e in elites]
        for proposed in answer.candidates:
            proposal = Proposal(proposed.architecture, "llm", band,
                                f"{proposed.changed}; why: {proposed.why}")
            if claim_violation(context.space, parents, proposed.architecture,
                               proposed.changed) is not None:
                context.reject(proposal, "llm:scope")  # `changed` names other parts
            elif not context.is_new(proposed.architecture):
                context.reject(proposal, "llm:duplicate")
            elif band is not None and context.band_of(proposed.architecture) != band:
                context.reject(proposal, "llm:leaves-band")
            else:
                out.append(proposal)
        self.stats["accepted_into_pool"] += len(out)
        return out

    def distill(self, context: SearchContext, round_index: int) -> None:
        """Patterns that hold in two or more bands (data); the LLM's distillation when set."""
        rules: dict[tuple[int, int], list[int]] = {}
        for band, heuristics in self.data_heuristics.items():
            for h in heuristics:
                if h.lift > 0:
                    rules.setdefault((h.position, h.option), []).append(band)
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
                                           seed=call_seed(context, round_index, "distill", None))
                if update.ok and update.heuristics:
                    distilled, source = list(update.heuristics), f"llm:{self.llm.model_label}"
                else:
                    extra["llm_rejected"] = str(update.reply.rejection)
            except LlmError as error:
                context.rejections["llm:error"] += 1
                extra["llm_error"] = str(error)
        self.distilled = distilled
        context.add_knowledge_once(None, round_index, knowledge_record(
            None, round_index, source, distilled, [e.arch.string for e in context.front()],
            **extra))


def band_description(context: SearchContext, band: int | None) -> str:
    """The band's value range in words, for the LLM's prompt."""
    if band is None:
        return "any band: the whole latency range"
    edges = context.partition.edges
    low = edges[band - 1] if band > 0 else None
    high = edges[band] if band < len(edges) else None
    span = (f"{low:.4g} <= value" if low is not None else "value") + (
        f" < {high:.4g}" if high is not None else "")
    return f"band {band} of {context.bands}; {span}, value = {context.partition.description}"


def call_seed(context: SearchContext, round_index: int, what: str, band: int | None) -> int:
    """The seed of one LLM call: stable for a run seed, round, step and band."""
    return zlib.crc32(f"{context.config.seed}:{round_index}:{what}:{band}".encode()) % (2**31)


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
