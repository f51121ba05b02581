"""The torch-cuda profiler: real CUDA where a GPU exists, reported as not run elsewhere."""

from __future__ import annotations

import pytest

from hwnas.core import ConfigError, DeviceError
from hwnas.profilers import ModelSource, ProfileSettings, create_profiler

ARCH = "|nor_conv_3x3~0|+|skip_connect~0|nor_conv_1x1~1|+|avg_pool_3x3~0|none~1|skip_connect~2|"


def has_gpu() -> bool:
    import torch

    return torch.cuda.is_available()


needs_gpu = pytest.mark.skipif(not has_gpu(), reason="no CUDA GPU")


def test_bad_mode_is_refused():
    with pytest.raises(ConfigError, match="graph, eager"):
        create_profiler("torch-cuda", mode="jit")


@pytest.mark.skipif(has_gpu(), reason="this host has a CUDA GPU")
def test_without_a_gpu_it_says_so():
    with pytest.raises(DeviceError, match="no CUDA GPU"):
        create_profiler("torch-cuda").profile(
            ModelSource.from_architecture(ARCH, "nb201"), "nvidia-h100"
        )


@needs_gpu
@pytest.mark.gpu
@pytest.mark.parametrize("mode", ["graph", "eager"])
def test_cuda_events_time_both_modes(mode):
    source = ModelSource.from_architecture(ARCH, "nb201")
    m = create_profiler("torch-cuda", mode=mode).profile(
        source, "nvidia-h100", ProfileSettings(warmup=5, min_repeats=10, max_repeats=50)
    )
    assert m.environment["mode"] == ("cuda-graph" if mode == "graph" else "eager")
    assert 0 < m.latency_p50_ms <= m.latency_p90_ms


@needs_gpu
@pytest.mark.gpu
def test_graph_replay_beats_eager_at_batch_one():
    source = ModelSource.from_architecture(ARCH, "nb201")
    settings = ProfileSettings(warmup=5, min_repeats=20)
    graph = create_profiler("torch-cuda", mode="graph").profile(source, "nvidia-h100", settings)
    eager = create_profiler("torch-cuda", mode="eager").profile(source, "nvidia-h100", settings)
    assert graph.latency_p50_ms < eager.latency_p50_ms


@needs_gpu
@pytest.mark.gpu
def test_onnx_sources_are_refused_with_a_pointer_to_onnxruntime():
    with pytest.raises(ConfigError, match="onnxruntime"):
        create_profiler("torch-cuda").profile(ModelSource.from_onnx(b"x"), "nvidia-h100")
