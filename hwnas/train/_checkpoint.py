"""Checkpoints without pickles, written atomically.

One safetensors file holds the model's weights (`model.*`), the optimiser's buffers
(`optimizer.*`) and the random generators' states (`rng.*`); its metadata header holds
the rest as JSON (epoch, step, optimiser hyperparameters, gradient-scaler state, Python
and NumPy generator states, elapsed seconds, what is being trained). It is written to a
temporary file in the same folder, flushed to disk and moved over the old one with
`os.replace`, so a process killed mid-write leaves the previous checkpoint intact.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hwnas.core import HwnasError

if TYPE_CHECKING:
    import torch

FORMAT = "hwnas-train-checkpoint"
FORMAT_VERSION = "1"


class CheckpointError(HwnasError):
    """A checkpoint is unreadable or belongs to other training."""


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that readers see the old file or the new one, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    with partial.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, path)
    try:
        directory = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def state_tensors(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """The model's state-dict as contiguous CPU tensors (what safetensors stores)."""
    return {k: v.detach().to("cpu").contiguous() for k, v in model.state_dict().items()}


@dataclass(frozen=True)
class Checkpoint:
    """What a checkpoint file holds, read back."""

    model: dict[str, torch.Tensor]
    optimizer: dict[str, Any]  # an optimizer.state_dict() to load
    rng: dict[str, torch.Tensor]
    state: dict[str, Any]

    @property
    def epoch(self) -> int:
        """Epochs completed."""
        return int(self.state["epoch"])


def save_checkpoint(
    path: Path, model: torch.nn.Module, optimizer: torch.optim.Optimizer,
    rng: Mapping[str, torch.Tensor], state: Mapping[str, Any],
) -> None:
    """Write the checkpoint atomically (see the module docstring)."""
    from safetensors.torch import save

    tensors = {f"model.{k}": v for k, v in state_tensors(model).items()}
    optimizer_state = optimizer.state_dict()
    buffers: dict[str, list[str]] = {}
    for index, values in optimizer_state["state"].items():
        for name, value in values.items():
            if not hasattr(value, "detach"):
                raise CheckpointError(f"optimizer state {name} is not a tensor; this is a bug")
            tensors[f"optimizer.{index}.{name}"] = value.detach().to("cpu").contiguous()
            buffers.setdefault(str(index), []).append(name)
    for name, value in rng.items():
        tensors[f"rng.{name}"] = value.detach().to("cpu").contiguous()
    header = {"state": dict(state), "param_groups": optimizer_state["param_groups"],
              "buffers": buffers}
    metadata = {"format": FORMAT, "format_version": FORMAT_VERSION,
                "json": json.dumps(header, sort_keys=True)}
    write_atomic(path, save(tensors, metadata=metadata))


def load_checkpoint(path: Path) -> Checkpoint:
    """Read a checkpoint written by `save_checkpoint` (no unpickling anywhere)."""
    from safetensors import SafetensorError, safe_open
    from safetensors.torch import load

    try:
        data = path.read_bytes()
        tensors = load(data)
        with safe_open(str(path), framework="pt") as handle:
            metadata = handle.metadata() or {}
        if metadata.get("format") != FORMAT:
            raise CheckpointError(f"{path} is not an hwnas training checkpoint; move it away")
        if metadata.get("format_version") != FORMAT_VERSION:
            raise CheckpointError(
                f"{path} has checkpoint format {metadata.get('format_version')}, this hwnas "
                f"reads {FORMAT_VERSION}; restart the training in another --out folder")
        header = json.loads(metadata["json"])
    except (OSError, SafetensorError, ValueError, KeyError) as error:
        raise CheckpointError(
            f"checkpoint {path} is unreadable ({type(error).__name__}: {error}); delete it to "
            "start over") from None
    model = {k[len("model."):]: v for k, v in tensors.items() if k.startswith("model.")}
    rng = {k[len("rng."):]: v for k, v in tensors.items() if k.startswith("rng.")}
    state: dict[int, dict[str, Any]] = {}
    for index, names in header["buffers"].items():
        state[int(index)] = {name: tensors[f"optimizer.{index}.{name}"] for name in names}
    optimizer = {"state": state, "param_groups": header["param_groups"]}
    return Checkpoint(model=model, optimizer=optimizer, rng=rng, state=header["state"])
