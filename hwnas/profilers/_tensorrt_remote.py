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
import re
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
from hwnas.profilers._stats import median_ci_fraction, percentile
from hwnas.profilers._tegrastats import (
    TegrastatsError,
    check_cadence,
    parse_jetson_clocks,
    parse_nvpmodel,
    parse_stamped_log,
    rail_power_mw,
    window_conditions,
    window_energy,
)
from hwnas.profilers._trtexec import (
    TrtexecOutputError,
    TrtVersion,
    first_report_line,
    parse_export_times,
    parse_trtexec_output,
    parse_version,
    trtexec_flags,
)

# The helper runs with bash on the board. `timeout` (run by SshTarget) signals its whole
# process group, so trtexec, tegrastats and the stampers all stop on a deadline.
HELPER_SCRIPT = r"""# hwnas Jetson helper: copied to a temporary folder on the board, removed after.
set -u
export LC_ALL=C
mode=$1; dir=$2; tools=$3; shift 3
[ -n "$tools" ] && PATH="$tools:$PATH"
PATH="$PATH:/usr/sbin:/sbin:/usr/src/tensorrt/bin"
export PATH
cd "$dir" || exit 90
stamp() {
  if [ -n "${EPOCHREALTIME:-}" ]; then
    while IFS= read -r line; do printf '%s %s\n' "$EPOCHREALTIME" "$line"; done
  else
    while IFS= read -r line; do printf '%s %s\n' "$(date +%s.%N)" "$line"; done
  fi
}
now() { if [ -n "${EPOCHREALTIME:-}" ]; then printf '%s\n' "$EPOCHREALTIME"; else date +%s.%N; fi; }
# stdbuf execs its command, so "$!" below is tegrastats itself.
if command -v stdbuf >/dev/null 2>&1; then linebuf="stdbuf -oL"; else linebuf=""; fi
if [ "$mode" = probe ]; then
  trtexec=$1
  echo "== trtexec"; command -v "$trtexec" >/dev/null 2>&1 && "$trtexec" --help 2>&1 | head -n 5
  echo "== tegrastats"; command -v tegrastats || echo missing
  echo "== stdbuf"; command -v stdbuf || echo missing
  echo "== nvpmodel"; nvpmodel -q 2>&1 || sudo -n nvpmodel -q 2>&1 || echo unavailable
  echo "== jetson_clocks"
  out=$(jetson_clocks --show 2>&1) || out=$(sudo -n jetson_clocks --show 2>&1) || out=unavailable
  printf '%s\n' "$out"
  echo "== end"
  exit 0
fi
interval=$1; idle=$2; energy=$3; shift 3
spid=
stop_tegrastats() {
  if [ -n "$spid" ]; then
    [ -f tegrastats.pid ] && kill "$(cat tegrastats.pid)" 2>/dev/null
    wait "$spid" 2>/dev/null; spid=
  fi
}
trap stop_tegrastats EXIT
trap 'exit 143' TERM INT HUP
rm -f trtexec.log tegrastats.log times.json marks tegrastats.pid
if [ "$energy" = 1 ]; then
  ( $linebuf tegrastats --interval "$interval" 2>tegrastats.err & echo $! > tegrastats.pid; wait ) \
    | stamp > tegrastats.log &
  spid=$!
  sleep "$idle"
  echo "idle_end $(now)" >> marks
fi
echo "trtexec_start $(now)" >> marks
$linebuf "$@" 2>&1 | stamp > trtexec.log
rc=${PIPESTATUS[0]}
echo "trtexec_end $(now)" >> marks
if [ "$energy" = 1 ]; then sleep "$(awk "BEGIN{print $interval/1000}")"; fi
stop_tegrastats
echo "trtexec_rc $rc" >> marks
exit 0
"""
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
            ssh.write_file(f"{directory}/hwnas_helper.sh", HELPER_SCRIPT.encode(), 30.0,
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
            sections = _sections(probe)
            if not sections.get("trtexec", "").strip() and trtexec == "trtexec":
                trtexec = "/usr/src/tensorrt/bin/trtexec"
                probe = ssh.run(
                    ["bash", f"{directory}/hwnas_helper.sh", "probe", directory, tool_dir, trtexec],
                    60.0, "probing the board (trtexec, nvpmodel, jetson_clocks)",
                ).stdout.decode("utf-8", "replace")
                sections = _sections(probe)
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
        marks = _marks(files.get("marks", ""))
        stamps, lines = _unstamp(files.get("trtexec.log", ""))
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
        board.environment["trtexec"] = _report_dict(report, len(latency))
        board.environment["latency_percentiles_ms"] = _percentiles(latency)
        board.environment["gpu_compute_percentiles_ms"] = _percentiles(list(queries.gpu_compute_ms))
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
        rail = str(board.rail)
        active = window_energy(samples, rail, start, end)
        idle_samples = [s for s in samples if s.time_s <= marks["idle_end"]]
        if len(idle_samples) < 2:
            raise TegrastatsError(
                f"the idle baseline held {len(idle_samples)} tegrastats sample(s); raise idle_s"
            )
        idle_power_mw = sum(rail_power_mw(s, rail) for s in idle_samples) / len(idle_samples)
        board.energy_mj = active.energy_mj / queries
        board.idle_energy_mj = idle_power_mw * active.window_s / queries
        board.environment["energy"] = {
            "rail": rail,
            "energy_mj": board.energy_mj,
            "idle_energy_mj": board.idle_energy_mj,
            "dynamic_energy_mj": board.energy_mj - board.idle_energy_mj,
            "active_power_mw": active.mean_power_mw,
            "idle_power_mw": idle_power_mw,
            "window_s": active.window_s,
            "window_samples": active.samples,
            "idle_samples": len(idle_samples),
            "queries": queries,
            "energy_per_input_mj": board.energy_mj / board.settings.batch_size,
            "tegrastats_interval_ms": self.interval_ms,
        }
        conditions = window_conditions(samples, start, end)
        board.environment["thermal"] = conditions
        low, high = conditions.get("gpu_clock_mhz_min"), conditions.get("gpu_clock_mhz_max")
        if low is not None and high is not None and high > 0 and (high - low) / high > 0.05:
            board.warnings.append(
                f"the GPU clock of {board.device.name} moved between {low:.0f} and {high:.0f} "
                "MHz during the timed window (DVFS or thermal throttling): lock the clocks "
                "with `sudo jetson_clocks` and let the board cool"
            )

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
def timed_window(
    stamps: list[float], lines: list[str], walltime_s: float, marks: dict[str, float]
) -> tuple[float, float]:
    """(start, end) of trtexec's timing loop in board time, from its stamped log.

    It ends when trtexec prints its first report line and lasts `walltime_s`. If the
    `Starting inference` line arrived well after that start, trtexec's output was
    buffered and the stamps say nothing about timing: fail rather than integrate the
    wrong window.
    """
    index = first_report_line(lines)
    if index is None:
        raise TrtexecOutputError("cannot place the timed window: no report line in trtexec's log")
    end = stamps[index]
    start = end - walltime_s
    if "idle_end" not in marks or start < marks.get("trtexec_start", -math.inf):
        raise TegrastatsError(
            "the timed window does not fall inside the trtexec run (clock stamps garbled?)"
        )
    started = next((i for i, line in enumerate(lines[:index])
                    if _strip_log_prefix(line).startswith("Starting inference")), None)
    # Fully buffered output arrives at the end; half the window leaves room for a busy board.
    if started is not None and stamps[started] > start + walltime_s / 2:
        raise TegrastatsError(
            "trtexec's output reached the board's log late (it was buffered), so the timed "
            "window cannot be placed; install coreutils' stdbuf on the board"
        )
    return start, end


def _strip_log_prefix(line: str) -> str:
    return re.sub(r"^\s*(?:\[[^\]]*\]\s*)*", "", line)


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


def _sections(text: str) -> dict[str, str]:
    out: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        if line.startswith("== "):
            current = line[3:].strip()
            out[current] = []
        elif current is not None:
            out[current].append(line)
    if "end" not in out:
        raise RemoteError(f"the board's probe output is incomplete: {text[-200:]!r}")
    return {key: "\n".join(value) for key, value in out.items()}


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


def _marks(text: str) -> dict[str, float]:
    marks = {}
    for line in text.splitlines():
        key, _, value = line.partition(" ")
        try:
            marks[key] = float(value.replace(",", "."))
        except ValueError:
            raise ProfilingError(f"garbled helper mark on the board: {line!r}") from None
    if "trtexec_end" not in marks:
        raise ProfilingError("the run on the board did not finish (no end mark): incomplete result")
    return marks


def _unstamp(text: str) -> tuple[list[float], list[str]]:
    stamps, lines = [], []
    for raw in text.split("\n"):
        if not raw:
            continue
        stamp, _, line = raw.partition(" ")
        try:
            stamps.append(float(stamp.replace(",", ".")))
        except ValueError:
            raise ProfilingError(f"unstamped trtexec log line: {raw[:120]!r}") from None
        lines.append(line)
    return stamps, lines


def _percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "min": ordered[0],
        "p50": percentile(ordered, 50),
        "p90": percentile(ordered, 90),
        "p95": percentile(ordered, 95),
        "p99": percentile(ordered, 99),
        "max": ordered[-1],
        "mean": sum(ordered) / len(ordered),
    }


def _report_dict(report: Any, queries: int) -> dict[str, Any]:
    return {
        "version": str(report.version),
        "latency_ms": dataclasses.asdict(report.latency),
        "gpu_compute_ms": dataclasses.asdict(report.gpu_compute),
        "throughput_qps": report.throughput_qps,
        "walltime_s": report.walltime_s,
        "queries": queries,
    }
