"""The `train` objective source: an architecture's accuracy after real training.

`accuracy=train:digits:5` trains each architecture for 5 epochs on scikit-learn's digits
(NAS-Bench-201's recipe otherwise) and reports its validation accuracy in percent (the
test split stays for the final figure). Results are cached on disk per (architecture,
data, recipe, seed), so a resumed or repeated search never trains twice. It is the
expensive end of a chain: `accuracy=proxy:synflow>train:digits:5` trains only the
candidates the proxy puts near the front.

Source options (SearchConfig.source_options): `train_cache` (folder; default
`$XDG_CACHE_HOME/hwnas/train`), `train_recipe` (a TOML recipe file), `train_seed`
(default 0), `train_device` (cpu or cuda), `train_threads`. Only the spec travels to
executor workers, which rebuild the source and share the cache folder.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from hwnas.core import Architecture, ConfigError, HwnasError
from hwnas.search._sources import SOURCES, ObjectiveSource, SourceContext, SourceValue


@SOURCES.register("train")
class TrainSource(ObjectiveSource):
    """Validation accuracy (percent) after training: `train:DATA:EPOCHS`."""

    kind = "train"
    recorded_as = "measured"
    unit = "percent"

    def __init__(self, target: str, context: SourceContext) -> None:
        super().__init__(target, context)
        from hwnas.train import TrainCache, load_recipe, parse_train_target

        if "energy" in context.objective.lower() or "latency" in context.objective.lower():
            raise ConfigError(
                f"objective {context.objective!r}: a train source gives accuracy, not latency "
                "or energy; use it for an accuracy objective, e.g. accuracy=train:digits:5")
        options = context.options
        self.spec = parse_train_target(target)
        recipe = load_recipe(options.get("train_recipe"))
        threads = options.get("train_threads")
        self.cache = TrainCache(self.spec, recipe, int(options.get("train_seed", 0)),
                                options.get("train_cache"), options.get("train_device"),
                                int(threads) if threads is not None else None)

    def _values(self, archs: Sequence[Architecture]) -> list[SourceValue]:
        out = []
        for arch in archs:
            started = time.perf_counter()
            try:
                result = self.cache.train(arch)
            except HwnasError as error:
                out.append(SourceValue(None, str(error), seconds=time.perf_counter() - started))
                continue
            out.append(SourceValue(float(result.val_acc), seconds=time.perf_counter() - started))
        return out

    def describe(self) -> dict[str, Any]:
        return {"kind": "train", "figure": "val_acc", "unit": self.unit,
                **self.cache.describe()}
