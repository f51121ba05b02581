"""The capability probe: which structured-output mode an endpoint honours, found once per
(base URL, model) and process with one tiny call per mode."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hwnas.llm._errors import LlmHttpError
from hwnas.llm._replies import ReplyRejected, parse_json_reply, validate_against_schema
from hwnas.llm._transport import unpack_completion

MODES = ("json_schema", "json_object", "text")  # best first
PROBE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"status": {"type": "string", "enum": ["ok"]}},
    "required": ["status"],
    "additionalProperties": False,
}
PROBE_MESSAGES = (
    {"role": "system", "content": "Reply with one JSON object and nothing else."},
    {"role": "user", "content": 'Reply with exactly this JSON object: {"status": "ok"}'},
)
PROBE_PARAMS: Mapping[str, Any] = {"temperature": 0.0, "max_tokens": 24, "seed": 0}

# request(messages, schema, name, mode, params) -> (response, seconds); raises LlmHttpError
ProbeRequest = Callable[
    [Sequence[Mapping[str, str]], Mapping[str, Any], str, str, Mapping[str, Any]],
    tuple[Any, float],
]

_PROBES: dict[tuple[str, str], EndpointProbe] = {}
_PROBES_LOCK = threading.Lock()


@dataclass(frozen=True)
class EndpointProbe:
    """What an endpoint supports, found once per (base URL, model) and process."""

    base_url: str
    model: str
    mode: str  # json_schema, json_object or text
    latency_s: float  # of the one small call that succeeded in `mode`
    prompt_tokens: int
    completion_tokens: int
    tried: Mapping[str, str] = field(default_factory=dict)  # mode -> "ok" or why not


def probe_endpoint(
    base_url: str, model: str, request: ProbeRequest, refresh: bool = False
) -> EndpointProbe:
    """Find the best structured-output mode the endpoint honours (cached per process).

    Tries response_format json_schema, then json_object with a schema (llama.cpp's
    server), then plain text; each with one tiny call whose reply must validate.
    """
    cache_key = (base_url, model)
    with _PROBES_LOCK:
        if not refresh and cache_key in _PROBES:
            return _PROBES[cache_key]
    tried: dict[str, str] = {}
    for mode in MODES:
        try:
            response, latency_s = request(
                PROBE_MESSAGES, PROBE_SCHEMA, "probe", mode, PROBE_PARAMS
            )
        except LlmHttpError as error:
            if error.status_code in (401, 403):
                raise  # no request form fixes a refused key
            tried[mode] = str(error)
            continue
        text, finish_reason, prompt_tokens, completion_tokens = unpack_completion(response)
        try:
            validate_against_schema(parse_json_reply(text, finish_reason), PROBE_SCHEMA)
        except ReplyRejected as rejected:
            tried[mode] = f"reply rejected ({rejected.rejection})"
            if mode != "text":
                continue
        else:
            tried[mode] = "ok"
        found = EndpointProbe(
            base_url, model, mode, latency_s, prompt_tokens, completion_tokens, tried
        )
        with _PROBES_LOCK:
            _PROBES[cache_key] = found
        return found
    raise LlmHttpError(
        f"endpoint {base_url} refused every request form "
        f"({'; '.join(f'{k}: {v}' for k, v in tried.items())}); check the model name"
    )


def clear_probe_cache() -> None:
    """Forget every endpoint probe (the next call probes again)."""
    with _PROBES_LOCK:
        _PROBES.clear()
