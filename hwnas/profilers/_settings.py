"""ProfileSettings: what a measurement is asked to do, validated once."""

from __future__ import annotations

from dataclasses import dataclass

from hwnas.core import ConfigError

PRECISIONS = ("fp32", "fp16", "int16", "int8")  # int16: fixed-point accelerators (roofline)


@dataclass(frozen=True)
class ProfileSettings:
    """How to measure. Times in field names carry their unit (`_s`, `_ms`).

    The protocol runs `warmup` untimed inferences, then times *samples*: each sample is
    the mean latency of a group of consecutive inferences lasting at least
    `min_sample_ms` (the group size is ceil(min_sample_ms / warm-up median), at least 1;
    0 means one inference per sample), the way trtexec's `--avgRuns`, TVM's
    `time_evaluator(number=...)` and `timeit`'s autorange swamp timer and scheduler
    jitter. It times at least `min_repeats` samples and keeps going in rounds until the
    95% confidence interval of the median sample is within `ci_fraction` of the median
    (half-width) or `max_repeats` samples / `max_seconds` is reached; a measurement
    stopped by a cap is marked noisy. `warmup` counts inferences; `min_repeats`,
    `max_repeats` and `Measurement.repeats` count samples.
    """

    batch_size: int = 1
    precision: str = "fp32"
    threads: int | None = None  # None: the library's default
    warmup: int = 10
    min_repeats: int = 20
    max_repeats: int = 400
    max_seconds: float = 20.0  # cap on the timed repeats of one measurement
    ci_fraction: float = 0.01
    min_sample_ms: float = 10.0  # each timed sample lasts at least this long (0: 1 inference)
    timeout_s: float | None = None  # remote calls; None: the device's access timeout_s

    def __post_init__(self) -> None:
        checks = [
            (self.batch_size >= 1, f"batch_size must be >= 1, got {self.batch_size}"),
            (
                self.precision in PRECISIONS,
                f"precision {self.precision!r} is not one of {', '.join(PRECISIONS)}",
            ),
            (
                self.threads is None or self.threads >= 1,
                f"threads must be >= 1 (or None for the library default), got {self.threads}",
            ),
            (self.warmup >= 0, f"warmup must be >= 0, got {self.warmup}"),
            (self.min_repeats >= 3, f"min_repeats must be >= 3, got {self.min_repeats}"),
            (
                self.max_repeats >= self.min_repeats,
                f"max_repeats ({self.max_repeats}) must be >= min_repeats ({self.min_repeats})",
            ),
            (self.max_seconds > 0, f"max_seconds must be positive, got {self.max_seconds}"),
            (0 < self.ci_fraction < 1, f"ci_fraction must be in (0, 1), got {self.ci_fraction}"),
            (
                0 <= self.min_sample_ms <= 60_000,
                "min_sample_ms must be between 0 (one inference per sample) and 60000, "
                f"got {self.min_sample_ms}",
            ),
            (
                self.timeout_s is None or self.timeout_s > 0,
                f"timeout_s must be positive, got {self.timeout_s}",
            ),
        ]
        for ok, message in checks:
            if not ok:
                raise ConfigError(f"invalid profile settings: {message}")
