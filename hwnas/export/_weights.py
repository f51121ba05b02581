"""Trained weights for an export: safetensors state-dicts only, checked against the network.

Pickled checkpoints (`.pt`, `.pth`, `.ckpt`, `.bin`, `.pkl`) are refused, never unpickled,
not even with `torch.load(weights_only=True)`: the file would still go through the
unpickler, and hwnas keeps its artefacts pickle-free. The refusal says how to convert.

A state-dict may use the layout of the network as the benchmark built it (`prune=False`,
the layout a NAS-Bench-201 training script saves) or of the pruned network hwnas
deploys; both load. `module.` prefixes (DataParallel) are stripped.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hwnas.toolchain import ExportError

if TYPE_CHECKING:
    import torch

_PICKLE_SUFFIXES = (".pt", ".pth", ".ckpt", ".bin", ".pkl", ".pickle", ".tar")
_CONVERT = (
    "convert it once, where you trust the file: python -c \"import torch; "
    "from safetensors.torch import save_file; "
    "save_file(torch.load('{path}', weights_only=True), '{stem}.safetensors')\""
)
_OPTIONAL_KEYS = ("num_batches_tracked",)  # BatchNorm counters: not needed for inference


class WeightsError(ExportError):
    """A weights file is unreadable, pickled, or does not fit the architecture."""


@dataclass(frozen=True)
class WeightsInfo:
    """Where loaded weights came from."""

    path: str
    sha256: str
    layout: str  # "benchmark" (prune=False) or "pruned"
    tensors: int


def _looks_pickled(data: bytes) -> bool:
    # A safetensors file is an 8-byte header length, then the JSON header ("{").
    if len(data) >= 9 and data[8:9] == b"{":
        return False
    # Protocol 2+ pickles start with 0x80 <protocol>; torch.save writes a zip archive.
    return (len(data) >= 2 and data[0] == 0x80 and 2 <= data[1] <= 5) or data[:4] == b"PK\x03\x04"


def read_state_dict(path: str | Path) -> tuple[dict[str, torch.Tensor], str]:
    """Tensors of a safetensors file and the file's SHA-256; WeightsError otherwise."""
    file = Path(path).expanduser()
    if not file.is_file():
        raise WeightsError(f"weights file {file} does not exist; check the path")
    data = file.read_bytes()
    stem = file.with_suffix("")
    if file.suffix.lower() in _PICKLE_SUFFIXES or _looks_pickled(data):
        raise WeightsError(
            f"{file} is a pickled PyTorch checkpoint; hwnas reads safetensors only and never "
            "unpickles: " + _CONVERT.format(path=file, stem=stem)
        )
    from safetensors import SafetensorError
    from safetensors.torch import load

    try:
        tensors = load(data)
    except (SafetensorError, ValueError, RuntimeError, OSError) as error:
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise WeightsError(
            f"{file} is not a readable safetensors file ({first}); it may be truncated or "
            "corrupted: save the state-dict again with safetensors.torch.save_file"
        ) from None
    if not tensors:
        raise WeightsError(f"{file} holds no tensors; save the model's state_dict() into it")
    return {_strip_prefix(k): v for k, v in tensors.items()}, hashlib.sha256(data).hexdigest()


def _strip_prefix(key: str) -> str:
    return key[len("module."):] if key.startswith("module.") else key


def pruned_key_mapping(space: Any, arch: Any, pruned_model: torch.nn.Module) -> dict[str, str]:
    """Pruned-network key -> benchmark-network key (cells keep only their live edges)."""
    kept = [i for i, live in enumerate(space.live_edges(arch)) if live]
    mapping = {}
    for key in pruned_model.state_dict():
        if ".ops." in key:
            cell, rest = key.split(".ops.", 1)
            index, tail = rest.split(".", 1)
            mapping[key] = f"{cell}.ops.{kept[int(index)]}.{tail}"
        else:
            mapping[key] = key
    return mapping


def _required(keys: Any) -> set[str]:
    return {k for k in keys if not k.endswith(_OPTIONAL_KEYS)}


def _examples(keys: set[str]) -> str:
    listed = sorted(keys)
    return ", ".join(listed[:3]) + (", ..." if len(listed) > 3 else "")


def match_layout(
    tensors: Mapping[str, torch.Tensor],
    full_model: torch.nn.Module,
    pruned_model: torch.nn.Module | None,
    what: str,
) -> str:
    """`benchmark` or `pruned`: which network the tensors were saved from (else WeightsError)."""
    given = _required(tensors)
    expected = _required(full_model.state_dict())
    if given == expected:
        return "benchmark"
    if pruned_model is not None:
        pruned_expected = _required(pruned_model.state_dict())
        if given == pruned_expected:
            return "pruned"
        if len(pruned_expected ^ given) < len(expected ^ given):
            expected = pruned_expected
    missing, unexpected = expected - given, given - expected
    parts = []
    if missing:
        parts.append(f"{len(missing)} tensors missing ({_examples(missing)})")
    if unexpected:
        parts.append(f"{len(unexpected)} unexpected ({_examples(unexpected)})")
    raise WeightsError(
        f"the weights do not fit {what}: {'; '.join(parts)}; they were saved from another "
        "architecture or space (export the architecture they were trained for)"
    )


def load_checked(model: torch.nn.Module, tensors: Mapping[str, torch.Tensor], what: str) -> None:
    """Load tensors whose keys fit `model`, checking shapes and finiteness first."""
    import torch

    state = model.state_dict()
    for key, value in tensors.items():
        target = state.get(key)
        if target is None:
            continue
        if tuple(value.shape) != tuple(target.shape):
            hint = ""
            if key.startswith("classifier."):
                hint = (f"; the file was trained for {value.shape[0]} classes: "
                        f"pass --num-classes {value.shape[0]}")
            elif key.startswith("stem.0."):
                hint = (f"; the file was trained for {value.shape[1]} input channels: "
                        "pass --input-shape C,H,W")
            raise WeightsError(
                f"weight {key} has shape {tuple(value.shape)} but {what} needs "
                f"{tuple(target.shape)}{hint}"
            )
        if value.is_floating_point() and not bool(torch.isfinite(value).all()):
            raise WeightsError(f"weight {key} holds NaN or infinite values; the file is unusable")
        state[key] = value.to(target.dtype)
    model.load_state_dict(state, strict=True)


def copy_to_pruned(
    full_model: torch.nn.Module, pruned_model: torch.nn.Module, mapping: Mapping[str, str]
) -> None:
    """Give the pruned network the benchmark network's weights (same function)."""
    full_state = full_model.state_dict()
    pruned_model.load_state_dict({k: full_state[v] for k, v in mapping.items()}, strict=True)
