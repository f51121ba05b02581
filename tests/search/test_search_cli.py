"""`hwnas search` through the real entry point: JSON output, errors, the no-LLM notice."""

from __future__ import annotations

import json

from search_cli import run_cli


def test_search_json_document(tmp_path, data_dir) -> None:
    result = run_cli("search", "--space", "nb201", "--device", "raspberry-pi-5", "--objectives",
                     "accuracy=table:cifar100,latency=table:pi5-onnx", "--strategy", "random",
                     "--bands", "2", "--budget", "20", "--seed", "0", "--out", str(tmp_path),
                     "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)  # exactly one JSON document on stdout
    for key in ("run", "evaluations", "front_size", "hv", "hv_ratio", "igd", "recall"):
        assert key in data
    assert data["evaluations"] == 20
    assert (tmp_path / data["run"] / "run.sqlite").is_file()
    assert data["llm"] == "none"


def test_coevo_without_llm_says_so(tmp_path, data_dir) -> None:
    result = run_cli("search", "--objectives", "accuracy=table:cifar100,latency=table:pi5-onnx",
                     "--strategy", "coevo", "--bands", "2", "--budget", "12", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "no LLM configured" in result.stdout
    from hwnas.runs import RunStore

    folder = next(tmp_path.glob("*/run.sqlite")).parent
    with RunStore.open(folder) as store:
        notes = [e["data"]["message"] for e in store.events() if e["kind"] == "note"]
    assert any("no LLM configured" in n for n in notes)


def test_bad_input_is_one_line_with_exit_code_2(tmp_path, data_dir) -> None:
    cases = [
        (["--objectives", "accuracy=table:cifar100"], "at least two objectives"),
        (["--objectives", "accuracy=table:cifar100,latency=table:pi5-onnx", "--strategy", "magic"],
         "unknown strategies 'magic'"),
        (["--objectives", "accuracy=table:cifar100,latency=table:pi5-onnx", "--budget", "0"],
         "--budget must be at least 1"),
        (["--resume", "no-such-run"], "no run 'no-such-run'"),
        (["--budget", "5"], "--objectives is required"),
    ]
    for args, message in cases:
        result = run_cli("search", *args, "--out", str(tmp_path))
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert message in result.stderr, (args, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1
    assert not any(tmp_path.iterdir())  # bad input created no run
