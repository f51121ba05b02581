"""The profiler base class and the measurement protocol shared by every profiler.

How to write a profiler
-----------------------
Subclass `Profiler`, set `name`, write two methods, and register the class::

    from hwnas.profilers import PROFILERS, Profiler

    @PROFILERS.register("my-board")
    class MyBoardProfiler(Profiler):
        name = "my-board"

        def _prepare(self, model, device, settings):
            # Build or load `model.onnx_bytes(settings.batch_size)` for `device`;
            # return any handle (session, remote module, ...). Raise DeviceError when
            # the device cannot be reached, with a message that says how to fix it.
            return session

        def _run(self, handle, iterations):
            # Run `iterations` inferences; return one latency in ms per inference.
            return [timed_ms, ...]

Optional hooks: `check_device(device)` (default: the device must be reachable on this
host, `access.method == "local"`), `unavailable_reason()` (why this profiler cannot run
here, e.g. "no CUDA GPU"), `_environment(handle)` (library versions, modes, clocks of
the device), `_energy_mj(handle, latency_ms)` (energy per inference when the device
exposes it), `_close(handle)` (release sessions and boards), `_run_groups(handle,
groups, per_group)` (only for a timer that averages groups of inferences itself, such as
TVM's evaluator: return the group means, so the protocol does not group twice). An
analytical model sets `analytical = True`: `_run(handle, 1)` is evaluated once, without
warm-up or repeats.

The public `profile(model, device, settings)` validates its input once, then runs the
protocol written once here: warm-up; timed samples, each the mean of a group of
consecutive inferences lasting at least `settings.min_sample_ms` (group size from the
warm-up median, recorded as `environment["inferences_per_sample"]` with the
per-inference CV of the same run); rounds of samples until the 95% confidence interval
of the median sample is within `settings.ci_fraction` of the median or a cap
(`max_repeats` samples, `max_seconds`) is hit; p50/p90/mean/std in ms; `noisy=True`
when it never settles; and the environment (host load, CPU governor and clock, versions,
threads) recorded in the `Measurement`. Errors a profiler does not raise as `HwnasError` become a
`ProfilingError` (a `DeviceError`) for that one measurement, so a batch can go on.
"""

from __future__ import annotations

import math
import statistics
import time
from abc import ABC, abstractmethod
from typing import Any

from hwnas.core import DeviceError, DeviceSpec, HwnasError, Measurement, Registry
from hwnas.profilers._environment import host_environment
from hwnas.profilers._model import ModelSource, as_model_source
from hwnas.profilers._settings import ProfileSettings
from hwnas.profilers._stats import median_ci_fraction, summarize


class ProfilingError(DeviceError):
    """One measurement failed (build error, lost device, timeout); others may go on."""


class Profiler(ABC):
    """Turns (model, device, settings) into a Measurement. See the module docstring."""

    name: str = ""
    analytical: bool = False

    # --- what a profiler writes -----------------------------------------------------
    @abstractmethod
    def _prepare(self, model: ModelSource, device: DeviceSpec, settings: ProfileSettings) -> Any:
        """Build/load the model for the device; return a handle for `_run`."""

    @abstractmethod
    def _run(self, handle: Any, iterations: int) -> list[float]:
        """Run `iterations` inferences; return per-inference latencies in ms."""

    # --- what a profiler may override -----------------------------------------------
    def check_device(self, device: DeviceSpec) -> None:
        """Raise DeviceError when this profiler cannot measure `device`."""
        if device.access.method != "local":
            raise DeviceError(
                f"profiler {self.name!r} runs on this host, but device {device.name!r} is "
                f"reached over {device.access.method}; pick its profiler "
                f"({device.default_profiler!r}) or a local device such as host-cpu"
            )

    def unavailable_reason(self) -> str | None:
        """Why this profiler cannot run on this machine (None when it can)."""
        return None

    def _environment(self, handle: Any) -> dict[str, Any]:
        return {}

    def _energy_mj(self, handle: Any, latency_ms: float) -> float | None:
        return None

    def _close(self, handle: Any) -> None:
        return None

    # --- the shared protocol --------------------------------------------------------
    def profile(
        self,
        model: Any,
        device: str | DeviceSpec,
        settings: ProfileSettings | None = None,
    ) -> Measurement:
        """Measure `model` (ONNX path/bytes, Architecture or ModelSource) on `device`."""
        from hwnas.devices import get_device

        settings = settings or ProfileSettings()
        if not isinstance(settings, ProfileSettings):
            raise TypeError(f"settings must be a ProfileSettings, got {type(settings).__name__}")
        source = as_model_source(model)
        spec = get_device(device)
        reason = self.unavailable_reason()
        if reason:
            raise DeviceError(f"profiler {self.name!r} cannot run here: {reason}")
        self.check_device(spec)
        environment = {"host": host_environment(), "threads": settings.threads}
        started = time.perf_counter()
        handle = None
        try:
            handle = self._prepare(source, spec, settings)
            prepare_s = time.perf_counter() - started
            samples, settled, ci, sampling = self._measure(handle, settings)
            environment.update(sampling)
            environment.update(self._environment(handle))
            summary = summarize(samples)
            energy = self._energy_mj(handle, summary["latency_p50_ms"])
        except HwnasError:
            raise
        except Exception as error:  # a failed build or a lost device: this measurement only
            raise ProfilingError(
                f"{self.name} failed on {spec.name} for {source.label or source.arch_id}: "
                f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''} "
                "(set HWNAS_DEBUG=1 for the traceback)"
            ) from error
        finally:
            if handle is not None:
                self._close(handle)
        environment["prepare_s"] = round(prepare_s, 4)
        environment["measure_s"] = round(time.perf_counter() - started - prepare_s, 4)
        environment["median_ci_fraction"] = ci
        environment["load_average_1m_after"] = host_environment()["load_average_1m"]
        return Measurement(
            arch_id=source.arch_id,
            arch_string=source.arch_string,
            device=spec.name,
            profiler=self.name,
            batch_size=settings.batch_size,
            precision=settings.precision,
            repeats=len(samples),
            noisy=not settled,
            energy_mj=energy,
            environment=environment,
            **summary,
        )

    def _measure(
        self, handle: Any, settings: ProfileSettings
    ) -> tuple[list[float], bool, float, dict[str, Any]]:
        """Warm up, size the sample groups, then time rounds of samples until the median's
        CI is tight or a cap is hit. Returns samples (ms), settled, CI fraction, and what
        goes into the environment (group size, per-inference CV)."""
        if self.analytical:
            return [float(v) for v in self._run(handle, 1)], True, 0.0, {}
        warm = [float(v) for v in self._run(handle, settings.warmup)] if settings.warmup else []
        per_sample = self._inferences_per_sample(handle, settings, warm)
        samples: list[float] = []
        per_inference: list[float] = []
        deadline = time.perf_counter() + settings.max_seconds
        round_size = settings.min_repeats
        while True:
            got = self._timed_samples(handle, round_size, per_sample, per_inference)
            samples.extend(got)
            ci = median_ci_fraction(sorted(samples))
            settled = ci <= settings.ci_fraction
            left = settings.max_repeats - len(samples)
            if settled or left <= 0 or time.perf_counter() >= deadline:
                extra = {
                    "min_sample_ms": settings.min_sample_ms,
                    "inferences_per_sample": per_sample,
                    "inferences_timed": len(samples) * per_sample,
                    # per-inference spread of the same run, where the timer exposes it
                    "per_inference_cv": _cv(per_inference) if per_inference else None,
                }
                return samples, settled, round(ci, 5), extra
            # Grow by half the samples so far: the CI narrows like 1/sqrt(n).
            round_size = max(1, min(left, len(samples) // 2))

    def _inferences_per_sample(
        self, handle: Any, settings: ProfileSettings, warm: list[float]
    ) -> int:
        """ceil(min_sample_ms / warm-up median), at least 1 (one probe when warmup is 0)."""
        if settings.min_sample_ms <= 0:
            return 1
        if not warm:
            warm = [float(v) for v in self._run(handle, 1)]
        positive = sorted(v for v in warm if v > 0)
        if not positive:
            return 1
        return max(1, math.ceil(settings.min_sample_ms / statistics.median(positive)))

    def _run_groups(self, handle: Any, groups: int, per_group: int) -> list[float] | None:
        """Mean latency (ms) of each of `groups` groups of `per_group` inferences, for a
        timer that averages groups itself (TVM's `time_evaluator(number=...)`); None (the
        default): the protocol runs `groups * per_group` inferences with `_run` and averages
        consecutive groups, which also gives the per-inference CV."""
        return None

    def _timed_samples(
        self, handle: Any, groups: int, per_group: int, per_inference: list[float]
    ) -> list[float]:
        grouped = self._run_groups(handle, groups, per_group)
        if grouped is not None:
            got = [float(v) for v in grouped]
        else:
            flat = [float(v) for v in self._run(handle, groups * per_group)]
            if flat and len(flat) != groups * per_group:
                raise ProfilingError(
                    f"profiler {self.name!r} returned {len(flat)} latencies for "
                    f"{groups * per_group} inferences; _run must return one per inference "
                    "(a timer that averages groups itself overrides _run_groups)"
                )
            per_inference.extend(flat)
            got = [
                sum(flat[i * per_group : (i + 1) * per_group]) / per_group
                for i in range(len(flat) // per_group)
            ]
        if not got:
            raise ProfilingError(f"profiler {self.name!r} returned no latency samples")
        return got


def _cv(values: list[float]) -> float:
    mean = statistics.fmean(values)
    return round(statistics.stdev(values) / mean, 5) if len(values) > 1 and mean > 0 else 0.0


PROFILERS: Registry[Profiler] = Registry("profilers", base=Profiler)


def list_profilers(pattern: str = "*") -> list[str]:
    """Names of registered profilers matching a glob."""
    return PROFILERS.list(pattern)


def create_profiler(name: str | Profiler, **options: Any) -> Profiler:
    """A profiler by name (built with `options`); an instance passes through."""
    return PROFILERS.resolve(name, **options)


def profile(
    model: Any,
    device: str | DeviceSpec,
    settings: ProfileSettings | None = None,
    profiler: str | Profiler | None = None,
) -> Measurement:
    """Measure `model` on `device` with `profiler` (default: the device's default profiler)."""
    from hwnas.devices import get_device

    spec = get_device(device)
    return create_profiler(profiler or spec.default_profiler).profile(model, spec, settings)
