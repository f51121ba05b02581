"""The `train:DATA:EPOCHS` objective source: parsing, caching, a chain search, Ray."""

from __future__ import annotations

import importlib.util
import sqlite3
from pathlib import Path

import pytest
from train_helpers import CHEAP, TINY_TOML

from hwnas.core import Architecture, ConfigError
from hwnas.search import (
    SearchConfig,
    SourceContext,
    create_source,
    list_sources,
    parse_objectives,
    run_search,
)
from hwnas.search._sources import COST_RANK
from hwnas.train import parse_train_target

CHAIN = "accuracy=proxy:params>train:digits:1,latency=table:pi5-onnx"
HAS_RAY = importlib.util.find_spec("ray") is not None


def _options(tmp_path: Path) -> dict[str, object]:
    recipe = tmp_path / "tiny.toml"
    recipe.write_text(TINY_TOML)
    return {"train_recipe": str(recipe), "train_cache": str(tmp_path / "cache"),
            "train_threads": 1}


def _trained(cache: Path) -> list[Path]:
    return sorted(p for p in cache.glob("nb201-*") if (p / "result.json").is_file())


def test_registered_parsed_and_ranked_most_expensive() -> None:
    assert "train" in list_sources()
    spec = parse_objectives("accuracy=proxy:synflow>train:digits:5,latency=table:pi5-onnx")[0]
    assert [s.kind for s in spec.sources] == ["proxy", "train"] and spec.screened
    assert COST_RANK["train"] > max(v for k, v in COST_RANK.items() if k != "train")
    assert parse_train_target("digits:5").epochs == 5
    assert parse_train_target("/data/my:set:30").data == "/data/my:set"


@pytest.mark.parametrize("target", ["digits", "digits:0", "digits:x", ":5", ""])
def test_bad_targets_say_the_form(target: str) -> None:
    with pytest.raises(ConfigError, match="DATA:EPOCHS"):
        create_source("train", target, SourceContext("nb201", "accuracy"))


def test_latency_objective_is_refused() -> None:
    with pytest.raises(ConfigError, match="gives accuracy"):
        create_source("train", "digits:1", SourceContext("nb201", "latency"))


def test_values_are_validation_accuracy_and_cached(tmp_path: Path) -> None:
    context = SourceContext("nb201", "accuracy", options=_options(tmp_path))
    archs = [Architecture("nb201", CHEAP),
             Architecture("nb201", "|skip_connect~0|+|avg_pool_3x3~0|none~1|+|skip_connect~0|"
                                   "none~1|skip_connect~2|")]
    source = create_source("train", "digits:1", context)
    values = source.values(archs)
    assert all(v.ok and 0 <= v.value <= 100 for v in values)
    assert source.unit == "percent" and source.recorded_as == "measured"
    folders = _trained(tmp_path / "cache")
    assert len(folders) == 2
    stamps = [(f / "weights.safetensors").stat().st_mtime_ns for f in folders]
    again = create_source("train", "digits:1", context).values(archs)  # a fresh source
    assert [v.value for v in again] == [v.value for v in values]
    assert [(f / "weights.safetensors").stat().st_mtime_ns for f in folders] == stamps
    described = source.describe()
    assert described["kind"] == "train" and described["recipe"]["input_size"] == 8
    # another seed is another cache entry
    other = SourceContext("nb201", "accuracy", options={**_options(tmp_path), "train_seed": 1})
    create_source("train", "digits:1", other).values(archs[:1])
    assert len(_trained(tmp_path / "cache")) == 3


def _chain_config(tmp_path: Path, **changes: object) -> SearchConfig:
    # the first batch (8) is confirmed against an empty front; later ones are screened
    return SearchConfig(CHAIN, strategy="random", budget=10, seed=2, bands=1,
                        confirm_margin=0.0, source_options=_options(tmp_path), **changes)


def test_screened_chain_across_units_compares_cheap_values(tmp_path: Path,
                                                           data_dir: Path) -> None:
    """A params score and a trained accuracy are different scales: the screen compares a
    candidate's score with the confirmed candidates' scores, so it screens some out."""
    result = run_search(_chain_config(tmp_path), tmp_path / "runs")
    from hwnas.runs import RunStore

    with RunStore.open(result.folder) as store:
        extras = store.candidate_extras()
    assert all("screen" in extra and "accuracy" in extra["screen"] for extra in extras)
    assert any(not extra["confirmed"] for extra in extras)


def test_chain_search_trains_only_what_it_confirms(tmp_path: Path, data_dir: Path) -> None:
    result = run_search(_chain_config(tmp_path), tmp_path / "runs")
    assert result.status == "finished" and result.front_size >= 1
    with sqlite3.connect(Path(result.folder) / "run.sqlite") as db:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert "candidates" in tables
    from hwnas.runs import RunStore

    with RunStore.open(result.folder) as store:
        pairs = list(zip(store.candidates(), store.candidate_extras(), strict=True))
    confirmed = [c for c, extra in pairs if extra.get("confirmed")]
    assert confirmed and all(c.objectives["accuracy"].source == "measured" for c in confirmed)
    screened = [c for c, extra in pairs if not extra.get("confirmed")]
    assert all(c.objectives["accuracy"].source == "proxy" for c in screened
               if "accuracy" in c.objectives)
    trained = _trained(tmp_path / "cache")
    assert len(trained) == len(confirmed) == 10 < len(pairs)  # the proxy screened the rest
    assert result.screened_only == len(pairs) - 10
    # a second run with the same settings trains nothing new
    again = run_search(_chain_config(tmp_path), tmp_path / "runs2")
    assert again.front == result.front and _trained(tmp_path / "cache") == trained


@pytest.mark.slow
@pytest.mark.skipif(not HAS_RAY, reason="ray is not installed (extra `ray`)")
def test_chain_search_on_ray_matches_local(tmp_path: Path, data_dir: Path) -> None:
    from hwnas.search import RayExecutor

    local = run_search(_chain_config(tmp_path), tmp_path / "local")
    executor = RayExecutor(num_cpus=2)
    try:
        # a cache of its own: the workers train every confirmed candidate again
        options = {**_options(tmp_path), "train_cache": str(tmp_path / "ray-cache")}
        config = SearchConfig(CHAIN, strategy="random", budget=10, seed=2, bands=1,
                              confirm_margin=0.0, source_options=options)
        on_ray = run_search(config, tmp_path / "ray", executor=executor)
    finally:
        executor.close()
    assert on_ray.front == local.front
    assert len(_trained(tmp_path / "ray-cache")) == len(_trained(tmp_path / "cache"))
