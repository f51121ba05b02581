"""Band assignment: quantile bands, complexity bands, user bounds, bad input."""

from __future__ import annotations

from collections import Counter

import pytest

from hwnas.core import ConfigError
from hwnas.search import BandFeature, build_partition, reference_architectures


def test_quantile_bands_split_the_space_evenly(nb201) -> None:
    feature = BandFeature(nb201, "latency", "raspberry-pi-5")
    reference = reference_architectures(nb201)
    partition = build_partition(feature, 4, reference=reference)
    assert partition.bands == 4 and partition.method == "quantile"
    assert list(partition.edges) == sorted(partition.edges)
    counts = Counter(partition.band_of_value(feature(a)) for a in reference)
    assert sorted(counts) == [0, 1, 2, 3]
    for band in range(4):  # quantiles of 6,466 classes: each band holds about a quarter
        assert abs(counts[band] - len(reference) / 4) < 0.02 * len(reference)


def test_band_order_follows_the_feature(nb201) -> None:
    feature = BandFeature(nb201, "latency", "raspberry-pi-5")
    partition = build_partition(feature, 3)
    archs = sorted(nb201.sample(200, seed=5), key=feature)
    bands = [partition.band_of_value(feature(a)) for a in archs]
    assert bands == sorted(bands)
    # the cheapest cell (all skip connections) sits in the first band, all-3x3 in the last
    fast = nb201.parse("|skip_connect~0|+|skip_connect~0|skip_connect~1|+|skip_connect~0|skip_connect~1|skip_connect~2|")
    slow = nb201.parse("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|")
    assert partition.band_of_value(feature(fast)) == 0
    assert partition.band_of_value(feature(slow)) == 2


def test_conv3x3_bands_count_live_convolutions(nb201) -> None:
    feature = BandFeature(nb201, "conv3x3")
    partition = build_partition(feature, 3)
    # cuts fall between integer counts
    assert all(edge % 1 == 0.5 for edge in partition.edges)
    dead = nb201.parse("|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|skip_connect~2|")
    assert feature(dead) == 0.0  # the 3x3 conv feeds nothing that reaches the output
    # three 3x3 convs, but nodes 1 and 2 reach the output only through `none`: one is live
    three = nb201.parse("|nor_conv_3x3~0|+|nor_conv_3x3~0|none~1|+|nor_conv_3x3~0|none~1|none~2|")
    assert feature(three) == 1.0
    chain = nb201.parse("|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|none~0|none~1|nor_conv_3x3~2|")
    assert feature(chain) == 3.0


def test_user_bounds(nb201) -> None:
    feature = BandFeature(nb201, "mflops")
    partition = build_partition(feature, 1, bounds=[50.0, 100.0])
    assert partition.bands == 3 and partition.method == "bounds"
    assert partition.band_of_value(49.9) == 0
    assert partition.band_of_value(50.0) == 1
    assert partition.band_of_value(150.0) == 2


def test_bad_partitions_fail_with_the_fix(nb201) -> None:
    with pytest.raises(ConfigError, match="increase strictly"):
        build_partition(BandFeature(nb201, "mflops"), 1, bounds=[5.0, 2.0])
    for bounds in ([float("nan"), float("inf")], [2.0, float("inf")], [float("nan")]):
        with pytest.raises(ConfigError, match="must be finite"):
            build_partition(BandFeature(nb201, "mflops"), 1, bounds=bounds)
    with pytest.raises(ConfigError, match="too few distinct values"):
        build_partition(BandFeature(nb201, "conv3x3"), 12)
    with pytest.raises(ConfigError, match="unknown band feature"):
        BandFeature(nb201, "colour")
    with pytest.raises(ConfigError, match="at least 1"):
        build_partition(BandFeature(nb201, "mflops"), 0)


def test_bands_from_a_saved_latency_predictor(tmp_path, data_dir, nb201) -> None:
    from hwnas.benchmarks import resolve_table_metric
    from hwnas.predictors import create_predictor
    from hwnas.runs import RunStore
    from hwnas.search import SearchConfig, run_search

    table, metric = resolve_table_metric("pi5-onnx")
    archs = nb201.sample(150, seed=9)
    model = create_predictor("gbdt", space="nb201", metric="latency_ms").fit(
        archs, table.values(metric, archs))
    model.save(tmp_path / "model")
    result = run_search(SearchConfig("accuracy=table:cifar100,latency=table:pi5-onnx",
                                     strategy="random", budget=12, seed=0, bands=3,
                                     band_predictor=str(tmp_path / "model")), tmp_path / "runs")
    partition = result.bands["partition"]
    assert partition["description"].startswith("latency predicted by")
    with RunStore.open(result.folder) as store:
        for candidate in store.candidates():
            predicted = float(model.predict([candidate.architecture])[0])
            expected = sum(predicted >= edge for edge in partition["edges"])
            assert candidate.band == expected
