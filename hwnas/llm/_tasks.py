"""The three asks the search makes of a model: propose, rewrite a band's knowledge, distil."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hwnas.core import Architecture, Candidate, InvalidArchitectureError
from hwnas.llm._client import LlmClient, LlmReply
from hwnas.llm._errors import LlmError
from hwnas.llm._prompts import load_prompt
from hwnas.llm._replies import Rejection
from hwnas.llm._schemas import (
    describe_space,
    distillation_schema,
    knowledge_schema,
    proposal_schema,
)
from hwnas.spaces import SearchSpace, create_space


@dataclass(frozen=True)
class Heuristic:
    """One short design rule with the evidence behind it (and, when distilled, its bands)."""

    rule: str
    evidence: str
    bands: tuple[int, ...] = ()


@dataclass(frozen=True)
class ProposedCandidate:
    """A valid, canonical architecture a model proposed, with its stated change and reason."""

    architecture: Architecture
    changed: str
    why: str


@dataclass(frozen=True)
class Proposal:
    """What one proposal call gave: only valid candidates, and every rejection with its reason."""

    candidates: tuple[ProposedCandidate, ...]
    rejections: tuple[Rejection, ...]
    reply: LlmReply


@dataclass(frozen=True)
class KnowledgeUpdate:
    """New heuristics, or none (and the rejection) when the reply was not valid."""

    heuristics: tuple[Heuristic, ...]
    reply: LlmReply

    @property
    def ok(self) -> bool:
        return self.reply.ok


def format_candidates(candidates: Iterable[Candidate | Architecture | str]) -> str:
    """One line per candidate: its architecture string and objectives with source and direction."""
    lines = []
    for item in candidates:
        if isinstance(item, Candidate):
            objectives = "; ".join(
                f"{o.name}={o.value:.4g}{(' ' + o.unit) if o.unit else ''} "
                f"({o.source}, {'lower' if o.minimize else 'higher'} is better)"
                for o in item.objectives.values()
            )
            suffix = f"  {objectives}" if objectives else ""
            lines.append(f"- {item.architecture.string}{suffix}")
        else:
            lines.append(f"- {item}")
    return "\n".join(lines) or "(none yet)"


def format_heuristics(heuristics: Iterable[Heuristic | str]) -> str:
    """Numbered heuristics with their evidence."""
    lines = []
    for number, item in enumerate(heuristics, start=1):
        if isinstance(item, Heuristic):
            bands = f" [bands {', '.join(map(str, item.bands))}]" if item.bands else ""
            lines.append(f"{number}. {item.rule} (evidence: {item.evidence}){bands}")
        else:
            lines.append(f"{number}. {item}")
    return "\n".join(lines) or "(none yet)"


def propose_candidates(
    client: LlmClient,
    space: SearchSpace | str,
    *,
    band: int,
    elites: Sequence[Candidate | Architecture | str],
    knowledge: Sequence[Heuristic | str] = (),
    count: int = 4,
    band_description: str = "",
    seed: int | None = None,
    exclude: Iterable[Architecture | str] | None = None,
    template_version: int | None = None,
) -> Proposal:
    """Ask for `count` new architectures for a band; return only those that pass every check.

    Each proposed string is parsed by the space's grammar and canonicalised; strings that fail,
    repeat within the reply, or are already known (elites and `exclude`, compared by
    isomorphism class) become rejections, counted on the client.
    """
    space = create_space(space)
    if count < 1:
        raise LlmError(f"count must be 1 or more, got {count}")
    template = load_prompt("propose", template_version)
    messages = template.render(
        space=space.name,
        space_description=describe_space(space),
        band=band,
        band_description=band_description or "(no description)",
        knowledge=format_heuristics(knowledge),
        elites=format_candidates(elites),
        count=count,
    )
    reply = client.complete_json(
        messages, proposal_schema(space, count), template=template.id, seed=seed,
        validation_schema=proposal_schema(space, count, with_pattern=False),
    )
    if not reply.ok:
        return Proposal((), (reply.rejection,) if reply.rejection else (), reply)
    known: set[str] = set()
    for item in list(elites) + list(exclude or ()):
        arch = item.architecture if isinstance(item, Candidate) else item
        try:
            known.add(space.isomorphism_key(arch))
        except InvalidArchitectureError:
            continue
    accepted: list[ProposedCandidate] = []
    rejections: list[Rejection] = []
    seen: set[str] = set()
    for entry in reply.require()["candidates"]:
        string = entry["architecture"]
        try:
            architecture = space.parse(string)
        except InvalidArchitectureError as error:
            rejections.append(Rejection("architecture", str(error), string))
            continue
        key = space.isomorphism_key(architecture)
        if key in seen:
            rejections.append(Rejection("duplicate", "proposed twice in one reply", string))
            continue
        seen.add(key)
        if key in known:
            rejections.append(Rejection("known", "same network as an elite or a known one", string))
            continue
        accepted.append(ProposedCandidate(architecture, entry["changed"], entry["why"]))
    for rejection in rejections:
        client.count_rejection(rejection.kind)
    return Proposal(tuple(accepted), tuple(rejections), reply)


def rewrite_knowledge(
    client: LlmClient,
    space: SearchSpace | str,
    *,
    band: int,
    evaluated: Sequence[Candidate | Architecture | str],
    heuristics: Sequence[Heuristic | str] = (),
    max_heuristics: int = 6,
    band_description: str = "",
    seed: int | None = None,
    template_version: int | None = None,
) -> KnowledgeUpdate:
    """Rewrite one band's heuristics from its evaluated candidates (old ones kept if rejected)."""
    space = create_space(space)
    template = load_prompt("kb_rewrite", template_version)
    messages = template.render(
        space=space.name,
        space_description=describe_space(space),
        band=band,
        band_description=band_description or "(no description)",
        evaluated=format_candidates(evaluated),
        heuristics=format_heuristics(heuristics),
        max_heuristics=max_heuristics,
    )
    reply = client.complete_json(
        messages, knowledge_schema(max_heuristics), template=template.id, seed=seed
    )
    return KnowledgeUpdate(_heuristics(reply), reply)


def distill_knowledge(
    client: LlmClient,
    space: SearchSpace | str,
    *,
    band_knowledge: Mapping[int, Sequence[Heuristic | str]],
    max_heuristics: int = 6,
    seed: int | None = None,
    template_version: int | None = None,
) -> KnowledgeUpdate:
    """Distil heuristics that hold across latency bands; bands the model invents are dropped."""
    space = create_space(space)
    template = load_prompt("distill", template_version)
    text = "\n\n".join(
        f"Band {band}:\n{format_heuristics(items)}"
        for band, items in sorted(band_knowledge.items())
    )
    messages = template.render(
        space=space.name,
        space_description=describe_space(space),
        band_knowledge=text or "(none yet)",
        max_heuristics=max_heuristics,
    )
    valid_bands = {int(b) for b in band_knowledge}

    def check(data: dict[str, Any]) -> Rejection | None:
        for item in data["heuristics"]:
            unknown = sorted(set(item["bands"]) - valid_bands)
            if unknown:
                return Rejection(
                    "schema", f"heuristic names band(s) {unknown} that do not exist",
                    item["rule"],
                )
        return None

    reply = client.complete_json(
        messages, distillation_schema(max_heuristics), template=template.id, seed=seed, check=check
    )
    return KnowledgeUpdate(_heuristics(reply), reply)


def _heuristics(reply: LlmReply) -> tuple[Heuristic, ...]:
    if not reply.ok or reply.data is None:
        return ()
    return tuple(
        Heuristic(item["rule"], item["evidence"], tuple(item.get("bands", ())))
        for item in reply.data["heuristics"]
    )
