from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hwnas.benchmarks import (
    open_table,
    read_hwnasbench,
    read_measurement_table,
    read_nb201_accuracy,
    read_pi5_measurements,
    resolve_table_metric,
)
from hwnas.core import DataError, MissingValueError

GOOD = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"
OTHER = "|none~0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|"


def test_accuracy_table_loads_whole_space(data_dir: Path) -> None:
    table = read_nb201_accuracy(data_dir / "nb201" / "accuracy.csv")
    assert len(table) == 15625
    assert table.validation.ok, table.validation.problems
    best = {m: table.frame[m].max() for m in table.metrics}
    assert best["cifar10_test_acc"] == pytest.approx(94.37, abs=0.01)
    assert best["cifar100_test_acc"] == pytest.approx(73.51, abs=0.01)
    assert best["imagenet16_120_test_acc"] == pytest.approx(47.31, abs=0.01)
    assert 0 < table.value(GOOD, "cifar100_test_acc") <= 100


def test_pi5_table_flags_impossible_litert_values(data_dir: Path) -> None:
    table = read_pi5_measurements(data_dir / "nb201" / "pi5_latency_energy.csv.gz")
    assert len(table) == 15625
    assert "onnx/cifar100/latency_ms" in table.metrics
    assert table.device == "raspberry-pi-5"
    invalid = table.validation.invalid_values
    assert invalid["litert/cifar100/latency_ms"] > 100
    assert not table.validation.ok
    column = table.frame["litert/cifar100/latency_ms"]
    bad_arch = column[column.isna()].index[0]
    with pytest.raises(MissingValueError, match="no valid litert/cifar100/latency_ms"):
        table.value(bad_arch, "litert/cifar100/latency_ms")
    # Every remaining value is physically possible.
    assert (table.frame.filter(like="latency_ms") > 0.1).all().all() or table.frame.filter(
        like="latency_ms").min().min() > 0
    assert table.info is not None and table.info["measured_as"].nunique() == 6466


def test_open_table_by_name_and_metric_aliases(data_dir: Path, monkeypatch) -> None:
    monkeypatch.setenv("HWNAS_DATA", str(data_dir))
    table, metric = resolve_table_metric("pi5-onnx")
    assert metric == "onnx/cifar100/latency_ms" and table.name == "pi5"
    table, metric = resolve_table_metric("cifar100")
    assert metric == "cifar100_test_acc"
    _, metric = resolve_table_metric("pi5:onnx/ninapro/latency_ms")
    assert metric == "onnx/ninapro/latency_ms"
    with pytest.raises(DataError, match="unknown table metric"):
        resolve_table_metric("cifar1000")
    with pytest.raises(DataError, match="has no metric"):
        resolve_table_metric("pi5:onnx/cifar100/nonsense")
    with pytest.raises(DataError, match="neither a table name"):
        open_table("no-such-table")


def test_generic_measurement_table(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    pd.DataFrame(
        {
            "arch": [GOOD, GOOD, OTHER, "|bad~0|", OTHER],
            "device": ["host-cpu"] * 5,
            "latency_p50_ms": [2.0, 4.0, 0.0, 1.0, 1.5],
            "energy_mj": [np.nan, 1.0, 2.0, 3.0, 2.5],
            "noisy": [False] * 5,
        }
    ).to_csv(path, index=False)
    table = read_measurement_table(path)
    problems = " | ".join(table.validation.problems)
    assert "1 row(s) with malformed architectures dropped" in problems
    assert "2 repeated (arch, device) row(s) combined by their median" in problems
    assert table.value(GOOD, "latency_p50_ms") == 3.0
    # The zero latency is combined with 1.5 by median (0.75) only if valid: zeros are
    # invalid per value after combining? The median of (0.0, 1.5) is 0.75 > 0, so it is kept.
    assert table.value(OTHER, "latency_p50_ms") == pytest.approx(0.75)
    assert set(table.metrics) == {"latency_p50_ms", "energy_mj"}
    assert table.device == "host-cpu"


def test_generic_table_flags_zero_latency(tmp_path: Path) -> None:
    path = tmp_path / "m.parquet"
    pd.DataFrame({"arch": [GOOD, OTHER], "device": ["a", "a"], "latency_ms": [0.0, 2.0]}).to_parquet(path)
    table = read_measurement_table(path)
    assert table.validation.invalid_values == {"latency_ms": 1}
    with pytest.raises(MissingValueError):
        table.value(GOOD, "latency_ms")
    assert table.value(OTHER, "latency_ms") == 2.0


@pytest.mark.parametrize("bad", [float("inf"), float("-inf")])
def test_generic_table_excludes_infinite_values(tmp_path: Path, bad: float) -> None:
    path = tmp_path / "m.csv"
    pd.DataFrame({"arch": [GOOD, OTHER], "device": ["a", "a"], "latency_ms": [bad, 2.0],
                  "cifar10_acc": [bad, 90.0]}).to_csv(path, index=False)
    table = read_measurement_table(path)
    assert table.validation.invalid_values == {"latency_ms": 1, "cifar10_acc": 1}
    for metric in ("latency_ms", "cifar10_acc"):
        with pytest.raises(MissingValueError):
            table.value(GOOD, metric)
        assert np.isnan(table.values(metric, [GOOD])[0])
    assert table.value(OTHER, "latency_ms") == 2.0


def test_several_devices_get_prefixed_metrics(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    pd.DataFrame({"arch": [GOOD, GOOD], "device": ["a", "b"], "latency_ms": [1.0, 2.0]}).to_csv(path, index=False)
    table = read_measurement_table(path)
    assert set(table.metrics) == {"a/latency_ms", "b/latency_ms"}


def test_bad_files_give_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist"):
        read_measurement_table(tmp_path / "missing.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("arch,latency_ms\nx,1\n")
    with pytest.raises(DataError, match="lacks column\\(s\\) device"):
        read_measurement_table(bad)
    assert open_table  # the name is used in other tests


def _fake_hwnasbench(path: Path, count: int) -> None:
    rng = np.random.default_rng(0)
    data = {
        "nasbench201": {
            dataset: {
                "edgegpu_latency": list(rng.uniform(1, 10, count)),
                "edgegpu_energy": list(rng.uniform(5, 50, count)),
                "raspi4_latency": list(rng.uniform(5, 50, count)),
                "config": {"ignored": 1},
            }
            for dataset in ("cifar10", "cifar100", "ImageNet")
        },
        "fbnet": {},
    }
    path.write_bytes(pickle.dumps(data))


def test_damaged_cells_are_excluded_and_reported_not_crashes(tmp_path: Path) -> None:
    """Found by benchmarks/reliability.py's table fuzzing: each raised a bare pandas error."""
    path = tmp_path / "m.csv"
    pd.DataFrame({"arch": [GOOD, OTHER, GOOD], "device": ["a", "a", None],
                  "latency_ms": ["1.5", "abc", "2.0"]}).to_csv(path, index=False)
    table = read_measurement_table(path)  # TypeError (NaN device) before
    assert "latency_ms" in table.metrics  # was dropped silently as a text column
    assert table.value(GOOD, "latency_ms") == 1.5
    problems = " ".join(table.validation.problems)
    assert "1 row(s) without arch or device dropped" in problems
    assert "1 non-numeric value(s) of latency_ms excluded" in problems
    accuracy = tmp_path / "accuracy.csv"
    pd.DataFrame({"arch_index": ["0", "abc", "2", "inf"], "arch": [GOOD, OTHER, OTHER, GOOD],
                  "cifar10_test_acc": ["90", "91", "x", "1"], "cifar100_test_acc": [70] * 4,
                  "imagenet16_120_test_acc": [40] * 4}).to_csv(accuracy, index=False)
    table = read_nb201_accuracy(accuracy)  # ValueError (int('abc')) before
    assert len(table) == 2 and table.value(GOOD, "cifar100_test_acc") == 70
    problems = " ".join(table.validation.problems)
    assert "2 row(s) without an integer arch_index dropped" in problems
    assert "1 non-numeric value(s) of cifar10_test_acc excluded" in problems


def test_a_damaged_parquet_file_is_one_line(tmp_path: Path) -> None:
    good = tmp_path / "m.parquet"
    pd.DataFrame({"arch": [GOOD, OTHER], "device": ["a", "a"],
                  "latency_ms": [1.0, 2.0]}).to_parquet(good)
    data = good.read_bytes()
    for index, damaged in enumerate((data[: len(data) // 2], data[:8] + b"\xff" * 64 + data[72:],
                                     data.replace(b"none", b"n\x83ne"))):
        path = tmp_path / f"bad{index}.parquet"
        path.write_bytes(damaged)
        with pytest.raises(DataError, match=r"cannot read .*bad\d.parquet") as caught:
            open_table(path)  # multi-line pyarrow messages or a UnicodeDecodeError before
        assert "\n" not in str(caught.value)


def test_hwnasbench_reader_on_a_file_in_the_published_layout(tmp_path: Path, data_dir: Path) -> None:
    path = tmp_path / "HW-NAS-Bench-v1_0.pickle"
    _fake_hwnasbench(path, 15625)
    table = read_hwnasbench(path, accuracy_path=data_dir / "nb201" / "accuracy.csv")
    assert len(table) == 15625
    assert "cifar100/edgegpu_latency" in table.metrics
    assert table.units["cifar100/edgegpu_energy"] == "mJ"


def test_hwnasbench_reader_refuses_code_in_the_pickle(tmp_path: Path) -> None:
    class Evil:
        def __reduce__(self):  # type: ignore[no-untyped-def]
            return (os.system, ("echo owned > " + str(tmp_path / "owned"),))

    path = tmp_path / "evil.pickle"
    path.write_bytes(pickle.dumps({"nasbench201": Evil()}))
    with pytest.raises(DataError, match="refusing"):
        read_hwnasbench(path)
    assert not (tmp_path / "owned").exists()
    with pytest.raises(DataError, match="is a pickle"):
        open_table(path)
