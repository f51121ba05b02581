"""`hwnas deploy-check` on host-cpu with the real ONNX Runtime profiler.

The run's latency objective is itself a real ONNX Runtime measurement on this host, so
the check compares two real measurements of the same network. The machine is shared,
so the tests assert how the error is computed and where the prediction came from, not
how small it is (that figure belongs in docs/export.md, from a benchmark script).
"""

from __future__ import annotations

import math

import pytest
from export_helpers import cli_json, hwnas

from hwnas.core import Architecture, Candidate, ConfigError, ObjectiveValue
from hwnas.export import ModelFileError, deploy_check, export_from_run
from hwnas.profilers import ProfileSettings, create_profiler
from hwnas.runs import RunStore

ARCHS = [
    "|none~0|+|nor_conv_1x1~0|none~1|+|skip_connect~0|none~1|avg_pool_3x3~2|",
    "|nor_conv_3x3~0|+|nor_conv_1x1~0|none~1|+|skip_connect~0|none~1|nor_conv_3x3~2|",
]
QUICK = ProfileSettings(warmup=3, min_repeats=5, max_repeats=60, max_seconds=1.0,
                        ci_fraction=0.05)


@pytest.fixture(scope="module")
def measured_run(tmp_path_factory, data_dir):
    from hwnas.benchmarks import resolve_table_metric

    table, metric = resolve_table_metric("cifar10")
    root = tmp_path_factory.mktemp("runs")
    config = {"search": {"space": "nb201", "device": "host-cpu",
                         "objectives": "accuracy=table:cifar10,latency=profile:host-cpu"}}
    store = RunStore.create(root, config, "random", 0)
    profiler = create_profiler("onnxruntime")
    for string in ARCHS:
        arch = Architecture("nb201", string)
        measurement = profiler.profile(arch, "host-cpu", QUICK)
        store.add_candidate_with_measurements(Candidate(arch, {
            "accuracy": ObjectiveValue("accuracy", table.value(arch, metric), "percent", "table",
                                       False),
            "latency": ObjectiveValue("latency", measurement.latency_p50_ms, "ms", "measured"),
        }), {"status": "ok"}, [measurement])
    store.set_status("finished")
    store.close()
    exported = export_from_run(store.folder, "fastest", root / "exports")
    return store.folder, exported


def test_deploy_check_reports_the_error_against_the_metadata(measured_run) -> None:
    folder, exported = measured_run
    predicted = exported.metadata["objectives"]["latency"]["value"]
    data = cli_json("deploy-check", exported.onnx_path, "--device", "host-cpu",
                    "--max-seconds", "1")
    assert data["device"] == "host-cpu" and data["profiler"] == "onnxruntime"
    assert data["prediction_from"] == "metadata"
    assert data["arch_id"] == exported.architecture.arch_id
    (comparison,) = data["comparisons"]
    assert comparison["metric"] == "latency_ms" and comparison["source"] == "measured"
    assert comparison["predicted"] == predicted
    measured = data["measurement"]["latency_p50_ms"]
    assert comparison["measured"] == measured > 0
    assert math.isclose(comparison["error_percent"], 100 * (measured - predicted) / predicted,
                        rel_tol=1e-9)
    assert any("untrained" in note for note in data["notes"])


def test_deploy_check_reads_the_prediction_from_the_run(measured_run) -> None:
    folder, exported = measured_run
    with RunStore.open(folder) as store:
        stored = {c.architecture.arch_id: c for c in store.candidates()}
    report = deploy_check(exported.onnx_path, "host-cpu", "onnxruntime", run=folder,
                          settings=QUICK)
    assert report.prediction_from == "run"
    assert report.comparisons[0].predicted == stored[report.arch_id].value("latency")
    assert report.measurement.arch_id.startswith("onnx-")  # it measured the file itself


def test_deploy_check_notes_a_different_device(measured_run, tmp_path, table_run) -> None:
    # The table run predicted for raspberry-pi-5; measuring here compares two devices.
    exported = export_from_run(table_run.folder, "fastest", tmp_path)
    report = deploy_check(exported.onnx_path, "host-cpu", settings=QUICK)
    assert report.predicted_for_device == "raspberry-pi-5"
    assert any("compares two devices" in note for note in report.notes)
    assert report.comparisons[0].source == "table"


def test_deploy_check_refuses_files_without_hwnas_metadata(tmp_path, nb201) -> None:
    from hwnas.toolchain import export_onnx

    plain = tmp_path / "plain.onnx"
    export_onnx(nb201.to_torch(ARCHS[0]), (3, 32, 32), plain)
    with pytest.raises(ModelFileError, match="no hwnas metadata"):
        deploy_check(plain, "host-cpu")
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"definitely not protobuf")
    result = hwnas("deploy-check", str(broken), "--device", "host-cpu")
    assert result.returncode == 2 and "not a readable ONNX model" in result.stderr
    with pytest.raises(ModelFileError, match="does not exist"):
        deploy_check(tmp_path / "missing.onnx", "host-cpu")


def test_deploy_check_with_a_run_that_lacks_the_model(measured_run, table_run) -> None:
    _, exported = measured_run
    with pytest.raises(ConfigError, match="has no candidate"):
        deploy_check(exported.onnx_path, "host-cpu", run=table_run.folder)
