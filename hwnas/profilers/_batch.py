"""Measure many models on one device, resumably: what `hwnas profile` runs.

`profile_many` skips models already in the measurement CSV (`out`), picks and checks the
TVM tuning database, tunes what it lacks (`tune_trials`), measures the rest one by one
(a device error fails that model only) and returns a `BatchReport` with the summary
statistics. Progress and notes go to callbacks, so a CLI can draw a progress bar.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hwnas.core import ConfigError, DeviceError, DeviceSpec, Measurement
from hwnas.profilers._base import Profiler, create_profiler
from hwnas.profilers._model import ModelSource, as_model_source
from hwnas.profilers._settings import ProfileSettings
from hwnas.profilers._table import MeasurementWriter, measurement_row, row_key
from hwnas.profilers._tvm_tune import TuningReport

Progress = Callable[[int, int], None]  # (models measured or failed so far, models to measure)
Notice = Callable[[str, str], None]  # (kind: "note", "tuning" or "failed", one-line message)


@dataclass(frozen=True)
class BatchReport:
    """What one `profile_many` call measured, skipped and failed, and what it cost."""

    device: str
    profiler: str
    requested: int  # models asked for, including those already in `out`
    skipped: int  # already in `out`: not measured again
    measurements: tuple[Measurement, ...]
    failures: tuple[str, ...]  # "<model label>: <error>", one per failed model
    sample_ms: float
    seconds: float  # wall time of the measure loop (tuning not included)
    out: str | None
    tvm: bool = False  # the tvm profiler ran: the tuning fields apply
    tuning_db: str | None = None
    tuning: TuningReport | None = None  # None when nothing was tuned in this call

    @property
    def measured(self) -> int:
        return len(self.measurements)

    def summary(self) -> dict[str, Any]:
        """The summary `hwnas profile` prints (same keys, same order)."""
        measured = self.measurements
        summary: dict[str, Any] = {
            "device": self.device,
            "profiler": self.profiler,
            "requested": self.requested,
            "measured": len(measured),
            "skipped": self.skipped,
            "failed": len(self.failures),
            "noisy": sum(m.noisy for m in measured),
            "sample_ms": self.sample_ms,
            "median_cv": statistics.median(m.latency_cv for m in measured) if measured else None,
            "median_latency_p50_ms": statistics.median(m.latency_p50_ms for m in measured)
            if measured
            else None,
            "seconds": round(self.seconds, 2),
            "seconds_per_measurement": round(self.seconds / len(measured), 4)
            if measured
            else None,
            "out": self.out,
        }
        if self.tvm:
            known = [
                c for c in (m.environment.get("tuning_coverage") for m in measured)
                if c is not None
            ]
            summary["tuning_db"] = self.tuning_db
            summary["tuning"] = _tuning_summary(self.tuning)
            summary["tuning_coverage_min"] = min(known) if known else None
        summary["failures"] = list(self.failures)
        return summary


def _tuning_summary(report: TuningReport | None) -> dict[str, Any] | None:
    if report is None:
        return None
    return {
        "tasks_seen": report.tasks_seen,
        "tasks_tuned": report.tasks_tuned,
        "tasks_reused": report.tasks_reused,
        "trials": report.trials,
        "tuning_s": report.tuning_s,
    }


def tuning_database(
    profiler_name: str,
    device: str,
    out: str | Path | None,
    tuning_db: str | Path | None,
    tune_trials: int | None,
) -> Path | None:
    """The tvm tuning folder: `tuning_db`, else beside `out` (pi5.csv -> pi5.tvm-tuning)."""
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


@contextlib.contextmanager
def stdout_to_stderr() -> Iterator[None]:
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


def profile_many(
    models: Iterable[Any],
    device: str | DeviceSpec,
    profiler: str | Profiler | None = None,
    settings: ProfileSettings | None = None,
    out: str | Path | None = None,
    tuning_db: str | Path | None = None,
    tune_trials: int | None = None,
    progress: Progress | None = None,
    notice: Notice | None = None,
    tuning_output_to_stderr: bool = True,
) -> BatchReport:
    """Measure `models` (ModelSources, Architectures, ONNX paths or bytes) on `device`
    (a catalog name or a DeviceSpec).

    `profiler` defaults to the device's. With `out`, measurements are appended to that
    CSV as they are made and models already in it are skipped (rerun after a crash).
    tvm only: the tuning database is `tuning_db`, else `<out stem>.tvm-tuning/`; with
    `tune_trials` the workloads it lacks are tuned first (at most that many trials per
    task). MetaSchedule logs thousands of lines to stdout while tuning; they go to
    stderr unless `tuning_output_to_stderr` is False. `models` is read after these
    checks, so a generator's parse errors come after the database's. Error messages
    name the `hwnas profile` flags (`--tuning-db` is `tuning_db`, and so on).
    """
    from hwnas.devices import get_device

    device = get_device(device)
    settings = settings or ProfileSettings()
    say = notice or _silent
    instance, database = _profiler_with_database(
        profiler, device, out, tuning_db, tune_trials, say
    )
    sources = [as_model_source(m) for m in models]
    writer = MeasurementWriter(out) if out else None
    if writer is not None and writer.incomplete_rows:
        say("note", f"{writer.incomplete_rows} incomplete row(s) in {writer.path} (torn or "
            "missing cells) are kept in the file but not counted; their models are measured again")
    todo = [
        s for s in sources if writer is None or _key(s, device, instance, settings) not in writer
    ]
    tuning = None
    if tune_trials and todo and database is not None:
        from hwnas.profilers._tvm_tune import tune_tvm

        say(
            "tuning",
            f"tuning {len(todo)} network(s) for {device.name} into {database} "
            f"({tune_trials} trials per task not yet there)",
        )
        redirect = stdout_to_stderr() if tuning_output_to_stderr else contextlib.nullcontext()
        with redirect:  # MetaSchedule logs to stdout; a caller's JSON output may own it
            tuning = tune_tvm(
                todo, device, database, trials_per_task=tune_trials,
                batch_size=settings.batch_size,
            )
    measured: list[Measurement] = []
    failures: list[str] = []
    started = time.perf_counter()
    if progress is not None:
        progress(0, len(todo))
    for done, source in enumerate(todo, start=1):
        try:
            measurement = instance.profile(source, device, settings)
        except DeviceError as error:  # this measurement only; the batch goes on
            failures.append(f"{source.label}: {error}")
            say("failed", str(error))
        else:
            measured.append(measurement)
            if writer is not None:
                space = source.architecture.space if source.architecture is not None else ""
                writer.append(measurement_row(measurement, space))
        if progress is not None:
            progress(done, len(todo))
    return BatchReport(
        device=device.name,
        profiler=instance.name,
        requested=len(sources),
        skipped=len(sources) - len(todo),
        measurements=tuple(measured),
        failures=tuple(failures),
        sample_ms=settings.min_sample_ms,
        seconds=time.perf_counter() - started,
        out=str(writer.path) if writer else None,
        tvm=instance.name == "tvm",
        tuning_db=str(database) if database is not None else None,
        tuning=tuning,
    )


def _silent(kind: str, message: str) -> None:
    del kind, message


def _key(
    source: ModelSource, device: DeviceSpec, profiler: Profiler, settings: ProfileSettings
) -> tuple[str, ...]:
    return row_key(
        {
            "arch_id": source.arch_id,
            "device": device.name,
            "profiler": profiler.name,
            "batch_size": settings.batch_size,
            "precision": settings.precision,
        }
    )


def _profiler_with_database(
    profiler: str | Profiler | None,
    device: DeviceSpec,
    out: str | Path | None,
    tuning_db: str | Path | None,
    tune_trials: int | None,
    say: Notice,
) -> tuple[Profiler, Path | None]:
    """The profiler to run and the tvm tuning database it reads (None: untuned or not tvm)."""
    if isinstance(profiler, Profiler):
        if tuning_db is not None or tune_trials is not None:
            raise ConfigError(
                "tuning_db and tune_trials need the profiler by name ('tvm'); a built "
                "profiler keeps the database it was built with"
            )
        return profiler, getattr(profiler, "database", None)
    profiler_name = profiler or device.default_profiler
    database = tuning_database(profiler_name, device.name, out, tuning_db, tune_trials)
    has_records = database is not None and (database / "tuning_records.json").is_file()
    if tuning_db and not has_records and not tune_trials:
        raise ConfigError(
            f"TVM tuning database {database} has no tuning records yet; add --tune-trials N "
            "to tune these networks into it"
        )
    if database is not None and (tune_trials or has_records):
        return create_profiler(profiler_name, database=database), database
    if profiler_name == "tvm":
        where = f" at {database}" if database is not None else ""
        say(
            "note",
            f"no TVM tuning database{where} yet: measuring TVM's untuned "
            "default schedules, not deployment latency; add --tune-trials N (with --out or "
            "--tuning-db) to tune once into a database every architecture reuses "
            "(see docs/profilers.md)",
        )
    return create_profiler(profiler_name), None
