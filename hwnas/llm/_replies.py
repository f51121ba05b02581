"""Turning reply text into validated JSON: a strict parser and the schema check."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hwnas.llm._errors import LlmError

REJECTION_KINDS: tuple[str, ...] = (
    "empty", "not_json", "truncated", "schema", "architecture", "duplicate", "known",
)
_FENCE = re.compile(r"^```[A-Za-z]*\s*\n?(.*?)\n?```$", re.DOTALL)
_MAX_REASON = 300
MAX_REPLY_CHARS = 100_000  # far above any useful reply; bounds parsing time and memory
MAX_JSON_DEPTH = 32  # replies are shallow objects; deeper nesting is garbage or an attack


@dataclass(frozen=True)
class Rejection:
    """Why a reply, or one item of it, was not used: a kind from REJECTION_KINDS and a reason."""

    kind: str
    reason: str
    value: str = ""

    def __str__(self) -> str:
        return f"{self.kind}: {self.reason}"


class ReplyRejected(Exception):
    """Internal: carries a Rejection out of the parsing steps."""

    def __init__(self, rejection: Rejection) -> None:
        super().__init__(str(rejection))
        self.rejection = rejection


def _short(text: str, limit: int = 60) -> str:
    text = text.replace("\n", "\\n")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def parse_json_reply(text: str | None, finish_reason: str | None = None) -> dict[str, Any]:
    """The one JSON object in a reply, or ReplyRejected.

    Accepted: the object alone, the object inside one ``` fence, or prose around exactly one
    top-level object. Anything else (no object, two objects, cut-off JSON) is rejected.
    """
    if text is None or not text.strip():
        raise ReplyRejected(Rejection("empty", "the reply holds no text"))
    if len(text) > MAX_REPLY_CHARS:
        raise ReplyRejected(Rejection(
            "not_json", f"the reply is {len(text):,} characters, over the {MAX_REPLY_CHARS:,} "
            "accepted; lower max_tokens", _short(text)))
    stripped = text.strip()
    fenced = _FENCE.match(stripped)
    if fenced:
        stripped = fenced.group(1).strip()
    try:
        try:
            value = json.loads(stripped)
        except json.JSONDecodeError as error:
            value = _single_object_in_prose(stripped, error, finish_reason)
    except RecursionError:
        raise ReplyRejected(Rejection(
            "not_json", "the reply's JSON is nested too deeply to parse", _short(stripped)
        )) from None
    if _too_deep(value):
        raise ReplyRejected(Rejection(
            "not_json", f"the reply's JSON nests lists and objects more than {MAX_JSON_DEPTH} "
            "levels deep", _short(stripped)))
    if not isinstance(value, dict):
        raise ReplyRejected(Rejection(
            "schema", f"the reply is JSON {type(value).__name__}, not an object", _short(stripped)
        ))
    return value


def _single_object_in_prose(
    text: str, first_error: json.JSONDecodeError, finish_reason: str | None
) -> Any:
    decoder = json.JSONDecoder()
    found: list[Any] = []
    position = text.find("{")
    truncated_at: int | None = None
    while position != -1:
        try:
            value, end = decoder.raw_decode(text, position)
        except json.JSONDecodeError as error:
            if error.pos >= len(text) - 1 or "Unterminated" in error.msg:
                truncated_at = error.pos
            position = text.find("{", position + 1)
            continue
        found.append(value)
        position = text.find("{", end)
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        raise ReplyRejected(Rejection(
            "not_json", f"the reply holds {len(found)} JSON objects; exactly one is accepted",
            _short(text),
        ))
    if finish_reason == "length" or truncated_at is not None or _looks_cut(text):
        hint = " (the model hit max_tokens: raise max_tokens)" if finish_reason == "length" else ""
        raise ReplyRejected(Rejection(
            "truncated", f"the reply's JSON is cut off at character {len(text)}{hint}",
            _short(text[-60:]),
        ))
    raise ReplyRejected(Rejection(
        "not_json", f"the reply is not JSON ({first_error.msg} at character {first_error.pos})",
        _short(text),
    ))


def _too_deep(value: Any) -> bool:
    """Whether lists and objects nest over MAX_JSON_DEPTH levels (checked without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            if level > MAX_JSON_DEPTH:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, level + 1) for child in children)
    return False


def _looks_cut(text: str) -> bool:
    return text.count("{") > text.count("}") or text.count("[") > text.count("]")


def check_schema(schema: Mapping[str, Any]) -> None:
    """Raise LlmError when `schema` is not a valid JSON schema (a programming error)."""
    import jsonschema

    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as error:
        raise LlmError(f"invalid JSON schema for an LLM reply: {error.message}") from None


def validate_against_schema(value: Any, schema: Mapping[str, Any]) -> None:
    """Raise ReplyRejected (kind `schema`) naming the first place `value` breaks `schema`."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(value))
    if error is None:
        return
    where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
    message = error.message
    if len(message) > _MAX_REASON:
        message = message[: _MAX_REASON - 3] + "..."
    raise ReplyRejected(Rejection("schema", f"at {where}: {message}"))
