"""The shared predictor suite: what every registered predictor (and every space's feature
encoder) must do. The caller brings a fitted predictor and held-out data:

    from hwnas.testing import check_save_load_in_a_fresh_process
    def test_my_predictor(tmp_path):
        model = MyPredictor(space="nb201").fit(train_archs, train_values)
        check_predictions_rank(model, test_archs, test_values)
        check_save_load_in_a_fresh_process(model, test_archs, tmp_path)
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from hwnas.predictors import (
    FEATURE_ENCODERS,
    ModelFormatError,
    Predictor,
    PredictorError,
    evaluate_predictions,
    feature_encoder,
    load_predictor,
    metric_unit,
    read_manifest,
)
from hwnas.spaces import SearchSpace, create_space


def _raises(error: type[Exception], match: str, call: Any, *args: Any) -> None:
    import pytest

    with pytest.raises(error, match=match):
        call(*args)


def check_predictions_rank(
    model: Predictor,
    archs: Sequence[str],
    values: Sequence[float] | np.ndarray,
    min_spearman: float = 0.8,
    min_within_10pct: float | None = None,
) -> dict[str, Any]:
    """Predictions for unseen architectures are finite, one each, and rank them far better
    than chance (and, if asked, most within 10% of the truth); returns the metrics."""
    predicted = model.predict(list(archs))
    assert predicted.shape == (len(archs),) and np.isfinite(predicted).all(), (
        f"{model.name}: predictions of shape {predicted.shape}, finite: "
        f"{bool(np.isfinite(predicted).all())}"
    )
    result = evaluate_predictions(np.asarray(values, dtype=float), predicted)
    assert result["spearman"] > min_spearman, f"{model.name}: {result}"
    if min_within_10pct is not None:
        assert result["within_10pct"] > min_within_10pct, f"{model.name}: {result}"
    return result


def check_strings_and_gene_arrays_agree(model: Predictor, archs: Sequence[str]) -> None:
    """Architecture strings and their gene array give identical predictions."""
    genes = model.genes_of(list(archs))
    assert np.array_equal(model.predict(list(archs)), model.predict(genes)), (
        f"{model.name}: strings and gene arrays disagree"
    )


def check_save_load_in_a_fresh_process(
    model: Predictor, archs: Sequence[str], folder: str | Path
) -> Path:
    """A saved model, loaded in a new Python process, predicts identically; nothing saved
    is a pickle. Returns the model folder."""
    work = Path(folder)
    saved = model.save(work / model.name)
    expected = model.predict(list(archs))
    (work / "archs.json").write_text(json.dumps(list(archs)))
    script = (
        "import json, numpy as np\n"
        "from hwnas.predictors import load_predictor\n"
        f"model = load_predictor({str(saved)!r})\n"
        f"archs = json.load(open({str(work / 'archs.json')!r}))\n"
        f"np.save({str(work / 'out.npy')!r}, model.predict(archs))\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120)
    assert np.array_equal(np.load(work / "out.npy"), expected), (
        f"{model.name}: a reloaded model predicts differently"
    )
    for path in saved.rglob("*"):
        assert path.suffix not in (".pkl", ".pickle", ".joblib"), f"{path} is a pickle"
    return saved


def check_manifest_describes_the_model(
    model: Predictor, folder: str | Path, min_features: int = 0
) -> dict[str, Any]:
    """The saved manifest names the predictor, space, device, metric and unit, hashes the
    training data, records library versions (and at least `min_features` feature names)."""
    manifest = read_manifest(model.save(Path(folder) / model.name))
    expected = {
        "predictor": model.name, "space": model.space.name, "device": model.device,
        "metric": model.metric, "unit": metric_unit(model.metric),
    }
    for key, value in expected.items():
        assert manifest[key] == value, f"{model.name}: manifest {key} {manifest[key]!r}"
    assert len(manifest["training"]["data_sha256"]) == 64, f"{model.name}: training hash"
    assert "numpy" in manifest["libraries"] and "hwnas" in manifest["libraries"]
    assert len(manifest["features"]) >= min_features, f"{model.name}: {manifest['features']}"
    return manifest


def check_other_format_version_is_refused(model: Predictor, folder: str | Path) -> None:
    """A model saved in another format version is refused with a message that says to
    retrain."""
    saved = model.save(Path(folder) / model.name)
    manifest_path = saved / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["format_version"] = 99
    manifest_path.write_text(json.dumps(manifest))
    _raises(ModelFormatError, "format version 99.*retrain", load_predictor, saved)


def check_unfitted_predictor_refuses(model: Predictor, arch: str) -> None:
    """An unfitted predictor refuses to predict, saying what is missing (a fit or a table)."""
    _raises(PredictorError, "fit|table", model.predict, [arch])


def check_bad_input_is_refused(
    unfitted: Predictor,
    fitted: Predictor,
    archs: Sequence[str],
    values: Sequence[float] | np.ndarray,
) -> None:
    """Training values that are not finite, counts that differ, and gene arrays of the
    wrong width or out of range are refused with the fix."""
    archs = list(archs)[:10]
    width = len(fitted.space.gene_choices)
    _raises(PredictorError, "finite and positive", unfitted.fit, archs, [float("nan")] * 10)
    _raises(PredictorError, "one each", unfitted.fit, archs, np.asarray(values)[:5])
    _raises(PredictorError, f"N x {width}", fitted.predict, np.zeros((3, width + 1), dtype=int))
    too_big = max(len(c) for c in fitted.space.gene_choices)
    _raises(PredictorError, "out of range", fitted.predict, np.full((2, width), too_big))


def check_feature_encoder(space: SearchSpace | str, count: int = 20) -> None:
    """A space's graph features: with a registered encoder, one finite row per
    architecture in `columns` order (and consistent compact / roofline terms); a space
    without one either declares one-hot graph features or is refused with the fix."""
    space = create_space(space)
    genes = np.array([space.genes(a) for a in space.sample(count, seed=0)], dtype=np.int64)
    if space.name not in FEATURE_ENCODERS and not space.onehot_graph_features:
        _raises(PredictorError, "FEATURE_ENCODERS.register", feature_encoder, space)
        return
    encoder = feature_encoder(space)
    matrix = encoder.encode(genes)
    assert matrix.shape == (count, len(encoder.columns)), f"{space.name}: {matrix.shape}"
    assert np.isfinite(matrix).all(), f"{space.name}: non-finite features"
    assert len(set(encoder.columns)) == len(encoder.columns), f"{space.name}: duplicate columns"
    assert encoder.compact(genes).shape[0] == count
    roofline = encoder.roofline_terms(genes)
    assert roofline.shape == (count, len(encoder.roofline_columns)), f"{space.name}: roofline"
    assert np.array_equal(encoder.encode(genes), matrix), f"{space.name}: encode is not stable"
