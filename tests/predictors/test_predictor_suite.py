"""Every registered predictor through one suite: fit, predict, save, load in a fresh
process (identical predictions), manifest contents, and clear errors for other versions."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from predictor_helpers import metric_of, trained, values_of

from hwnas.predictors import (
    ModelFormatError,
    PredictorError,
    create_predictor,
    evaluate_predictions,
    list_predictors,
    load_predictor,
    read_manifest,
)

NAMES = list_predictors()


def test_every_builtin_predictor_is_in_the_suite():
    assert {"lut-sum", "roofline-fit", "gbdt", "mlp", "fewshot", "latency-power"} <= set(NAMES)


@pytest.fixture(scope="module")
def fitted(onnx_split, pi5, host_nb201_table):
    train, _ = onnx_split
    return {name: trained(name, train, pi5, host_nb201_table) for name in NAMES}


@pytest.mark.parametrize("name", NAMES)
def test_predictions_rank_unseen_architectures(name, fitted, onnx_split, pi5):
    _, test = onnx_split
    predicted = fitted[name].predict(list(test.archs))
    assert predicted.shape == (len(test),) and np.isfinite(predicted).all()
    result = evaluate_predictions(values_of(name, test, pi5), predicted)
    # Every predictor, even a host-measured table rescaled to the Pi, must rank Pi 5
    # latencies far better than chance; the learned ones must be accurate too (energy
    # less so: average power varies from run to run).
    assert result["spearman"] > 0.8, result
    if name in ("gbdt", "mlp"):
        assert result["within_10pct"] > 0.95, result
    if name == "latency-power":
        assert result["within_10pct"] > 0.85, result


@pytest.mark.parametrize("name", NAMES)
def test_strings_and_gene_arrays_give_the_same_predictions(name, fitted, onnx_split):
    _, test = onnx_split
    model = fitted[name]
    archs = list(test.archs[:50])
    genes = model.genes_of(archs)
    assert np.array_equal(model.predict(archs), model.predict(genes))


@pytest.mark.parametrize("name", NAMES)
def test_save_then_load_in_a_fresh_process_predicts_identically(name, fitted, onnx_split, tmp_path):
    _, test = onnx_split
    model = fitted[name]
    folder = model.save(tmp_path / name)
    archs = list(test.archs[:200])
    expected = model.predict(archs)
    (tmp_path / "archs.json").write_text(json.dumps(archs))
    script = (
        "import json, sys, numpy as np\n"
        "from hwnas.predictors import load_predictor\n"
        f"model = load_predictor({str(folder)!r})\n"
        f"archs = json.load(open({str(tmp_path / 'archs.json')!r}))\n"
        f"np.save({str(tmp_path / 'out.npy')!r}, model.predict(archs))\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120)
    assert np.array_equal(np.load(tmp_path / "out.npy"), expected)
    for path in folder.rglob("*"):
        assert path.suffix not in (".pkl", ".pickle", ".joblib")


@pytest.mark.parametrize("name", NAMES)
def test_manifest_names_space_device_metric_features_versions_and_data(name, fitted, tmp_path):
    model = fitted[name]
    manifest = read_manifest(model.save(tmp_path / name))
    assert manifest["predictor"] == name
    assert manifest["space"] == "nb201"
    assert manifest["device"] == "raspberry-pi-5"
    assert manifest["metric"] == metric_of(name)
    assert manifest["unit"] == ("mj" if metric_of(name).endswith("energy_mj") else "ms")
    assert len(manifest["training"]["data_sha256"]) == 64
    assert "numpy" in manifest["libraries"] and "hwnas" in manifest["libraries"]
    if name in ("gbdt", "mlp", "roofline-fit", "latency-power"):
        assert len(manifest["features"]) > 5


@pytest.mark.parametrize("name", NAMES)
def test_a_model_from_another_format_version_is_refused_clearly(name, fitted, tmp_path):
    folder = fitted[name].save(tmp_path / name)
    manifest_path = folder / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["format_version"] = 99
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(ModelFormatError, match="format version 99.*retrain"):
        load_predictor(folder)


@pytest.mark.parametrize("name", NAMES)
def test_unfitted_predictors_refuse_to_predict(name):
    if name == "lut-sum":
        model = create_predictor(name)  # no table: nothing to sum
    else:
        model = create_predictor(name, space="nb201")
    with pytest.raises(PredictorError, match="fit|table"):
        model.predict(["|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"])


def test_a_model_saved_with_another_lightgbm_major_version_is_refused(fitted, tmp_path):
    folder = fitted["gbdt"].save(tmp_path / "gbdt")
    manifest_path = folder / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["libraries"]["lightgbm"] = "3.3.5"
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(ModelFormatError, match=r"lightgbm 3\.3\.5 but lightgbm .* is installed"):
        load_predictor(folder)


def test_a_changed_model_file_is_refused(fitted, tmp_path):
    folder = fitted["gbdt"].save(tmp_path / "gbdt")
    (folder / "lightgbm.txt").write_text("tree\n")
    with pytest.raises(ModelFormatError, match="changed after saving"):
        load_predictor(folder)


def test_bad_training_input_is_refused_with_the_fix(onnx_split, fitted):
    train, _ = onnx_split
    model = create_predictor("gbdt", space="nb201")
    with pytest.raises(PredictorError, match="finite and positive"):
        model.fit(list(train.archs[:10]), [float("nan")] * 10)
    with pytest.raises(PredictorError, match="one each"):
        model.fit(list(train.archs[:10]), train.values[:5])
    with pytest.raises(PredictorError, match="N x 6"):
        fitted["gbdt"].predict(np.zeros((3, 4), dtype=int))
    with pytest.raises(PredictorError, match="out of range"):
        fitted["gbdt"].predict(np.full((2, 6), 7))
