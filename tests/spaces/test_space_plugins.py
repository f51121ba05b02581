"""A space from another package: one module plus an entry point, and every part of hwnas
that asks a space for something (suite, LLM schema, latency tables, predictors) copes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from toy_space import ToySpace

from hwnas.core import ConfigError
from hwnas.testing import SPACE_CHECKS


def _installed_plugin(tmp_path: Path) -> dict[str, str]:
    """A folder that looks like site-packages holding a distribution `toy-space` whose
    `hwnas.spaces` entry point names ToySpace; the environment that puts it on the path."""
    site = tmp_path / "site"
    site.mkdir()
    shutil.copy(Path(__file__).with_name("toy_space.py"), site / "toy_space.py")
    info = site / "toy_space-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: toy-space\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[hwnas.spaces]\ntoy = toy_space:ToySpace\n")
    path = os.pathsep.join(p for p in (str(site), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path}


def test_a_space_from_an_entry_point_loads_on_first_lookup_and_passes_the_suite(tmp_path):
    script = (
        "import sys\n"
        "import hwnas.spaces\n"
        "assert 'toy_space' not in sys.modules, 'entry points load on lookup, not import'\n"
        "from hwnas.spaces import create_space, list_spaces\n"
        "print(list_spaces())\n"
        "from hwnas.testing import check_space\n"
        "check_space(create_space('toy'))\n"
        "from hwnas.llm import describe_space\n"
        "print(describe_space('toy'))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], env=_installed_plugin(tmp_path), capture_output=True,
        text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    assert lines[0] == "['fbnet', 'nb201', 'toy']"
    assert lines[1].startswith("toy: 3 genes (gene 0: conv3, conv1, skip;")


@pytest.mark.parametrize("check", SPACE_CHECKS, ids=lambda check: check.__name__)
def test_the_shared_suite_runs_on_an_unregistered_space_instance(check):
    check(ToySpace())


def test_what_a_space_without_blocks_or_encoder_gets():
    from hwnas.llm import architecture_pattern
    from hwnas.lut import space_blocks
    from hwnas.predictors import PredictorError, feature_encoder
    from hwnas.predictors._features import OneHotEncoder

    toy = ToySpace()
    assert architecture_pattern(toy) is None
    with pytest.raises(ConfigError, match="no latency-table blocks for space 'toy'; use fbnet"):
        space_blocks(toy, toy.default_input_shape, toy.default_num_classes)
    assert isinstance(feature_encoder(toy), OneHotEncoder)  # it declares one-hot features

    class Undeclared(ToySpace):
        onehot_graph_features = False

    with pytest.raises(PredictorError, match=r"no graph feature encoder: register one"):
        feature_encoder(Undeclared())
