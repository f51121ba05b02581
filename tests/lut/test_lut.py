"""Latency tables built for real with ONNX Runtime on this host, and checked end to end."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from hwnas.core import ConfigError, DataError
from hwnas.lut import (
    OVERHEAD_KEY,
    LatencyTable,
    build_table,
    load_table,
    space_blocks,
    validate_table,
)
from hwnas.profilers import ProfileSettings
from hwnas.spaces import create_space

QUICK = ProfileSettings(
    threads=1, warmup=3, min_repeats=10, max_repeats=60, max_seconds=0.5, ci_fraction=0.05
)
ALL_CONV = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+" + "|".join(
    f"nor_conv_3x3~{i}" for i in range(3)).join("||")
ALL_SKIP = "|skip_connect~0|+|skip_connect~0|skip_connect~1|+" + "|".join(
    f"skip_connect~{i}" for i in range(3)).join("||")
MIXED = "|nor_conv_1x1~0|+|avg_pool_3x3~0|none~1|+|skip_connect~0|nor_conv_3x3~1|none~2|"


@pytest.fixture(scope="module")
def table():
    return build_table("nb201", "host-cpu", settings=QUICK, num_classes=10)


def test_every_nb201_block_is_measured_once(table):
    expected = set(space_blocks("nb201", (3, 32, 32), 10)) | {OVERHEAD_KEY}
    assert set(table.entries_ms) == expected
    assert len(expected) == 20
    assert all(v > 0 for v in table.entries_ms.values())
    entries = table.entries_ms
    # a 3x3 convolution does 9x the work of a 1x1 at the same size
    assert entries["nb201_nor_conv_3x3_c16_i32"] > entries["nb201_nor_conv_1x1_c16_i32"]
    assert table.device == "host-cpu" and table.profiler == "onnxruntime"


def test_the_sum_counts_each_block_the_network_runs(table):
    nb201 = create_space("nb201")
    genes = np.array([nb201.genes(MIXED)])
    overhead = table.entries_ms[OVERHEAD_KEY]  # removed per block, never below zero
    entries = {k: max(v - overhead, 0.0) for k, v in table.entries_ms.items()}
    by_stage = [("c16", "i32"), ("c32", "i16"), ("c64", "i8")]
    expected = entries["nb201_stem_c3_o16_i32"] + entries["nb201_reduction_c16_o32_i32"]
    expected += entries["nb201_reduction_c32_o64_i16"] + entries["nb201_head_c64_i8_n10"]
    for c, i in by_stage:  # unpruned: every op runs, `none` as a multiply; 3 adds a cell
        ops = ["nor_conv_1x1", "avg_pool_3x3", "none", "nor_conv_3x3", "none"]
        expected += 5 * sum(entries[f"nb201_{op}_{c}_{i}"] for op in ops)
        expected += 5 * 3 * entries[f"nb201_add_{c}_{i}"]
    assert table.sum_ms(genes)[0] == pytest.approx(expected)
    assert table.sum_ms(genes, prune=True)[0] < table.sum_ms(genes)[0]


def test_sum_of_blocks_against_end_to_end_measurement(table):
    check = validate_table(table, [ALL_CONV, ALL_SKIP, MIXED], settings=QUICK)
    summary = check.summary()
    assert summary["n"] == 3
    assert np.all(check.measured_ms > 0)
    # the ordering survives; the size of the error is what the table's validation reports
    assert check.sum_ms[0] > check.sum_ms[1] and check.measured_ms[0] > check.measured_ms[1]
    assert summary["max_abs_error_pct"] == pytest.approx(100 * np.abs(check.relative_error).max())
    corrected = table.with_correction(check.sum_ms, check.measured_ms)
    after = np.abs(corrected.correction.apply(check.sum_ms) / check.measured_ms - 1)
    # the correction minimises the squared relative error, so it can only lower it
    assert np.sqrt(np.mean(after**2)) <= np.sqrt(np.mean(check.relative_error**2)) + 1e-9


def test_save_load_round_trip_and_version_check(table, tmp_path):
    path = table.save(tmp_path / "nb201.json")
    loaded = load_table(path)
    assert loaded.entries_ms == table.entries_ms and loaded.input_shape == (3, 32, 32)
    data = json.loads(path.read_text())
    data["format_version"] = 7
    path.write_text(json.dumps(data))
    with pytest.raises(DataError, match="format version 7.*hwnas lut build"):
        load_table(path)
    with pytest.raises(DataError, match="does not exist"):
        load_table(tmp_path / "nope.json")


def test_lut_sum_predictor_uses_the_table(table, tmp_path):
    from hwnas.predictors import create_predictor, load_predictor

    path = table.save(tmp_path / "nb201.json")
    model = create_predictor("lut-sum", table=str(path))
    genes = np.array([create_space("nb201").genes(ALL_CONV)])
    assert model.predict([ALL_CONV])[0] == pytest.approx(table.sum_ms(genes)[0])
    reloaded = load_predictor(model.save(tmp_path / "model"))
    assert np.array_equal(reloaded.predict([ALL_CONV, MIXED]), model.predict([ALL_CONV, MIXED]))
    with pytest.raises(Exception, match="input"):
        create_predictor("lut-sum", table=str(path), input_shape=(3, 64, 64))


def test_fbnet_blocks_build_for_a_small_key_set():
    keys = ["fbnet_stem_c3_o16_s1_i32", "ir_k5_e6_c24_o32_s2_i32", "skip_c24_o32_s2_i32"]
    small = build_table("fbnet", "host-cpu", settings=QUICK, keys=keys)
    assert set(small.entries_ms) == {*keys, OVERHEAD_KEY}
    assert small.entries_ms["ir_k5_e6_c24_o32_s2_i32"] > small.entries_ms["skip_c24_o32_s2_i32"]
    assert len(space_blocks("fbnet", (3, 32, 32), 100)) > 90
    with pytest.raises(ConfigError, match="unknown block"):
        build_table("fbnet", "host-cpu", settings=QUICK, keys=["ir_k9_e9"])


def test_fbnet_table_sums_layer_choices():
    fbnet = create_space("fbnet")
    blocks = space_blocks("fbnet", (3, 32, 32), 100)
    entries = {k: float(len(k)) for k in blocks} | {OVERHEAD_KEY: 0.0}
    table = LatencyTable("fbnet", "host-cpu", "onnxruntime", (3, 32, 32), 100, entries)
    arch = fbnet.sample(1, seed=2)[0]
    keys = fbnet.block_keys(arch) + [
        k for k in blocks if k.startswith(("fbnet_stem", "fbnet_head"))
    ]
    assert table.sum_ms(np.array([fbnet.genes(arch)]))[0] == pytest.approx(sum(map(len, keys)))


def test_cli_reports_bad_tables_in_one_line(tmp_path):
    (tmp_path / "bad.json").write_text("{}")
    done = subprocess.run(
        [sys.executable, "-m", "hwnas", "lut", "show", str(tmp_path / "bad.json")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and "not an hwnas latency table" in done.stderr
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "hwnas",
            "lut",
            "build",
            "--device",
            "host-cpu",
            "--space",
            "darts",
            "--out",
            str(tmp_path / "t.json"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and "known spaces" in done.stderr


def _synthetic_table() -> LatencyTable:
    blocks = space_blocks("nb201", (3, 32, 32), 10)
    entries = {k: 0.1 + len(k) / 100 for k in blocks} | {OVERHEAD_KEY: 0.0}
    return LatencyTable("nb201", "host-cpu", "onnxruntime", (3, 32, 32), 10, entries)


@pytest.mark.parametrize("bad", ["NaN", "Infinity", "-Infinity", "0", "-0.5", "1e999"])
def test_an_impossible_entry_refuses_the_table_naming_the_block(tmp_path, bad):
    path = _synthetic_table().save(tmp_path / "t.json")
    text = path.read_text()
    block = sorted(k for k in _synthetic_table().entries_ms if k != OVERHEAD_KEY)[3]
    data = json.loads(text)
    good = data["entries_ms"][block]
    path.write_text(text.replace(f'"{block}": {good!r}', f'"{block}": {bad}'))
    assert path.read_text() != text
    with pytest.raises(DataError, match=f"block '{block}' has latency") as caught:
        load_table(path)  # json reads NaN/Infinity happily; the table used to sum them
    assert "\n" not in str(caught.value) and "hwnas lut build" in str(caught.value)


def test_the_overhead_may_be_zero_but_not_negative_and_the_correction_is_finite(tmp_path):
    table = _synthetic_table()
    path = table.save(tmp_path / "t.json")
    assert load_table(path).entries_ms[OVERHEAD_KEY] == 0.0
    data = json.loads(path.read_text())
    data["entries_ms"][OVERHEAD_KEY] = -0.1
    path.write_text(json.dumps(data))
    with pytest.raises(DataError, match="block 'overhead'.*non-negative"):
        load_table(path)
    data["entries_ms"][OVERHEAD_KEY] = 0.0
    data["correction"] = {"slope": float("nan"), "intercept_ms": 0.0, "fitted_on": 3}
    path.write_text(json.dumps(data))
    with pytest.raises(DataError, match="correction .* is not finite"):
        load_table(path)


@pytest.mark.parametrize("entries", [3.5, "fast", [1.0, 2.0], None])
def test_entries_that_are_not_an_object_are_one_line(tmp_path, entries):
    """Found by benchmarks/reliability.py's table fuzzing (AttributeError before)."""
    data = _synthetic_table().to_dict()
    data["entries_ms"] = entries
    path = tmp_path / "t.json"
    path.write_text(json.dumps(data))
    with pytest.raises(DataError, match="entries_ms is|incomplete latency table"):
        load_table(path)


def test_cli_refuses_an_impossible_entry_in_one_line(tmp_path):
    data = _synthetic_table().to_dict()
    data["entries_ms"]["overhead"] = float("inf")
    path = tmp_path / "inf.json"
    path.write_text(json.dumps(data))
    done = subprocess.run([sys.executable, "-m", "hwnas", "lut", "show", str(path)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "block 'overhead' has latency inf ms" in done.stderr.strip().splitlines()[-1]
