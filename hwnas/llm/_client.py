"""The client: one OpenAI-compatible endpoint, structured replies, retries, cache, accounting."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hwnas.llm._errors import (
    LlmConfigError,
    LlmConnectionError,
    LlmError,
    LlmHttpError,
    LlmReplyRejectedError,
    LlmTimeoutError,
)
from hwnas.llm._log import LlmCallLog, LlmCallRecord, request_key
from hwnas.llm._replies import (
    Rejection,
    ReplyRejected,
    check_schema,
    parse_json_reply,
    validate_against_schema,
)
from hwnas.llm._settings import LlmSettings

ReplyCheck = Callable[[dict[str, Any]], "Rejection | None"]
_ROLES = ("system", "user", "assistant")
_PROBE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"status": {"type": "string", "enum": ["ok"]}},
    "required": ["status"],
    "additionalProperties": False,
}
_PROBE_MESSAGES = (
    {"role": "system", "content": "Reply with one JSON object and nothing else."},
    {"role": "user", "content": 'Reply with exactly this JSON object: {"status": "ok"}'},
)
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


class _Redactor:
    """Replaces the key wherever it might appear in text bound for a log or an error.

    Placeholders shorter than 8 characters (`none`, `local`) are no secrets, and replacing
    them would corrupt replies (`none` is a NAS-Bench-201 operation).
    """

    def __init__(self, secret: str | None) -> None:
        self._secret = secret if secret and len(secret) >= 8 else None

    def __call__(self, text: str) -> str:
        return text.replace(self._secret, "[redacted]") if self._secret else text


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
        self._redact = _Redactor(key)
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
        """Find the best structured-output mode this endpoint honours (cached per process).

        Tries response_format json_schema, then json_object with a schema (llama.cpp's
        server), then plain text; each with one tiny call whose reply must validate.
        """
        cache_key = (self.base_url, self.model)
        with _PROBES_LOCK:
            if not refresh and cache_key in _PROBES:
                return _PROBES[cache_key]
        tried: dict[str, str] = {}
        for mode in ("json_schema", "json_object", "text"):
            try:
                response, latency_s, _ = self._with_retries(
                    lambda mode=mode: self._request(
                        _PROBE_MESSAGES, _PROBE_SCHEMA, "probe", mode,
                        {"temperature": 0.0, "max_tokens": 24, "seed": 0},
                    ),
                    retry_server_errors=False,
                )
            except LlmHttpError as error:
                if error.status_code in (401, 403):
                    raise  # no request form fixes a refused key
                tried[mode] = str(error)
                continue
            text, finish_reason, prompt_tokens, completion_tokens = _unpack(response)
            try:
                validate_against_schema(parse_json_reply(text, finish_reason), _PROBE_SCHEMA)
            except ReplyRejected as rejected:
                tried[mode] = f"reply rejected ({rejected.rejection})"
                if mode != "text":
                    continue
            else:
                tried[mode] = "ok"
            found = EndpointProbe(
                self.base_url, self.model, mode, latency_s, prompt_tokens, completion_tokens, tried
            )
            with _PROBES_LOCK:
                _PROBES[cache_key] = found
            return found
        raise LlmHttpError(
            f"endpoint {self.base_url} refused every request form "
            f"({'; '.join(f'{k}: {v}' for k, v in tried.items())}); check the model name"
        )

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
        text, finish_reason, prompt_tokens, completion_tokens = _unpack(response)
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
        kwargs: dict[str, Any] = {
            "model": self.model,
            "messages": [dict(m) for m in messages],
            "temperature": params["temperature"],
            "max_tokens": params["max_tokens"],
            "timeout": self.settings.timeout_s,
        }
        if params.get("seed") is not None:
            kwargs["seed"] = params["seed"]
        if mode == "json_schema":
            kwargs["response_format"] = {
                "type": "json_schema",
                "json_schema": {
                    "name": _schema_name(name), "schema": dict(schema), "strict": False,
                },
            }
        elif mode == "json_object":
            kwargs["response_format"] = {"type": "json_object", "schema": dict(schema)}
        with self._semaphore:
            return self._openai.chat.completions.create(**kwargs)

    def _with_retries(
        self, send: Callable[[], Any], retry_server_errors: bool = True
    ) -> tuple[Any, float, int]:
        """(result, seconds of the successful attempt, attempts); retries 429, 5xx, timeouts.

        The probe passes `retry_server_errors=False`: there a 5xx means "this request form is
        not supported" (llama.cpp's server answers json_schema with HTTP 500).
        """
        import openai

        settings = self.settings
        last: LlmError | None = None
        for attempt in range(settings.max_retries + 1):
            if attempt:
                delay = min(settings.max_backoff_s, settings.backoff_s * 2 ** (attempt - 1))
                retry_after = getattr(last, "retry_after_s", None)
                if retry_after is not None:
                    delay = min(settings.max_backoff_s, max(delay, retry_after))
                time.sleep(delay * (1.0 + 0.25 * self._jitter.random()))
            start = time.perf_counter()
            try:
                return send(), time.perf_counter() - start, attempt + 1
            except openai.APITimeoutError:
                last = LlmTimeoutError(
                    f"{self.base_url} did not answer within {settings.timeout_s:g} s "
                    f"({attempt + 1} attempt(s)); raise timeout_s (HWNAS_LLM_TIMEOUT_S) or check "
                    "the server"
                )
            except openai.APIConnectionError as error:
                last = LlmConnectionError(
                    f"cannot reach {self.base_url} ({self._redact(str(error))}, "
                    f"{attempt + 1} attempt(s)); check OPENAI_BASE_URL and that the server runs"
                )
            except openai.APIStatusError as error:
                status = error.status_code
                detail = self._redact(_error_detail(error))
                mapped = LlmHttpError(
                    f"{self.base_url} answered HTTP {status}: {detail} ({attempt + 1} attempt(s))",
                    status,
                )
                if status == 401:
                    mapped = LlmHttpError(
                        f"{self.base_url} refused the API key (HTTP 401): check OPENAI_API_KEY",
                        status,
                    )
                if not (status == 429 or (status >= 500 and retry_server_errors)):
                    raise mapped from None
                mapped.retry_after_s = _retry_after_s(error)  # type: ignore[attr-defined]
                last = mapped
            last.attempts = attempt + 1  # type: ignore[attr-defined]
        assert last is not None
        raise last


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


def _unpack(response: Any) -> tuple[str | None, str | None, int, int]:
    """(text, finish reason, prompt tokens, completion tokens) of a chat completion."""
    try:
        choice = response.choices[0]
        text = choice.message.content
        finish_reason = choice.finish_reason
    except (AttributeError, IndexError, TypeError):
        text, finish_reason = None, None
    usage = getattr(response, "usage", None)
    prompt_tokens = int(getattr(usage, "prompt_tokens", 0) or 0)
    completion_tokens = int(getattr(usage, "completion_tokens", 0) or 0)
    text = text if isinstance(text, str) else None
    return text, finish_reason, prompt_tokens, completion_tokens


def _error_detail(error: Any) -> str:
    body = getattr(error, "body", None)
    message = body.get("message") if isinstance(body, dict) else None
    text = str(message or getattr(error, "message", "") or error)
    text = " ".join(text.split())
    return text if len(text) <= 200 else text[:197] + "..."


def _retry_after_s(error: Any) -> float | None:
    response = getattr(error, "response", None)
    value = response.headers.get("retry-after") if response is not None else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _schema_name(name: str) -> str:
    cleaned = "".join(c if c.isalnum() or c in "_-" else "_" for c in name)
    return cleaned[:64] or "reply"


def _replace(record: LlmCallRecord, **changes: Any) -> LlmCallRecord:
    import dataclasses

    return dataclasses.replace(record, **changes)


def clear_probe_cache() -> None:
    """Forget every endpoint probe (the next call probes again)."""
    with _PROBES_LOCK:
        _PROBES.clear()
