"""`latency-power`: energy from a latency model and a model of average power."""

from __future__ import annotations

import numpy as np
import pytest

from hwnas.predictors import PredictorError, create_predictor, measured_dataset, table_context

ENERGY = "torchmobile/cifar100/energy_mj"
LATENCY = "torchmobile/cifar100/latency_ms"


@pytest.fixture(scope="module")
def energy_split(pi5):
    train, rest = measured_dataset(pi5, ENERGY).split(200, seed=2)
    return train, rest.subset(range(400))


def latency_of(pi5, archs):
    return pi5.frame.loc[list(archs), LATENCY].to_numpy(dtype=float)


def test_fit_without_latency_data_says_how_to_give_it(pi5, energy_split):
    train, _ = energy_split
    model = create_predictor("latency-power", **table_context(pi5, ENERGY))
    with pytest.raises(PredictorError, match=r"pretrain\(archs.*--source"):
        model.fit(list(train.archs), train.values)
    with pytest.raises(PredictorError, match="exactly one latency column"):
        model.pretrain(list(train.archs), {LATENCY: train.values, "other": train.values})


def test_training_architectures_without_a_latency_value_are_refused(pi5, energy_split):
    train, _ = energy_split
    model = create_predictor("latency-power", **table_context(pi5, ENERGY))
    model.pretrain(list(train.archs[:100]), {LATENCY: latency_of(pi5, train.archs[:100])})
    with pytest.raises(PredictorError, match="100 of 200 training architectures have no valid"):
        model.fit(list(train.archs), train.values)


def test_latency_part_learns_only_from_the_architectures_it_is_fitted_on(pi5, energy_split):
    train, test = energy_split
    everything = [*train.archs, *test.archs]
    model = create_predictor("latency-power", **table_context(pi5, ENERGY))
    model.pretrain(everything, {LATENCY: latency_of(pi5, everything)})
    model.fit(list(train.archs), train.values)
    assert model.latency.training["archs"] == [
        model.space.from_genes(g).string for g in model.genes_of(list(train.archs))
    ]
    assert model.latency.metric == LATENCY
    # The power part is not a constant: TorchMobile's average power depends on the network.
    power = model.predict(list(test.archs)) / model.latency.predict(list(test.archs))
    measured_power = test.values / latency_of(pi5, test.archs)
    assert np.corrcoef(power, measured_power)[0, 1] > 0.5
