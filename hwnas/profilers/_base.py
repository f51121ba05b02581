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
            # Run `iterations` inferences; return one latency in ms per inference
            # (or per timed group of inferences when a single one is too short).
            return [timed_ms, ...]

Optional hooks: `check_device(device)` (default: the device must be reachable on this
host, `access.method == "local"`), `unavailable_reason()` (why this profiler cannot run
here, e.g. "no CUDA GPU"), `_environment(handle)` (library versions, modes, clocks of
the device), `_energy_mj(handle, latency_ms)` (energy per inference when the device
exposes it), `_close(handle)` (release sessions and boards). An analytical model sets
`analytical = True`: `_run(handle, 1)` is evaluated once, without warm-up or repeats.

The public `profile(model, device, settings)` validates its input once, then runs the
protocol written once here: warm-up; timed rounds until the 95% confidence interval of
the median is within `settings.ci_fraction` of the median or a cap (`max_repeats`,
`max_seconds`) is hit; p50/p90/mean/std in ms; `noisy=True` when it never settles;
and the environment (host load, CPU governor and clock, versions, threads) recorded in
the `Measurement`. Errors a profiler does not raise as `HwnasError` become a
`ProfilingError` (a `DeviceError`) for that one measurement, so a batch can go on.
"""

from __future__ import annotations

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
            samples, settled, ci = self._measure(handle, settings)
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

    def _measure(self, handle: Any, settings: ProfileSettings) -> tuple[list[float], bool, float]:
        """Warm up, then time rounds until the median's CI is tight or a cap is hit."""
        if self.analytical:
            return [float(v) for v in self._run(handle, 1)], True, 0.0
        if settings.warmup:
            self._run(handle, settings.warmup)
        samples: list[float] = []
        deadline = time.perf_counter() + settings.max_seconds
        round_size = settings.min_repeats
        while True:
            got = [float(v) for v in self._run(handle, round_size)]
            if not got:
                raise ProfilingError(f"profiler {self.name!r} returned no latency samples")
            samples.extend(got)
            ci = median_ci_fraction(sorted(samples))
            if ci <= settings.ci_fraction:
                return samples, True, round(ci, 5)
            left = settings.max_repeats - len(samples)
            if left <= 0 or time.perf_counter() >= deadline:
                return samples, False, round(ci, 5)
            # Grow by half the samples so far: the CI narrows like 1/sqrt(n).
            round_size = max(1, min(left, len(samples) // 2))


PROFILERS: Registry[Profiler] = Registry("profilers", base=Profiler)


def _load_builtins() -> None:
    from hwnas.profilers import _builtin  # noqa: F401  (registers on import)


PROFILERS.add_builtin_loader(_load_builtins)


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
