from __future__ import annotations

import pytest

from hwnas.core import ConfigError, HwnasError
from hwnas.llm import LlmClient, LlmConfigError, LlmSettings, public_url


def test_settings_come_from_the_standard_environment_variables():
    env = {
        "OPENAI_BASE_URL": "http://127.0.0.1:9/v1",
        "OPENAI_API_KEY": "sk-env",
        "HWNAS_LLM_MODEL": "m",
        "HWNAS_LLM_MODE": "text",
        "HWNAS_LLM_TIMEOUT_S": "7.5",
    }
    settings = LlmSettings.from_env(env)
    assert (
        settings.base_url,
        settings.api_key,
        settings.model,
        settings.mode,
        settings.timeout_s,
    ) == ("http://127.0.0.1:9/v1", "sk-env", "m", "text", 7.5)
    assert LlmSettings.from_env(env, model="other", timeout_s=None).model == "other"


def test_the_key_stays_out_of_repr():
    settings = LlmSettings(api_key="sk-secret-value")
    assert "sk-secret-value" not in repr(settings)


def test_a_missing_key_is_a_clear_config_error(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(LlmConfigError, match="set OPENAI_API_KEY") as caught:
        LlmClient(base_url="http://127.0.0.1:9/v1", model="m")
    assert isinstance(caught.value, ConfigError) and isinstance(caught.value, HwnasError)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [
        ("base_url", "127.0.0.1:8080", "http://"),
        ("mode", "xml", "unknown structured-output"),
        ("timeout_s", 0, "timeout_s"),
        ("max_concurrency", 0, "max_concurrency"),
    ],
)
def test_malformed_settings_say_what_to_fix(field, value, match):
    with pytest.raises(LlmConfigError, match=match):
        LlmSettings(**{field: value})


def test_a_non_numeric_timeout_in_the_environment_is_named():
    with pytest.raises(LlmConfigError, match="HWNAS_LLM_TIMEOUT_S"):
        LlmSettings.from_env({"HWNAS_LLM_TIMEOUT_S": "soon"})


def test_public_url_drops_credentials_and_query():
    assert (
        public_url("https://user:pw@example.org:8443/v1?api-key=abc#x")
        == "https://example.org:8443/v1"
    )


@pytest.mark.parametrize("url", ["http://10.0.0.5:8080/v1", "http://llm.example.org/v1",
                                 "http://[2001:db8::1]:8000/v1"])
def test_plain_http_to_another_machine_is_refused_unless_allowed(url):
    with pytest.raises(LlmConfigError, match="unencrypted .* HWNAS_LLM_ALLOW_HTTP=1"):
        LlmSettings(base_url=url, api_key="sk-x")
    with pytest.raises(LlmConfigError, match="unencrypted"):
        LlmSettings.from_env({"OPENAI_BASE_URL": url, "OPENAI_API_KEY": "sk-x"})
    allowed = LlmSettings.from_env({"OPENAI_BASE_URL": url, "HWNAS_LLM_ALLOW_HTTP": "1"})
    assert allowed.base_url == url and allowed.allow_http


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/v1", "http://localhost:8080/v1",
                                 "http://[::1]:8080/v1", "https://10.0.0.5/v1"])
def test_loopback_http_and_any_https_need_no_opt_in(url):
    assert LlmSettings(base_url=url, api_key="sk-x").base_url == url
