"""The capability probe: which structured-output mode an endpoint honours, found once per
(base URL, model) and process with one tiny call per mode.

A form counts as refused only for a definite answer: a 4xx other than 401/403/429, or a
5xx that persists through the client's retries (llama.cpp's server answers json_schema
with HTTP 500) and again once the endpoint has answered a lesser form in the same probe.
Timeouts, lost connections, 429s and 5xx on every form are transient: the probe raises
and caches nothing, so the next call probes again."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
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

# request(messages, schema, name, mode, params, retry_server_errors) -> (response, seconds);
# retries 429/5xx/timeouts with the client's settings (5xx only when asked), then raises
ProbeRequest = Callable[
    [Sequence[Mapping[str, str]], Mapping[str, Any], str, str, Mapping[str, Any], bool],
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
    server), then plain text; each with one tiny call whose reply must validate. `request`
    retries with the client's settings; a result is cached only when it rests on answers,
    never on a failure that may pass (see the module docstring).
    """
    cache_key = (base_url, model)
    with _PROBES_LOCK:
        if not refresh and cache_key in _PROBES:
            return _PROBES[cache_key]
    tried: dict[str, str] = {}
    server_refused: list[str] = []  # forms that got a 5xx through every retry
    for mode in MODES:
        try:
            response, latency_s = request(
                PROBE_MESSAGES, PROBE_SCHEMA, "probe", mode, PROBE_PARAMS, True
            )
        except LlmHttpError as error:
            if not _refuses_the_form(error):
                raise  # a refused key, or rate limits through every retry: nothing to decide
            tried[mode] = str(error)
            if (error.status_code or 0) >= 500:
                server_refused.append(mode)
            continue
        found = _judge(base_url, model, mode, response, latency_s, tried)
        if found is None:
            continue
        # the endpoint answers: ask once more in each better form that got a 5xx, so that
        # an outage during the probe does not downgrade structured output for the process
        for better in server_refused:
            try:
                response, latency_s = request(
                    PROBE_MESSAGES, PROBE_SCHEMA, "probe", better, PROBE_PARAMS, False
                )
            except LlmHttpError as error:
                if not _refuses_the_form(error):
                    raise
                tried[better] = f"{tried[better]}; again after {mode} answered: {error}"
                continue
            recovered = _judge(base_url, model, better, response, latency_s, tried)
            if recovered is not None:
                found = recovered
                break
        found = replace(found, tried=dict(tried))
        with _PROBES_LOCK:
            _PROBES[cache_key] = found
        return found
    if len(server_refused) == len(MODES):
        raise LlmHttpError(
            f"endpoint {base_url} answered every request form with a server error "
            f"({'; '.join(f'{k}: {v}' for k, v in tried.items())}); it may be down: try again "
            "later (nothing was cached)"
        )
    raise LlmHttpError(
        f"endpoint {base_url} refused every request form "
        f"({'; '.join(f'{k}: {v}' for k, v in tried.items())}); check the model name"
    )


def _judge(base_url: str, model: str, mode: str, response: Any, latency_s: float,
           tried: dict[str, str]) -> EndpointProbe | None:
    """The probe's result if `mode`'s reply validates (text mode: any reply), else None."""
    text, finish_reason, prompt_tokens, completion_tokens = unpack_completion(response)
    try:
        validate_against_schema(parse_json_reply(text, finish_reason), PROBE_SCHEMA)
    except ReplyRejected as rejected:
        tried[mode] = f"reply rejected ({rejected.rejection})"
        if mode != "text":
            return None
    else:
        tried[mode] = "ok"
    return EndpointProbe(base_url, model, mode, latency_s, prompt_tokens, completion_tokens,
                         dict(tried))


def _refuses_the_form(error: LlmHttpError) -> bool:
    """A definite no to this request form (as opposed to a key or rate-limit problem)."""
    status = error.status_code
    return status is not None and status not in (401, 403, 429)


def clear_probe_cache() -> None:
    """Forget every endpoint probe (the next call probes again)."""
    with _PROBES_LOCK:
        _PROBES.clear()
