from __future__ import annotations

import pytest

from hwnas.llm import LlmError, knowledge_schema, parse_json_reply
from hwnas.llm._replies import ReplyRejected, check_schema, validate_against_schema


def kind_of(text, finish_reason=None):
    with pytest.raises(ReplyRejected) as caught:
        parse_json_reply(text, finish_reason)
    return caught.value.rejection.kind


def test_a_bare_object_a_fenced_object_and_one_object_in_prose_parse():
    assert parse_json_reply('{"a": 1}') == {"a": 1}
    assert parse_json_reply('```json\n{"a": 2}\n```') == {"a": 2}
    assert parse_json_reply('Here you go: {"a": {"b": 3}} hope it helps') == {"a": {"b": 3}}


def test_empty_two_objects_prose_and_non_objects_are_rejected():
    assert kind_of("") == "empty"
    assert kind_of(None) == "empty"
    assert kind_of('{"a": 1} and {"b": 2}') == "not_json"
    assert kind_of("I would change the second edge.") == "not_json"
    assert kind_of("[1, 2]") == "schema"


def test_deep_nesting_and_huge_replies_are_rejections_not_crashes():
    deep = '{"a": ' + "[" * 100_000 + "]" * 100_000 + "}"
    assert kind_of(deep) == "not_json"  # json.loads alone raises RecursionError here
    assert kind_of("Sure: " + deep) == "not_json"  # and so does the search in prose
    with pytest.raises(ReplyRejected, match="more than 32 levels deep"):
        parse_json_reply('{"a": ' + "[" * 33 + "]" * 33 + "}")
    assert parse_json_reply('{"a": ' + "[" * 31 + "]" * 31 + "}")["a"]  # 32 levels: fine
    with pytest.raises(ReplyRejected, match="over the 100,000 accepted"):
        parse_json_reply('{"a": "' + "x" * 200_000 + '"}')


def test_cut_off_json_is_reported_as_truncated():
    assert kind_of('{"candidates": [{"changed": "edge 1", "wh') == "truncated"
    assert kind_of('{"a": 1', finish_reason="length") == "truncated"
    with pytest.raises(ReplyRejected, match="max_tokens"):
        parse_json_reply('{"a": [1, 2', "length")


def test_schema_violations_name_the_place():
    schema = knowledge_schema(2)
    good = {"heuristics": [{"rule": "Convs on edge 3<-0 help", "evidence": "arch 12 vs 40"}]}
    validate_against_schema(good, schema)
    bad = {"heuristics": [{"rule": "line one\nline two", "evidence": "x"}]}
    with pytest.raises(ReplyRejected, match="heuristics/0/rule") as caught:
        validate_against_schema(bad, schema)
    assert caught.value.rejection.kind == "schema"
    too_many = {"heuristics": [good["heuristics"][0]] * 3}
    with pytest.raises(ReplyRejected):
        validate_against_schema(too_many, schema)


def test_an_invalid_schema_is_a_programming_error():
    with pytest.raises(LlmError, match="invalid JSON schema"):
        check_schema({"type": "objekt"})
