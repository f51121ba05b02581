"""Vectorised features against the per-architecture reference, and leak-free splits."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from hwnas.predictors import (
    PredictorError,
    evaluate_predictions,
    feature_encoder,
    measured_dataset,
)
from hwnas.spaces._nb201 import network_cost

ALL_GENES = np.array(list(itertools.product(range(5), repeat=6)))


def test_macs_and_params_features_match_the_exact_network_cost():
    encoder = feature_encoder("nb201", input_shape=(3, 32, 32), num_classes=100)
    genes = ALL_GENES[np.random.default_rng(0).choice(len(ALL_GENES), 200, replace=False)]
    x = encoder.encode(genes)
    col = {c: i for i, c in enumerate(encoder.columns)}
    for row, g in zip(x, genes, strict=True):
        full = network_cost(tuple(g), (3, 32, 32), 100)
        pruned = network_cost(tuple(g), (3, 32, 32), 100, prune=True)
        assert row[col["macs_m"]] == pytest.approx(full.macs / 1e6)
        assert row[col["params_m"]] == pytest.approx(full.params / 1e6)
        assert row[col["live_macs_m"]] == pytest.approx(pruned.macs / 1e6)


def test_identical_ops_on_an_aliased_node_count_once():
    encoder = feature_encoder("nb201")
    col = {c: i for i, c in enumerate(encoder.columns)}
    # node 1 = skip(x) is x itself: pools on node 0 and node 1 are one AvgPool(x)
    aliased = np.array([[1, 4, 4, 4, 4, 1]])
    separate = np.array([[3, 4, 4, 4, 4, 1]])  # node 1 = conv(x): a different tensor
    assert encoder.encode(aliased)[0, col["distinct_avg_pool_3x3"]] == 1
    assert encoder.encode(separate)[0, col["distinct_avg_pool_3x3"]] == 2
    assert encoder.encode(aliased)[0, col["count_avg_pool_3x3"]] == 4


def test_training_data_has_one_row_per_measured_network(pi5):
    dataset = measured_dataset(pi5, "onnx/cifar100/latency_ms")
    assert len(dataset) == pi5.info["measured_as"].nunique() == 6466
    measured_as = pi5.info.loc[list(dataset.archs), "measured_as"]
    assert measured_as.is_unique
    train, test = dataset.split(1000, seed=3)
    assert len(train) == 1000 and len(test) == len(dataset) - 1000
    assert not set(train.archs) & set(test.archs)
    # LiteRT's impossible values are excluded, not used
    litert = measured_dataset(pi5, "litert/cifar100/latency_ms")
    assert len(litert) < len(dataset) and np.isfinite(litert.values).all()


def test_bad_split_and_metric_are_refused(pi5):
    dataset = measured_dataset(pi5, "onnx/cifar100/latency_ms")
    with pytest.raises(PredictorError, match="training size"):
        dataset.split(len(dataset))
    with pytest.raises(PredictorError, match="no metric"):
        measured_dataset(pi5, "onnx/cifar100/latency")


def test_metrics_count_error_bands_and_ranks():
    measured = np.array([1.0, 2.0, 3.0, 4.0])
    predicted = np.array([1.04, 2.18, 2.4, 4.0])  # +4%, +9%, -20%, 0%
    result = evaluate_predictions(measured, predicted)
    assert result["within_5pct"] == 0.5
    assert result["within_10pct"] == 0.75
    assert result["n_test"] == 4
    assert result["rmse_ms"] == pytest.approx(np.sqrt((0.04**2 + 0.18**2 + 0.6**2) / 4))
    assert result["spearman"] == pytest.approx(1.0)  # the -20% miss keeps the order


def test_fewshot_with_20_target_samples_ranks_a_held_out_framework(pi5):
    from hwnas.predictors import create_predictor, measured_architectures

    archs = measured_architectures(pi5)
    frame = pi5.frame
    model = create_predictor(
        "fewshot",
        space="nb201",
        metric="torchmobile/cifar100/latency_ms",
        input_shape=(3, 32, 32),
        num_classes=100,
        base_options={"n_estimators": 40},
    )
    sources = ("onnx/cifar100/latency_ms", "litert/cifar100/latency_ms")
    model.pretrain(archs[:1500], {s: frame.loc[archs[:1500], s].to_numpy() for s in sources})
    target = measured_dataset(pi5, "torchmobile/cifar100/latency_ms")
    shots, test = target.split(20, seed=5)
    model.fit(list(shots.archs), shots.values)
    result = evaluate_predictions(test.values, model.predict(list(test.archs)))
    assert result["spearman"] > 0.9, result
