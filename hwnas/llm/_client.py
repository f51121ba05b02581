"""The client: one OpenAI-compatible endpoint, validated structured replies, the call log as
a cache, and accounting (the capability probe is in `_probe`, requests and retries in
`_transport`)."""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hwnas.llm._errors import LlmConfigError, LlmError, LlmReplyRejectedError
from hwnas.llm._log import LlmCallLog, LlmCallRecord, request_key
from hwnas.llm._probe import EndpointProbe, probe_endpoint
from hwnas.llm._replies import (
    Rejection,
    ReplyRejected,
    check_schema,
    parse_json_reply,
    validate_against_schema,
)
from hwnas.llm._settings import LlmSettings
from hwnas.llm._transport import Redactor, chat_request, send_with_retries, unpack_completion

ReplyCheck = Callable[[dict[str, Any]], "Rejection | None"]
_ROLES = ("system", "user", "assistant")


@dataclass(frozen=True)
class LlmReply:
    """A reply: `data` is set only when it parsed and passed every check."""

    data: Mapping[str, Any] | None
    rejection: Rejection | None
    call: LlmCallRecord

    @property
    def ok(self) -> bool:
        return self.rejection is None

    def require(self) -> Mapping[str, Any]:
        """The validated data, or LlmReplyRejectedError with the reason."""
        if self.data is None or self.rejection is not None:
            raise LlmReplyRejectedError(f"the LLM reply was rejected ({self.rejection})")
        return self.data


@dataclass(frozen=True)
class LlmUsage:
    """Totals over a client's life: calls, cache hits, tokens, seconds, rejections by kind."""

    calls: int = 0
    endpoint_calls: int = 0
    cache_hits: int = 0
    errors: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_s: float = 0.0
    rejections: Mapping[str, int] = field(default_factory=dict)

    @property
    def rejected(self) -> int:
        return sum(self.rejections.values())


class LlmClient:
    """Structured calls to one OpenAI-compatible endpoint.

    Every reply is parsed strictly and validated against the caller's JSON schema (and an
    optional `check`) before it is returned as valid; invalid replies come back as counted
    rejections. Calls go to `log` (when given) and an identical request (model, messages,
    parameters, seed, schema) is answered from it without contacting the endpoint.
    """

    def __init__(
        self,
        settings: LlmSettings | None = None,
        *,
        log: LlmCallLog | None = None,
        **options: Any,
    ) -> None:
        settings = LlmSettings.from_env(**options) if settings is None else (
            settings.with_options(**options)
        )
        key = settings.require_key()
        self.settings = settings
        self.log = log
        self._redact = Redactor(key)
        self._semaphore = threading.BoundedSemaphore(settings.max_concurrency)
        self._usage_lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._rejections: Counter[str] = Counter()
        self._latency_s = 0.0
        self._model: str | None = settings.model
        self._jitter = random.Random()
        import openai

        self._openai = openai.OpenAI(
            base_url=settings.base_url, api_key=key, max_retries=0, timeout=settings.timeout_s
        )

    # --- endpoint facts ----------------------------------------------------------------
    @property
    def base_url(self) -> str:
        """The endpoint URL without credentials or query (what logs show)."""
        return self.settings.public_base_url

    def list_models(self) -> list[str]:
        """Ids of the models the endpoint lists (GET /models), with retries."""
        timeout_s = self.settings.timeout_s
        page = self._with_retries(lambda: self._openai.models.list(timeout=timeout_s))[0]
        return [model.id for model in page.data]

    @property
    def model(self) -> str:
        """The configured model, or the endpoint's only listed model."""
        if self._model is None:
            models = self.list_models()
            if len(models) != 1:
                listed = ", ".join(models[:10]) or "none"
                raise LlmConfigError(
                    f"no model chosen and the endpoint lists {len(models)} ({listed}): set "
                    "HWNAS_LLM_MODEL or pass model="
                )
            self._model = models[0]
        return self._model

    def probe(self, refresh: bool = False) -> EndpointProbe:
        """Find the best structured-output mode this endpoint honours (cached per process):
        json_schema, then json_object with a schema (llama.cpp's server), then plain text."""

        def request(*args: Any) -> tuple[Any, float]:
            *call, retry_server_errors = args
            response, latency_s, _ = self._with_retries(
                lambda: self._request(*call), retry_server_errors=retry_server_errors
            )
            return response, latency_s

        return probe_endpoint(self.base_url, self.model, request, refresh)

    def output_mode(self) -> str:
        return self.settings.mode if self.settings.mode != "auto" else self.probe().mode

    # --- calls ---------------------------------------------------------------------------
    def complete_json(
        self,
        messages: Sequence[Mapping[str, str]],
        schema: Mapping[str, Any],
        *,
        template: str = "",
        seed: int | None = None,
        temperature: float | None = None,
        max_tokens: int | None = None,
        check: ReplyCheck | None = None,
        validation_schema: Mapping[str, Any] | None = None,
    ) -> LlmReply:
        """Ask for one JSON object that follows `schema`; validated before it is returned.

        `check(data)` may add a domain check (e.g. architecture grammar) and returns a
        Rejection or None. `validation_schema` (default `schema`) is what the reply is
        validated with, when a caller checks some fields item by item itself.
        Endpoint failures after every retry raise LlmConnectionError,
        LlmTimeoutError or LlmHttpError; bad replies are returned as rejections.
        """
        sent = _normalise_messages(messages)
        check_schema(schema)
        validate_with = schema if validation_schema is None else validation_schema
        if validation_schema is not None:
            check_schema(validation_schema)
        params = {
            "temperature": self.settings.temperature if temperature is None else float(temperature),
            "max_tokens": self.settings.max_tokens if max_tokens is None else int(max_tokens),
            "seed": seed,
        }
        model = self.model
        key = request_key(model, sent, params, schema)
        base = {
            "run_id": getattr(self.log, "run_id", ""), "request_key": key, "model": model,
            "base_url": self.base_url, "messages": sent, "params": params, "template": template,
            "schema": dict(schema),
        }
        logged = self.log.lookup(key) if self.log is not None else None
        if logged is not None:
            return self._finish(
                LlmCallRecord(
                    **base, status="ok", mode=logged.mode, response=logged.response,
                    finish_reason=logged.finish_reason, prompt_tokens=logged.prompt_tokens,
                    completion_tokens=logged.completion_tokens, latency_s=0.0, cached=True,
                ),
                validate_with, check,
            )
        mode = self.output_mode()
        try:
            response, latency_s, attempts = self._with_retries(
                lambda: self._request(sent, schema, template or "reply", mode, params)
            )
        except LlmError as error:
            self._count("errors")
            if self.log is not None:
                self.log.record(LlmCallRecord(
                    **base, status="error", mode=mode, reason=self._redact(str(error)),
                    attempts=getattr(error, "attempts", 0),
                ))
            raise
        text, finish_reason, prompt_tokens, completion_tokens = unpack_completion(response)
        record = LlmCallRecord(
            **base, status="ok", mode=mode, response=None if text is None else self._redact(text),
            finish_reason=finish_reason, prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens, latency_s=latency_s, attempts=attempts,
        )
        return self._finish(record, validate_with, check)

    def _finish(
        self, record: LlmCallRecord, schema: Mapping[str, Any], check: ReplyCheck | None
    ) -> LlmReply:
        data: dict[str, Any] | None = None
        rejection: Rejection | None = None
        try:
            data = parse_json_reply(record.response, record.finish_reason)
            validate_against_schema(data, schema)
        except ReplyRejected as rejected:
            rejection, data = rejected.rejection, None
        if data is not None and check is not None:
            rejection = check(data)
            if rejection is not None:
                data = None
        if rejection is not None:
            record = _replace(record, status="rejected", reason=str(rejection))
            self.count_rejection(rejection.kind)
        with self._usage_lock:
            self._counts["calls"] += 1
            if record.cached:
                self._counts["cache_hits"] += 1
            else:
                self._counts["endpoint_calls"] += 1
                self._counts["prompt_tokens"] += record.prompt_tokens
                self._counts["completion_tokens"] += record.completion_tokens
                self._latency_s += record.latency_s
        if self.log is not None:
            self.log.record(record)
        return LlmReply(data, rejection, record)

    # --- accounting ------------------------------------------------------------------------
    def count_rejection(self, kind: str, number: int = 1) -> None:
        """Count rejections found by callers too (e.g. one bad candidate among several)."""
        with self._usage_lock:
            self._rejections[kind] += number

    def _count(self, name: str) -> None:
        with self._usage_lock:
            self._counts[name] += 1

    def usage(self) -> LlmUsage:
        """A snapshot of the totals so far."""
        with self._usage_lock:
            return LlmUsage(
                calls=self._counts["calls"], endpoint_calls=self._counts["endpoint_calls"],
                cache_hits=self._counts["cache_hits"], errors=self._counts["errors"],
                prompt_tokens=self._counts["prompt_tokens"],
                completion_tokens=self._counts["completion_tokens"],
                latency_s=self._latency_s, rejections=dict(self._rejections),
            )

    # --- transport -------------------------------------------------------------------------
    def _request(
        self, messages: Sequence[Mapping[str, str]], schema: Mapping[str, Any], name: str,
        mode: str, params: Mapping[str, Any],
    ) -> Any:
        return chat_request(
            self._openai, self._semaphore, self.model, messages, schema, name, mode, params,
            self.settings.timeout_s,
        )

    def _with_retries(
        self, send: Callable[[], Any], retry_server_errors: bool = True
    ) -> tuple[Any, float, int]:
        return send_with_retries(
            send, self.settings, self.base_url, self._redact, self._jitter, retry_server_errors
        )


def _normalise_messages(messages: Sequence[Mapping[str, str]]) -> tuple[dict[str, str], ...]:
    out = []
    for index, message in enumerate(messages):
        role, content = message.get("role"), message.get("content")
        if role not in _ROLES or not isinstance(content, str):
            raise LlmError(
                f"message {index} must have role in {_ROLES} and text content, "
                f"got {dict(message)!r}"
            )
        out.append({"role": role, "content": content})
    if not out:
        raise LlmError("no messages to send; render a prompt template first")
    return tuple(out)


def _replace(record: LlmCallRecord, **changes: Any) -> LlmCallRecord:
    import dataclasses

    return dataclasses.replace(record, **changes)
