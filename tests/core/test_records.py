from __future__ import annotations

import dataclasses

import pytest

from hwnas.core import Architecture, Candidate, Measurement, ObjectiveValue, to_plain


def test_architecture_id_is_stable_and_space_dependent() -> None:
    a = Architecture("nb201", "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|")
    assert a.arch_id == Architecture("nb201", a.string).arch_id
    assert a.arch_id != Architecture("fbnet", a.string).arch_id
    assert len(a.arch_id) == 16 and int(a.arch_id, 16) >= 0
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.string = "x"  # type: ignore[misc]


def test_measurement_units_and_plain_form() -> None:
    m = Measurement(
        arch_id="abc", device="host-cpu", profiler="onnxruntime", batch_size=1, precision="fp32",
        latency_p50_ms=2.0, latency_p90_ms=2.5, latency_mean_ms=2.0, latency_std_ms=0.1, repeats=50,
    )
    assert m.latency_cv == pytest.approx(0.05)
    plain = m.to_dict()
    assert plain["latency_p50_ms"] == 2.0 and plain["energy_mj"] is None
    assert Measurement(**plain) == m


def test_candidate_plain_form_includes_arch_id() -> None:
    arch = Architecture("nb201", "s")
    c = Candidate(arch, {"acc": ObjectiveValue("acc", 70.0, "percent", "table", minimize=False)}, 2)
    plain = to_plain(c)
    assert plain["architecture"]["arch_id"] == arch.arch_id
    assert plain["objectives"]["acc"]["source"] == "table"
    assert c.value("acc") == 70.0
