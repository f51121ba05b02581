"""Error paths against a stand-in for a misbehaving endpoint (tests/llm/standin_endpoint.py):
a real HTTP server on 127.0.0.1 that answers what the test scripts, since the real model
cannot be made to send bad JSON, HTTP 500, 429 or hang on demand."""

from __future__ import annotations

import json
import threading
import time

import pytest
from standin_endpoint import MisbehavingEndpoint, Scripted

from hwnas.llm import (
    LlmClient,
    LlmConnectionError,
    LlmHttpError,
    LlmReplyRejectedError,
    LlmSettings,
    LlmTimeoutError,
    SqliteLlmCallLog,
    distill_knowledge,
    propose_candidates,
    rewrite_knowledge,
)

ELITE = (
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"
)
SCHEMA = {
    "type": "object",
    "properties": {"answer": {"type": "string", "pattern": "^[a-z]{1,10}$"}},
    "required": ["answer"],
    "additionalProperties": False,
}
MESSAGES = [{"role": "user", "content": "answer in one word"}]


def client_for(endpoint: MisbehavingEndpoint, log=None, **options) -> LlmClient:
    values = {
        "base_url": endpoint.base_url,
        "api_key": endpoint.api_key,
        "model": endpoint.model,
        "mode": "json_object",
        "timeout_s": 2.0,
        "max_retries": 2,
        "backoff_s": 0.01,
    }
    values.update(options)
    return LlmClient(LlmSettings(**values), log=log)


def proposal(*architectures: str) -> str:
    return json.dumps(
        {
            "candidates": [
                {"changed": "edge 3<-2", "why": "more convs", "architecture": a}
                for a in architectures
            ]
        }
    )


def test_a_valid_reply_is_returned_with_tokens_and_latency(standin):
    standin.push(Scripted('{"answer": "yes"}', prompt_tokens=11, completion_tokens=4))
    client = client_for(standin)
    reply = client.complete_json(MESSAGES, SCHEMA, seed=3)
    assert reply.ok and reply.require() == {"answer": "yes"}
    assert (reply.call.prompt_tokens, reply.call.completion_tokens) == (11, 4)
    assert reply.call.latency_s > 0 and reply.call.status == "ok"
    sent = standin.chat_requests[0]["body"]
    assert sent["seed"] == 3 and sent["response_format"] == {
        "type": "json_object",
        "schema": SCHEMA,
    }
    usage = client.usage()
    assert (usage.calls, usage.endpoint_calls, usage.prompt_tokens, usage.rejected) == (1, 1, 11, 0)


@pytest.mark.parametrize(
    ("content", "finish_reason", "kind"),
    [
        ('{"answer": "Yes, because"}', "stop", "schema"),
        ('{"answer": "yes", "extra": 1}', "stop", "schema"),
        ('{"answer": "ye', "length", "truncated"),
        ("Sure! The answer is yes.", "stop", "not_json"),
        (None, "stop", "empty"),
        ('{"answer": ' + "[" * 50_000 + "]" * 50_000 + "}", "stop", "not_json"),
        ('{"answer": ' + "[" * 40 + "]" * 40 + "}", "stop", "not_json"),
        ('{"answer": "' + "y" * 300_000 + '"}', "stop", "not_json"),
    ],
    ids=["schema-type", "schema-extra", "truncated", "prose", "empty", "nested-50000",
         "nested-40", "huge"],
)
def test_bad_replies_are_counted_rejections_and_never_valid(
    standin, tmp_path, content, finish_reason, kind
):
    standin.push(Scripted(content, finish_reason=finish_reason))
    log = SqliteLlmCallLog(tmp_path / "run.sqlite", "r1")
    client = client_for(standin, log=log)
    reply = client.complete_json(MESSAGES, SCHEMA)
    assert not reply.ok and reply.data is None and reply.rejection.kind == kind
    with pytest.raises(LlmReplyRejectedError, match=kind):
        reply.require()
    assert client.usage().rejections == {kind: 1}
    [logged] = log.calls()
    assert logged.status == "rejected" and logged.reason.startswith(kind)


def test_wrong_architecture_tokens_are_rejected_one_by_one(standin, nb201):
    good = nb201.sample(1, seed=9)[0].string
    standin.push(
        Scripted(
            proposal(
                good,
                ELITE.replace("nor_conv_3x3", "conv_5x5", 1),  # unknown op
                ELITE.replace("~1|+", "~2|+", 1),  # wrong input node
                good,  # duplicate
                ELITE,  # an elite again
            )
        )
    )
    client = client_for(standin, mode="text")  # text mode: only our checks stand guard
    result = propose_candidates(client, nb201, band=1, elites=[ELITE], count=5, seed=1)
    assert [c.architecture.string for c in result.candidates] == [nb201.parse(good).string]
    assert sorted(r.kind for r in result.rejections) == [
        "architecture",
        "architecture",
        "duplicate",
        "known",
    ]
    assert "conv_5x5" in result.rejections[0].reason
    assert client.usage().rejections == {"architecture": 2, "duplicate": 1, "known": 1}


def test_a_proposal_breaking_the_schema_yields_no_candidates(standin, nb201):
    standin.push(Scripted(proposal(*[a.string for a in nb201.sample(3, seed=2)])))
    client = client_for(standin)
    result = propose_candidates(client, nb201, band=0, elites=[ELITE], count=2)  # 3 > maxItems
    assert result.candidates == () and [r.kind for r in result.rejections] == ["schema"]


def test_knowledge_rewrite_and_distillation_validate_their_replies(standin, nb201):
    standin.push(
        Scripted(
            '{"heuristics": [{"rule": "Keep 3x3 convs on edge 3<-0", "evidence": "top 3 all do"}]}'
        ),
        Scripted(
            '{"heuristics": [{"rule": "Pooling is cheap", "evidence": "bands 0 and 1", '
            '"bands": [0, 7]}]}'
        ),
        Scripted(
            '{"heuristics": [{"rule": "Pooling is cheap", "evidence": "bands 0 and 1", '
            '"bands": [0, 1]}]}'
        ),
    )
    client = client_for(standin)
    update = rewrite_knowledge(client, nb201, band=0, evaluated=[ELITE], heuristics=["old rule"])
    assert update.ok and update.heuristics[0].rule == "Keep 3x3 convs on edge 3<-0"
    invented = distill_knowledge(client, nb201, band_knowledge={0: ["a"], 1: ["b"]})
    assert (
        not invented.ok
        and invented.heuristics == ()
        and "band(s) [7]" in invented.reply.rejection.reason
    )
    distilled = distill_knowledge(client, nb201, band_knowledge={0: ["a"], 1: ["b"]}, seed=2)
    assert distilled.ok and distilled.heuristics[0].bands == (0, 1)


def test_http_500_is_retried_then_a_clear_error(standin, tmp_path):
    standin.default = Scripted(status=500, error_message="model crashed")
    log = SqliteLlmCallLog(tmp_path / "run.sqlite", "r1")
    client = client_for(standin, log=log, max_retries=2)
    with pytest.raises(LlmHttpError, match="HTTP 500: model crashed .3 attempt") as caught:
        client.complete_json(MESSAGES, SCHEMA)
    assert caught.value.status_code == 500
    assert len(standin.chat_requests) == 3
    [logged] = log.calls()
    assert logged.status == "error" and logged.response is None and logged.attempts == 3
    assert log.lookup(logged.request_key) is None  # failures never answer a later call
    assert client.usage().errors == 1


def test_a_transient_500_and_a_429_with_retry_after_recover(standin):
    standin.push(
        Scripted(status=500),
        Scripted(status=429, headers={"Retry-After": "0.2"}),
        Scripted('{"answer": "ok"}'),
    )
    client = client_for(standin, max_retries=3)
    start = time.monotonic()
    reply = client.complete_json(MESSAGES, SCHEMA)
    assert reply.ok and reply.call.attempts == 3
    assert time.monotonic() - start >= 0.2  # Retry-After was honoured
    assert len(standin.chat_requests) == 3


def test_client_errors_are_not_retried(standin):
    standin.push(Scripted(status=400, error_message="bad parameter"))
    with pytest.raises(LlmHttpError, match="HTTP 400: bad parameter"):
        client_for(standin).complete_json(MESSAGES, SCHEMA)
    assert len(standin.chat_requests) == 1


def test_a_hanging_endpoint_times_out_per_call(standin):
    standin.default = Scripted('{"answer": "late"}', delay_s=3.0)
    client = client_for(standin, timeout_s=0.3, max_retries=1)
    start = time.monotonic()
    with pytest.raises(LlmTimeoutError, match="did not answer within 0.3 s"):
        client.complete_json(MESSAGES, SCHEMA)
    assert time.monotonic() - start < 2.5
    assert len(standin.chat_requests) == 2


def test_an_unreachable_endpoint_is_a_connection_error(standin):
    client = client_for(standin, max_retries=0)
    standin.stop()
    with pytest.raises(LlmConnectionError, match="cannot reach"):
        client.complete_json(MESSAGES, SCHEMA)


def test_the_probe_stops_at_a_refused_key(standin):
    client = client_for(standin, api_key="sk-wrong-key-123456", mode="auto")
    with pytest.raises(LlmHttpError, match="refused the API key"):
        client.probe()
    assert len(standin.chat_requests) == 1


def test_a_wrong_key_is_a_clear_error_that_does_not_echo_it(standin):
    client = client_for(standin, api_key="sk-wrong-key-123456")
    with pytest.raises(LlmHttpError, match="refused the API key") as caught:
        client.complete_json(MESSAGES, SCHEMA)
    assert "sk-wrong-key-123456" not in str(caught.value)


def test_a_repeated_call_is_answered_from_the_log_without_the_server(standin, tmp_path):
    standin.push(Scripted('{"answer": "first"}'), Scripted('{"answer": "second"}'))
    path = tmp_path / "run.sqlite"
    client = client_for(standin, log=SqliteLlmCallLog(path, "r1"))
    first = client.complete_json(MESSAGES, SCHEMA, seed=5)
    again = client.complete_json(MESSAGES, SCHEMA, seed=5)
    assert len(standin.chat_requests) == 1
    assert again.call.cached and again.data == first.data == {"answer": "first"}
    other_seed = client.complete_json(MESSAGES, SCHEMA, seed=6)
    assert len(standin.chat_requests) == 2 and other_seed.data == {"answer": "second"}
    # a rerun in a new process and run id, same file: still no request
    resumed = client_for(standin, log=SqliteLlmCallLog(path, "r2"))
    assert resumed.complete_json(MESSAGES, SCHEMA, seed=5).data == {"answer": "first"}
    assert len(standin.chat_requests) == 2
    assert resumed.usage().cache_hits == 1 and resumed.usage().prompt_tokens == 0


def test_a_cached_bad_reply_is_rejected_again_not_returned_as_valid(standin, tmp_path):
    standin.push(Scripted('{"answer": "NOT VALID"}'))
    client = client_for(standin, log=SqliteLlmCallLog(tmp_path / "run.sqlite", "r1"))
    assert not client.complete_json(MESSAGES, SCHEMA).ok
    again = client.complete_json(MESSAGES, SCHEMA)
    assert again.call.cached and not again.ok and again.data is None
    assert len(standin.chat_requests) == 1


def test_the_key_never_reaches_the_store(standin, tmp_path):
    path = tmp_path / "run.sqlite"
    # even a reply that echoes the key is stored redacted
    standin.push(
        Scripted(json.dumps({"answer": "x", "echo": standin.api_key})),
        Scripted('{"answer": "fine"}'),
        Scripted(status=500, error_message=standin.api_key),
    )
    client = client_for(standin, log=SqliteLlmCallLog(path, "r1"), max_retries=0)
    client.complete_json(MESSAGES, SCHEMA, seed=1)
    client.complete_json(MESSAGES, SCHEMA, seed=2)
    with pytest.raises(LlmHttpError) as caught:
        client.complete_json(MESSAGES, SCHEMA, seed=3)
    assert standin.api_key not in str(caught.value)
    assert all(r["path"] for r in standin.requests)
    data = b"".join(p.read_bytes() for p in tmp_path.iterdir())  # db and any journal
    assert standin.api_key.encode() not in data
    assert b"[redacted]" in data


def test_a_placeholder_key_does_not_corrupt_replies(tmp_path):
    endpoint = MisbehavingEndpoint(api_key="none").start()
    try:
        endpoint.push(Scripted('{"answer": "none"}'))
        path = tmp_path / "run.sqlite"
        client = client_for(endpoint, log=SqliteLlmCallLog(path, "r1"))
        assert client.complete_json(MESSAGES, SCHEMA).data == {"answer": "none"}
        assert SqliteLlmCallLog(path).calls()[0].response == '{"answer": "none"}'
    finally:
        endpoint.stop()


def test_the_concurrency_limit_holds_on_the_server_side(standin):
    standin.default = Scripted('{"answer": "ok"}', delay_s=0.2)
    client = client_for(standin, max_concurrency=2)
    threads = [
        threading.Thread(target=client.complete_json, args=(MESSAGES, SCHEMA), kwargs={"seed": i})
        for i in range(6)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(standin.chat_requests) == 6
    assert standin.max_in_flight == 2


@pytest.mark.parametrize(
    ("accepts", "expected"),
    [
        (("json_schema", "json_object", "text"), "json_schema"),
        (("json_object", "text"), "json_object"),
        (("text",), "text"),
    ],
)
def test_the_probe_picks_the_best_mode_the_endpoint_honours(accepts, expected):
    endpoint = MisbehavingEndpoint(accepts=accepts).start()
    try:
        endpoint.default = Scripted(
            'Here it is: {"status": "ok"}' if expected == "text" else '{"status": "ok"}'
        )
        client = client_for(endpoint, mode="auto")
        assert client.probe().mode == expected
        probes = len(endpoint.chat_requests)
        reply = client.complete_json(MESSAGES, {"type": "object"})
        assert reply.ok
        sent = endpoint.chat_requests[-1]["body"].get("response_format", {}).get("type", "text")
        assert sent == expected
        # the probe is cached per base URL and model: a second client does not probe again
        client_for(endpoint, mode="auto").complete_json(MESSAGES, {"type": "object"}, seed=1)
        assert len(endpoint.chat_requests) == probes + 2
    finally:
        endpoint.stop()


def test_model_defaults_to_the_only_listed_one(standin):
    client = client_for(standin, model=None)
    assert client.model == standin.model
