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


def test_a_full_disk_leaves_no_partial_engine_behind(tmp_path):
    """The engine and its description are written atomically; a write the kernel stops
    (RLIMIT_FSIZE) leaves the cache as it was, without a partial file."""
    import subprocess
    import sys

    cache = EngineCache(tmp_path / "engines")
    cache.save("k", b"old engine", {"precision": "fp16"})
    before = sorted(p.name for p in (tmp_path / "engines").iterdir())
    code = ("import resource, signal\nsignal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
            "resource.setrlimit(resource.RLIMIT_FSIZE, (100000, 100000))\n"
            "from pathlib import Path\n"
            "from hwnas.profilers._tensorrt_local import EngineCache\n"
            f"cache = EngineCache(Path({str(tmp_path / 'engines')!r}))\n"
            "try:\n    cache.save('k', b'e' * 300000, {'precision': 'fp16'})\n"
            "except OSError as error:\n    print('refused', error.errno)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert "refused 27" in done.stdout, done.stderr
    assert cache.load("k") == b"old engine"
    assert sorted(p.name for p in (tmp_path / "engines").iterdir()) == before


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
