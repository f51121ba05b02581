"""Where objective values come from: one small interface per source kind.

A source turns architectures into one number each (or an error for that one
architecture). Kinds: `table` (benchmark tables), `predictor` (a saved latency/energy
predictor), `proxy` (zero-cost proxies or the learned accuracy ensemble), `profile`
(a live measurement on a device), `train` (accuracy after training, in
`_train_source.py`). Sources are rebuilt from their spec inside executor
workers, so only the spec travels.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from hwnas.core import (
    Architecture,
    ConfigError,
    HwnasError,
    Measurement,
    Registry,
)
from hwnas.core import ObjectiveSource as RecordedSource

# Cheapest first: the evaluator orders work by this rank.
COST_RANK = {"table": 0, "predictor": 1, "proxy": 2, "ensemble": 2, "profile": 3, "train": 4}


@dataclass(frozen=True)
class SourceValue:
    """One architecture's value from a source, or why there is none."""

    value: float | None
    error: str | None = None
    measurement: Measurement | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.value is not None


@dataclass(frozen=True)
class SourceContext:
    """What a source may need besides its target: the space, the run's device, the objective."""

    space: str
    objective: str
    device: str | None = None
    options: dict[str, Any] = field(default_factory=dict)


class ObjectiveSource(ABC):
    """Values of one objective for architectures. Subclasses write `_values` and `describe`."""

    kind: str = ""
    recorded_as: RecordedSource = "table"
    unit: str = ""

    def __init__(self, target: str, context: SourceContext) -> None:
        self.target = target
        self.context = context

    @abstractmethod
    def _values(self, archs: Sequence[Architecture]) -> list[SourceValue]:
        """One SourceValue per architecture (errors for one architecture, not raised)."""

    @abstractmethod
    def describe(self) -> dict[str, Any]:
        """What this source is, for the run record (name, version, table, device...)."""

    def executed(self, arch: Architecture) -> Architecture:
        """The architecture whose network produced this source's value for `arch`.

        Usually `arch` itself. A benchmark table that measured one cell per isomorphism
        class gives every member that cell's number, and an unpruned network's latency
        depends on which member ran (a `none` edge still runs as a multiply-by-zero), so
        a model of the values must describe the cell that was measured."""
        return arch

    def values(self, archs: Sequence[Architecture]) -> list[SourceValue]:
        """Validated entry point: one SourceValue per architecture, in order."""
        archs = list(archs)
        for arch in archs:
            if not isinstance(arch, Architecture):
                raise TypeError(f"expected Architecture, got {type(arch).__name__}")
        out = self._values(archs)
        if len(out) != len(archs):
            raise HwnasError(
                f"source {self.kind}:{self.target} returned {len(out)} values for {len(archs)} "
                "architectures; this is a bug in the source"
            )
        return out


SOURCES: Registry[ObjectiveSource] = Registry("objective_sources", base=ObjectiveSource)


def list_sources(pattern: str = "*") -> list[str]:
    """Names of registered objective-source kinds."""
    return SOURCES.list(pattern)


def create_source(kind: str, target: str, context: SourceContext) -> ObjectiveSource:
    """An objective source by kind."""
    return SOURCES.create(kind, target=target, context=context)


def _unit_from_metric(metric: str) -> str:
    for suffix, unit in (("_ms", "ms"), ("_mj", "mJ"), ("_mb", "MB"), ("_acc", "percent")):
        if metric.endswith(suffix):
            return unit
    return ""


def _measured_strings(table: Any) -> dict[str, str]:
    """Architecture string -> the string of the cell whose network a value describes: the
    cell actually measured (`measured_as`, the Pi 5 table) or the class representative of
    a table of class values (`class_representative`, HW-NAS-Bench); empty otherwise."""
    info = table.info
    if info is None or "arch_index" not in info.columns:
        return {}
    column = next((c for c in ("measured_as", "class_representative") if c in info.columns), None)
    if column is None:
        return {}
    by_index = dict(zip(info["arch_index"].tolist(), info.index, strict=True))
    return {str(s): str(by_index.get(m, s))
            for s, m in zip(info.index, info[column].tolist(), strict=True)}


@SOURCES.register("table")
class TableSource(ObjectiveSource):
    """A benchmark table column: `table:cifar100`, `table:pi5-onnx`, `table:PATH:METRIC`."""

    kind = "table"
    recorded_as = "table"

    def __init__(self, target: str, context: SourceContext) -> None:
        super().__init__(target, context)
        from hwnas.benchmarks import resolve_table_metric

        if not target:
            raise ConfigError(
                f"objective {context.objective!r}: table source needs a metric, e.g. table:cifar100"
            )
        self.table, self.metric = resolve_table_metric(target)
        if self.table.space != context.space:
            raise ConfigError(
                f"table {self.table.name!r} describes space {self.table.space!r}, "
                f"but the run searches {context.space!r}"
            )
        self.unit = self.table.units.get(self.metric) or _unit_from_metric(self.metric)
        self._measured: dict[str, str] | None = None

    def _values(self, archs: Sequence[Architecture]) -> list[SourceValue]:
        from hwnas.core import MissingValueError

        out = []
        for arch in archs:
            try:
                out.append(SourceValue(self.table.value(arch, self.metric)))
            except MissingValueError as error:
                out.append(SourceValue(None, str(error)))
        return out

    def executed(self, arch: Architecture) -> Architecture:
        if self._measured is None:
            self._measured = _measured_strings(self.table)
        measured = self._measured.get(arch.string)
        if measured is None or measured == arch.string:
            return arch
        return Architecture(arch.space, measured)

    def all_values(self) -> dict[str, float]:
        """Every valid value of the column (for the true front of an enumerable space)."""
        return {str(k): float(v) for k, v in self.table.valid(self.metric).items()}

    def describe(self) -> dict[str, Any]:
        return {"kind": "table", "table": self.table.name, "metric": self.metric,
                "unit": self.unit, "device": self.table.device}


@SOURCES.register("profile")
class ProfileSource(ObjectiveSource):
    """A live measurement: `profile:DEVICE` (default: the run's device).

    The objective name picks the figure: names with `energy` take energy_mj, everything
    else the median latency in ms. Options `profile_max_seconds`, `profile_threads` and
    `profiler` tune the measurement.
    """

    kind = "profile"
    recorded_as = "measured"

    def __init__(self, target: str, context: SourceContext) -> None:
        super().__init__(target, context)
        from hwnas.devices import get_device
        from hwnas.profilers import ProfileSettings, create_profiler

        device_name = target or context.device
        if not device_name:
            raise ConfigError(
                f"objective {context.objective!r}: profile source needs a device: "
                "profile:host-cpu or --device host-cpu"
            )
        self.device = get_device(device_name)
        options = context.options
        self.profiler = create_profiler(options.get("profiler") or self.device.default_profiler)
        self.settings = ProfileSettings(
            threads=options.get("profile_threads"),
            warmup=int(options.get("profile_warmup", 5)),
            min_repeats=int(options.get("profile_min_repeats", 10)),
            max_repeats=int(options.get("profile_max_repeats", 200)),
            max_seconds=float(options.get("profile_max_seconds", 2.0)),
            ci_fraction=float(options.get("profile_ci_fraction", 0.02)),
        )
        self.energy = "energy" in context.objective.lower()
        self.unit = "mJ" if self.energy else "ms"

    def _values(self, archs: Sequence[Architecture]) -> list[SourceValue]:
        import time

        out = []
        for arch in archs:
            started = time.perf_counter()
            try:
                measurement = self.profiler.profile(arch, self.device, self.settings)
            except HwnasError as error:
                out.append(SourceValue(None, str(error), seconds=time.perf_counter() - started))
                continue
            value = measurement.energy_mj if self.energy else measurement.latency_p50_ms
            error = None if value is not None else f"{self.profiler.name} gives no energy"
            out.append(SourceValue(value, error, measurement, time.perf_counter() - started))
        return out

    def describe(self) -> dict[str, Any]:
        return {"kind": "profile", "device": self.device.name, "profiler": self.profiler.name,
                "figure": "energy_mj" if self.energy else "latency_p50_ms", "unit": self.unit,
                "settings": {"max_seconds": self.settings.max_seconds,
                             "min_repeats": self.settings.min_repeats,
                             "threads": self.settings.threads}}


@SOURCES.register("proxy")
class ProxySource(ObjectiveSource):
    """A zero-cost proxy score (`proxy:synflow`), a rank vote of several proxies
    (`proxy:vote:synflow+naswot+meco`: the mean of each score's position among a fixed
    reference set of class representatives, option `vote_reference`, default 200), or a
    saved learned estimator (`proxy:ensemble:FOLDER`, from `hwnas proxies fit`).

    Proxies score the architecture's class representative through the shared on-disk
    score cache (`hwnas.search._proxy_scores`); a value's `seconds` is what its scores cost
    to compute. Options: `proxy_cache`, `proxy_data`, `proxy_seed`, `vote_reference`.
    """

    kind = "proxy"
    recorded_as = "proxy"

    def __init__(self, target: str, context: SourceContext) -> None:
        super().__init__(target, context)
        import hwnas.proxies as proxies
        from hwnas.search._proxy_scores import ProxyScorer, RankVote

        self.name, _, path = (target or "ensemble").partition(":")
        self._estimator = None
        self._scorer: ProxyScorer | None = None
        self._vote: RankVote | None = None
        options = context.options
        if self.name == "ensemble":
            path = path or options.get("proxy_estimator") or ""
            if not path:
                raise ConfigError(
                    "proxy:ensemble needs a trained estimator folder: proxy:ensemble:FOLDER "
                    "(train one with `hwnas proxies fit`), fit one on labels with "
                    "ensemble:table:cifar10:50, or pick a zero-cost proxy: "
                    f"proxy:{', proxy:'.join(proxies.list_proxies())}"
                )
            self._estimator = proxies.AccuracyEstimator.load(path)
            self.path = path
        elif self.name == "vote":
            names = [n.strip() for n in path.split("+") if n.strip()]
            if len(names) < 2:
                raise ConfigError(
                    f"proxy:vote needs two or more proxies joined by +, e.g. "
                    f"proxy:vote:synflow+naswot+meco (got {path!r})")
            self._scorer = ProxyScorer(context.space, names, options)
            self._vote = RankVote(self._scorer, int(options.get("vote_reference", 200)),
                                  int(options.get("vote_seed", 0)))
        elif self.name not in proxies.list_proxies():
            raise ConfigError(
                f"unknown proxy {self.name!r}; known: ensemble:FOLDER, vote:A+B+..., "
                f"{', '.join(proxies.list_proxies())}"
            )
        else:
            self._scorer = ProxyScorer(context.space, [self.name], options)
        self.unit = ("rank" if getattr(self._estimator, "target", "") == "rank" else "percent") \
            if self._estimator is not None else "vote" if self._vote is not None else "score"
        self.seed = int(options.get("proxy_seed", 0))

    def _values(self, archs: Sequence[Architecture]) -> list[SourceValue]:
        import time

        if self._estimator is not None:
            started = time.perf_counter()
            mean, _ = self._estimator.predict(list(archs))
            seconds = (time.perf_counter() - started) / max(1, len(archs))
            return [SourceValue(float(v), seconds=seconds) for v in mean]
        assert self._scorer is not None
        out = []
        for row in self._scorer.rows(archs):
            if row.values is None:
                out.append(SourceValue(None, row.error, seconds=row.seconds))
            elif self._vote is not None:
                out.append(SourceValue(self._vote.value(row.values), seconds=row.seconds))
            else:
                out.append(SourceValue(row.values[self.name], seconds=row.seconds))
        return out

    def executed(self, arch: Architecture) -> Architecture:
        if self._scorer is None:
            return arch
        try:
            return self._scorer.executed(arch)
        except HwnasError:
            return arch

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": "proxy", "proxy": self.name, "unit": self.unit,
                               "seed": self.seed}
        if self._estimator is not None:
            out["estimator"] = self.path
            out["manifest"] = {k: v for k, v in getattr(self._estimator, "manifest", {}).items()
                               if k in ("format_version", "training_hash", "target", "proxies")}
        if self._scorer is not None:
            out["scores"] = self._scorer.describe()
        if self._vote is not None:
            out["vote_reference"] = self._vote.reference
        return out


@SOURCES.register("predictor")
class PredictorSource(ObjectiveSource):
    """A saved predictor file (`predictor:PATH`) from `hwnas.predictors`."""

    kind = "predictor"
    recorded_as = "predicted"

    def __init__(self, target: str, context: SourceContext) -> None:
        super().__init__(target, context)
        try:
            import hwnas.predictors as predictors
        except ImportError:
            raise ConfigError(
                "latency predictors are not available in this hwnas build; use a table or "
                "profile source for this objective"
            ) from None
        loader = getattr(predictors, "load_predictor", None)
        if loader is None or not target:
            raise ConfigError(
                f"objective {context.objective!r}: predictor source needs a saved predictor "
                "file: predictor:PATH (train one with `hwnas predict train`)"
            )
        self.predictor = loader(target)
        self.unit = "mJ" if "energy" in context.objective.lower() else "ms"

    def _values(self, archs: Sequence[Architecture]) -> list[SourceValue]:
        try:
            return [SourceValue(float(v)) for v in self.predictor.predict(list(archs))]
        except HwnasError as error:
            if len(archs) == 1:
                return [SourceValue(None, str(error))]
        # one architecture the predictor cannot encode fails alone, not the whole batch
        return [self._values([arch])[0] for arch in archs]

    def describe(self) -> dict[str, Any]:
        return {"kind": "predictor", "path": self.target, "unit": self.unit,
                "name": getattr(self.predictor, "name", ""),
                "version": getattr(self.predictor, "version", "")}
