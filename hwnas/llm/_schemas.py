"""JSON schemas of the replies the search asks for, and how a space is shown to a model."""

from __future__ import annotations

import re
from typing import Any

from hwnas.spaces import SearchSpace, create_space

# No control characters, quotes or brackets: llama.cpp's schema-to-grammar conversion lets
# raw newlines into free-text strings unless a pattern forbids them (FINDINGS.md).
TEXT_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9 ,.;:()/_+|~=<>%-]{0,199}$"
_TEXT = {"type": "string", "pattern": TEXT_PATTERN}


def architecture_pattern(space: SearchSpace | str) -> str | None:
    """A regex every architecture string of `space` matches, when one is known.

    A space may declare `string_pattern`; NAS-Bench-201's is built from its operations.
    The grammar check (`space.parse`) runs on every reply regardless.
    """
    space = create_space(space)
    declared = getattr(space, "string_pattern", None)
    if isinstance(declared, str):
        return declared
    if space.name == "nb201":
        ops = "(" + "|".join(re.escape(op) for op in space.gene_choices[0]) + ")"
        node = lambda n: r"\|" + "".join(f"{ops}~{i}" + r"\|" for i in range(n))  # noqa: E731
        return "^" + node(1) + r"\+" + node(2) + r"\+" + node(3) + "$"
    return None


def describe_space(space: SearchSpace | str) -> str:
    """A few sentences that teach a model the architecture grammar of `space`."""
    space = create_space(space)
    if space.name == "nb201":
        ops = ", ".join(space.gene_choices[0])
        example = space.sample(1, seed=0)[0].string
        return (
            "NAS-Bench-201 cell: 4 nodes; node 0 is the cell input, node 3 its output. Each of "
            "the 6 edges j<-i carries one operation from: " + ops + ". The string lists node 1 "
            "(edge 1<-0), then node 2 (edges 2<-0, 2<-1), then node 3 (edges 3<-0, 3<-1, 3<-2), "
            "as |op~i| tokens with nodes joined by +. Example: " + example + ". none removes "
            "an edge; a cell whose output is cut off from the input is useless."
        )
    choices = "; ".join(
        f"gene {i}: {', '.join(options)}" for i, options in enumerate(space.gene_choices)
    )
    example = space.sample(1, seed=0)[0].string
    return f"{space.name}: {len(space.gene_choices)} genes ({choices}). Example: {example}."


def proposal_schema(
    space: SearchSpace | str, count: int, with_pattern: bool = True
) -> dict[str, Any]:
    """Reply schema of the proposal prompt: `count` candidates, each changed / why / architecture.

    With `with_pattern` the architecture field carries the space's regex, so constrained
    decoding can only write grammatical strings; without it, each string is left to the
    caller's item-by-item grammar check (one bad candidate then rejects only itself).
    """
    architecture: dict[str, Any] = {"type": "string", "minLength": 1, "maxLength": 400}
    pattern = architecture_pattern(space) if with_pattern else None
    if pattern is not None:
        architecture["pattern"] = pattern
    return _list_reply(
        "candidates", count, {"changed": _TEXT, "why": _TEXT, "architecture": architecture}
    )


def knowledge_schema(max_heuristics: int) -> dict[str, Any]:
    """Reply schema of the knowledge-base rewrite: short heuristics, each with its evidence."""
    return _list_reply("heuristics", max_heuristics, {"rule": _TEXT, "evidence": _TEXT})


def distillation_schema(max_heuristics: int) -> dict[str, Any]:
    """Reply schema of the cross-band distillation: heuristics with the bands that support them."""
    bands = {
        "type": "array",
        "minItems": 1,
        "maxItems": 32,
        "items": {"type": "integer", "minimum": 0, "maximum": 1000},
    }
    return _list_reply(
        "heuristics", max_heuristics, {"rule": _TEXT, "evidence": _TEXT, "bands": bands}
    )


def _list_reply(key: str, max_items: int, fields: dict[str, Any]) -> dict[str, Any]:
    """`{key: [1..max_items objects with exactly these required fields]}`."""
    return {
        "type": "object",
        "properties": {
            key: {
                "type": "array",
                "minItems": 1,
                "maxItems": max_items,
                "items": {
                    "type": "object",
                    "properties": fields,
                    "required": list(fields),
                    "additionalProperties": False,
                },
            }
        },
        "required": [key],
        "additionalProperties": False,
    }
