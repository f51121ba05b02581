"""`hwnas proxies` through the real entry point."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ARCH = (
    "|nor_conv_3x3~0|+"
    "|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"
)


def _hwnas(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hwnas", "proxies", *args],
                          capture_output=True, text=True, timeout=300)


def test_list_json() -> None:
    out = _hwnas("list", "--format", "json")
    assert out.returncode == 0, out.stderr
    names = {row["name"] for row in json.loads(out.stdout)}
    assert {"synflow", "naswot", "zen", "meco", "params"} <= names


def test_score_json(tmp_path: Path) -> None:
    out = _hwnas("score", ARCH, "-n", "1", "-p", "params", "-p", "naswot", "--batch-size", "8",
                 "--cache", str(tmp_path / "c.sqlite"), "--threads", "1", "--format", "json")
    assert out.returncode == 0, out.stderr
    document = json.loads(out.stdout)
    assert document["data"]["name"] == "sklearn-digits"
    assert len(document["architectures"]) == 2
    first = document["architectures"][0]
    assert first["arch"] == ARCH and set(first["scores"]) == {"params", "naswot"}
    assert first["scores"]["naswot"]["seconds"] >= 0


def test_eval_json_names_data_and_reports_ensemble(data_dir: Path) -> None:
    table = data_dir / "nb201" / "accuracy.csv"
    out = _hwnas("eval", "--table", str(table), "--metric", "cifar10_test_acc", "--archs", "40",
                 "--train", "20", "-p", "params", "-p", "flops", "--format", "json")
    assert out.returncode == 0, out.stderr
    document = json.loads(out.stdout)
    assert document["data"]["name"] == "sklearn-digits" and document["archs"] == 40
    assert set(document["proxies"]) == {"params", "flops"}
    for entry in document["proxies"].values():
        assert -1 <= entry["spearman"] <= 1 and -1 <= entry["kendall"] <= 1
    assert document["ensemble"]["train"] == 20 and document["ensemble"]["test"] == 20


def test_fit_then_predict(data_dir: Path, tmp_path: Path) -> None:
    fit = _hwnas("fit", str(tmp_path / "m"), "--table", "nb201-accuracy", "--train", "30",
                 "-p", "params", "-p", "flops", "--format", "json")
    assert fit.returncode == 0, fit.stderr
    out = _hwnas("predict", str(tmp_path / "m"), ARCH, "--format", "json")
    assert out.returncode == 0, out.stderr
    predictions = json.loads(out.stdout)["predictions"]
    assert predictions[0]["arch"] == ARCH and 0 <= predictions[0]["mean"] <= 1


def test_missing_data_dir_is_one_line_exit_2(tmp_path: Path) -> None:
    out = _hwnas("score", ARCH, "-p", "naswot", "--data-dir", str(tmp_path / "missing"))
    assert out.returncode == 2
    assert "does not exist" in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_missing_label_column_is_one_line(data_dir: Path) -> None:
    out = _hwnas("eval", "--table", str(data_dir / "nb201" / "accuracy.csv"),
                 "--metric", "cifar1000", "--archs", "10", "-p", "params")
    assert out.returncode == 2 and "lacks column(s) cifar1000" in out.stderr
