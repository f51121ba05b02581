"""`profile_many`: the batch `hwnas profile` runs, as a library call."""

from __future__ import annotations

import pytest

from hwnas.core import Architecture, ConfigError
from hwnas.devices import get_device
from hwnas.profilers import BatchReport, ModelSource, create_profiler, profile_many

ARCHS = [
    "|nor_conv_3x3~0|+|skip_connect~0|nor_conv_1x1~1|+|avg_pool_3x3~0|none~1|skip_connect~2|",
    "|nor_conv_1x1~0|+|none~0|skip_connect~1|+|nor_conv_3x3~0|none~1|avg_pool_3x3~2|",
]


def _sources() -> list[ModelSource]:
    return [
        ModelSource.from_architecture(a, space="nb201", input_shape=(3, 8, 8), num_classes=5)
        for a in ARCHS
    ]


def test_a_batch_is_measured_once_then_skipped_from_its_table(tmp_path):
    table = tmp_path / "t.csv"
    calls: list[tuple[int, int]] = []
    report = profile_many(
        _sources(), get_device("host-cpu"), "roofline", out=table,
        progress=lambda done, total: calls.append((done, total)),
    )
    assert isinstance(report, BatchReport)
    assert (report.requested, report.measured, report.skipped, report.failures) == (2, 2, 0, ())
    assert calls == [(0, 2), (1, 2), (2, 2)]
    rows = table.read_text().splitlines()
    assert len(rows) == 3 and all(",nb201," in row for row in rows[1:])
    summary = report.summary()
    assert list(summary) == [
        "device", "profiler", "requested", "measured", "skipped", "failed", "noisy",
        "sample_ms", "median_cv", "median_latency_p50_ms", "seconds",
        "seconds_per_measurement", "out", "failures",
    ]
    assert summary["out"] == str(table) and summary["profiler"] == "roofline"

    again = profile_many(_sources(), get_device("host-cpu"), "roofline", out=table)
    assert (again.measured, again.skipped) == (0, 2)
    assert again.summary()["median_cv"] is None and len(table.read_text().splitlines()) == 3


def test_tvm_without_a_database_notes_untuned_code_and_reports_the_tvm_fields():
    notes: list[tuple[str, str]] = []
    report = profile_many(
        [], get_device("host-cpu"), "tvm", notice=lambda kind, text: notes.append((kind, text))
    )
    assert [kind for kind, _ in notes] == ["note"] and "untuned" in notes[0][1]
    summary = report.summary()
    assert summary["tuning_db"] is None and summary["tuning"] is None
    assert summary["tuning_coverage_min"] is None and summary["requested"] == 0


def test_tuning_options_need_the_tvm_profiler_by_name(tmp_path):
    with pytest.raises(ConfigError, match="--tune-trials is for the tvm profiler"):
        profile_many([], get_device("host-cpu"), "roofline", tune_trials=2)
    with pytest.raises(ConfigError, match="no tuning records yet"):
        profile_many([], get_device("host-cpu"), "tvm", tuning_db=tmp_path)
    with pytest.raises(ConfigError, match="need the profiler by name"):
        profile_many([], get_device("host-cpu"), create_profiler("tvm"), tuning_db=tmp_path)


def test_an_instance_a_device_name_and_plain_architectures_are_accepted():
    arch = Architecture("nb201", ARCHS[0])
    report = profile_many([arch], "raspberry-pi-5", create_profiler("roofline"))
    assert report.measured == 1 and report.measurements[0].arch_id == arch.arch_id
