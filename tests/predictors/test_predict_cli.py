"""`hwnas predict` through the real entry point."""

from __future__ import annotations

import json
import subprocess
import sys


def hwnas(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "hwnas", *args], capture_output=True, text=True, timeout=300
    )


def test_train_eval_show_run_round_trip(data_dir, tmp_path):
    model = tmp_path / "model"
    done = hwnas(
        "predict",
        "train",
        "--predictor",
        "gbdt",
        "--train-size",
        "100",
        "--option",
        "n_estimators=30",
        "--out",
        str(model),
        "--format",
        "json",
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["train_size"] == 100
    done = hwnas("predict", "eval", "--model", str(model), "--format", "json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert {"within_10pct", "within_5pct", "spearman", "kendall", "rmse_ms", "n_test"} <= set(
        result
    )
    assert result["n_test"] == 6466 - 100
    assert result["within_10pct"] > 0.9
    done = hwnas("predict", "show", "--model", str(model), "--format", "json")
    assert json.loads(done.stdout)["training"]["n"] == 100
    arch = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|none~1|none~2|"
    done = hwnas("predict", "run", "--model", str(model), arch, "--format", "json")
    value = json.loads(done.stdout)[0]["onnx/cifar100/latency_ms"]
    assert 0.5 < value < 25


def test_fewshot_training_from_source_columns(data_dir, tmp_path):
    done = hwnas(
        "predict",
        "train",
        "--predictor",
        "fewshot",
        "--train-size",
        "20",
        "--metric",
        "torchmobile/cifar100/latency_ms",
        "--source",
        "onnx/cifar100/latency_ms",
        "--option",
        'base_options={"n_estimators": 20}',
        "--out",
        str(tmp_path / "fs"),
        "--format",
        "json",
    )
    assert done.returncode == 0, done.stderr
    done = hwnas("predict", "eval", "--model", str(tmp_path / "fs"), "--format", "json")
    assert json.loads(done.stdout)["spearman"] > 0.85


def test_latency_power_energy_model_takes_its_latency_column_as_source(data_dir, tmp_path):
    model = tmp_path / "energy"
    done = hwnas(
        "predict",
        "train",
        "--predictor",
        "latency-power",
        "--train-size",
        "200",
        "--metric",
        "litert/cifar100/energy_mj",
        "--source",
        "litert/cifar100/latency_ms",
        "--out",
        str(model),
        "--format",
        "json",
    )
    assert done.returncode == 0, done.stderr
    done = hwnas("predict", "show", "--model", str(model), "--format", "json")
    manifest = json.loads(done.stdout)
    assert manifest["unit"] == "mj" and manifest["config"]["latency_metric"].endswith("latency_ms")
    # --source hands over every measured row; the latency part still trains on the 200 only.
    assert json.loads((model / "latency" / "manifest.json").read_text())["training"]["n"] == 200
    done = hwnas("predict", "eval", "--model", str(model), "--format", "json")
    result = json.loads(done.stdout)
    assert result["n_test"] == 6461 - 200 and result["within_10pct"] > 0.85


def test_bad_input_gives_one_line_errors(data_dir, tmp_path):
    done = hwnas("predict", "eval", "--model", str(tmp_path / "missing"))
    assert done.returncode == 2
    assert "hwnas predict train" in done.stderr and len(done.stderr.strip().splitlines()) == 1
    done = hwnas("predict", "train", "--metric", "onnx/cifar100/nope", "--out", str(tmp_path / "m"))
    assert done.returncode == 2 and "no metric" in done.stderr
    assert not (tmp_path / "m").exists()
