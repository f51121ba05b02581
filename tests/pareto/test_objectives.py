"""Objective specs: parsing, directions, chains and one-line errors."""

from __future__ import annotations

import pytest

from hwnas.core import ConfigError
from hwnas.pareto import format_objectives, parse_objectives


def test_parse_directions_and_chains() -> None:
    specs = parse_objectives(
        "accuracy=table:cifar100,latency=predictor:model.json>profile:host-cpu,error:min=table:x")
    assert [s.name for s in specs] == ["accuracy", "latency", "error"]
    assert [s.minimize for s in specs] == [False, True, True]
    assert [str(s) for s in specs[1].sources] == ["predictor:model.json", "profile:host-cpu"]
    assert specs[1].screened and not specs[0].screened
    assert parse_objectives(format_objectives(specs)) == specs


@pytest.mark.parametrize("text, message", [
    ("", "no objectives"),
    ("accuracy", "NAME=SOURCE:TARGET"),
    ("accuracy=table:cifar100", "at least two objectives"),
    ("accuracy=oracle:x,latency=table:pi5-onnx", "unknown source 'oracle'"),
    ("a=table:x,a=table:y", "given twice"),
])
def test_bad_objectives(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as error:
        parse_objectives(text)
    assert "\n" not in str(error.value)
