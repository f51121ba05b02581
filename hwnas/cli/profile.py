"""`hwnas profile`: measure models or architectures on a device, resumably."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Annotated, Any

import typer

from hwnas.cli._output import (
    FormatOption,
    OutputFormat,
    emit,
    error_console,
    eta_progress,
    print_table,
)

EXAMPLES = """Examples:

  hwnas profile --device host-cpu --arch '|nor_conv_3x3~0|+|none~0|skip_connect~1|+|nor_conv_1x1~0|none~1|avg_pool_3x3~2|'

  hwnas profile --device host-cpu --space nb201 --sample 100 --out host.csv

  hwnas profile --device raspberry-pi-5 --space nb201 --all-unique --out pi5.csv --tune-trials 64
  (tvm over the RPC tracker; tunes once into pi5.tvm-tuning/ beside the table, then reuses it)

  hwnas profile --device raspberry-pi-5 --profiler roofline --model net.onnx --format json

Rerun the same command after Ctrl-C or a crash: rows already in --out are skipped.
"""


def _shape(text: str | None) -> tuple[int, int, int] | None:
    from hwnas.core import ConfigError

    if text is None:
        return None
    try:
        parts = tuple(int(p) for p in text.replace("x", ",").split(","))
    except ValueError:
        parts = ()
    if len(parts) != 3 or min(parts) <= 0:
        raise ConfigError(
            f"--input-shape must be C,H,W with positive sizes (e.g. 3,32,32), got {text!r}"
        )
    return parts  # type: ignore[return-value]


def _architectures(
    space_name: str, arch: list[str] | None, sample: int | None, all_unique: bool, seed: int
) -> list[Any]:
    import random

    from hwnas.core import ConfigError
    from hwnas.spaces import create_space

    space = create_space(space_name)
    if arch:
        return [space.parse(a) for a in arch]
    unique = getattr(space, "unique", None)
    if all_unique:
        if not callable(unique):
            raise ConfigError(f"space {space_name} cannot list its unique networks; use --sample N")
        return list(unique())
    assert sample is not None
    if callable(unique):
        pool = list(unique())
        if sample > len(pool):
            raise ConfigError(
                f"--sample {sample} exceeds the {len(pool)} unique networks of {space_name}"
            )
        return random.Random(seed).sample(pool, sample)
    seen: dict[str, Any] = {}
    for candidate in space.sample(sample * 20, seed=seed):
        seen.setdefault(candidate.string, candidate)
        if len(seen) == sample:
            break
    return list(seen.values())


def profile_command(
    device: Annotated[
        str, typer.Option("--device", "-d", help="catalog device name, e.g. host-cpu")
    ],
    model: Annotated[str | None, typer.Option("--model", help="an ONNX file to measure")] = None,
    arch: Annotated[
        list[str] | None, typer.Option("--arch", help="architecture string (repeatable)")
    ] = None,
    space: Annotated[
        str, typer.Option("--space", help="search space of --arch/--sample")
    ] = "nb201",
    sample: Annotated[
        int | None, typer.Option("--sample", min=1, help="N unique architectures at random")
    ] = None,
    all_unique: Annotated[
        bool, typer.Option("--all-unique", help="every unique network of the space")
    ] = False,
    seed: Annotated[int, typer.Option(help="seed of --sample")] = 0,
    profiler: Annotated[
        str | None, typer.Option("--profiler", "-p", help="override the device's default profiler")
    ] = None,
    out: Annotated[
        str | None, typer.Option("--out", "-o", help="measurement CSV to append to (resumes)")
    ] = None,
    batch_size: Annotated[int, typer.Option("--batch-size", "-b", min=1)] = 1,
    precision: Annotated[str, typer.Option(help="fp32, fp16, int8 or int16 (roofline on fixed-point accelerators)")] = "fp32",
    threads: Annotated[
        int | None, typer.Option(help="inference threads (default: library default)")
    ] = None,
    warmup: Annotated[int, typer.Option(min=0, help="untimed warm-up inferences")] = 10,
    min_repeats: Annotated[int, typer.Option(min=3, help="timed samples at least")] = 20,
    max_repeats: Annotated[int, typer.Option(min=3, help="timed samples at most")] = 400,
    sample_ms: Annotated[
        float,
        typer.Option(
            "--sample-ms",
            help="each timed sample is the mean of consecutive inferences lasting at least "
            "this many ms (0: one inference per sample)",
        ),
    ] = 10.0,
    max_seconds: Annotated[float, typer.Option(help="cap on timed seconds per measurement")] = 20.0,
    ci_fraction: Annotated[
        float, typer.Option(help="stop when the median's 95% CI is within this fraction")
    ] = 0.01,
    input_shape: Annotated[
        str | None, typer.Option(help="C,H,W of architecture inputs (space default)")
    ] = None,
    num_classes: Annotated[
        int | None, typer.Option(help="classifier outputs (space default)")
    ] = None,
    tuning_db: Annotated[
        str | None,
        typer.Option(
            help="tvm: MetaSchedule tuning database folder (default: beside --out, "
            "pi5.csv -> pi5.tvm-tuning/)"
        ),
    ] = None,
    tune_trials: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="tvm: first tune, with N trials per task, the tasks of these networks "
            "that the database lacks (tasks already there are reused)",
        ),
    ] = None,
    catalog: Annotated[str | None, typer.Option(help="user device catalog TOML")] = None,
    output_format: FormatOption = OutputFormat.text,
) -> None:
    """Measure latency (and energy where the device exposes it) on a device."""
    from hwnas.cli._output import progress_enabled
    from hwnas.core import ConfigError
    from hwnas.devices import get_device
    from hwnas.profilers import ModelSource, ProfileSettings, profile_many

    chosen = sum([model is not None, bool(arch), sample is not None, all_unique])
    if chosen != 1:
        raise ConfigError(
            "give exactly one of --model FILE, --arch STRING, --sample N or --all-unique"
        )
    spec = get_device(device, catalog)
    settings = ProfileSettings(
        batch_size=batch_size,
        precision=precision,
        threads=threads,
        warmup=warmup,
        min_repeats=min_repeats,
        max_repeats=max_repeats,
        max_seconds=max_seconds,
        ci_fraction=ci_fraction,
        min_sample_ms=sample_ms,
    )

    def sources() -> Iterator[Any]:
        # Read by profile_many after its profiler and tuning-database checks.
        shape = _shape(input_shape)
        if model is not None:
            yield ModelSource.from_onnx(model)
            return
        for a in _architectures(space, arch, sample, all_unique, seed):
            yield ModelSource.from_architecture(a, input_shape=shape, num_classes=num_classes)

    bar = _ProgressBar(spec.name, progress_enabled() and output_format == OutputFormat.text)
    try:
        report = profile_many(
            sources(), spec, profiler, settings, out=out, tuning_db=tuning_db,
            tune_trials=tune_trials, progress=bar.update, notice=_print_notice,
        )
    finally:
        bar.stop()
    measured = report.measurements
    summary = report.summary()
    if output_format == OutputFormat.json and len(measured) == 1 and report.requested == 1:
        summary["measurement"] = measured[0].to_dict()

    def render() -> None:
        if measured and len(measured) <= 20:
            print_table(
                f"{report.profiler} on {spec.name}",
                ["arch", "p50 ms", "p90 ms", "cv", "repeats", "noisy", "energy mJ"],
                [
                    (
                        (m.arch_string or source_label(m))[:60],
                        f"{m.latency_p50_ms:.4g}",
                        f"{m.latency_p90_ms:.4g}",
                        f"{m.latency_cv:.3f}",
                        m.repeats,
                        m.noisy,
                        "-" if m.energy_mj is None else f"{m.energy_mj:.4g}",
                    )
                    for m in measured
                ],
            )
        print_table(
            "summary",
            ["field", "value"],
            [(k, v) for k, v in summary.items() if k not in ("failures",)],
        )

    emit(summary, output_format, render)
    if report.failures:
        sys.exit(1)


_NOTICE_PREFIX = {"note": "[yellow]note:[/yellow] ", "failed": "[yellow]failed:[/yellow] "}


def _print_notice(kind: str, message: str) -> None:
    error_console.print(_NOTICE_PREFIX.get(kind, "") + message, highlight=False)


class _ProgressBar:
    """A rich progress bar over the models still to measure (more than one, on a terminal)."""

    def __init__(self, device: str, enabled: bool) -> None:
        self.device = device
        self.enabled = enabled
        self.progress: Any = None
        self.task: Any = None

    def update(self, done: int, total: int) -> None:
        if self.progress is None:
            if not self.enabled or total <= 1:
                return
            self.progress = eta_progress(f"profiling on {self.device}")
            self.progress.start()
            self.task = self.progress.add_task("profile", total=total)
        self.progress.update(self.task, completed=done)

    def stop(self) -> None:
        if self.progress is not None:
            self.progress.stop()


def source_label(measurement: Any) -> str:
    return str(measurement.arch_id)


def register(app: typer.Typer) -> None:
    app.command(
        "profile",
        help="Measure latency (and energy) of models or architectures on a "
        "device; --out appends to a CSV and resumes.\n\n" + EXAMPLES.replace("\n\n", "\n\n\b\n", 1),
    )(profile_command)
