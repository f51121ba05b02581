"""Export from finished runs: every pick rule, metadata round-trip, weights, the check."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
import torch
from export_helpers import cli_json, hwnas

from hwnas.core import Architecture, ConfigError
from hwnas.export import (
    ExportError,
    WeightsError,
    export_architecture,
    export_from_run,
    pick_candidate,
    read_metadata,
)
from hwnas.toolchain import reinitialize_weights

SMALL = Architecture(
    "nb201", "|none~0|+|nor_conv_1x1~0|none~1|+|skip_connect~0|none~1|avg_pool_3x3~2|"
)


def _ort_output(path, x: np.ndarray) -> np.ndarray:
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: x})[0]


@pytest.mark.parametrize("rule", ["fastest", "most-accurate"])
def test_export_each_rule_writes_a_checked_labelled_file(table_run, tmp_path, rule) -> None:
    result = export_from_run(table_run.folder, rule, tmp_path)
    pick = pick_candidate(table_run.candidates(), rule, None, table_run.candidate_extras())
    assert result.architecture == pick.candidate.architecture
    assert result.max_abs_error <= 1e-4
    model = onnx.load(result.onnx_path)
    onnx.checker.check_model(model)
    assert max(o.version for o in model.opset_import if o.domain in ("", "ai.onnx")) >= 17
    meta = read_metadata(result.onnx_path)
    assert meta["arch_id"] == pick.candidate.architecture.arch_id
    assert meta["pick"]["rule"] == rule and meta["pick"]["on_front"] is True


def test_cli_export_knee_and_metadata_round_trip(table_run, tmp_path) -> None:
    out = tmp_path / "out"
    data = cli_json("export", str(table_run.folder), "--pick", "knee", "--out", str(out),
                    "--tensorrt", "--board", "jetson-orin-nano", "--precision", "fp16")
    pick = pick_candidate(table_run.candidates(), "knee", None, table_run.candidate_extras())
    candidate = pick.candidate
    assert data["architecture"]["arch_id"] == candidate.architecture.arch_id
    meta = read_metadata(data["onnx_path"])
    assert meta["space"] == "nb201" and meta["arch_string"] == candidate.architecture.string
    assert meta["run_id"] == table_run.run_id and meta["device"] == "raspberry-pi-5"
    assert meta["weights_status"] == "untrained" and meta["hwnas_version"]
    assert data["weights_status"] == "untrained" and data["pick"]["rule"] == "knee"
    for name, value in candidate.objectives.items():
        stored = meta["objectives"][name]
        assert stored == {"value": value.value, "unit": value.unit, "source": value.source,
                          "minimize": value.minimize}
    assert meta["input_shape"] == [3, 32, 32] and meta["num_classes"] == 10
    assert meta["max_abs_error"] == data["max_abs_error"] <= 1e-4
    # Without TensorRT here: the command for the board, and only the model file written.
    name = f"nb201-{candidate.architecture.arch_id}.onnx"
    assert f"--onnx={name}" in data["tensorrt"]["trtexec_command"]
    assert "--fp16" in data["tensorrt"]["trtexec_command"]
    if not data["tensorrt"]["built_here"]:
        assert sorted(p.name for p in out.iterdir()) == [name]


def test_deployed_graph_computes_the_benchmark_network(tmp_path, nb201) -> None:
    from hwnas.toolchain import export_onnx

    sample = [a for a in nb201.sample(60, seed=3) if not all(nb201.live_edges(a))]
    # A conv reading a node fed only by `none` edges outputs BatchNorm's shift, not zero:
    # pruning keeps it, so the pruned graph still computes the benchmark network.
    with_constant = next(
        a for a in sample
        if any(live and nb201.ops[g].startswith("nor_conv") and s == 1 and not any(
            nb201.live_edges(a)[i] for i, (_, t) in enumerate(nb201.edges) if t == 1)
            for live, g, (s, _) in zip(nb201.live_edges(a), nb201.genes(a), nb201.edges))
    )
    for arch in (sample[0], with_constant):
        result = export_architecture(arch, tmp_path / arch.arch_id, (1, 52, 16), 18)
        assert result.pruned
        full = reinitialize_weights(nb201.to_torch(arch, (1, 52, 16), 18), (1, 52, 16), seed=0)
        x = torch.randn(1, 1, 52, 16)
        with torch.no_grad():
            expected = full.eval()(x).numpy()
        got = _ort_output(result.onnx_path, x.numpy())
        assert np.max(np.abs(got - expected)) <= 1e-4
        assert np.std(expected) > 1e-3  # outputs depend on the weights: not a trivial check
        nodes = len(onnx.load(result.onnx_path).graph.node)
        full_nodes = len(onnx.load_from_string(export_onnx(full, (1, 52, 16))).graph.node)
        assert nodes < full_nodes


def test_trained_weights_are_loaded_in_either_layout(tmp_path, nb201) -> None:
    from safetensors.torch import save_file

    shape = (3, 32, 32)
    trained = reinitialize_weights(nb201.to_torch(SMALL, shape, 10), shape, seed=42).eval()
    save_file(trained.state_dict(), tmp_path / "benchmark.safetensors")
    x = torch.randn(1, *shape)
    with torch.no_grad():
        expected = trained(x).numpy()
    result = export_architecture(SMALL, tmp_path / "a", weights=tmp_path / "benchmark.safetensors")
    assert result.weights_status == "trained"
    assert result.metadata["weights_layout"] == "benchmark"
    assert np.max(np.abs(_ort_output(result.onnx_path, x.numpy()) - expected)) <= 1e-4
    # The same weights saved from the pruned network (what a deployment script holds).
    pruned = nb201.to_torch(SMALL, shape, 10, prune=True)
    from hwnas.export._weights import copy_to_pruned, pruned_key_mapping

    copy_to_pruned(trained, pruned, pruned_key_mapping(nb201, SMALL, pruned))
    save_file({f"module.{k}": v for k, v in pruned.state_dict().items()},
              tmp_path / "pruned.safetensors")
    again = export_architecture(SMALL, tmp_path / "b", weights=tmp_path / "pruned.safetensors")
    assert again.metadata["weights_layout"] == "pruned"
    assert np.max(np.abs(_ort_output(again.onnx_path, x.numpy()) - expected)) <= 1e-4


def test_bad_weights_files_give_clear_errors(tmp_path, nb201) -> None:
    from safetensors.torch import save_file

    shape = (3, 32, 32)
    model = nb201.to_torch(SMALL, shape, 10)
    good = tmp_path / "good.safetensors"
    save_file(model.state_dict(), good)
    truncated = tmp_path / "truncated.safetensors"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(WeightsError, match="not a readable safetensors file"):
        export_architecture(SMALL, tmp_path / "x", weights=truncated)
    garbage = tmp_path / "garbage.safetensors"
    garbage.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00not json at all!")
    with pytest.raises(WeightsError, match="not a readable safetensors file"):
        export_architecture(SMALL, tmp_path / "x", weights=garbage)
    pickled = tmp_path / "model.pt"
    torch.save(model.state_dict(), pickled)
    with pytest.raises(WeightsError, match="never unpickles: convert it once"):
        export_architecture(SMALL, tmp_path / "x", weights=pickled)
    renamed = tmp_path / "sneaky.safetensors"
    renamed.write_bytes(pickled.read_bytes())
    with pytest.raises(WeightsError, match="pickled PyTorch checkpoint"):
        export_architecture(SMALL, tmp_path / "x", weights=renamed)
    other = tmp_path / "other.safetensors"
    save_file(nb201.to_torch("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|"
                             "nor_conv_3x3~1|nor_conv_3x3~2|", shape, 10).state_dict(), other)
    with pytest.raises(WeightsError, match="do not fit .*unexpected"):
        export_architecture(SMALL, tmp_path / "x", weights=other)
    classes = tmp_path / "classes.safetensors"
    save_file(nb201.to_torch(SMALL, shape, 100).state_dict(), classes)
    with pytest.raises(WeightsError, match="pass --num-classes 100"):
        export_architecture(SMALL, tmp_path / "x", weights=classes)
    nan = {k: v.clone() for k, v in model.state_dict().items()}
    nan["classifier.weight"][0, 0] = float("nan")
    save_file(nan, tmp_path / "nan.safetensors")
    with pytest.raises(WeightsError, match="NaN"):
        export_architecture(SMALL, tmp_path / "x", weights=tmp_path / "nan.safetensors")
    assert not (tmp_path / "x").exists()  # nothing written by a failed export


def test_cli_weights_errors_are_one_line_and_write_nothing(table_run, tmp_path) -> None:
    bad = tmp_path / "weights.pth"
    bad.write_bytes(b"\x80\x04garbage")
    out = tmp_path / "out"
    result = hwnas("export", str(table_run.folder), "--pick", "fastest", "--out", str(out),
                   "--weights", str(bad))
    assert result.returncode == 2
    lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1 and "safetensors" in lines[0] and "Traceback" not in result.stderr
    assert not out.exists() or not any(out.iterdir())


def test_cli_refuses_to_overwrite_an_export_unless_forced(table_run, tmp_path) -> None:
    out = tmp_path / "out"
    first = hwnas("export", str(table_run.folder), "--pick", "fastest", "--out", str(out))
    assert first.returncode == 0, first.stderr
    (written,) = out.iterdir()
    written.write_bytes(b"the user's edited model")  # stands for anything worth keeping
    again = hwnas("export", str(table_run.folder), "--pick", "fastest", "--out", str(out))
    assert again.returncode == 2  # was 0: the file was silently replaced
    lines = [line for line in again.stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1 and str(written) in lines[0] and "--force" in lines[0]
    assert written.read_bytes() == b"the user's edited model"
    forced = hwnas("export", str(table_run.folder), "--pick", "fastest", "--out", str(out),
                   "--force")
    assert forced.returncode == 0, forced.stderr
    assert read_metadata(str(written))["arch_id"] and sorted(out.iterdir()) == [written]


def test_a_failed_check_writes_nothing(tmp_path) -> None:
    with pytest.raises(ExportError, match="nothing was written"):
        export_architecture(SMALL, tmp_path / "strict", (3, 16, 16), tolerance=1e-15)
    assert not (tmp_path / "strict").exists() or not any((tmp_path / "strict").iterdir())


def test_run_config_input_shape_and_classes_are_used(tmp_path, data_dir) -> None:
    from hwnas.core import Candidate, ObjectiveValue
    from hwnas.runs import RunStore

    config = {"search": {"space": "nb201",
                         "objectives": "accuracy=table:cifar100,latency=table:pi5-onnx"},
              "input_shape": [1, 52, 16], "num_classes": 18}
    store = RunStore.create(tmp_path / "runs", config, "random", 0)
    store.add_candidate(Candidate(SMALL, {
        "accuracy": ObjectiveValue("accuracy", 50.0, "percent", "table", False),
        "latency": ObjectiveValue("latency", 3.0, "ms", "table", True)}))
    store.close()
    result = export_from_run(store.folder, "knee", tmp_path / "out")
    assert result.input_shape == (1, 52, 16) and result.num_classes == 18
    model = onnx.load(result.onnx_path)
    dims = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    assert dims == [1, 1, 52, 16]


def test_simplified_export_passes_the_check(tmp_path) -> None:
    pytest.importorskip("onnxslim")
    result = export_architecture(SMALL, tmp_path, simplify=True)
    assert result.simplified and result.max_abs_error <= 1e-4
    assert read_metadata(result.onnx_path)["simplified"] is True


def test_bad_input_shape_and_opset(tmp_path) -> None:
    with pytest.raises(ConfigError, match="C,H,W"):
        export_architecture(SMALL, tmp_path, input_shape="3,32")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="17 or newer"):
        export_architecture(SMALL, tmp_path, opset=13)
