"""HW-NAS-Bench CIFAR-10 latency: aliases, impossible values, class medians, catalog devices."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hwnas.benchmarks import (
    HWNASBENCH_DEVICES,
    class_spread,
    open_table,
    read_hwnasbench_latency,
    resolve_table_metric,
)
from hwnas.core import Architecture, MissingValueError


@pytest.fixture(scope="module")
def table(data_dir: Path):
    return read_hwnasbench_latency(data_dir / "nb201" / "hwnasbench_cifar10_latency.csv.gz")


def test_aliases_name_the_four_devices(data_dir: Path, monkeypatch) -> None:
    monkeypatch.setenv("HWNAS_DATA", str(data_dir))
    for alias, metric in (("hwnasbench-raspi4", "raspi4_latency_ms"),
                          ("hwnasbench-pixel3", "pixel3_latency_ms"),
                          ("hwnasbench-fpga", "fpga_latency_ms"),
                          ("hwnasbench-eyeriss", "eyeriss_latency_ms")):
        found, name = resolve_table_metric(alias)
        assert name == metric and found.name == "hwnasbench-cifar10"
        assert found.units[metric] == "ms"
    # the same file opened by path is recognised from its columns
    by_path = open_table(data_dir / "nb201" / "hwnasbench_cifar10_latency.csv.gz")
    assert set(by_path.metrics) == set(HWNASBENCH_DEVICES)


def test_folded_networks_are_excluded_by_the_peak_floor(table, nb201) -> None:
    assert len(table) == 15625
    invalid = table.validation.invalid_values
    # the ~0.01 ms Raspberry Pi 4 cells and ~0.003 ms Pixel 3 cells; the simulated FPGA
    # and Eyeriss columns have none
    assert invalid == {"raspi4_latency_ms": 341, "pixel3_latency_ms": 341}
    raw = table.info["raspi4_latency_ms_cell"]
    assert raw.min() < 0.02
    flagged = [s for s, r in raw.items()
               if r < nb201.cost(s, (3, 32, 32), 10, prune=True).flops / 96e9 * 1e3]
    assert len(flagged) == 269
    # every flagged cell computes an output that does not depend on its input (the
    # converter folded it): its isomorphism key holds no input term
    assert all("0" not in nb201.isomorphism_key(s) for s in flagged)
    assert any("impossible" in p for p in table.validation.problems)
    # one folded member condemns its class: the 5 input-independent classes, 341 cells
    excluded = table.frame.index[table.frame["raspi4_latency_ms"].isna()]
    assert len(excluded) == 341
    assert {nb201.isomorphism_key(s) for s in excluded} == {
        nb201.isomorphism_key(s) for s in flagged}
    assert all("0" not in nb201.isomorphism_key(s) for s in excluded)
    assert table.frame["fpga_latency_ms"].notna().all()


def test_values_are_class_medians_of_valid_measurements(table, nb201) -> None:
    metric = "raspi4_latency_ms"
    info = table.info
    classes = info.groupby("class_representative")
    checked = 0
    for _, members in classes:
        if len(members) < 3 or "0" not in nb201.isomorphism_key(members.index[0]):
            continue  # (input-independent classes are excluded whole, tested above)
        valid = members[f"{metric}_cell"].astype(float)
        values = table.frame.loc[members.index, metric]
        assert values.nunique() == 1  # one value per isomorphism class
        assert values.iloc[0] == pytest.approx(float(np.median(valid)))
        checked += 1
        if checked > 40:
            break
    assert checked > 40
    # isomorphic cells are one network: the representative is a class member
    first = info.index[0]
    rep_index = info.loc[first, "class_representative"]
    rep = info.index[info["arch_index"] == rep_index][0]
    assert nb201.isomorphism_key(rep) == nb201.isomorphism_key(first)
    assert table.value(first, metric) == table.value(rep, metric)


def test_class_spread_is_measured(table) -> None:
    spread = class_spread(table, "fpga_latency_ms")
    assert spread["cells"] > 5000
    assert 0 < spread["median"] < spread["p90"] < 2


def test_table_source_models_the_class_representative(table, data_dir: Path, nb201) -> None:
    from hwnas.search import SourceContext, create_source

    source = create_source("table", "hwnasbench-eyeriss", SourceContext("nb201", "latency"))
    arch = Architecture("nb201", table.info.index[0])
    executed = source.executed(arch)
    assert executed.string == nb201.canonical(arch).string
    assert source.values([arch])[0].value == table.value(arch, "eyeriss_latency_ms")
    with pytest.raises(MissingValueError):
        table.value("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|x", "raspi4_latency_ms")


def test_catalog_has_the_hwnasbench_devices() -> None:
    from hwnas.benchmarks._hwnasbench import peak_gflops
    from hwnas.devices import get_device

    for column, device in HWNASBENCH_DEVICES.items():
        spec = get_device(device)
        assert peak_gflops(device) and peak_gflops(device) > 0, column
        assert spec.description
    assert peak_gflops("raspberry-pi-4") == 96.0  # FP32, as the TFLite networks ran
    assert get_device("eyeriss").kind == "asic" and get_device("fpga-zc706").kind == "fpga"
