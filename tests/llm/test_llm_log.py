from __future__ import annotations

import sqlite3

from hwnas.llm import LlmCallRecord, SqliteLlmCallLog, request_key

MESSAGES = ({"role": "user", "content": "hi"},)
PARAMS = {"temperature": 0.2, "max_tokens": 10, "seed": 1}


def record(key, run_id="r1", status="ok", cached=False, response='{"a": 1}'):
    return LlmCallRecord(
        run_id=run_id,
        request_key=key,
        model="m",
        base_url="http://h/v1",
        messages=MESSAGES,
        params=PARAMS,
        status=status,
        response=response,
        prompt_tokens=5,
        completion_tokens=3,
        latency_s=1.5,
        cached=cached,
        template="t.v1",
        schema={"type": "object"},
    )


def test_request_key_covers_model_messages_params_seed_and_schema():
    key = request_key("m", MESSAGES, PARAMS, {"type": "object"})
    assert key == request_key("m", [dict(MESSAGES[0])], dict(PARAMS), {"type": "object"})
    assert key != request_key("m2", MESSAGES, PARAMS, {"type": "object"})
    assert key != request_key("m", MESSAGES, PARAMS | {"seed": 2}, {"type": "object"})
    assert key != request_key(
        "m", ({"role": "user", "content": "hi!"},), PARAMS, {"type": "object"}
    )
    assert key != request_key("m", MESSAGES, PARAMS, {"type": "array"})


def test_calls_round_trip_and_lookup_skips_errors_and_cache_hits(tmp_path):
    path = tmp_path / "run.sqlite"
    with SqliteLlmCallLog(path, run_id="r1") as log:
        log.record(record("k-error", status="error", response=None))
        assert log.lookup("k-error") is None
        log.record(record("k", cached=True))
        assert log.lookup("k") is None  # a cache hit is no reply from the endpoint
        log.record(record("k"))
        log.record(record("other", run_id="r2"))
    with SqliteLlmCallLog(path, run_id="r3") as reopened:  # a later run finds earlier replies
        found = reopened.lookup("k")
        assert found == record("k").__class__(**{**found.__dict__})
        assert (found.response, found.prompt_tokens, found.latency_s, found.template) == (
            '{"a": 1}',
            5,
            1.5,
            "t.v1",
        )
        assert found.messages == MESSAGES and found.params == PARAMS
        assert [c.request_key for c in reopened.calls("r1")] == ["k-error", "k", "k"]
        assert len(reopened.calls()) == 4
        assert found.to_llm_call().response == '{"a": 1}'


def test_the_log_lives_beside_other_tables_in_one_sqlite_file(tmp_path):
    path = tmp_path / "run.sqlite"
    with sqlite3.connect(path) as other:
        other.execute("CREATE TABLE candidates (arch TEXT)")
    with SqliteLlmCallLog(path, "r1") as log:
        log.record(record("k"))
    with sqlite3.connect(path) as check:
        tables = {
            row[0] for row in check.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
    assert {"candidates", "llm_calls"} <= tables
