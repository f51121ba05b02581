"""The learned accuracy estimator: LightGBM boosters over proxy values and architecture
features, trained on a few labelled architectures; saved as text models and a manifest."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hwnas.core import (
    Architecture,
    ConfigError,
    DataError,
    ManifestFormat,
    member_path,
    read_manifest,
    write_manifest,
)
from hwnas.proxies._base import Proxy, ProxyResult
from hwnas.proxies._cache import ScoreCache
from hwnas.proxies._data import DataSource, resolve_data
from hwnas.proxies._score import resolve_proxies, score_architectures

if TYPE_CHECKING:
    import numpy as np

    from hwnas.spaces import SearchSpace

FORMAT = "hwnas-proxy-ensemble"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
ENSEMBLE_FORMAT = ManifestFormat(
    FORMAT,
    (FORMAT_VERSION,),
    DataError,
    missing=f"{{path}} has no {MANIFEST}: pass the folder written by save()",
    not_json="{file} is not valid JSON ({error})",
    wrong_format="{path} is not an hwnas proxy ensemble (format {format!r})",
    wrong_version=(
        "{path} has format version {version}, this hwnas reads version {supported}: "
        "retrain it with `hwnas proxies fit`"
    ),
)
DEFAULT_PARAMS: dict[str, Any] = {
    "objective": "regression",
    "learning_rate": 0.05,
    "num_leaves": 7,
    "max_depth": 3,
    "min_data_in_leaf": 3,
    "min_data_in_bin": 1,
    "max_bin": 63,
    "feature_fraction": 0.7,
    "lambda_l2": 1.0,
    "num_threads": 1,
    "deterministic": True,
    "force_row_wise": True,
    "verbose": -1,
}
DEFAULT_ROUNDS = 200


def _ranks(values: Sequence[float]) -> np.ndarray:
    """Each value's rank as a fraction in (0, 1]: ties share their mean rank."""
    import numpy as np
    from scipy.stats import rankdata

    array = np.asarray(values, dtype=np.float64)
    return rankdata(array) / len(array)


def training_hash(archs: Sequence[str], labels: Sequence[float]) -> str:
    """SHA-256 of the sorted (architecture, label) pairs a model was trained on."""
    lines = sorted(f"{a}\t{float(y)!r}" for a, y in zip(archs, labels, strict=True))
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


class AccuracyEstimator:
    """Predicts the accuracy rank of architectures from zero-cost proxies and features.

    `fit(archs, accuracies)` scores the architectures with every proxy (through the cache)
    and trains `n_models` boosters, each on a bootstrap sample with its own seed. With
    `target="rank"` (default) the boosters learn each architecture's rank fraction among the
    training labels (0 worst, 1 best); `predict(archs)` returns the mean over boosters and
    their standard deviation as the uncertainty. `target="value"` learns the labels as given.
    """

    def __init__(
        self,
        space: SearchSpace | str = "nb201",
        proxies: Sequence[str | Proxy] | None = None,
        data: DataSource | str | Path | None = None,
        seed: int = 0,
        cache: ScoreCache | str | Path | None = None,
        n_models: int = 10,
        target: str = "rank",
        use_features: bool = True,
        params: Mapping[str, Any] | None = None,
        rounds: int = DEFAULT_ROUNDS,
    ) -> None:
        from hwnas.spaces import create_space

        if target not in ("rank", "value"):
            raise ConfigError(f"target must be 'rank' or 'value', got {target!r}")
        if n_models < 1:
            raise ConfigError(f"n_models must be at least 1, got {n_models}")
        self.space = create_space(space)
        self.proxies = resolve_proxies(proxies)
        self.data = resolve_data(data)
        self.seed = int(seed)
        self.cache = ScoreCache(cache) if isinstance(cache, (str, Path)) else cache
        self.n_models = int(n_models)
        self.target = target
        self.use_features = use_features
        self.params = dict(DEFAULT_PARAMS) | dict(params or {})
        self.rounds = int(rounds)
        self.boosters: list[Any] = []
        self.feature_names: list[str] = []
        self.manifest: dict[str, Any] = {}

    # --- features ------------------------------------------------------------------
    @property
    def proxy_names(self) -> list[str]:
        return [p.name for p in self.proxies]

    def scores(self, archs: Sequence[Architecture | str]) -> list[dict[str, ProxyResult]]:
        """Proxy results of `archs` (cached values are reused)."""
        return score_architectures(archs, self.proxies, data=self.data, seed=self.seed,
                                   space=self.space, cache=self.cache)

    def feature_matrix(
        self, archs: Sequence[Architecture | str],
        scores: Sequence[Mapping[str, ProxyResult | float]] | None = None,
    ) -> np.ndarray:
        """One row per architecture: proxy values, then the space's features."""
        import numpy as np

        if scores is None:
            scores = self.scores(archs)
        if len(scores) != len(archs):
            raise ConfigError(f"{len(archs)} architectures but {len(scores)} score rows")
        rows = []
        for arch, row in zip(archs, scores, strict=True):
            values = []
            for name in self.proxy_names:
                if name not in row:
                    raise ConfigError(f"scores for {arch} lack proxy {name!r}")
                item = row[name]
                values.append(item.value if isinstance(item, ProxyResult) else float(item))
            if self.use_features:
                values.extend(self.space.features(arch).values())
            rows.append(values)
        matrix = np.asarray(rows, dtype=np.float64)
        # -inf (e.g. naswot of a network whose ReLU codes coincide) ranks below everything
        return np.nan_to_num(matrix, nan=0.0, posinf=1e300, neginf=-1e300)

    def _names(self, arch: Architecture | str) -> list[str]:
        names = [f"proxy_{n}" for n in self.proxy_names]
        if self.use_features:
            names.extend(f"feature_{n}" for n in self.space.features(arch))
        return names

    # --- training and prediction ---------------------------------------------------
    def fit(
        self, archs: Sequence[Architecture | str], accuracies: Sequence[float],
        scores: Sequence[Mapping[str, ProxyResult | float]] | None = None,
    ) -> AccuracyEstimator:
        """Train on labelled architectures (accuracy, higher is better)."""
        import lightgbm  # a core dependency of hwnas
        import numpy as np
        if len(archs) != len(accuracies):
            raise ConfigError(f"{len(archs)} architectures but {len(accuracies)} labels")
        if len(archs) < 5:
            raise ConfigError(
                f"the ensemble needs at least 5 labelled architectures, got {len(archs)}"
            )
        labels = np.asarray(accuracies, dtype=np.float64)
        if not np.all(np.isfinite(labels)):
            raise DataError("accuracy labels contain NaN or infinite values; drop those rows")
        strings = [self.space.parse(a).string for a in archs]
        features = self.feature_matrix(strings, scores)
        targets = _ranks(labels) if self.target == "rank" else labels
        self.feature_names = self._names(strings[0])
        self.boosters = []
        for index in range(self.n_models):
            rng = np.random.default_rng(self.seed * 1000 + index)
            chosen = rng.choice(len(strings), size=len(strings), replace=True) \
                if self.n_models > 1 else np.arange(len(strings))
            params = self.params | {"seed": self.seed * 1000 + index}
            dataset = lightgbm.Dataset(features[chosen], targets[chosen],
                                       feature_name=self.feature_names,
                                       params={"min_data_in_bin": params["min_data_in_bin"],
                                               "max_bin": params["max_bin"], "verbose": -1})
            self.boosters.append(lightgbm.train(params, dataset, num_boost_round=self.rounds))
        self.manifest = self._manifest(strings, labels)
        return self

    def predict(
        self, archs: Sequence[Architecture | str],
        scores: Sequence[Mapping[str, ProxyResult | float]] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """(mean, std) over the boosters for each architecture; higher mean = better."""
        import numpy as np

        if not self.boosters:
            raise ConfigError("the estimator is not trained: call fit() or load a saved one")
        if len(archs) == 0:
            return np.zeros(0), np.zeros(0)
        features = self.feature_matrix(archs, scores)
        predictions = np.stack([b.predict(features) for b in self.boosters])
        return predictions.mean(axis=0), predictions.std(axis=0)

    # --- saving --------------------------------------------------------------------
    def _manifest(self, strings: Sequence[str], labels: np.ndarray) -> dict[str, Any]:
        import platform

        import lightgbm
        import numpy
        import torch

        import hwnas

        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "space": self.space.name,
            "proxies": [
                {"name": p.name, "version": p.version, "batch_size": p.batch_size,
                 "data": p.data_label(self.data)} for p in self.proxies
            ],
            "data": self.data.to_dict(),
            "seed": self.seed,
            "target": self.target,
            "use_features": self.use_features,
            "feature_names": self.feature_names,
            "params": self.params,
            "rounds": self.rounds,
            "n_models": self.n_models,
            "training": {"count": len(strings), "sha256": training_hash(strings, labels),
                         "label_min": float(labels.min()), "label_max": float(labels.max())},
            "versions": {"hwnas": hwnas.__version__, "lightgbm": lightgbm.__version__,
                         "torch": torch.__version__, "numpy": numpy.__version__,
                         "python": platform.python_version()},
        }

    def save(self, folder: str | Path) -> Path:
        """Write `manifest.json` and one LightGBM text model per booster into `folder`."""
        if not self.boosters:
            raise ConfigError("nothing to save: call fit() first")
        out = Path(folder).expanduser()
        out.mkdir(parents=True, exist_ok=True)
        files = []
        for index, booster in enumerate(self.boosters):
            name = f"booster_{index:02d}.txt"
            text = booster.model_to_string()
            (out / name).write_text(text)
            files.append({"file": name, "sha256": hashlib.sha256(text.encode()).hexdigest()})
        write_manifest(out / MANIFEST, self.manifest | {"models": files})
        return out

    @classmethod
    def load(
        cls, folder: str | Path, data: DataSource | str | Path | None = None,
        cache: ScoreCache | str | Path | None = None,
    ) -> AccuracyEstimator:
        """Read a saved estimator. `data` defaults to the saved source when it is the
        built-in digits; a user folder must be passed again (it is not re-opened silently)."""
        import lightgbm  # a core dependency of hwnas

        from hwnas.proxies._registry import create_proxy
        path = Path(folder).expanduser()
        manifest = read_manifest(path / MANIFEST, ENSEMBLE_FORMAT, shown=path)
        saved_data = manifest["data"]["name"]
        if data is None and saved_data != "sklearn-digits":
            raise ConfigError(
                f"this ensemble was trained on proxies over {saved_data}: pass that folder "
                "again (data=... / --data-dir)"
            )
        source = resolve_data(data)
        if source.name != saved_data:
            raise ConfigError(
                f"this ensemble was trained on proxies over {saved_data}, not {source.name}: "
                "pass the same data source"
            )
        proxies = []
        for entry in manifest["proxies"]:
            proxy = create_proxy(entry["name"], batch_size=entry["batch_size"])
            if proxy.version != entry["version"]:
                raise DataError(
                    f"proxy {entry['name']} is at version {proxy.version} but the ensemble was "
                    f"trained with version {entry['version']}: retrain it"
                )
            proxies.append(proxy)
        estimator = cls(space=manifest["space"], proxies=proxies, data=source,
                        seed=manifest["seed"], cache=cache, n_models=manifest["n_models"],
                        target=manifest["target"], use_features=manifest["use_features"],
                        params=manifest["params"], rounds=manifest["rounds"])
        boosters = []
        for entry in manifest["models"]:
            model_path = member_path(path, entry["file"], ENSEMBLE_FORMAT, "model file")
            if not model_path.is_file():
                raise DataError(f"{model_path} is missing; the saved ensemble is incomplete")
            text = model_path.read_text()
            if hashlib.sha256(text.encode()).hexdigest() != entry["sha256"]:
                raise DataError(f"{model_path} does not match its checksum in {MANIFEST}")
            boosters.append(lightgbm.Booster(model_str=text))
        estimator.boosters = boosters
        estimator.feature_names = list(manifest["feature_names"])
        estimator.manifest = {k: v for k, v in manifest.items() if k != "models"}
        return estimator
