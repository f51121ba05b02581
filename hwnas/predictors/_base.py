"""The predictor base: fit on measured architectures, predict a metric for many at once.

A predictor writes four methods: `_fit(genes, values)`, `_predict(genes)`,
`_state()` (what to save: JSON config, numpy arrays, text files) and `_restore(state)`.
The public `fit`/`predict`/`save` validate once, at the door, and `load_predictor`
rebuilds any saved predictor from its folder without unpickling anything.
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from hwnas.core import (
    Architecture,
    ManifestFormat,
    Registry,
    member_path,
    utc_now_iso,
    write_manifest,
)
from hwnas.core import read_manifest as read_versioned_manifest
from hwnas.predictors._errors import ModelFormatError, PredictorError

FORMAT_NAME = "hwnas-predictor"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
PREDICTOR_FORMAT = ManifestFormat(
    FORMAT_NAME,
    (FORMAT_VERSION,),
    ModelFormatError,
    missing=f"{{path}} is not a saved predictor (no {MANIFEST}); train one with "
    "`hwnas predict train`",
    not_json="{file} is not valid JSON ({error}); retrain the model",
    wrong_format="{file} is not an hwnas predictor manifest",
    wrong_version=(
        "{path} was saved in predictor format version {version}; this hwnas reads version "
        "{supported}: retrain it with `hwnas predict train`"
    ),
)
PREDICT_CHUNK = 4096
ARRAYS_FILE = "arrays.safetensors"

ArchLike = Architecture | str


@dataclass
class ModelState:
    """What a predictor saves: JSON-ready config, named float arrays, named text files."""

    config: dict[str, Any] = field(default_factory=dict)
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    children: dict[str, Predictor] = field(default_factory=dict)


def metric_unit(metric: str) -> str:
    """`ms` for latency metrics, `mj` for energy, else the suffix after the last `_`."""
    tail = metric.rsplit("/", 1)[-1]
    if tail.endswith("_ms") or "latency" in tail:
        return "ms"
    if tail.endswith("_mj") or "energy" in tail:
        return "mj"
    return tail.rsplit("_", 1)[-1] if "_" in tail else ""


class Predictor(ABC):
    """Predicts one metric (e.g. `latency_ms`) of architectures of one space on one device."""

    name: ClassVar[str] = ""
    # Bump when the saved layout of this predictor changes; load refuses other versions.
    state_version: ClassVar[int] = 1
    # Libraries whose major version must match between save and load.
    libraries: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self,
        space: str = "nb201",
        metric: str = "latency_ms",
        device: str | None = None,
        input_shape: Sequence[int] | None = None,
        num_classes: int | None = None,
        seed: int = 0,
    ) -> None:
        from hwnas.spaces import create_space

        self.space = create_space(space)
        self.metric = metric
        self.device = device
        self.input_shape = tuple(int(d) for d in (input_shape or self.space.default_input_shape))
        self.num_classes = int(num_classes or self.space.default_num_classes)
        self.seed = int(seed)
        self.training: dict[str, Any] = {}
        self._fitted = False
        self._gene_cache: dict[str, tuple[int, ...]] = {}

    # --- what a predictor writes ------------------------------------------------------
    @abstractmethod
    def _fit(self, genes: np.ndarray, values: np.ndarray) -> None:
        """Learn from an int gene array (N x genes) and positive values (N)."""

    @abstractmethod
    def _predict(self, genes: np.ndarray) -> np.ndarray:
        """Predictions for an int gene array, as float64 (N)."""

    @abstractmethod
    def _state(self) -> ModelState:
        """Everything needed to rebuild the fitted predictor."""

    @abstractmethod
    def _restore(self, state: ModelState) -> None:
        """Rebuild the fitted predictor from `_state()`'s output."""

    def options(self) -> dict[str, Any]:
        """Constructor options beyond the shared context (saved in the manifest)."""
        return {}

    @property
    def context(self) -> dict[str, Any]:
        return {
            "space": self.space.name,
            "metric": self.metric,
            "device": self.device,
            "input_shape": list(self.input_shape),
            "num_classes": self.num_classes,
            "seed": self.seed,
        }

    @property
    def unit(self) -> str:
        return metric_unit(self.metric)

    @property
    def fitted(self) -> bool:
        return self._fitted

    @property
    def version(self) -> str:
        """Layout version and training-data hash, e.g. `gbdt-1+bb617040` (for records)."""
        data = str(self.training.get("data_sha256", ""))[:8]
        return f"{self.name}-{self.state_version}" + (f"+{data}" if data else "")

    # --- public, validated ------------------------------------------------------------
    def genes_of(self, archs: Sequence[ArchLike] | np.ndarray) -> np.ndarray:
        """An int gene array (N x genes) from strings, Architectures or a gene array."""
        width = len(self.space.gene_choices)
        if isinstance(archs, np.ndarray):
            genes = archs
            if genes.ndim != 2 or genes.shape[1] != width:
                raise PredictorError(
                    f"a gene array for space {self.space.name} must be N x {width}, "
                    f"got shape {genes.shape}"
                )
            if not np.issubdtype(genes.dtype, np.integer):
                raise PredictorError(f"gene arrays must hold integers, got {genes.dtype}")
            sizes = np.array([len(c) for c in self.space.gene_choices])
            if genes.size and ((genes < 0).any() or (genes >= sizes).any()):
                raise PredictorError(
                    f"gene values out of range for space {self.space.name}: position p "
                    f"must be in 0..{sizes.tolist()}[p]-1"
                )
            return genes.astype(np.int64, copy=False)
        if isinstance(archs, (str, Architecture)):
            archs = [archs]
        lookup = _fast_lookup(self.space.name)
        out = np.empty((len(archs), width), dtype=np.int64)
        for row, arch in enumerate(archs):
            string = arch.string if isinstance(arch, Architecture) else arch
            genes_row = lookup.get(string) if lookup is not None else None
            if genes_row is None:
                genes_row = self._gene_cache.get(string)
                if genes_row is None:
                    genes_row = self.space.genes(arch)
                    self._gene_cache[string] = genes_row
            out[row] = genes_row
        return out

    def fit(
        self, archs: Sequence[ArchLike] | np.ndarray, values: Sequence[float] | np.ndarray
    ) -> Predictor:
        """Learn from measured architectures and their values (in the metric's unit)."""
        genes = self.genes_of(archs)
        y = np.asarray(values, dtype=float).reshape(-1)
        if len(y) != len(genes):
            raise PredictorError(f"{len(genes)} architectures but {len(y)} values; give one each")
        if len(y) < self.min_training_size:
            raise PredictorError(
                f"{self.name} needs at least {self.min_training_size} measured architectures, "
                f"got {len(y)}"
            )
        if not np.isfinite(y).all() or (y <= 0).any():
            raise PredictorError(
                f"training values for {self.metric} must be finite and positive; "
                "drop missing or impossible measurements first"
            )
        self._fit(genes, y)
        self._fitted = True
        self.training = {
            "n": int(len(y)),
            "data_sha256": training_hash(genes, y),
            "archs": [self.space.from_genes(g).string for g in genes],
        }
        return self

    min_training_size: ClassVar[int] = 2

    def predict(self, archs: Sequence[ArchLike] | np.ndarray) -> np.ndarray:
        """Predicted metric values (float64 array, the metric's unit), one per architecture."""
        if not self._fitted:
            raise PredictorError(f"{self.name} predictor is not fitted: call fit() or load one")
        genes = self.genes_of(archs)
        out = np.empty(len(genes))
        from threadpoolctl import threadpool_limits

        # One BLAS thread: small products on a busy host ran 200x slower with two.
        # Chunks keep the feature matrices in cache: ~3x faster than one big batch.
        with threadpool_limits(limits=1, user_api="blas"):
            for start in range(0, len(genes), PREDICT_CHUNK):
                stop = start + PREDICT_CHUNK
                out[start:stop] = self._predict(genes[start:stop])
        return out

    def save(self, path: str | Path) -> Path:
        """Write the predictor to folder `path` (manifest + non-pickle files)."""
        if not self._fitted:
            raise PredictorError(f"{self.name} predictor is not fitted: nothing to save")
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        state = self._state()
        files: dict[str, str] = {}
        for name, text in state.texts.items():
            (folder / name).write_text(text)
            files[name] = _sha256((folder / name).read_bytes())
        if state.arrays:
            from safetensors.numpy import save_file

            arrays = {k: np.ascontiguousarray(v) for k, v in state.arrays.items()}
            save_file(arrays, str(folder / ARRAYS_FILE))
            files[ARRAYS_FILE] = _sha256((folder / ARRAYS_FILE).read_bytes())
        children = {}
        for name, child in state.children.items():
            child.save(folder / name)
            children[name] = name
        manifest = {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "predictor": self.name,
            "state_version": self.state_version,
            **self.context,
            "unit": self.unit,
            "options": self.options(),
            "features": list(getattr(self, "feature_columns", ()) or ()),
            "libraries": library_versions(("numpy", *self.libraries)),
            "training": {k: v for k, v in self.training.items() if k != "archs"},
            "config": state.config,
            "files": files,
            "children": children,
            "created": utc_now_iso(),
        }
        (folder / "training_archs.json").write_text(json.dumps(self.training.get("archs", [])))
        write_manifest(folder / MANIFEST, manifest)
        return folder


# The built-ins register in `_builtin` (imported by the package); third parties through
# the `hwnas.predictors` entry-point group.
PREDICTORS: Registry[Predictor] = Registry("predictors", base=Predictor)


def list_predictors(pattern: str = "*") -> list[str]:
    """Names of registered predictors matching a glob."""
    return PREDICTORS.list(pattern)


def create_predictor(name: str | Predictor, **options: Any) -> Predictor:
    """A predictor by name, built with `options` (an instance passes through)."""
    return PREDICTORS.resolve(name, **options)


def read_manifest(path: str | Path) -> dict[str, Any]:
    """The manifest of a saved predictor folder, checked for format and library versions."""
    folder = Path(path)
    manifest_path = folder / MANIFEST if folder.is_dir() else folder
    return read_versioned_manifest(manifest_path, PREDICTOR_FORMAT, shown=folder)


def load_predictor(path: str | Path) -> Predictor:
    """Rebuild a saved predictor (no pickle: JSON, safetensors and LightGBM text only).

    Every file and child folder its manifest lists must be a plain name inside its folder,
    and a child may not lead back to a folder already being loaded (a loop)."""
    return _load_predictor(Path(path), ())


def _load_predictor(path: Path, loading: tuple[Path, ...]) -> Predictor:
    folder = path
    manifest = read_manifest(folder)
    if folder.is_file():
        folder = folder.parent
    here = folder.resolve()
    if here in loading:
        raise ModelFormatError(
            f"{loading[-1]}: its manifest names child {folder.name!r}, which leads back to "
            f"{here} (a loop); the manifest was edited or is not from hwnas: save it again"
        )
    files = {member_path(folder, name, PREDICTOR_FORMAT): digest
             for name, digest in dict(manifest.get("files", {})).items()}
    children = {child: member_path(folder, name, PREDICTOR_FORMAT, "child folder")
                for child, name in dict(manifest.get("children", {})).items()}
    name = manifest.get("predictor", "")
    cls = PREDICTORS.get(name)
    saved_state = manifest.get("state_version")
    if saved_state != getattr(cls, "state_version", 1):
        raise ModelFormatError(
            f"{folder} holds a {name} model of layout version {saved_state}; this hwnas reads "
            f"version {cls.state_version}: retrain it with `hwnas predict train`"
        )
    _check_libraries(folder, manifest, getattr(cls, "libraries", ()))
    for file_path, digest in files.items():
        if not file_path.is_file() or _sha256(file_path.read_bytes()) != digest:
            raise ModelFormatError(
                f"{file_path} is missing or was changed after saving; retrain the model"
            )
    context = {
        k: manifest[k]
        for k in ("space", "metric", "device", "input_shape", "num_classes", "seed")
        if k in manifest
    }
    try:
        predictor = PREDICTORS.create(name, **context, **manifest.get("options", {}))
    except TypeError as error:
        raise ModelFormatError(f"{folder}: saved options do not fit {name} ({error})") from None
    state = ModelState(config=manifest.get("config", {}))
    for file_path in files:
        if file_path.name == ARRAYS_FILE:
            from safetensors.numpy import load_file

            state.arrays = dict(load_file(str(file_path)))
        else:
            state.texts[file_path.name] = file_path.read_text()
    for child_name, child_folder in children.items():
        state.children[child_name] = _load_predictor(child_folder, (*loading, here))
    try:
        predictor._restore(state)
    except (KeyError, ValueError) as error:
        raise ModelFormatError(f"{folder} is incomplete or corrupt ({error}); retrain it") from None
    predictor._fitted = True
    predictor.training = dict(manifest.get("training", {}))
    archs_file = folder / "training_archs.json"
    if archs_file.is_file():
        predictor.training["archs"] = json.loads(archs_file.read_text())
    return predictor


def library_versions(names: Sequence[str]) -> dict[str, str]:
    """Installed versions of `names` plus hwnas itself."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("hwnas", *names):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "missing"
    return out


def _check_libraries(folder: Path, manifest: Mapping[str, Any], needed: Sequence[str]) -> None:
    saved = manifest.get("libraries", {})
    installed = library_versions(needed)
    for name in needed:
        was, now = str(saved.get(name, "unknown")), installed[name]
        if was.split(".")[0] != now.split(".")[0]:
            raise ModelFormatError(
                f"{folder} was saved with {name} {was} but {name} {now} is installed; "
                f"install {name}=={was} or retrain the model with `hwnas predict train`"
            )


def training_hash(genes: np.ndarray, values: np.ndarray) -> str:
    """SHA-256 of the training genes and values (identifies the training data)."""
    digest = hashlib.sha256()
    digest.update(np.ascontiguousarray(genes, dtype=np.int64).tobytes())
    digest.update(np.ascontiguousarray(values, dtype=np.float64).tobytes())
    return digest.hexdigest()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@lru_cache(maxsize=8)
def _fast_lookup(space: str) -> dict[str, tuple[int, ...]] | None:
    """String -> genes for every architecture of small spaces (NAS-Bench-201: 15,625)."""
    from hwnas.spaces import create_space

    space_obj = create_space(space)
    if space_obj.size > 100_000:
        return None
    import itertools

    return {
        space_obj._encode(genes): genes
        for genes in itertools.product(*(range(len(c)) for c in space_obj.gene_choices))
    }
