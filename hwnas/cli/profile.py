"""`hwnas profile`: measure models or architectures on a device, resumably."""

from __future__ import annotations

import contextlib
import os
import statistics
import sys
import time
from collections.abc import Iterator
from typing import Annotated, Any

import typer

from hwnas.cli._output import FormatOption, OutputFormat, emit, error_console, print_table

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


@contextlib.contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """Send file descriptor 1 (Python and C++ writers alike) to stderr for a while."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def _tuning_database(
    profiler_name: str,
    device: str,
    out: str | None,
    tuning_db: str | None,
    tune_trials: int | None,
) -> Any:
    """The tvm tuning folder: --tuning-db, else beside --out (pi5.csv -> pi5.tvm-tuning)."""
    from pathlib import Path

    from hwnas.core import ConfigError

    if profiler_name != "tvm":
        for flag, value in (("--tuning-db", tuning_db), ("--tune-trials", tune_trials)):
            if value is not None:
                raise ConfigError(f"{flag} is for the tvm profiler; {device} uses {profiler_name}")
        return None
    if tuning_db:
        return Path(tuning_db).expanduser()
    if out:
        table = Path(out).expanduser()
        return table.with_name(table.stem + ".tvm-tuning")
    if tune_trials is not None:
        raise ConfigError(
            "--tune-trials needs a place for the tuning database: give --out TABLE.csv "
            "(database TABLE.tvm-tuning/ beside it) or --tuning-db FOLDER"
        )
    return None


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
    precision: Annotated[str, typer.Option(help="fp32, fp16 or int8")] = "fp32",
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
    from hwnas.core import ConfigError, DeviceError
    from hwnas.devices import get_device
    from hwnas.profilers import (
        MeasurementWriter,
        ModelSource,
        ProfileSettings,
        create_profiler,
        measurement_row,
        row_key,
    )

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
    profiler_name = profiler or spec.default_profiler
    database = _tuning_database(profiler_name, spec.name, out, tuning_db, tune_trials)
    options = {}
    has_records = database is not None and (database / "tuning_records.json").is_file()
    if tuning_db and not has_records and not tune_trials:
        raise ConfigError(
            f"TVM tuning database {database} has no tuning records yet; add --tune-trials N "
            "to tune these networks into it"
        )
    if database is not None and (tune_trials or has_records):
        options["database"] = database
    elif profiler_name == "tvm":
        where = f" at {database}" if database is not None else ""
        error_console.print(
            f"[yellow]note:[/yellow] no TVM tuning database{where} yet: measuring TVM's untuned "
            "default schedules, not deployment latency; add --tune-trials N (with --out or "
            "--tuning-db) to tune once into a database every architecture reuses "
            "(see docs/profilers.md)",
            highlight=False,
        )
    instance = create_profiler(profiler_name, **options)
    shape = _shape(input_shape)
    if model is not None:
        sources = [ModelSource.from_onnx(model)]
    else:
        sources = [
            ModelSource.from_architecture(a, input_shape=shape, num_classes=num_classes)
            for a in _architectures(space, arch, sample, all_unique, seed)
        ]
    writer = MeasurementWriter(out) if out else None
    todo = []
    for source in sources:
        key = row_key(
            {
                "arch_id": source.arch_id,
                "device": spec.name,
                "profiler": instance.name,
                "batch_size": batch_size,
                "precision": precision,
            }
        )
        if writer is None or key not in writer:
            todo.append(source)
    skipped = len(sources) - len(todo)
    tuning = None
    if tune_trials and todo and "database" in options:
        from hwnas.profilers import tune_tvm

        error_console.print(
            f"tuning {len(todo)} network(s) for {spec.name} into {options['database']} "
            f"({tune_trials} trials per task not yet there)",
            highlight=False,
        )
        with _stdout_to_stderr():  # MetaSchedule logs to stdout; --format json owns it
            report = tune_tvm(
                todo, spec, options["database"], trials_per_task=tune_trials,
                batch_size=batch_size,
            )
        tuning = {
            "tasks_seen": report.tasks_seen,
            "tasks_tuned": report.tasks_tuned,
            "tasks_reused": report.tasks_reused,
            "trials": report.trials,
            "tuning_s": report.tuning_s,
        }
    measured: list[Any] = []
    failures: list[str] = []
    started = time.perf_counter()
    show_progress = progress_enabled() and output_format == OutputFormat.text and len(todo) > 1
    progress = None
    if show_progress:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        progress = Progress(
            TextColumn(f"profiling on {spec.name}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
        )
        progress.start()
        task = progress.add_task("profile", total=len(todo))
    try:
        for source in todo:
            try:
                measurement = instance.profile(source, spec, settings)
            except DeviceError as error:  # this measurement only; the batch goes on
                failures.append(f"{source.label}: {error}")
                error_console.print(f"[yellow]failed:[/yellow] {error}", highlight=False)
            else:
                measured.append(measurement)
                if writer is not None:
                    writer.append(
                        measurement_row(measurement, space if source.architecture else "")
                    )
            if progress is not None:
                progress.advance(task)
    finally:
        if progress is not None:
            progress.stop()
    seconds = time.perf_counter() - started
    summary = {
        "device": spec.name,
        "profiler": instance.name,
        "requested": len(sources),
        "measured": len(measured),
        "skipped": skipped,
        "failed": len(failures),
        "noisy": sum(m.noisy for m in measured),
        "sample_ms": settings.min_sample_ms,
        "median_cv": statistics.median(m.latency_cv for m in measured) if measured else None,
        "median_latency_p50_ms": statistics.median(m.latency_p50_ms for m in measured)
        if measured
        else None,
        "seconds": round(seconds, 2),
        "seconds_per_measurement": round(seconds / len(measured), 4) if measured else None,
        "out": str(writer.path) if writer else None,
    }
    if profiler_name == "tvm":
        coverages = [m.environment.get("tuning_coverage") for m in measured]
        known = [c for c in coverages if c is not None]
        summary["tuning_db"] = str(options["database"]) if "database" in options else None
        summary["tuning"] = tuning
        summary["tuning_coverage_min"] = min(known) if known else None
    summary["failures"] = failures
    if output_format == OutputFormat.json and len(measured) == 1 and len(sources) == 1:
        summary["measurement"] = measured[0].to_dict()

    def render() -> None:
        if measured and len(measured) <= 20:
            print_table(
                f"{instance.name} on {spec.name}",
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
    if failures:
        sys.exit(1)


def source_label(measurement: Any) -> str:
    return str(measurement.arch_id)


def register(app: typer.Typer) -> None:
    app.command(
        "profile",
        help="Measure latency (and energy) of models or architectures on a "
        "device; --out appends to a CSV and resumes.\n\n" + EXAMPLES.replace("\n\n", "\n\n\b\n", 1),
    )(profile_command)
