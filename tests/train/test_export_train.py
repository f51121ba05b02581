"""Trained exports and the deploy check's accuracy: train a run's pick, export it with its
weights, then compare ONNX Runtime's test accuracy with torch's on the same split."""

from __future__ import annotations

from pathlib import Path

import pytest
from train_helpers import TINY_TOML, cli_json, hwnas

from hwnas.core import Candidate, ObjectiveValue
from hwnas.runs import RunStore

OBJECTIVES = "accuracy=table:cifar100,latency=table:pi5-onnx"


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory, data_dir) -> Path:
    """A finished run of 12 sampled cells with table objectives."""
    from hwnas.benchmarks import resolve_table_metric
    from hwnas.spaces import create_space

    accuracy, latency = resolve_table_metric("cifar100"), resolve_table_metric("pi5-onnx")
    root = tmp_path_factory.mktemp("runs")
    config = {"search": {"space": "nb201", "objectives": OBJECTIVES, "strategy": "random",
                         "budget": 12, "device": "raspberry-pi-5"}}
    store = RunStore.create(root, config, "random", 3)
    for arch in create_space("nb201").sample(12, seed=3):
        values = {
            "accuracy": ObjectiveValue("accuracy", accuracy[0].value(arch, accuracy[1]),
                                       "percent", "table", False),
            "latency": ObjectiveValue("latency", latency[0].value(arch, latency[1]), "ms",
                                      "table", True),
        }
        store.add_candidate(Candidate(arch, values, band=0), {"status": "ok"})
    store.set_status("finished")
    folder = Path(store.folder)
    store.close()
    return folder


@pytest.fixture(scope="module")
def recipe_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("recipe") / "tiny.toml"
    path.write_text(TINY_TOML)
    return path


@pytest.fixture(scope="module")
def exported(run_folder: Path, recipe_file: Path, tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("exports")
    return cli_json("export", str(run_folder), "--pick", "knee", "--train", "digits",
                    "--epochs", "2", "--recipe", str(recipe_file), "--train-threads", "1",
                    "--out", str(out))


def test_train_cli_resolves_a_runs_pick(run_folder: Path, recipe_file: Path,
                                        tmp_path: Path) -> None:
    from hwnas.export import pick_from_run

    chosen, _, _ = pick_from_run(run_folder, "knee")
    data = cli_json("train", str(run_folder), "--pick", "knee", "--epochs", "1", "--recipe",
                    str(recipe_file), "--threads", "1", "--out", str(tmp_path / "knee"))
    assert data["arch"] == chosen.candidate.architecture.string
    assert data["epochs"] == 1 and Path(data["weights"]).is_file()


def test_export_with_train_writes_trained_weights(exported: dict) -> None:
    from hwnas.export import read_metadata

    assert exported["weights_status"] == "trained"
    assert exported["input_shape"] == [3, 8, 8] and exported["num_classes"] == 10
    assert exported["max_abs_error"] <= exported["tolerance"]
    onnx_path = Path(exported["onnx_path"])
    weights = onnx_path.with_suffix(".safetensors")
    assert onnx_path.is_file() and weights.is_file()
    meta = read_metadata(onnx_path)
    training = meta["training"]
    assert training["data"] == "digits" and training["epochs"] == 2
    assert training["recipe"]["input_size"] == 8 and training["layout"] == "pruned"
    assert meta["weights_file"] == weights.name and meta["weights_layout"] == "pruned"
    assert exported["training"]["test_acc"] == training["test_acc"]
    assert meta["pick"]["rule"] == "knee"


def test_deploy_check_reports_onnx_and_torch_accuracy(exported: dict) -> None:
    report = cli_json("deploy-check", exported["onnx_path"], "--data", "digits",
                      "--max-seconds", "1", "--threads", "1")
    accuracy = report["accuracy"]
    assert accuracy["torch_from"] == "weights file beside the model"
    assert accuracy["test_images"] == exported["training"]["data"]["split"]["test"]
    assert abs(accuracy["onnxruntime_test_acc"] - accuracy["torch_test_acc"]) <= 0.2
    assert accuracy["torch_test_acc"] == pytest.approx(exported["training"]["test_acc"])
    assert report["device"] == "host-cpu" and report["measurement"]["latency_p50_ms"] > 0
    assert [c["metric"] for c in report["comparisons"]] == ["latency_ms"]


def test_deploy_check_without_the_weights_file_uses_the_record(exported: dict,
                                                               tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / Path(exported["onnx_path"]).name
    shutil.copyfile(exported["onnx_path"], copy)
    report = cli_json("deploy-check", str(copy), "--data", "digits", "--max-seconds", "1")
    assert report["accuracy"]["torch_from"] == "training record (metadata)"
    assert any("not beside the model" in note for note in report["notes"])


def test_deploy_check_refuses_other_data(exported: dict, tmp_path: Path) -> None:
    from PIL import Image

    for label in ("a", "b"):
        (tmp_path / label).mkdir()
        for i in range(6):
            Image.new("RGB", (8, 8), (i * 20, 0, 0)).save(tmp_path / label / f"{i}.png")
    done = hwnas("deploy-check", exported["onnx_path"], "--data", str(tmp_path))
    assert done.returncode == 2 and "has 2 classes but the model outputs 10" in done.stderr


def test_export_option_conflicts_are_one_line(run_folder: Path, tmp_path: Path) -> None:
    weights = tmp_path / "w.safetensors"
    weights.write_bytes(b"")
    done = hwnas("export", str(run_folder), "--train", "digits", "--weights", str(weights),
                 "--out", str(tmp_path))
    assert done.returncode == 2 and "drop --weights" in done.stderr
    done = hwnas("export", str(run_folder), "--epochs", "3", "--out", str(tmp_path))
    assert done.returncode == 2 and "go with --train DATA" in done.stderr


def test_export_with_train_refuses_an_earlier_export_before_training(
        exported: dict, run_folder: Path, recipe_file: Path) -> None:
    out = Path(exported["onnx_path"]).parent
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    done = hwnas("export", str(run_folder), "--pick", "knee", "--train", "digits", "--epochs",
                 "1", "--recipe", str(recipe_file), "--out", str(out))
    assert done.returncode == 2 and "--force" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == before


def test_proxies_fit_on_trained_labels(tmp_path: Path, recipe_file: Path) -> None:
    data = cli_json("proxies", "fit", str(tmp_path / "model"), "--labels", "train:digits:1",
                    "--k", "5", "--recipe", str(recipe_file), "--train-cache",
                    str(tmp_path / "cache"), "-p", "params", "-p", "flops", "--threads", "1")
    assert data["labels"] == "train:digits:1" and len(data["trained"]) == 5
    assert len({t["arch"] for t in data["trained"]}) == 5
    assert all(0 <= t["val_acc"] <= 100 for t in data["trained"])
    assert data["training"]["epochs"] == 1 and data["training"]["recipe"]["input_size"] == 8
    # the saved ensemble predicts, and the trained labels are cached for the next fit
    from hwnas.proxies._ensemble import AccuracyEstimator
    from hwnas.spaces import create_space
    from hwnas.train import TrainCache, load_recipe, parse_train_target

    estimator = AccuracyEstimator.load(data["saved"])
    mean, _ = estimator.predict([t["arch"] for t in data["trained"][:2]])
    assert len(mean) == 2
    cache = TrainCache(parse_train_target("digits:1"), load_recipe(recipe_file),
                       cache_dir=tmp_path / "cache")
    arch = create_space("nb201").parse(data["trained"][0]["arch"])
    assert cache.train(arch).cached
    bad = hwnas("proxies", "fit", str(tmp_path / "m3"), "--labels", "table:x")
    assert bad.returncode == 2 and "train:DATA:EPOCHS" in bad.stderr
    both = hwnas("proxies", "fit", str(tmp_path / "m3"), "--labels", "train:digits:1",
                 "--table", "nb201-accuracy")
    assert both.returncode == 2 and "drop --table" in both.stderr
