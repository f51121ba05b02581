"""Against the real embedded llama.cpp server (Gemma 3 270M, CPU): few calls, 10-20 s each."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from hwnas.core import Architecture, Candidate, ObjectiveValue
from hwnas.llm import (
    REJECTION_KINDS,
    TEXT_PATTERN,
    LlmClient,
    LlmHttpError,
    LocalLlamaServer,
    SqliteLlmCallLog,
    propose_candidates,
    rewrite_knowledge,
)

ELITES = (
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|",
    "|nor_conv_1x1~0|+|skip_connect~0|nor_conv_3x3~1|+|nor_conv_3x3~0|none~1|nor_conv_1x1~2|",
)


def test_the_probe_finds_json_object_mode_and_that_json_schema_is_refused(local_llm):
    client = LlmClient(local_llm.settings(mode="auto"))
    probe = client.probe()
    assert probe.mode == "json_object"
    assert "HTTP 500" in probe.tried["json_schema"] and probe.tried["json_object"] == "ok"
    assert probe.completion_tokens > 0 and probe.latency_s > 0


def test_a_real_proposal_is_validated_logged_and_answered_again_from_the_log(
    local_llm, nb201, tmp_path
):
    path = tmp_path / "run.sqlite"
    client = LlmClient(local_llm.settings(max_tokens=700), log=SqliteLlmCallLog(path, "run-1"))
    result = propose_candidates(
        client,
        nb201,
        band=0,
        elites=ELITES,
        count=3,
        seed=7,
        band_description="latency 2 to 4 ms on a Raspberry Pi 5",
        knowledge=["3x3 convolutions on edges into node 3 raise accuracy"],
    )
    # constrained decoding: the reply parses and follows the schema
    assert result.reply.ok, result.reply.rejection
    elites = {nb201.isomorphism_key(e) for e in ELITES}
    for candidate in result.candidates:
        assert candidate.architecture == nb201.parse(candidate.architecture.string)
        assert nb201.isomorphism_key(candidate.architecture) not in elites
        assert re.match(TEXT_PATTERN, candidate.changed) and re.match(TEXT_PATTERN, candidate.why)
    assert all(r.kind in REJECTION_KINDS for r in result.rejections)
    assert 1 <= len(result.candidates) + len(result.rejections) <= 3
    call = result.reply.call
    assert call.prompt_tokens > 100 and call.completion_tokens > 0 and call.latency_s > 0
    assert call.template == "propose.v1" and "Latency band 0" in call.messages[1]["content"]

    again = propose_candidates(
        client,
        nb201,
        band=0,
        elites=ELITES,
        count=3,
        seed=7,
        band_description="latency 2 to 4 ms on a Raspberry Pi 5",
        knowledge=["3x3 convolutions on edges into node 3 raise accuracy"],
    )
    assert again.reply.call.cached and again.candidates == result.candidates
    usage = client.usage()
    assert (usage.endpoint_calls, usage.cache_hits) == (1, 1)
    assert local_llm.settings().api_key.encode() not in path.read_bytes()


def test_a_real_knowledge_rewrite_gives_short_heuristics(local_llm, nb201):
    evaluated = []
    for arch in (*ELITES, nb201.sample(1, seed=1)[0].string):
        cost = nb201.cost(arch)
        evaluated.append(
            Candidate(
                Architecture("nb201", arch),
                {
                    "mflops": ObjectiveValue("mflops", cost.mflops, "MFLOP", "table"),
                    "params_m": ObjectiveValue("params_m", cost.params_m, "M", "table"),
                },
                band=0,
            )
        )
    client = LlmClient(local_llm.settings(max_tokens=600))
    update = rewrite_knowledge(client, nb201, band=0, evaluated=evaluated, max_heuristics=3, seed=3)
    assert update.ok, update.reply.rejection
    assert 1 <= len(update.heuristics) <= 3
    for heuristic in update.heuristics:
        assert re.match(TEXT_PATTERN, heuristic.rule) and re.match(TEXT_PATTERN, heuristic.evidence)


def test_the_local_server_needs_its_key(local_llm):
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(f"{local_llm.base_url}/models", timeout=10)
    assert caught.value.code == 401
    client = LlmClient(local_llm.settings(api_key="not-the-key", mode="json_object"))
    with pytest.raises(LlmHttpError, match="refused the API key"):
        client.list_models()


def test_a_server_is_started_and_stopped_by_pid(monkeypatch):
    # llama_cpp.server lets HOST and PORT from the environment override its flags
    monkeypatch.setenv("PORT", "1")
    monkeypatch.setenv("HOST", "0.0.0.0")
    server = LocalLlamaServer(startup_timeout_s=120).start()
    pid = server.pid
    try:
        os.kill(pid, 0)  # alive
        request = urllib.request.Request(
            f"{server.base_url}/models",
            headers={"Authorization": f"Bearer {server.settings().api_key}"},
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert server.model in json.dumps(json.load(answer))
    finally:
        server.stop()
    assert not server.running
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"{server.base_url}/models", timeout=2)


IN_PROCESS_CHECK = """
import json, os, urllib.error, urllib.request
from hwnas.llm import LlmClient, LocalLlamaServer
server = LocalLlamaServer(in_process=True).start()
try:
    running, same_pid = server.running, server.pid == os.getpid()
    mode = LlmClient(server.settings(mode="auto")).probe().mode
finally:
    server.stop()
try:
    urllib.request.urlopen(f"{server.base_url}/models", timeout=2)
    still_answers = True
except urllib.error.URLError:
    still_answers = False
print(json.dumps({"running": running, "same_pid": same_pid, "mode": mode,
                  "stopped": not server.running, "still_answers": still_answers}))
"""


def test_the_server_also_runs_in_process():
    # In a child process: a crash in llama.cpp's native code fails this test, not the runner.
    done = subprocess.run([sys.executable, "-c", IN_PROCESS_CHECK], capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, (
        f"in-process server child exited with {done.returncode} "
        f"(negative: killed by signal {-done.returncode}); stderr tail: {done.stderr[-2000:]}"
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report == {"running": True, "same_pid": True, "mode": "json_object",
                      "stopped": True, "still_answers": False}
