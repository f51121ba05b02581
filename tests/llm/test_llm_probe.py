"""The capability probe against the stand-in endpoint: a transient failure (one 5xx, a 5xx
that outlasts the retries, 429s, timeouts) never downgrades structured output for the
process, and nothing decided from one is cached."""

from __future__ import annotations

import pytest
from standin_endpoint import MisbehavingEndpoint, Scripted

from hwnas.llm import LlmClient, LlmSettings
from hwnas.llm._errors import LlmHttpError, LlmTimeoutError


def probing_client(endpoint: MisbehavingEndpoint, **options: object) -> LlmClient:
    values: dict[str, object] = {
        "base_url": endpoint.base_url, "api_key": endpoint.api_key, "model": endpoint.model,
        "mode": "auto", "timeout_s": 2.0, "max_retries": 2, "backoff_s": 0.01,
    }
    values.update(options)
    return LlmClient(LlmSettings(**values))


def formats(endpoint: MisbehavingEndpoint) -> list[str]:
    return [(r["body"].get("response_format") or {}).get("type", "text")
            for r in endpoint.chat_requests]


def test_one_transient_500_is_retried_not_taken_as_a_refusal(standin) -> None:
    standin.push(Scripted(status=500, error_message="upstream overloaded"))
    probe = probing_client(standin).probe()
    assert probe.mode == "json_schema"  # was json_object for the rest of the process
    assert formats(standin) == ["json_schema", "json_schema"]


def test_a_5xx_outlasting_the_retries_is_asked_again_once_the_endpoint_answers(standin) -> None:
    standin.push(*[Scripted(status=503, error_message="restarting")] * 3)  # 1 + 2 retries
    probe = probing_client(standin).probe()
    assert probe.mode == "json_schema"
    assert formats(standin) == ["json_schema"] * 3 + ["json_object", "json_schema"]
    assert probe.tried["json_object"] == "ok" and "503" not in probe.tried["json_schema"]
    assert probe.tried["json_schema"] == "ok"


def test_a_form_the_server_keeps_refusing_is_refused_and_cached() -> None:
    endpoint = MisbehavingEndpoint(accepts=("json_object", "text")).start()  # as llama.cpp
    try:
        probe = probing_client(endpoint).probe()
        assert probe.mode == "json_object"
        assert formats(endpoint) == ["json_schema"] * 3 + ["json_object", "json_schema"]
        assert "again after json_object answered" in probe.tried["json_schema"]
        probing_client(endpoint).probe()
        assert len(endpoint.chat_requests) == 5  # cached per process: not probed again
    finally:
        endpoint.stop()


def test_a_server_error_on_every_form_raises_and_caches_nothing(standin) -> None:
    standin.push(*[Scripted(status=502, error_message="bad gateway")] * 9)
    with pytest.raises(LlmHttpError, match="every request form with a server error.*nothing "
                                           "was cached") as caught:
        probing_client(standin).probe()
    assert "\n" not in str(caught.value)
    assert probing_client(standin).probe().mode == "json_schema"


def test_rate_limits_through_every_retry_raise_and_cache_nothing(standin) -> None:
    standin.push(*[Scripted(status=429, error_message="slow down")] * 3)
    with pytest.raises(LlmHttpError, match="HTTP 429"):
        probing_client(standin).probe()  # was: json_schema "refused", json_object cached
    assert formats(standin) == ["json_schema"] * 3
    assert probing_client(standin).probe().mode == "json_schema"


def test_timeouts_through_every_retry_raise_and_cache_nothing(standin) -> None:
    standin.push(*[Scripted(delay_s=1.5)] * 3)
    with pytest.raises(LlmTimeoutError):
        probing_client(standin, timeout_s=0.5).probe()
    assert probing_client(standin).probe().mode == "json_schema"
