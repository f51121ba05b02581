"""The ensemble: training, uncertainty, the score cache, and its saved files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hwnas.core import DataError
from hwnas.proxies import AccuracyEstimator, ScoreCache, rank_correlations, score_architectures

CHEAP = ["params", "flops"]  # exact from the cost model: no network is built


@pytest.fixture(scope="module")
def labelled(data_dir: Path) -> tuple[list[str], np.ndarray]:
    table = pd.read_csv(data_dir / "nb201" / "accuracy.csv").sample(n=140, random_state=3)
    return list(table["arch"]), table["cifar100_test_acc"].to_numpy()


def test_fit_predict_ranks_held_out_architectures(labelled, tmp_path: Path) -> None:
    archs, labels = labelled
    estimator = AccuracyEstimator("nb201", CHEAP, seed=0, n_models=4)
    estimator.fit(archs[:60], labels[:60])
    mean, std = estimator.predict(archs[60:])
    assert mean.shape == std.shape == (80,)
    assert np.all(std >= 0) and np.any(std > 0)
    # params and flops alone rank NB201 cells at about 0.75 and the one-hot genes add more:
    # a working ensemble must beat a weak bar on held-out cells.
    assert rank_correlations(mean, labels[60:])["spearman"] > 0.5


def test_saved_ensemble_round_trips_in_a_fresh_process(labelled, tmp_path: Path) -> None:
    archs, labels = labelled
    estimator = AccuracyEstimator("nb201", ["params", "flops"], seed=1, n_models=3)
    estimator.fit(archs[:40], labels[:40])
    folder = estimator.save(tmp_path / "model")
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["format_version"] == 1 and manifest["space"] == "nb201"
    assert manifest["data"]["name"] == "sklearn-digits"
    assert {"lightgbm", "torch", "hwnas"} <= set(manifest["versions"])
    assert len(manifest["training"]["sha256"]) == 64
    assert sorted(p.name for p in folder.iterdir()) == [
        "booster_00.txt", "booster_01.txt", "booster_02.txt", "manifest.json"]
    mean, std = estimator.predict(archs[40:50])
    script = (
        "import json, sys\n"
        "from hwnas.proxies import AccuracyEstimator\n"
        "e = AccuracyEstimator.load(sys.argv[1])\n"
        "m, s = e.predict(json.loads(sys.argv[2]))\n"
        "print(json.dumps([m.tolist(), s.tolist()]))\n"
    )
    out = subprocess.run([sys.executable, "-c", script, str(folder), json.dumps(archs[40:50])],
                         capture_output=True, text=True, check=True)
    loaded_mean, loaded_std = json.loads(out.stdout)
    assert loaded_mean == mean.tolist() and loaded_std == std.tolist()


def test_load_refuses_other_format_versions_and_tampering(labelled, tmp_path: Path) -> None:
    archs, labels = labelled
    folder = AccuracyEstimator("nb201", ["params"], n_models=1).fit(archs[:20], labels[:20]) \
        .save(tmp_path / "model")
    manifest_path = folder / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest_path.write_text(json.dumps(manifest | {"format_version": 99}))
    with pytest.raises(DataError, match="format version 99.*retrain"):
        AccuracyEstimator.load(folder)
    manifest_path.write_text(json.dumps(manifest))
    (folder / "booster_00.txt").write_text((folder / "booster_00.txt").read_text() + "\n")
    with pytest.raises(DataError, match="checksum"):
        AccuracyEstimator.load(folder)
    with pytest.raises(DataError, match="no manifest.json"):
        AccuracyEstimator.load(tmp_path)


@pytest.mark.parametrize("name", ["../outside.txt", "/etc/hostname", ".", "sub/booster.txt"])
def test_load_refuses_model_files_outside_the_folder(labelled, tmp_path: Path, name) -> None:
    archs, labels = labelled
    folder = AccuracyEstimator("nb201", ["params"], n_models=1).fit(archs[:20], labels[:20]) \
        .save(tmp_path / "model")
    (tmp_path / "outside.txt").write_text((folder / "booster_00.txt").read_text())
    manifest_path = folder / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["models"][0]["file"] = name  # the checksum would match for ../outside.txt
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(DataError, match="names model file .* not a plain file name") as caught:
        AccuracyEstimator.load(folder)
    assert "\n" not in str(caught.value)


def test_cache_returns_stored_values_and_keys_on_batch_size(tmp_path: Path) -> None:
    from hwnas.proxies import create_proxy

    arch = "|nor_conv_1x1~0|+|none~0|avg_pool_3x3~1|+|skip_connect~0|none~1|none~2|"
    cache = ScoreCache(tmp_path / "scores.sqlite")
    first = score_architectures([arch], ["naswot", "params"], seed=0, cache=cache)[0]
    assert len(cache) == 2
    again = score_architectures([arch], ["naswot", "params"], seed=0,
                                cache=tmp_path / "scores.sqlite")[0]
    assert again["naswot"] == first["naswot"]  # same value and the stored seconds
    other = score_architectures([arch], [create_proxy("naswot", batch_size=8)], seed=0,
                                cache=cache)[0]
    assert len(cache) == 3 and other["naswot"].data != first["naswot"].data


def test_fit_rejects_mismatched_labels(labelled) -> None:
    from hwnas.core import ConfigError

    archs, labels = labelled
    with pytest.raises(ConfigError, match="labels"):
        AccuracyEstimator("nb201", ["params"]).fit(archs[:10], labels[:9])
