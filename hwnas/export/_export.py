"""An architecture (or a run's pick) out as one verified, self-describing ONNX file.

What ships is what was checked: the ONNX file written is the one ONNX Runtime ran
against the torch network, and its `metadata_props` say what it is (space, canonical
string, arch_id, objectives and their sources, device, run, hwnas version, weights).

The deployed graph is the pruned network (`prune=True`: `none` edges and ops that feed
nothing removed) when the space supports it; the check compares it with the network
as the benchmark built it (`prune=False`) holding the same weights, so it covers the
export and the pruning at once.

Without trained weights the file holds random weights (seeded He-normal convolutions,
BatchNorm statistics calibrated on random input: `reinitialize_weights`). PyTorch's
default initialisation would make every output equal the classifier bias, so a check of
it proves nothing, and its vanishing activations are not what a trained network runs
at; the profilers measure the same random-weight networks. The metadata says
`weights_status = untrained`: train the architecture before using its predictions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hwnas.core import (
    Architecture,
    Candidate,
    ConfigError,
    atomic_write_bytes,
    import_optional,
    to_plain,
)
from hwnas.export._metadata import read_metadata, refuse_existing, write_metadata
from hwnas.export._pick import Pick, pick_candidate
from hwnas.export._weights import (
    copy_to_pruned,
    load_checked,
    match_layout,
    pruned_key_mapping,
    read_state_dict,
)
from hwnas.pareto import parse_objectives
from hwnas.toolchain import (
    DEFAULT_OPSET,
    DEFAULT_TOLERANCE,
    ExportError,
    export_onnx,
    max_abs_error_vs_torch,
    reinitialize_weights,
)

UNTRAINED_SEED = 0


@dataclass(frozen=True)
class ExportResult:
    """One export: the file, what it holds, and how well it matched torch."""

    onnx_path: str
    architecture: Architecture
    input_shape: tuple[int, int, int]
    num_classes: int
    weights_status: str  # trained | untrained
    max_abs_error: float
    tolerance: float
    pruned: bool
    simplified: bool
    opset: int
    metadata: Mapping[str, Any] = field(default_factory=dict)
    pick: Mapping[str, Any] | None = None
    tensorrt: Mapping[str, Any] | None = None
    tvm: Mapping[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return to_plain(self)


def parse_input_shape(text: str | Sequence[int]) -> tuple[int, int, int]:
    """(C, H, W) from `3,32,32`, `3x32x32` or a sequence; ConfigError otherwise."""
    try:
        parts = (
            [int(p) for p in str(text).replace("x", ",").split(",") if p.strip()]
            if isinstance(text, str) else [int(p) for p in text]
        )
    except (TypeError, ValueError):
        parts = []
    if len(parts) != 3 or min(parts) <= 0:
        raise ConfigError(f"input shape {text!r} must be three positive sizes C,H,W, e.g. 3,32,32")
    return parts[0], parts[1], parts[2]


def _simplify(data: bytes) -> bytes:
    import onnx

    onnxslim = import_optional("onnxslim", "simplify", "--simplify")
    return bytes(onnxslim.slim(onnx.load_model_from_string(data)).SerializeToString())


def export_architecture(
    arch: Architecture,
    out_dir: str | Path,
    input_shape: tuple[int, int, int] | None = None,
    num_classes: int | None = None,
    weights: str | Path | None = None,
    opset: int = DEFAULT_OPSET,
    simplify: bool = False,
    tolerance: float = DEFAULT_TOLERANCE,
    metadata: Mapping[str, Any] | None = None,
    file_name: str | None = None,
    overwrite: bool = True,
) -> ExportResult:
    """Build, (load weights,) export, check against torch, label and write one ONNX file.

    Raises ExportError (nothing written) when ONNX Runtime's output differs from torch's
    by more than `tolerance`, WeightsError when `weights` is unusable, OutputExistsError
    (before any work) when the file exists and `overwrite` is False. The file is written
    atomically (a temporary name in the same folder, then a rename).
    """
    from hwnas import __version__
    from hwnas.spaces import create_space

    if opset < 17:
        raise ConfigError(f"--opset {opset} is too old; use 17 or newer")
    space = create_space(arch.space)
    arch = space.parse(arch)
    shape = parse_input_shape(input_shape) if input_shape is not None else space.default_input_shape
    classes = int(num_classes) if num_classes is not None else space.default_num_classes
    what = f"{arch.string} ({arch.space}, input {shape}, {classes} classes)"
    path = Path(out_dir).expanduser() / (file_name or f"{arch.space}-{arch.arch_id}.onnx")
    refuse_existing(path, overwrite)

    full = space.to_torch(arch, shape, classes)
    can_prune = hasattr(space, "live_edges")
    pruned = space.to_torch(arch, shape, classes, prune=True) if can_prune else None
    reference = full
    if weights is not None:
        tensors, sha256 = read_state_dict(weights)
        layout = match_layout(tensors, full, pruned, what)
        if layout == "pruned":
            reference = pruned  # the network the user trained: export it as it is
        load_checked(reference, tensors, what)
        weights_info: dict[str, Any] = {"weights_status": "trained", "weights_file": Path(
            weights).name, "weights_sha256": sha256, "weights_layout": layout}
    else:
        reinitialize_weights(full, shape, seed=UNTRAINED_SEED)
        weights_info = {
            "weights_status": "untrained",
            "weights_note": f"random weights (seed {UNTRAINED_SEED}), BatchNorm calibrated on "
            "random input: for latency and deployment checks only; train before use",
        }
    reference.eval()
    deployed = reference
    if pruned is not None and reference is full:
        copy_to_pruned(full, pruned, pruned_key_mapping(space, arch, pruned))
        deployed = pruned.eval()
    is_pruned = pruned is not None and deployed is pruned

    data = export_onnx(deployed, shape, opset=opset)
    if simplify:
        data = _simplify(data)
    error = max_abs_error_vs_torch(reference, data, shape, batch_size=1, seed=1)
    if not error <= tolerance:  # NaN fails too
        raise ExportError(
            f"ONNX Runtime differs from torch by {error:.3g} (limit {tolerance:g}) for {what}; "
            "nothing was written: retry without --simplify, or report the architecture"
        )
    labels = {
        "space": arch.space, "arch_string": arch.string, "arch_id": arch.arch_id,
        "input_shape": list(shape), "num_classes": classes, "opset": opset,
        "pruned": is_pruned, "simplified": simplify, "max_abs_error": error,
        "tolerance": tolerance, "hwnas_version": __version__, **weights_info,
        **dict(metadata or {}),
    }
    data = write_metadata(data, labels)
    atomic_write_bytes(path, data, overwrite)
    return ExportResult(
        onnx_path=str(path), architecture=arch, input_shape=shape, num_classes=classes,
        weights_status=weights_info["weights_status"], max_abs_error=error,
        tolerance=tolerance, pruned=is_pruned, simplified=simplify, opset=opset,
        metadata=read_metadata(data),
    )


# --- runs -------------------------------------------------------------------------------
def run_settings(config: Mapping[str, Any]) -> dict[str, Any]:
    """Space, device, objective names, input shape and classes from a run's config.

    Read defensively: the search stores its config under `search`; anything absent is
    None and the caller falls back to the space defaults.
    """
    search = config.get("search") if isinstance(config.get("search"), Mapping) else {}
    options = search.get("source_options") if isinstance(search.get("source_options"),
                                                         Mapping) else {}

    def find(*keys: str) -> Any:
        for source in (config, search, options):
            for key in keys:
                if source.get(key) not in (None, "", []):
                    return source[key]
        return None

    names: tuple[str, ...] | None = None
    objectives = find("objectives")
    if isinstance(objectives, str):
        try:
            names = tuple(spec.name for spec in parse_objectives(objectives))
        except Exception:  # noqa: BLE001  (an unreadable spec: infer from the candidates)
            names = None
    elif isinstance(objectives, Sequence):
        names = tuple(str(o.get("name")) if isinstance(o, Mapping) else str(o) for o in objectives)
    return {
        "space": find("space"), "device": find("device"), "objective_names": names,
        "objectives_text": objectives if isinstance(objectives, str) else None,
        "input_shape": find("input_shape"), "num_classes": find("num_classes"),
    }


def objectives_metadata(candidate: Candidate) -> dict[str, Any]:
    return {
        name: {"value": value.value, "unit": value.unit, "source": value.source,
               "minimize": value.minimize}
        for name, value in candidate.objectives.items()
    }


def pick_from_run(
    run: str | Path, pick: str, runs_dir: str | Path | None = None,
) -> tuple[Pick, dict[str, Any], str]:
    """Open a run and apply a pick rule: (pick, run settings, run id)."""
    from hwnas.runs import RunStore
    from hwnas.spaces import create_space

    with RunStore.open(run, runs_dir) as store:
        candidates = store.candidates()
        extras = store.candidate_extras()
        settings = run_settings(store.config)
        run_id = store.run_id
    if not candidates:
        raise ConfigError(
            f"run {run_id} has no candidates yet; export after the search evaluated some"
        )
    space_name = settings["space"] or candidates[0].architecture.space
    chosen = pick_candidate(candidates, pick, settings["objective_names"], extras,
                            create_space(space_name))
    return chosen, settings, run_id


def export_from_run(
    run: str | Path,
    pick: str,
    out_dir: str | Path,
    runs_dir: str | Path | None = None,
    input_shape: tuple[int, int, int] | None = None,
    num_classes: int | None = None,
    weights: str | Path | None = None,
    opset: int = DEFAULT_OPSET,
    simplify: bool = False,
    tolerance: float = DEFAULT_TOLERANCE,
    metadata: Mapping[str, Any] | None = None,
    overwrite: bool = True,
) -> ExportResult:
    """Export the architecture a pick rule chooses from a run (see `pick_candidate`);
    `metadata` adds labels to the file (e.g. `training`); `overwrite=False` refuses an
    existing file (what `hwnas export` does without --force)."""
    chosen, settings, run_id = pick_from_run(run, pick, runs_dir)
    candidate = chosen.candidate
    shape = input_shape or (parse_input_shape(settings["input_shape"])
                            if settings["input_shape"] else None)
    classes = num_classes or (int(settings["num_classes"]) if settings["num_classes"] else None)
    pick_info = {"rule": chosen.rule, "on_front": chosen.on_front, "front_size": chosen.front_size,
                 "objectives": list(chosen.objective_names), **dict(chosen.detail)}
    labels: dict[str, Any] = {
        "run_id": run_id, "objectives": objectives_metadata(candidate), "pick": pick_info,
        **dict(metadata or {}),
    }
    if settings["device"]:
        labels["device"] = str(settings["device"])
    if settings["objectives_text"]:
        labels["objectives_spec"] = str(settings["objectives_text"])
    result = export_architecture(
        candidate.architecture, out_dir, shape, classes, weights, opset, simplify, tolerance,
        labels, overwrite=overwrite,
    )
    return _replace(result, pick=pick_info)


def _replace(result: ExportResult, **changes: Any) -> ExportResult:
    import dataclasses

    return dataclasses.replace(result, **changes)
