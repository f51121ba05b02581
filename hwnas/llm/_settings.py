"""Where the LLM lives and how to talk to it: from arguments or the environment."""

from __future__ import annotations

import dataclasses
import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from hwnas.llm._errors import LlmConfigError

OutputMode = Literal["auto", "json_schema", "json_object", "text"]
OUTPUT_MODES: tuple[str, ...] = ("auto", "json_schema", "json_object", "text")
DEFAULT_BASE_URL = "https://api.openai.com/v1"

ENV_BASE_URL = "OPENAI_BASE_URL"
ENV_API_KEY = "OPENAI_API_KEY"
ENV_MODEL = "HWNAS_LLM_MODEL"
ENV_MODE = "HWNAS_LLM_MODE"
ENV_TIMEOUT = "HWNAS_LLM_TIMEOUT_S"
ENV_CONCURRENCY = "HWNAS_LLM_MAX_CONCURRENCY"
ENV_ALLOW_HTTP = "HWNAS_LLM_ALLOW_HTTP"


@dataclass(frozen=True)
class LlmSettings:
    """An OpenAI-compatible endpoint and the limits of calls to it.

    `mode` picks how structured output is asked for: `auto` probes the endpoint once
    (json_schema, then json_object with a schema, then plain text with a strict parser).
    The key is kept out of `repr` and is never written to a log or store.
    """

    base_url: str = DEFAULT_BASE_URL
    model: str | None = None
    api_key: str | None = field(default=None, repr=False)
    mode: OutputMode = "auto"
    timeout_s: float = 120.0
    max_retries: int = 3
    backoff_s: float = 1.0
    max_backoff_s: float = 30.0
    max_concurrency: int = 4
    temperature: float = 0.7
    max_tokens: int = 1024
    allow_http: bool = False  # plain http to another machine sends the key in clear

    def __post_init__(self) -> None:
        scheme = urlsplit(self.base_url).scheme
        if scheme not in ("http", "https"):
            raise LlmConfigError(
                f"base URL {public_url(self.base_url)!r} must start with http:// or https://, "
                f"e.g. http://127.0.0.1:8080/v1 (set {ENV_BASE_URL})"
            )
        if scheme == "http" and not self.allow_http and not _is_loopback(self.base_url):
            raise LlmConfigError(
                f"base URL {public_url(self.base_url)!r} would send the API key unencrypted to "
                "another machine; use https://, an SSH tunnel to 127.0.0.1, or set "
                f"{ENV_ALLOW_HTTP}=1 if you trust the network"
            )
        if self.mode not in OUTPUT_MODES:
            raise LlmConfigError(
                f"unknown structured-output mode {self.mode!r}; "
                f"use one of {', '.join(OUTPUT_MODES)}"
            )
        for name in ("timeout_s", "backoff_s", "max_backoff_s"):
            if not getattr(self, name) > 0:
                raise LlmConfigError(f"{name} must be positive, got {getattr(self, name)}")
        if self.max_retries < 0:
            raise LlmConfigError(f"max_retries must be 0 or more, got {self.max_retries}")
        if self.max_concurrency < 1:
            raise LlmConfigError(f"max_concurrency must be 1 or more, got {self.max_concurrency}")
        if self.max_tokens < 1:
            raise LlmConfigError(f"max_tokens must be 1 or more, got {self.max_tokens}")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> LlmSettings:
        """Settings from OPENAI_BASE_URL, OPENAI_API_KEY, HWNAS_LLM_MODEL, HWNAS_LLM_MODE,
        HWNAS_LLM_TIMEOUT_S and HWNAS_LLM_MAX_CONCURRENCY; arguments that are not None win."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        if env.get(ENV_BASE_URL):
            values["base_url"] = env[ENV_BASE_URL]
        if env.get(ENV_API_KEY):
            values["api_key"] = env[ENV_API_KEY]
        if env.get(ENV_MODEL):
            values["model"] = env[ENV_MODEL]
        if env.get(ENV_MODE):
            values["mode"] = env[ENV_MODE]
        if env.get(ENV_ALLOW_HTTP, "").strip().lower() in ("1", "true", "yes"):
            values["allow_http"] = True
        for variable, name, kind in (
            (ENV_TIMEOUT, "timeout_s", float), (ENV_CONCURRENCY, "max_concurrency", int)
        ):
            if env.get(variable):
                try:
                    values[name] = kind(env[variable])
                except ValueError:
                    raise LlmConfigError(
                        f"{variable}={env[variable]!r} is not a number; set it to e.g. 60"
                    ) from None
        values.update({k: v for k, v in overrides.items() if v is not None})
        unknown = set(values) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise LlmConfigError(f"unknown LLM setting(s): {', '.join(sorted(unknown))}")
        return cls(**values)

    def with_options(self, **overrides: Any) -> LlmSettings:
        """A copy with the given fields replaced (None leaves a field as it is)."""
        return dataclasses.replace(self, **{k: v for k, v in overrides.items() if v is not None})

    def require_key(self) -> str:
        """The API key, or a one-line error saying how to set it."""
        if not self.api_key:
            raise LlmConfigError(
                f"no API key: set {ENV_API_KEY} (a local server without authentication accepts "
                f"any value, e.g. {ENV_API_KEY}=none) or pass api_key="
            )
        return self.api_key

    @property
    def public_base_url(self) -> str:
        return public_url(self.base_url)


def _is_loopback(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def public_url(url: str) -> str:
    """`url` without user info, query or fragment: safe to log and store."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = f"{host}:{port}" if port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))
