"""The asks of the `spark` and `seki` searches: route a factor, refine it into a directive,
rewrite in scope (SPARK); refine an architecture, then design from a repository's patterns
(SEKI). Each is a versioned prompt template with a JSON reply schema; reasoning fields come
before the architecture in every schema, so a model writes its analysis first.

Scope, feasibility and novelty against the run are the search's checks (they need the run);
this layer checks the schema and each architecture string's grammar.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hwnas.core import Architecture, Candidate, InvalidArchitectureError
from hwnas.llm._client import LlmClient, LlmReply
from hwnas.llm._errors import LlmError
from hwnas.llm._prompts import load_prompt
from hwnas.llm._replies import Rejection
from hwnas.llm._schemas import TEXT_PATTERN, describe_space
from hwnas.llm._tasks import format_candidates
from hwnas.spaces import SearchSpace, create_space

_TEXT = {"type": "string", "pattern": TEXT_PATTERN}


# --- schemas --------------------------------------------------------------------------
def _architecture_field(space: SearchSpace, with_pattern: bool) -> dict[str, Any]:
    field: dict[str, Any] = {"type": "string", "minLength": 1, "maxLength": 400}
    if with_pattern and space.string_pattern is not None:
        field["pattern"] = space.string_pattern
    return field


def _object(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": dict(fields), "required": list(fields),
            "additionalProperties": False}


def route_schema(factors: Sequence[str]) -> dict[str, Any]:
    """SPARK's router reply: a short analysis, then one factor name from `factors`."""
    return _object({"analysis": _TEXT, "factor": {"type": "string", "enum": list(factors)}})


def directive_schema() -> dict[str, Any]:
    """SPARK's refinement reply: one factor-local directive."""
    return _object({"directive": _TEXT})


def scoped_rewrite_schema(space: SearchSpace | str, with_pattern: bool = True) -> dict[str, Any]:
    """SPARK's rewrite reply: the changed part(s), then the whole new architecture."""
    return _object({"changed": _TEXT,
                    "architecture": _architecture_field(create_space(space), with_pattern)})


def refinement_schema(space: SearchSpace | str, with_pattern: bool = True) -> dict[str, Any]:
    """SEKI's self-evolution reply: analysis and strategy (reasoning), then the architecture."""
    return _object({"analysis": _TEXT, "strategy": _TEXT,
                    "architecture": _architecture_field(create_space(space), with_pattern)})


def inspiration_schema(space: SearchSpace | str, count: int, max_patterns: int = 4,
                       with_pattern: bool = True) -> dict[str, Any]:
    """SEKI's knowledge-inspiration reply: common patterns, then `count` designs."""
    design = _object({"inspired_by": _TEXT,
                      "architecture": _architecture_field(create_space(space), with_pattern)})
    return _object({
        "patterns": {"type": "array", "minItems": 1, "maxItems": max_patterns, "items": _TEXT},
        "candidates": {"type": "array", "minItems": 1, "maxItems": count, "items": design},
    })


# --- replies --------------------------------------------------------------------------
@dataclass(frozen=True)
class FactorChoice:
    """The router's factor (None when the reply was rejected) and its analysis."""

    factor: str | None
    analysis: str
    reply: LlmReply


@dataclass(frozen=True)
class Directive:
    """The refinement call's directive (None when the reply was rejected)."""

    text: str | None
    reply: LlmReply


@dataclass(frozen=True)
class ArchitectureReply:
    """One architecture a model wrote (None when rejected), with its reasoning fields."""

    architecture: Architecture | None
    rejection: Rejection | None
    reply: LlmReply
    fields: Mapping[str, str]  # changed / analysis / strategy: what the model wrote


@dataclass(frozen=True)
class InspiredDesign:
    architecture: Architecture
    inspired_by: str


@dataclass(frozen=True)
class Inspiration:
    """Patterns and the valid, new designs of one knowledge-inspiration call."""

    patterns: tuple[str, ...]
    designs: tuple[InspiredDesign, ...]
    rejections: tuple[Rejection, ...]
    reply: LlmReply


def format_factors(factors: Mapping[str, str]) -> str:
    return "\n".join(f"- {name}: {text}" for name, text in factors.items())


def format_moves(space: SearchSpace, arch: Architecture, factor: str) -> str:
    """Per part the factor may change in `arch`: its current option and the allowed ones."""
    names, genes = space.gene_names(), space.genes(arch)
    lines = []
    for position, options in space.factor_moves(arch, factor).items():
        choices = space.gene_choices[position]
        lines.append(f"- {names[position]} (now {choices[genes[position]]}): "
                     + ", ".join(choices[o] for o in options))
    return "\n".join(lines) or "(nothing: this factor cannot change in this architecture)"


def _lines(items: Iterable[str]) -> str:
    return "\n".join(f"- {item}" for item in items) or "(none yet)"


def _architecture(space: SearchSpace, client: LlmClient, reply: LlmReply,
                  fields: Sequence[str]) -> ArchitectureReply:
    if not reply.ok or reply.data is None:
        return ArchitectureReply(None, reply.rejection, reply, {})
    data = reply.require()
    text = {k: str(data[k]) for k in fields}
    try:
        return ArchitectureReply(space.parse(data["architecture"]), None, reply, text)
    except InvalidArchitectureError as error:
        rejection = Rejection("architecture", str(error), str(data["architecture"]))
        client.count_rejection(rejection.kind)
        return ArchitectureReply(None, rejection, reply, text)


# --- SPARK ----------------------------------------------------------------------------
def route_factor(client: LlmClient, space: SearchSpace | str, *, parent: Candidate,
                 history: Sequence[str] = (), seed: int | None = None,
                 template_version: int | None = None) -> FactorChoice:
    """SPARK's router: which of the space's factors the next edit of `parent` changes."""
    space = create_space(space)
    factors = space.factors()
    template = load_prompt("spark_route", template_version)
    messages = template.render(space=space.name, space_description=describe_space(space),
                               factors=format_factors(factors),
                               parent=format_candidates([parent]), history=_lines(history))
    reply = client.complete_json(messages, route_schema(list(factors)), template=template.id,
                                 seed=seed)
    if not reply.ok or reply.data is None:
        return FactorChoice(None, "", reply)
    data = reply.require()
    return FactorChoice(str(data["factor"]), str(data["analysis"]), reply)


def refine_directive(client: LlmClient, space: SearchSpace | str, *, parent: Candidate,
                     factor: str, seed: int | None = None,
                     template_version: int | None = None) -> Directive:
    """SPARK's refinement: one directive local to `factor`."""
    space = create_space(space)
    template = load_prompt("spark_refine", template_version)
    messages = template.render(
        space=space.name, space_description=describe_space(space), factor=factor,
        factor_description=_factor_text(space, factor), parent=format_candidates([parent]),
        moves=format_moves(space, parent.architecture, factor))
    reply = client.complete_json(messages, directive_schema(), template=template.id, seed=seed)
    if not reply.ok or reply.data is None:
        return Directive(None, reply)
    return Directive(str(reply.require()["directive"]), reply)


def rewrite_in_scope(client: LlmClient, space: SearchSpace | str, *, parent: Candidate,
                     factor: str, directive: str, seed: int | None = None,
                     template_version: int | None = None) -> ArchitectureReply:
    """SPARK's scoped rewrite: the whole new architecture (its scope is checked by the caller)."""
    space = create_space(space)
    template = load_prompt("spark_rewrite", template_version)
    messages = template.render(
        space=space.name, space_description=describe_space(space), factor=factor,
        factor_description=_factor_text(space, factor), parent=format_candidates([parent]),
        moves=format_moves(space, parent.architecture, factor), directive=directive)
    reply = client.complete_json(
        messages, scoped_rewrite_schema(space), template=template.id, seed=seed,
        validation_schema=scoped_rewrite_schema(space, with_pattern=False))
    return _architecture(space, client, reply, ("changed",))


def _factor_text(space: SearchSpace, factor: str) -> str:
    factors = space.factors()
    if factor not in factors:
        raise LlmError(f"{space.name} has no factor {factor!r}; factors: {', '.join(factors)}")
    return factors[factor]


# --- SEKI -----------------------------------------------------------------------------
def evolve_architecture(client: LlmClient, space: SearchSpace | str, *, current: Candidate,
                        history: Sequence[str] = (), seed: int | None = None,
                        template_version: int | None = None) -> ArchitectureReply:
    """SEKI's self-evolution: analysis, strategy, then the refined architecture."""
    space = create_space(space)
    template = load_prompt("seki_evolve", template_version)
    messages = template.render(space=space.name, space_description=describe_space(space),
                               current=format_candidates([current]), history=_lines(history))
    reply = client.complete_json(
        messages, refinement_schema(space), template=template.id, seed=seed,
        validation_schema=refinement_schema(space, with_pattern=False))
    return _architecture(space, client, reply, ("analysis", "strategy"))


def inspire_designs(client: LlmClient, space: SearchSpace | str, *,
                    repository: Sequence[Candidate], count: int = 4, max_patterns: int = 4,
                    seed: int | None = None,
                    template_version: int | None = None) -> Inspiration:
    """SEKI's knowledge inspiration: the repository's common patterns, then new designs.

    Designs that break the grammar, repeat within the reply or copy a repository member
    (by isomorphism class) are rejected one by one and counted on the client."""
    space = create_space(space)
    if count < 1:
        raise LlmError(f"count must be 1 or more, got {count}")
    template = load_prompt("seki_inspire", template_version)
    messages = template.render(space=space.name, space_description=describe_space(space),
                               repository=format_candidates(repository), count=count,
                               max_patterns=max_patterns)
    reply = client.complete_json(
        messages, inspiration_schema(space, count, max_patterns), template=template.id,
        seed=seed, validation_schema=inspiration_schema(space, count, max_patterns, False))
    if not reply.ok or reply.data is None:
        return Inspiration((), (), (reply.rejection,) if reply.rejection else (), reply)
    data = reply.require()
    known = {space.isomorphism_key(c.architecture) for c in repository}
    designs: list[InspiredDesign] = []
    rejections: list[Rejection] = []
    seen: set[str] = set()
    for entry in data["candidates"]:
        string = entry["architecture"]
        try:
            arch = space.parse(string)
        except InvalidArchitectureError as error:
            rejections.append(Rejection("architecture", str(error), string))
            continue
        key = space.isomorphism_key(arch)
        if key in seen:
            rejections.append(Rejection("duplicate", "proposed twice in one reply", string))
            continue
        seen.add(key)
        if key in known:
            rejections.append(Rejection("known", "same network as a repository member", string))
            continue
        designs.append(InspiredDesign(arch, str(entry["inspired_by"])))
    for rejection in rejections:
        client.count_rejection(rejection.kind)
    return Inspiration(tuple(str(p) for p in data["patterns"]), tuple(designs),
                       tuple(rejections), reply)
