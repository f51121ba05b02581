"""The local TensorRT path: what runs without TensorRT (cache key, cache files, input checks).

Engine building and CUDA-event timing need TensorRT and a GPU, which this project's
build machines lack (FINDINGS.md); they are not exercised here.
"""

from __future__ import annotations

import numpy as np
import pytest

from hwnas.core import ConfigError
from hwnas.profilers._tensorrt_local import EngineCache, engine_cache_key, load_calibration_data


def test_the_cache_key_changes_with_each_part():
    base = dict(onnx_bytes=b"model", precision="fp16", tensorrt_version="10.3.0",
                gpu="NVIDIA H100 sm_90")
    key = engine_cache_key(**base)
    assert key == engine_cache_key(**base)
    for change in ({"onnx_bytes": b"model2"}, {"precision": "fp32"},
                   {"tensorrt_version": "10.4.0"}, {"gpu": "NVIDIA A100 sm_80"},
                   {"calibration_sha256": "ab"}):
        assert engine_cache_key(**{**base, **change}) != key


def test_the_cache_stores_and_finds_engines(tmp_path):
    cache = EngineCache(tmp_path / "engines")
    assert cache.load("k") is None
    path = cache.save("k", b"\x00engine", {"precision": "fp16"})
    assert cache.load("k") == b"\x00engine" and path.with_suffix(".json").is_file()
    assert not list(path.parent.glob("*.partial-*"))


def test_calibration_data_must_be_an_nchw_npy_without_pickles(tmp_path):
    good = tmp_path / "calib.npy"
    np.save(good, np.zeros((4, 3, 8, 8), dtype=np.float64))
    assert load_calibration_data(good).dtype == np.float32
    flat = tmp_path / "flat.npy"
    np.save(flat, np.zeros((4, 3)))
    with pytest.raises(ConfigError, match=r"\(N, C, H, W\)"):
        load_calibration_data(flat)
    pickled = tmp_path / "objects.npy"
    np.save(pickled, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ConfigError, match="unpickling"):
        load_calibration_data(pickled)
    with pytest.raises(ConfigError):
        load_calibration_data(tmp_path / "missing.npy")
