"""TensorRT on a Jetson board over SSH: trtexec for latency, tegrastats for energy.

One measurement is:

1. `mktemp -d` on the board; copy the ONNX model and a small helper script there.
2. Probe: trtexec's version (its banner), `nvpmodel -q`, `jetson_clocks --show`
   (directly, else `sudo -n`), whether tegrastats and stdbuf exist.
3. Measure (one remote step): start `tegrastats --interval N`, wait `idle_s` for the
   idle baseline, then run trtexec with the fixed flag set (`trtexec_flags`): build the
   engine, warm up, time for `duration_s` (at least `min_repeats` queries) with CUDA
   Graphs, export per-query times. Every tegrastats and trtexec line is stamped with the
   board's clock as it arrives.
4. Fetch the logs (one tar stream), parse, and remove the folder on the board.

The timed window ends at the first line trtexec prints after its timing loop and lasts
its `Total Host Walltime`; the board input rail is integrated over that window and
divided by the queries timed in it: `energy_mj` per inference (per query of
`batch_size`). The idle baseline (`idle_energy_mj`) is the idle power measured before
the run times the same time per inference, so `energy_mj - idle_energy_mj` is what the
inference added. Each remote step has a deadline; a dropped connection is retried once;
a failure at any step raises and nothing partial is returned.
"""

from __future__ import annotations

import dataclasses
import io
import math
import shlex
import tarfile
import warnings
from dataclasses import dataclass, field
from typing import Any

from hwnas.core import ConfigError, DeviceError, DeviceSpec, Measurement
from hwnas.profilers._base import Profiler, ProfilingError
from hwnas.profilers._model import ModelSource
from hwnas.profilers._settings import ProfileSettings
from hwnas.profilers._ssh import RemoteError, SshTarget
from hwnas.profilers._stats import median_ci_fraction
from hwnas.profilers._tegrastats import (
    TegrastatsError,
    check_cadence,
    clock_drift_warning,
    inference_energy,
    parse_helper_marks,
    parse_jetson_clocks,
    parse_nvpmodel,
    parse_probe_sections,
    parse_stamped_log,
    timed_window,
    window_conditions,
)
from hwnas.profilers._trtexec import (
    TrtexecOutputError,
    TrtVersion,
    latency_percentiles_ms,
    parse_export_times,
    parse_stamped_trtexec_log,
    parse_trtexec_output,
    parse_version,
    report_summary,
    trtexec_flags,
)

# The helper runs with bash on the board. `timeout` (run by SshTarget) signals its whole
# process group, so trtexec, tegrastats and the stampers all stop on a deadline.
HELPER_SCRIPT_NAME = "jetson_helper.sh"  # package data next to this module


def helper_script() -> bytes:
    """The board-side helper (bash), read from the package data."""
    from importlib.resources import files

    return files("hwnas.profilers").joinpath(HELPER_SCRIPT_NAME).read_bytes()


_FILES = ("marks", "trtexec.log", "tegrastats.log", "times.json")


@dataclass
class _Board:
    """A prepared board: where things are, what it runs, and (after `_run`) the results."""

    ssh: SshTarget
    device: DeviceSpec
    directory: str
    trtexec: str
    tool_dir: str
    version: TrtVersion
    settings: ProfileSettings
    shapes: str | None
    step_timeout_s: float
    energy: bool
    rail: str | None
    environment: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    energy_mj: float | None = None
    idle_energy_mj: float | None = None
    built: bool = False


class TrtexecSshProfiler(Profiler):
    """trtexec + tegrastats on a Jetson reached over SSH (used by the `tensorrt` profiler).

    Options: `duration_s` (timed seconds per run, capped by settings.max_seconds),
    `warmup_ms` (trtexec's warm-up; 0 when settings.warmup is 0), `tegrastats_interval_ms`
    (50-100 is what tegrastats documents), `idle_s` (idle baseline before the run),
    `energy` (False skips tegrastats), `calibration_cache` (an int8 calibration cache
    on this host, passed to `--calib`; without it int8 uses random scales: fine for
    latency, meaningless for accuracy).

    Device properties read from the catalog: `board_rail` (the input rail to integrate),
    `trtexec` (path on the board; default: `trtexec` on PATH, else
    /usr/src/tensorrt/bin/trtexec), `tool_dir` (a folder put first on PATH on the
    board), `remote_tmp_dir` (default /tmp).
    """

    name = "tensorrt"

    def __init__(
        self,
        duration_s: int = 3,
        warmup_ms: int = 500,
        tegrastats_interval_ms: int = 50,
        idle_s: float = 2.0,
        energy: bool = True,
        calibration_cache: str | None = None,
    ) -> None:
        checks = [
            (int(duration_s) >= 1, f"duration_s must be a whole number >= 1, got {duration_s}"),
            (warmup_ms >= 0, f"warmup_ms must be >= 0, got {warmup_ms}"),
            (10 <= tegrastats_interval_ms <= 1000,
             "tegrastats_interval_ms must be in 10..1000 (50-100 recommended), got "
             f"{tegrastats_interval_ms}"),
            (idle_s >= 0.2, f"idle_s must be >= 0.2 s, got {idle_s}"),
        ]
        for ok, message in checks:
            if not ok:
                raise ConfigError(f"tensorrt (trtexec over SSH): {message}")
        self.duration_s = int(duration_s)
        self.warmup_ms = int(warmup_ms)
        self.interval_ms = int(tegrastats_interval_ms)
        self.idle_s = float(idle_s)
        self.energy = bool(energy)
        self.calibration_cache = calibration_cache

    def check_device(self, device: DeviceSpec) -> None:
        if device.access.method != "ssh":
            raise DeviceError(
                f"device {device.name!r} is reached over {device.access.method}; trtexec over "
                "SSH needs access.method = \"ssh\" with host, user and key_file"
            )

    def profile(
        self, model: Any, device: str | DeviceSpec, settings: ProfileSettings | None = None
    ) -> Measurement:
        measurement = super().profile(model, device, settings)
        idle = measurement.environment.get("energy", {}).get("idle_energy_mj")
        return dataclasses.replace(measurement, idle_energy_mj=idle)

    # --- prepare: folder, files, probe -------------------------------------------------
    def _prepare(self, model: ModelSource, device: DeviceSpec, settings: ProfileSettings) -> _Board:
        ssh = SshTarget.from_access(device.access, device.name)
        timeout = float(settings.timeout_s or device.access.timeout_s)
        onnx = model.onnx_bytes(settings.batch_size)
        shapes = _static_shapes(onnx, settings.batch_size)
        properties = dict(device.properties)
        if self.energy and not properties.get("board_rail"):
            raise ConfigError(
                f"device {device.name!r} has no properties.board_rail, the tegrastats rail to "
                "integrate for energy (VDD_IN on Orin Nano/NX and TX2); add it to the catalog "
                "entry or profile with energy=False"
            )
        tmp_root = str(properties.get("remote_tmp_dir", "/tmp"))
        made = ssh.run(["mktemp", "-d", f"{tmp_root.rstrip('/')}/hwnas-XXXXXXXX"], 30.0,
                       "creating a temporary folder on the board")
        # The last line: a login script may print before the command's own output.
        directory = (made.stdout.decode("utf-8", "replace").strip().splitlines() or [""])[-1]
        if not directory.startswith(tmp_root.rstrip("/") + "/hwnas-"):
            raise RemoteError(f"mktemp on {ssh.label} returned an unexpected path {directory!r}")
        try:
            ssh.write_file(f"{directory}/hwnas_helper.sh", helper_script(), 30.0,
                           "copying the helper script")
            ssh.write_file(f"{directory}/model.onnx", onnx, max(30.0, timeout),
                           "copying the ONNX model")
            if self.calibration_cache:
                ssh.write_file(f"{directory}/calibration.cache", _read(self.calibration_cache),
                               max(30.0, timeout), "copying the int8 calibration cache")
            tool_dir = str(properties.get("tool_dir", ""))
            trtexec = str(properties.get("trtexec", "trtexec"))
            probe = ssh.run(
                ["bash", f"{directory}/hwnas_helper.sh", "probe", directory, tool_dir, trtexec],
                60.0, "probing the board (trtexec, nvpmodel, jetson_clocks)",
            ).stdout.decode("utf-8", "replace")
            sections = parse_probe_sections(probe)
            if not sections.get("trtexec", "").strip() and trtexec == "trtexec":
                trtexec = "/usr/src/tensorrt/bin/trtexec"
                probe = ssh.run(
                    ["bash", f"{directory}/hwnas_helper.sh", "probe", directory, tool_dir, trtexec],
                    60.0, "probing the board (trtexec, nvpmodel, jetson_clocks)",
                ).stdout.decode("utf-8", "replace")
                sections = parse_probe_sections(probe)
            if not sections.get("trtexec", "").strip():
                raise DeviceError(
                    f"trtexec was not found on {device.name} ({ssh.label}): install TensorRT "
                    "with JetPack (`sudo apt install nvidia-jetpack` or `tensorrt`) or set "
                    "properties.trtexec of the device to its path"
                )
            version = parse_version(sections["trtexec"])
            board = _Board(
                ssh=ssh, device=device, directory=directory, trtexec=trtexec, tool_dir=tool_dir,
                version=version, settings=settings, shapes=shapes, step_timeout_s=timeout,
                energy=self.energy, rail=properties.get("board_rail"),
            )
            self._read_board_state(board, sections)
        except BaseException:
            self._remove_folder(ssh, directory)
            raise
        return board

    def _read_board_state(self, board: _Board, sections: dict[str, str]) -> None:
        env = board.environment
        env["tensorrt_version"] = str(board.version)
        mode = parse_nvpmodel(sections.get("nvpmodel", ""))
        env.update(mode)
        if not mode:
            board.warnings.append(
                f"the power mode of {board.device.name} is unknown (`nvpmodel -q` failed): "
                "results from different modes are not comparable"
            )
        clocks = parse_jetson_clocks(sections.get("jetson_clocks", ""))
        env.update(clocks)
        if clocks.get("clocks_locked") is not True:
            why = ("not locked" if clocks.get("clocks_locked") is False
                   else "unknown (`jetson_clocks --show` needs root: allow the SSH user to run it "
                        "with sudo and no password, see docs/jetson.md)")
            board.warnings.append(
                f"clocks on {board.device.name} are {why}: latency and energy may drift with "
                "DVFS; run `sudo nvpmodel -m 0 && sudo jetson_clocks` on the board"
            )
        if board.energy:
            if sections.get("tegrastats", "missing").strip() == "missing":
                raise DeviceError(
                    f"tegrastats is not on {board.device.name}'s PATH, so energy cannot be "
                    "measured: install L4T's tegrastats (part of nvidia-l4t-tools) or profile "
                    "with energy=False"
                )
            if sections.get("stdbuf", "missing").strip() == "missing":
                board.warnings.append("stdbuf is missing on the board: tegrastats lines may be "
                                      "time-stamped late (the cadence check will tell)")

    # --- measure: one trtexec run (it warms up and times itself) ------------------------
    def _measure(
        self, handle: _Board, settings: ProfileSettings
    ) -> tuple[list[float], bool, float, dict[str, Any]]:
        """trtexec warms up and runs its own timing loop, so one run replaces the rounds
        of the shared protocol; the CI rule is applied to the per-query trace it exports.
        A run whose median CI is wider than `settings.ci_fraction` is marked noisy. The
        trace has one latency per query (`min_sample_ms` does not apply: trtexec times
        on the GPU's clock and runs for `duration_s`, not per query on the host's)."""
        samples = self._run(handle, settings.min_repeats)
        ci = median_ci_fraction(sorted(samples))
        sampling = {"inferences_per_sample": 1, "inferences_timed": len(samples)}
        return samples, ci <= settings.ci_fraction, round(ci, 5), sampling

    def _run(self, handle: _Board, iterations: int) -> list[float]:
        """One trtexec run on the board (>= `iterations` queries, >= duration_s); returns
        the per-query host latencies in ms and records summary, percentiles and energy."""
        board = handle
        settings = board.settings
        duration = max(1, min(self.duration_s, int(math.floor(settings.max_seconds))))
        warmup_ms = self.warmup_ms if settings.warmup else 0
        flags = trtexec_flags(
            board.version, settings.precision,
            None if board.built else f"{board.directory}/model.onnx",
            f"{board.directory}/model.engine", f"{board.directory}/times.json",
            warmup_ms=warmup_ms, duration_s=duration, iterations=iterations, shapes=board.shapes,
            calibration_cache=(
                f"{board.directory}/calibration.cache" if self.calibration_cache else None
            ),
        )
        board.environment["trtexec_flags"] = [f.replace(board.directory, "$TMP") for f in flags]
        idle = self.idle_s if board.energy else 0.0
        budget = board.step_timeout_s + idle + duration + warmup_ms / 1000.0 + 5.0
        board.ssh.run(
            ["bash", f"{board.directory}/hwnas_helper.sh", "measure", board.directory,
             board.tool_dir, str(self.interval_ms), f"{idle:g}", "1" if board.energy else "0",
             board.trtexec, *flags],
            budget, "running trtexec on the board",
        )
        files = _fetch(board)
        marks = parse_helper_marks(files.get("marks", ""))
        stamps, lines = parse_stamped_trtexec_log(files.get("trtexec.log", ""))
        log = "\n".join(lines)
        if marks.get("trtexec_rc", 1) != 0 and "&&&& FAILED" not in log:
            raise TrtexecOutputError(
                f"trtexec exited with code {int(marks.get('trtexec_rc', -1))} on "
                f"{board.device.name}; last lines: {' | '.join(lines[-3:]) or '(no output)'}"
            )
        report = parse_trtexec_output(log)
        board.built = True
        queries = parse_export_times(files.get("times.json", ""), report, warmup_ms)
        latency = list(queries.latency_ms)
        board.environment["trtexec"] = report_summary(report, len(latency))
        board.environment["latency_percentiles_ms"] = latency_percentiles_ms(latency)
        board.environment["gpu_compute_percentiles_ms"] = latency_percentiles_ms(
            list(queries.gpu_compute_ms)
        )
        if board.energy:
            self._energy(board, files, marks, stamps, lines, report.walltime_s, len(latency))
        return latency

    def _energy(self, board: _Board, files: dict[str, str], marks: dict[str, float],
                stamps: list[float], lines: list[str], walltime_s: float, queries: int) -> None:
        samples = parse_stamped_log(files.get("tegrastats.log", ""))
        if not samples:
            raise TegrastatsError(
                f"tegrastats printed nothing on {board.device.name}; run `tegrastats` there by "
                "hand to see why (it may need root for the power monitors)"
            )
        check_cadence(samples, self.interval_ms)
        start, end = timed_window(stamps, lines, walltime_s, marks)
        energy = inference_energy(
            samples, str(board.rail), start, end, marks["idle_end"], queries,
            board.settings.batch_size, self.interval_ms,
        )
        board.energy_mj, board.idle_energy_mj = energy["energy_mj"], energy["idle_energy_mj"]
        board.environment["energy"] = energy
        conditions = window_conditions(samples, start, end)
        board.environment["thermal"] = conditions
        drift = clock_drift_warning(conditions, board.device.name)
        if drift is not None:
            board.warnings.append(drift)

    # --- report and clean up ------------------------------------------------------------
    def _environment(self, handle: _Board) -> dict[str, Any]:
        env = dict(handle.environment)
        env["board"] = handle.ssh.label
        env["batch_size"] = handle.settings.batch_size
        if handle.warnings:
            env["warnings"] = list(handle.warnings)
            for message in handle.warnings:
                warnings.warn(message, stacklevel=3)
        return env

    def _energy_mj(self, handle: _Board, latency_ms: float) -> float | None:
        return handle.energy_mj

    def _close(self, handle: _Board) -> None:
        self._remove_folder(handle.ssh, handle.directory)

    @staticmethod
    def _remove_folder(ssh: SshTarget, directory: str) -> None:
        if "/hwnas-" not in directory:
            return
        try:
            ssh.run(["rm", "-rf", directory], 30.0, "removing the temporary folder")
        except DeviceError as error:
            warnings.warn(f"could not remove {directory} on {ssh.label}: {error}", stacklevel=2)


# --- helpers ------------------------------------------------------------------------------
def _read(path: str) -> bytes:
    from pathlib import Path

    file = Path(path).expanduser()
    if not file.is_file():
        raise ConfigError(f"calibration cache {file} does not exist; check the path")
    return file.read_bytes()


def _static_shapes(onnx_bytes: bytes, batch_size: int) -> str | None:
    """`--shapes` for inputs with a symbolic batch dimension (None when all are static)."""
    import onnx

    try:
        model = onnx.load_model_from_string(onnx_bytes)
    except Exception as error:  # noqa: BLE001  (onnx raises several kinds)
        raise ConfigError(f"the model is not a readable ONNX file: {error}") from None
    initializers = {init.name for init in model.graph.initializer}
    shapes = []
    dynamic = False
    for node in model.graph.input:
        if node.name in initializers:
            continue
        dims = []
        for position, dim in enumerate(node.type.tensor_type.shape.dim):
            if dim.HasField("dim_value") and dim.dim_value > 0:
                if position == 0 and dim.dim_value != batch_size:
                    raise ConfigError(
                        f"ONNX input {node.name!r} has a fixed batch of {dim.dim_value}, but "
                        f"batch_size is {batch_size}: export the model with a dynamic batch "
                        f"dimension or profile with batch_size={dim.dim_value}"
                    )
                dims.append(str(dim.dim_value))
            elif position == 0:
                dims.append(str(batch_size))
                dynamic = True
            else:
                raise ConfigError(
                    f"ONNX input {node.name!r} has a symbolic dimension at position {position}; "
                    "export the model with a fixed input size"
                )
        shapes.append(f"{node.name}:{'x'.join(dims)}")
    return ",".join(shapes) if dynamic else None


def _fetch(board: _Board) -> dict[str, str]:
    quoted = " ".join(shlex.quote(name) for name in _FILES)
    result = board.ssh.run(
        f"cd {shlex.quote(board.directory)} && for f in {quoted}; do [ -f \"$f\" ] || : > \"$f\"; "
        f"done && tar -cf - {quoted}",
        max(30.0, board.step_timeout_s), "fetching the results",
    )
    try:
        with tarfile.open(fileobj=io.BytesIO(result.stdout), mode="r:") as archive:
            return {
                member.name: archive.extractfile(member).read().decode("utf-8", "replace")  # type: ignore[union-attr]
                for member in archive.getmembers() if member.isfile()
            }
    except tarfile.TarError as error:
        raise ProfilingError(f"results from {board.ssh.label} arrived damaged: {error}") from None
