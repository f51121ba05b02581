"""Talking to an OpenAI-compatible endpoint: one chat request in a given structured-output
mode, retries with backoff (429, 5xx, timeouts) mapped to one-line typed errors, and
reading a completion's text and token counts."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from hwnas.llm._errors import LlmConnectionError, LlmError, LlmHttpError, LlmTimeoutError
from hwnas.llm._settings import LlmSettings


class Redactor:
    """Replaces the key wherever it might appear in text bound for a log or an error.

    Placeholders shorter than 8 characters (`none`, `local`) are no secrets, and replacing
    them would corrupt replies (`none` is a NAS-Bench-201 operation).
    """

    def __init__(self, secret: str | None) -> None:
        self._secret = secret if secret and len(secret) >= 8 else None

    def __call__(self, text: str) -> str:
        return text.replace(self._secret, "[redacted]") if self._secret else text


def chat_request(
    openai_client: Any,
    semaphore: threading.BoundedSemaphore,
    model: str,
    messages: Sequence[Mapping[str, str]],
    schema: Mapping[str, Any],
    name: str,
    mode: str,
    params: Mapping[str, Any],
    timeout_s: float,
) -> Any:
    """One chat completion asking for JSON in `mode` (json_schema, json_object or text)."""
    kwargs: dict[str, Any] = {
        "model": model,
        "messages": [dict(m) for m in messages],
        "temperature": params["temperature"],
        "max_tokens": params["max_tokens"],
        "timeout": timeout_s,
    }
    if params.get("seed") is not None:
        kwargs["seed"] = params["seed"]
    if mode == "json_schema":
        kwargs["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": _schema_name(name), "schema": dict(schema), "strict": False},
        }
    elif mode == "json_object":
        kwargs["response_format"] = {"type": "json_object", "schema": dict(schema)}
    with semaphore:
        return openai_client.chat.completions.create(**kwargs)


def send_with_retries(
    send: Callable[[], Any],
    settings: LlmSettings,
    base_url: str,
    redact: Callable[[str], str],
    jitter: random.Random,
    retry_server_errors: bool = True,
) -> tuple[Any, float, int]:
    """(result, seconds of the successful attempt, attempts); retries 429, 5xx, timeouts.

    The probe retries a 5xx too before it takes it as "this request form is not supported"
    (llama.cpp's server answers json_schema with HTTP 500), and asks once more without
    retries (`retry_server_errors=False`) after a lesser form was answered.
    """
    import openai

    last: LlmError | None = None
    for attempt in range(settings.max_retries + 1):
        if attempt:
            delay = min(settings.max_backoff_s, settings.backoff_s * 2 ** (attempt - 1))
            retry_after = getattr(last, "retry_after_s", None)
            if retry_after is not None:
                delay = min(settings.max_backoff_s, max(delay, retry_after))
            time.sleep(delay * (1.0 + 0.25 * jitter.random()))
        start = time.perf_counter()
        try:
            return send(), time.perf_counter() - start, attempt + 1
        except openai.APITimeoutError:
            last = LlmTimeoutError(
                f"{base_url} did not answer within {settings.timeout_s:g} s "
                f"({attempt + 1} attempt(s)); raise timeout_s (HWNAS_LLM_TIMEOUT_S) or check "
                "the server"
            )
        except openai.APIConnectionError as error:
            last = LlmConnectionError(
                f"cannot reach {base_url} ({redact(str(error))}, "
                f"{attempt + 1} attempt(s)); check OPENAI_BASE_URL and that the server runs"
            )
        except openai.APIStatusError as error:
            status = error.status_code
            detail = redact(_error_detail(error))
            mapped = LlmHttpError(
                f"{base_url} answered HTTP {status}: {detail} ({attempt + 1} attempt(s))",
                status,
            )
            if status == 401:
                mapped = LlmHttpError(
                    f"{base_url} refused the API key (HTTP 401): check OPENAI_API_KEY",
                    status,
                )
            if not (status == 429 or (status >= 500 and retry_server_errors)):
                raise mapped from None
            mapped.retry_after_s = _retry_after_s(error)  # type: ignore[attr-defined]
            last = mapped
        last.attempts = attempt + 1  # type: ignore[attr-defined]
    assert last is not None
    raise last


def unpack_completion(response: Any) -> tuple[str | None, str | None, int, int]:
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
