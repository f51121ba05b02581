"""`hwnas llm ...` through the real entry point (python -m hwnas)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from standin_endpoint import MisbehavingEndpoint, Scripted

from hwnas.llm import LlmClient, LlmSettings, SqliteLlmCallLog


def hwnas(*args: str, env: dict[str, str] | None = None, timeout: float = 120):
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "HWNAS_LLM_"))
    }
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "hwnas", *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=timeout,
    )


def endpoint_env(endpoint: MisbehavingEndpoint) -> dict[str, str]:
    return {"OPENAI_BASE_URL": endpoint.base_url, "OPENAI_API_KEY": endpoint.api_key}


def test_check_reports_the_endpoint_as_one_json_document(standin):
    """Stand-in endpoint that, like llama.cpp, refuses json_schema with HTTP 500."""
    standin.accepts = ("json_object", "text")
    result = hwnas("llm", "check", "--format", "json", env=endpoint_env(standin))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] and report["reachable"] and report["model_listed"]
    assert report["model"] == standin.model and report["mode"] == "json_object"
    assert "HTTP 500" in report["modes_tried"]["json_schema"]
    assert report["small_call_latency_s"] > 0 and report["completion_tokens"] == 9
    assert standin.api_key not in result.stdout + result.stderr


def test_check_of_an_unknown_model_and_a_dead_endpoint_exit_1(standin):
    env = endpoint_env(standin)
    unknown = hwnas("llm", "check", "--model", "no-such-model", "--format", "json", env=env)
    assert unknown.returncode == 1
    assert "not among the listed models" in json.loads(unknown.stdout)["problems"][0]
    standin.stop()
    dead = hwnas("llm", "check", "--format", "json", "--timeout-s", "2", env=env)
    assert dead.returncode == 1
    report = json.loads(dead.stdout)
    assert not report["reachable"] and "cannot reach" in report["problems"][0]


def test_check_without_a_key_is_one_line_and_exit_2():
    result = hwnas("llm", "check", env={"OPENAI_BASE_URL": "http://127.0.0.1:9/v1"})
    assert result.returncode == 2
    assert "set OPENAI_API_KEY" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_prompts_lists_the_templates():
    result = hwnas("llm", "prompts", "--format", "json")
    assert result.returncode == 0, result.stderr
    ids = {entry["id"]: entry["variables"] for entry in json.loads(result.stdout)}
    assert "elites" in ids["propose.v1"] and "heuristics" in ids["kb_rewrite.v1"]


def test_calls_summarises_a_log(standin, tmp_path):
    standin.push(Scripted('{"status": "ok"}'), Scripted("not json"))
    path = tmp_path / "run.sqlite"
    settings = LlmSettings(
        base_url=standin.base_url, api_key=standin.api_key, model=standin.model, mode="json_object"
    )
    client = LlmClient(settings, log=SqliteLlmCallLog(path, "r1"))
    schema = {"type": "object"}
    for seed in (1, 1, 2):
        client.complete_json([{"role": "user", "content": "x"}], schema, template="t.v1", seed=seed)
    result = hwnas("llm", "calls", str(path), "--format", "json")
    assert result.returncode == 0, result.stderr
    row = json.loads(result.stdout)["t.v1"]
    assert (row["calls"], row["cache_hits"], row["rejected"], row["prompt_tokens"]) == (3, 1, 1, 34)
    missing = hwnas("llm", "calls", str(tmp_path / "nope.sqlite"))
    assert missing.returncode == 2 and "no such file" in missing.stderr


def test_check_local_starts_checks_and_stops_the_embedded_server(local_llm):
    """Needs the local-llm extra (the fixture skips or fails without it); starts its own server."""
    result = hwnas("llm", "check", "--local", "--format", "json", timeout=300)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["local"] and report["ok"] and report["mode"] == "json_object"
    assert report["model_listed"] and report["base_url"].startswith("http://127.0.0.1:")


@pytest.mark.parametrize("noun", ["check", "prompts", "calls"])
def test_help_is_there(noun):
    assert hwnas("llm", noun, "--help").returncode == 0
