"""Deployable builds: a TVM library for this host (loaded and run), an aarch64 library
(cross-compiled, checked as an Arm ELF file), and the trtexec command for Jetson boards.

TensorRT cannot be installed on the machines this project is built on (FINDINGS.md), so
the engine itself is not built here: the tests check the command the board will run.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from hwnas.core import Architecture, ConfigError
from hwnas.export import (
    build_or_describe_engine,
    build_tvm_library,
    export_architecture,
    resolve_tvm_target,
    run_tvm_library,
    trtexec_command,
)

# One conv, few cells' worth of work: the TVM build stays short.
TINY = Architecture(
    "nb201", "|none~0|+|nor_conv_1x1~0|none~1|+|skip_connect~0|none~1|avg_pool_3x3~2|"
)


@pytest.fixture(scope="module")
def tiny_onnx(tmp_path_factory):
    return export_architecture(TINY, tmp_path_factory.mktemp("tiny"), (3, 16, 16), 10).onnx_path


def test_tvm_host_library_loads_and_matches_onnx_runtime(tiny_onnx, tmp_path) -> None:
    pytest.importorskip("tvm")
    import onnxruntime as ort

    summary = build_tvm_library(tiny_onnx, "host", tmp_path / "tiny-host.so")
    assert summary["ran_here"] and summary["max_abs_error_vs_onnxruntime"] <= 1e-3
    # Load the written file again, as a deployment would, on a fresh input.
    x = np.random.default_rng(7).standard_normal((1, 3, 16, 16)).astype(np.float32)
    got = run_tvm_library(summary["path"], x)
    session = ort.InferenceSession(tiny_onnx, providers=["CPUExecutionProvider"])
    expected = session.run(None, {session.get_inputs()[0].name: x})[0]
    assert got.shape == expected.shape == (1, 10)
    assert np.max(np.abs(got - expected)) <= 1e-3
    assert np.std(expected) > 1e-3


def test_an_existing_library_is_refused_before_building_unless_overwrite(tiny_onnx,
                                                                          tmp_path) -> None:
    from hwnas.export import OutputExistsError

    existing = tmp_path / "tiny-host.so"
    existing.write_bytes(b"an earlier build")
    with pytest.raises(OutputExistsError, match="tiny-host.so already exists; pass --force"):
        build_tvm_library(tiny_onnx, "host", existing, overwrite=False)
    assert existing.read_bytes() == b"an earlier build"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny-host.so"]


@pytest.mark.skipif(shutil.which("aarch64-linux-gnu-gcc") is None,
                    reason="needs gcc-aarch64-linux-gnu and libc6-dev-arm64-cross")
def test_tvm_aarch64_library_is_an_arm64_shared_object(tiny_onnx, tmp_path) -> None:
    pytest.importorskip("tvm")
    summary = build_tvm_library(tiny_onnx, "raspberry-pi-5", tmp_path / "tiny-pi5.so")
    assert summary["cross_compiler"] == "aarch64-linux-gnu-gcc" and not summary["ran_here"]
    header = (tmp_path / "tiny-pi5.so").read_bytes()[:20]
    assert header[:4] == b"\x7fELF" and header[4] == 2  # 64-bit
    assert header[16] == 3  # ET_DYN: a shared object
    assert int.from_bytes(header[18:20], "little") == 183  # EM_AARCH64


def test_tvm_targets_resolve_and_bad_ones_say_what_to_use() -> None:
    assert resolve_tvm_target("host")[2] is None
    label, target, cross = resolve_tvm_target("aarch64")
    assert target["mtriple"] == "aarch64-linux-gnu" and cross == "aarch64-linux-gnu-gcc"
    label, target, _ = resolve_tvm_target("raspberry-pi-4")
    assert label == "raspberry-pi-4" and target["mcpu"] == "cortex-a72"
    with pytest.raises(ConfigError, match="no properties.tvm_target"):
        resolve_tvm_target("jetson-orin-nano")
    with pytest.raises(ConfigError, match="use host, aarch64, or a device name"):
        resolve_tvm_target("no-such-board")


def test_trtexec_command_matches_the_board(tiny_onnx) -> None:
    orin = trtexec_command(tiny_onnx, "fp32", "jetson-orin-nano")
    name = tiny_onnx.rsplit("/", 1)[-1]
    stem = name[: -len(".onnx")]
    assert orin[0].endswith("trtexec")
    assert f"--onnx={name}" in orin and f"--saveEngine={stem}.fp32.engine" in orin
    assert "--noTF32" in orin and "--useCudaGraph" in orin  # fp32 means fp32 on Ampere
    assert "--percentile=90,95,99" in orin
    tx2 = trtexec_command(tiny_onnx, "fp16", "jetson-tx2")  # TensorRT 7: no --noTF32
    assert "--fp16" in tx2 and "--noTF32" not in tx2 and "--percentile=99" in tx2
    with pytest.raises(ConfigError, match="use --tvm for CPUs"):
        trtexec_command(tiny_onnx, "fp32", "raspberry-pi-5")


def test_tensorrt_export_without_tensorrt_prints_the_command(tiny_onnx) -> None:
    summary = build_or_describe_engine(tiny_onnx, "fp16", "jetson-agx-orin")
    from hwnas.profilers._tensorrt_local import local_unavailable_reason

    if local_unavailable_reason() is None:
        pytest.skip("TensorRT runs on this host: the engine was built instead")
    assert not summary["built_here"] and summary["engine_path"] is None
    assert "tensorrt" in summary["not_built_because"].lower()
    assert summary["trtexec_command"].startswith("trtexec --onnx=")
