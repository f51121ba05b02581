"""Saved predictors and proxy ensembles: a manifest may only name plain files inside its own
folder, and a child folder that leads back to a folder being loaded is refused (it used to
recurse until Python gave up)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from hwnas.core import is_plain_name
from hwnas.predictors import ModelFormatError, create_predictor, load_predictor
from hwnas.spaces import create_space

CONTEXT = {"space": "nb201", "metric": "latency_ms", "device": "host-cpu",
           "input_shape": (3, 32, 32), "num_classes": 10}


@pytest.fixture(scope="module")
def saved_fewshot(tmp_path_factory) -> Path:
    """A few-shot predictor (one child: its base model) on synthetic latencies, saved."""
    space = create_space("nb201")
    archs = space.sample(60, seed=4)
    flops = np.array([space.features(a)["mflops"] for a in archs])
    model = create_predictor("fewshot", **CONTEXT, base="gbdt",
                             base_options={"n_estimators": 10})
    model.pretrain(archs, {"other_ms": flops / 10 + 1.0})
    model.fit(archs[:20], flops[:20] / 8 + 0.5)
    return model.save(tmp_path_factory.mktemp("saved") / "fewshot")


def edited(saved: Path, tmp_path: Path, change) -> Path:
    folder = tmp_path / "copy"
    shutil.copytree(saved, folder, symlinks=True)
    manifest = json.loads((folder / "manifest.json").read_text())
    change(manifest, folder)
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


def test_the_saved_predictor_loads(saved_fewshot) -> None:
    manifest = json.loads((saved_fewshot / "manifest.json").read_text())
    assert manifest["children"] == {"source_0": "source_0"}
    empty = "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"
    assert load_predictor(saved_fewshot).predict([empty])


@pytest.mark.parametrize("name", [".", "..", "../fewshot", "/tmp", "a/b", ""])
def test_a_child_folder_must_be_a_plain_name(saved_fewshot, tmp_path, name) -> None:
    def change(manifest, folder):
        manifest["children"]["source_0"] = name

    folder = edited(saved_fewshot, tmp_path, change)
    with pytest.raises(ModelFormatError,
                       match="names child folder .* not a plain file name") as caught:
        load_predictor(folder)  # "." recursed forever (RecursionError) before
    assert "\n" not in str(caught.value) and str(folder) in str(caught.value)


@pytest.mark.parametrize("name", ["../secret.json", "/etc/hostname", "sub/x.json", ".."])
def test_a_listed_file_must_be_a_plain_name(saved_fewshot, tmp_path, name) -> None:
    (tmp_path / "secret.json").write_text("{}")

    def change(manifest, folder):
        manifest["files"][name] = "0" * 64

    folder = edited(saved_fewshot, tmp_path, change)
    with pytest.raises(ModelFormatError, match="names file .* not a plain file name"):
        load_predictor(folder)


def test_a_child_that_links_back_to_its_parent_is_a_loop(saved_fewshot, tmp_path) -> None:
    def change(manifest, folder):
        shutil.rmtree(folder / "source_0")
        os.symlink(".", folder / "source_0")  # a plain name, but the folder itself

    folder = edited(saved_fewshot, tmp_path, change)
    with pytest.raises(ModelFormatError, match=r"leads back to .*\(a loop\)") as caught:
        load_predictor(folder)
    assert "\n" not in str(caught.value)


def test_plain_names() -> None:
    assert is_plain_name("booster_00.txt") and is_plain_name("source_0")
    for name in (".", "..", "", "a/b", "/abs", "a\\b", "x\0", None, 3, ["a"]):
        assert not is_plain_name(name)
