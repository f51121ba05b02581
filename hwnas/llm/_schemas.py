"""JSON schemas of the replies the search asks for, and how a space is shown to a model."""

from __future__ import annotations

from typing import Any

from hwnas.spaces import SearchSpace, create_space

# No control characters, quotes or brackets: llama.cpp's schema-to-grammar conversion lets
# raw newlines into free-text strings unless a pattern forbids them (FINDINGS.md).
TEXT_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9 ,.;:()/_+|~=<>%-]{0,199}$"
_TEXT = {"type": "string", "pattern": TEXT_PATTERN}


def architecture_pattern(space: SearchSpace | str) -> str | None:
    """A regex every architecture string of `space` matches, when the space declares one
    (`SearchSpace.string_pattern`). The grammar check (`space.parse`) runs on every reply
    regardless."""
    return create_space(space).string_pattern


def describe_space(space: SearchSpace | str) -> str:
    """A few sentences that teach a model the architecture grammar of `space`
    (`SearchSpace.describe`)."""
    return create_space(space).describe()


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
