from __future__ import annotations

import onnx
import pytest
import torch

from hwnas.toolchain import (
    DEFAULT_TOLERANCE,
    ExportError,
    export_onnx,
    max_abs_error_vs_torch,
    reinitialize_weights,
)

SHAPES = [((3, 32, 32), 100), ((1, 52, 16), 18), ((1, 88, 88), 1)]


@pytest.mark.parametrize(("shape", "classes"), SHAPES)
def test_onnx_runtime_matches_torch_on_20_random_architectures(nb201, shape, classes) -> None:
    for index, arch in enumerate(nb201.sample(20, seed=2026)):
        model = reinitialize_weights(nb201.to_torch(arch, shape, classes), shape, seed=index)
        data = export_onnx(model, shape)
        error = max_abs_error_vs_torch(model, data, shape, batch_size=1, seed=index)
        assert error <= DEFAULT_TOLERANCE, f"{arch}: max abs error {error}"


def test_reinitialised_outputs_depend_on_the_input(nb201) -> None:
    # With default initialisation every output would equal the classifier bias.
    shape = (3, 32, 32)
    arch = (
        "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|"
        "skip_connect~2|"
    )
    model = reinitialize_weights(nb201.to_torch(arch, shape, 10), shape, seed=0)
    with torch.no_grad():
        outputs = model(torch.randn(8, *shape))
    assert outputs.std(dim=0).mean() > 0.05


def test_the_check_catches_a_wrong_graph(nb201, tmp_path) -> None:
    shape = (3, 32, 32)
    common = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|"
    a = common + "nor_conv_3x3~1|skip_connect~2|"
    b = common + "nor_conv_1x1~1|skip_connect~2|"
    model_a = reinitialize_weights(nb201.to_torch(a, shape, 10), shape, seed=0)
    model_b = reinitialize_weights(nb201.to_torch(b, shape, 10), shape, seed=0)
    path = tmp_path / "a.onnx"
    export_onnx(model_a, shape, path)
    assert max_abs_error_vs_torch(model_b, path, shape) > 100 * DEFAULT_TOLERANCE


def test_export_writes_one_self_contained_file_with_recent_opset(nb201, tmp_path) -> None:
    shape = (3, 32, 32)
    model = nb201.to_torch(nb201.sample(1, seed=0)[0], shape, 10)
    path = tmp_path / "m.onnx"
    export_onnx(model, shape, path, batch_size=2, dynamic_batch=True)
    loaded = onnx.load(str(path))
    onnx.checker.check_model(loaded)
    assert max(o.version for o in loaded.opset_import if o.domain in ("", "ai.onnx")) >= 17
    assert list(tmp_path.iterdir()) == [path]  # no external .onnx.data file
    assert max_abs_error_vs_torch(model, path, shape, batch_size=3) <= DEFAULT_TOLERANCE


def test_old_opset_is_refused(nb201) -> None:
    with pytest.raises(ExportError, match="opset 13 is too old"):
        export_onnx(nb201.to_torch(nb201.sample(1)[0]), (3, 32, 32), opset=13)
