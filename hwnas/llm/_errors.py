"""Errors of the LLM layer. Messages are one line and say how to fix the problem."""

from __future__ import annotations

from hwnas.core import ConfigError, HwnasError


class LlmError(HwnasError):
    """An LLM call failed (endpoint, reply or configuration)."""


class LlmConfigError(LlmError, ConfigError):
    """The endpoint, model or key is missing or malformed."""


class LlmConnectionError(LlmError):
    """The endpoint could not be reached, or kept failing after every retry."""


class LlmTimeoutError(LlmConnectionError):
    """The endpoint did not answer within the per-call timeout, after every retry."""


class LlmHttpError(LlmError):
    """The endpoint refused the request with an HTTP status that retrying cannot fix."""

    def __init__(self, message: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


class LlmReplyRejectedError(LlmError):
    """A reply was asked for as valid but had been rejected (schema, grammar, truncation)."""


class PromptError(LlmError, ConfigError):
    """A prompt template is missing, malformed, or was rendered without its variables."""


class LocalServerError(LlmError):
    """The embedded llama.cpp server could not be started or stopped."""
