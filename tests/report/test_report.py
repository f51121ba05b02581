"""`hwnas report`: plots, front CSV and a self-contained HTML page from a finished run."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hwnas.core import RunStoreError
from hwnas.report import write_report
from hwnas.runs import RunStore
from hwnas.search import SearchConfig, run_search

PNG = b"\x89PNG\r\n\x1a\n"


def run_cli(*args: str) -> subprocess.CompletedProcess:
    from hwnas.benchmarks._data import find_data_dir

    env = dict(os.environ)
    found = find_data_dir(required=False)
    if found is not None:
        env["HWNAS_DATA"] = str(found)
    return subprocess.run([sys.executable, "-m", "hwnas", *args], capture_output=True,
                          text=True, env=env, timeout=300)


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory, data_dir) -> Path:
    folder = tmp_path_factory.mktemp("runs")
    result = run_search(SearchConfig("accuracy=table:cifar100,latency=table:pi5-onnx",
                                     strategy="coevo", budget=24, seed=2, bands=2), folder)
    return Path(result.folder)


def test_report_files(finished_run: Path) -> None:
    page = write_report(finished_run)
    folder = page.parent
    assert folder == finished_run / "report"
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["front.csv", "pareto_band0.png", "pareto_band1.png", "pareto_overall.png",
                     "report.html"]
    for png in folder.glob("*.png"):
        assert png.read_bytes()[:8] == PNG and png.stat().st_size > 5000


def test_front_csv_is_the_non_dominated_set(finished_run: Path) -> None:
    write_report(finished_run)
    with (finished_run / "report" / "front.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    with RunStore.open(finished_run) as store:
        candidates = store.candidates()
    points = [(c.value("accuracy"), c.value("latency")) for c in candidates]
    front = {c.architecture.string for c, (a, lat) in zip(candidates, points, strict=True)
             if not any(a2 >= a and l2 <= lat and (a2, l2) != (a, lat) for a2, l2 in points)}
    assert {r["architecture"] for r in rows} == front
    assert all(r["sources"] == "accuracy:table;latency:table" for r in rows)


def test_html_is_self_contained(finished_run: Path) -> None:
    page = write_report(finished_run).read_text()
    assert page.count("data:image/png;base64,") == 3
    assert "src=\"http" not in page and "href=\"http" not in page
    for section in ("Quality", "hv_ratio", "Knowledge bases", "LLM usage", "Round 0, band 0",
                    "no LLM configured"):
        assert section in page


def test_report_cli(finished_run: Path, tmp_path: Path) -> None:
    result = run_cli("report", finished_run.name, "--dir", str(finished_run.parent),
                     "--out", str(tmp_path / "out"), "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["report"] == str(tmp_path / "out" / "report.html")
    missing = run_cli("report", "nope", "--dir", str(finished_run.parent))
    assert missing.returncode == 2 and "no run 'nope'" in missing.stderr


def test_a_run_that_is_not_a_search_is_refused(tmp_path: Path) -> None:
    store = RunStore.create(tmp_path, {"something": 1}, "manual", 0)
    store.close()
    with pytest.raises(RunStoreError, match="not a search run"):
        write_report(store.folder)


def test_a_full_disk_mid_report_leaves_the_old_page(finished_run: Path, tmp_path: Path) -> None:
    """The page is written to a temporary name and renamed: a write the kernel stops midway
    (RLIMIT_FSIZE, as a full disk) leaves the previous report.html whole."""
    out = tmp_path / "report"
    write_report(finished_run, out)
    sizes = {p.name: p.stat().st_size for p in out.iterdir()}
    limit = max(size for name, size in sizes.items() if name != "report.html") + 4096
    assert sizes["report.html"] > limit  # the plots fit under the limit, the page does not
    (out / "report.html").write_text("<p>the previous report</p>")
    code = ("import resource, signal\nsignal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
            f"resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit}))\n"
            "from hwnas.report import write_report\n"
            f"try:\n    write_report({str(finished_run)!r}, {str(out)!r})\n"
            "except OSError as error:\n    print('refused', error.errno)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300)
    assert "refused 27" in done.stdout, done.stderr  # EFBIG
    assert (out / "report.html").read_text() == "<p>the previous report</p>"  # was cut
    assert sorted(p.name for p in out.iterdir()) == sorted(sizes)  # no temporary left
