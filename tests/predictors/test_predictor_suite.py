"""Every registered predictor through the shared suite (`hwnas.testing`): fit, predict,
save, load in a fresh process (identical predictions), manifest contents, and clear
errors for other versions; and every registered space's feature encoder."""

from __future__ import annotations

import json

import pytest
from predictor_helpers import metric_of, trained, values_of

from hwnas.predictors import ModelFormatError, create_predictor, list_predictors, load_predictor
from hwnas.spaces import list_spaces
from hwnas.testing import (
    check_bad_input_is_refused,
    check_feature_encoder,
    check_manifest_describes_the_model,
    check_other_format_version_is_refused,
    check_predictions_rank,
    check_save_load_in_a_fresh_process,
    check_strings_and_gene_arrays_agree,
    check_unfitted_predictor_refuses,
)

NAMES = list_predictors()
EMPTY_CELL = "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"
# Every predictor, even a host-measured table rescaled to the Pi, must rank Pi 5 latencies
# far better than chance; the learned ones must be accurate too (energy less so: average
# power varies from run to run).
WITHIN_10PCT = {"gbdt": 0.95, "mlp": 0.95, "latency-power": 0.85}
MIN_FEATURES = {"gbdt": 6, "mlp": 6, "roofline-fit": 6, "latency-power": 6}


def test_every_builtin_predictor_is_in_the_suite():
    assert {"lut-sum", "roofline-fit", "gbdt", "mlp", "fewshot", "latency-power"} <= set(NAMES)


@pytest.fixture(scope="module")
def fitted(onnx_split, pi5, host_nb201_table):
    train, _ = onnx_split
    return {name: trained(name, train, pi5, host_nb201_table) for name in NAMES}


@pytest.mark.parametrize("name", NAMES)
def test_predictions_rank_unseen_architectures(name, fitted, onnx_split, pi5):
    _, test = onnx_split
    check_predictions_rank(
        fitted[name], list(test.archs), values_of(name, test, pi5),
        min_within_10pct=WITHIN_10PCT.get(name),
    )


@pytest.mark.parametrize("name", NAMES)
def test_strings_and_gene_arrays_give_the_same_predictions(name, fitted, onnx_split):
    _, test = onnx_split
    check_strings_and_gene_arrays_agree(fitted[name], list(test.archs[:50]))


@pytest.mark.parametrize("name", NAMES)
def test_save_then_load_in_a_fresh_process_predicts_identically(name, fitted, onnx_split, tmp_path):
    _, test = onnx_split
    check_save_load_in_a_fresh_process(fitted[name], list(test.archs[:200]), tmp_path)


@pytest.mark.parametrize("name", NAMES)
def test_manifest_names_space_device_metric_features_versions_and_data(name, fitted, tmp_path):
    manifest = check_manifest_describes_the_model(
        fitted[name], tmp_path, min_features=MIN_FEATURES.get(name, 0)
    )
    assert manifest["space"] == "nb201"
    assert manifest["device"] == "raspberry-pi-5"
    assert manifest["metric"] == metric_of(name)
    assert manifest["unit"] == ("mj" if metric_of(name).endswith("energy_mj") else "ms")


@pytest.mark.parametrize("name", NAMES)
def test_a_model_from_another_format_version_is_refused_clearly(name, fitted, tmp_path):
    check_other_format_version_is_refused(fitted[name], tmp_path)


@pytest.mark.parametrize("name", NAMES)
def test_unfitted_predictors_refuse_to_predict(name):
    if name == "lut-sum":
        model = create_predictor(name)  # no table: nothing to sum
    else:
        model = create_predictor(name, space="nb201")
    check_unfitted_predictor_refuses(model, EMPTY_CELL)


@pytest.mark.parametrize("space", list_spaces())
def test_every_space_has_graph_features_or_says_how_to_add_them(space):
    check_feature_encoder(space)


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
    check_bad_input_is_refused(
        create_predictor("gbdt", space="nb201"), fitted["gbdt"], list(train.archs), train.values
    )
