"""The coevo screen's surrogate: features of the network that produced each value."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hwnas.core import Architecture
from hwnas.search import SourceContext, create_source
from hwnas.search._surrogate import EnsembleSurrogate, FeatureCache


def test_table_source_names_the_cell_it_measured(data_dir, nb201) -> None:
    latency = create_source("table", "pi5-onnx", SourceContext("nb201", "latency"))
    accuracy = create_source("table", "cifar100", SourceContext("nb201", "accuracy"))
    frame = pd.read_csv(data_dir / "nb201" / "pi5_latency_energy.csv.gz",
                        usecols=["arch_index", "measured_as"]).drop_duplicates("arch_index")
    copies = frame[frame.arch_index != frame.measured_as].head(50)
    info = latency.table.info
    by_index = dict(zip(info["arch_index"], info.index, strict=True))
    strings = {int(i): by_index[int(i)] for i in set(copies.arch_index) | set(copies.measured_as)}
    for row in copies.itertuples():
        arch = Architecture("nb201", strings[row.arch_index])
        measured = latency.executed(arch)
        assert measured.string == strings[row.measured_as] != arch.string
        assert nb201.isomorphism_key(measured) == nb201.isomorphism_key(arch)
        assert latency.values([arch])[0].value == latency.values([measured])[0].value
        assert accuracy.executed(arch) is arch  # every cell was trained on its own
    measured_itself = frame[frame.arch_index == frame.measured_as].arch_index.iloc[0]
    arch = Architecture("nb201", by_index[int(measured_itself)])
    assert latency.executed(arch) is arch


def test_features_describe_the_executed_network(nb201) -> None:
    cache = FeatureCache(nb201, device="raspberry-pi-5")
    cells = nb201.sample(20, seed=1)
    matrix = cache.matrix(cells)
    assert matrix.shape[0] == 20 and np.isfinite(matrix).all()
    # an edge whose output is never used still runs unpruned, so the features differ
    dead = nb201.parse("|nor_conv_3x3~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|")
    other = nb201.parse("|avg_pool_3x3~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|")
    assert nb201.isomorphism_key(dead) == nb201.isomorphism_key(other)
    a, b = cache.matrix([dead, other])
    assert not np.allclose(a, b)
    assert np.array_equal(cache.matrix([cells[3]])[0], matrix[3])  # cached rows are stable


def test_one_feature_matrix_per_objective(nb201) -> None:
    rng = np.random.default_rng(0)
    first, second = rng.normal(size=(60, 5)), rng.normal(size=(60, 3))
    targets = np.column_stack([first @ [1, 2, 0, 0, 0], second @ [0, 0, 3]])
    model = EnsembleSurrogate(members=3, seed=0).fit([first, second], targets)
    test_a, test_b = rng.normal(size=(40, 5)), rng.normal(size=(40, 3))
    mean, std = model.predict([test_a, test_b])
    truth = np.column_stack([test_a @ [1, 2, 0, 0, 0], test_b @ [0, 0, 3]])
    assert mean.shape == std.shape == (40, 2)
    for column in range(2):
        assert np.corrcoef(mean[:, column], truth[:, column])[0, 1] > 0.95
    single = EnsembleSurrogate(members=2, seed=0).fit(first, targets)
    assert single.predict(test_a)[0].shape == (40, 2)
