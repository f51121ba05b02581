"""The shared versioned-manifest reader and atomic writer."""

from __future__ import annotations

import json
import os

import pytest

from hwnas.core import DataError, ManifestFormat, check_manifest, read_manifest, write_manifest

SPEC = ManifestFormat(
    "hwnas-test", (1, 2), DataError,
    missing="{path} is missing; write one",
    wrong_version="{path} is version {version}; this reads {supported}: rewrite it",
)


def test_round_trip_keeps_the_data_and_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "deeper" / "manifest.json"
    data = {"format": "hwnas-test", "format_version": 2, "b": [1, 2], "a": {"x": 0.5}}
    assert write_manifest(target, data) == target
    assert read_manifest(target, SPEC) == data
    assert os.listdir(target.parent) == ["manifest.json"]
    assert target.read_text().endswith("}\n")
    assert list(json.loads(target.read_text())) == ["a", "b", "format", "format_version"]
    write_manifest(target, data, sort_keys=False)
    assert list(json.loads(target.read_text())) == list(data)
    assert SPEC.version == 2


def test_a_failed_write_keeps_the_old_file(tmp_path):
    target = tmp_path / "manifest.json"
    write_manifest(target, {"format": "hwnas-test", "format_version": 1})
    with pytest.raises(TypeError):
        write_manifest(target, {object(): 1})  # a key JSON cannot hold
    assert read_manifest(target, SPEC)["format_version"] == 1
    assert os.listdir(tmp_path) == ["manifest.json"]


def test_each_failure_is_one_line_that_says_the_fix(tmp_path):
    with pytest.raises(DataError, match=r"missing\.json is missing; write one$"):
        read_manifest(tmp_path / "missing.json", SPEC)
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(DataError, match=r"bad\.json is not valid JSON \(Expecting"):
        read_manifest(tmp_path / "bad.json", SPEC)
    (tmp_path / "list.json").write_text("[1, 2]")
    with pytest.raises(DataError, match=r"is not a hwnas-test file \(format None\)"):
        read_manifest(tmp_path / "list.json", SPEC)
    (tmp_path / "old.json").write_text(json.dumps({"format": "hwnas-test", "format_version": 7}))
    expected = r"^folder is version 7; this reads 1, 2: rewrite it$"
    with pytest.raises(DataError, match=expected) as info:
        read_manifest(tmp_path / "old.json", SPEC, shown="folder")
    assert "\n" not in str(info.value)
    with pytest.raises(DataError, match="format 'other'"):
        check_manifest({"format": "other"}, SPEC, "given")
