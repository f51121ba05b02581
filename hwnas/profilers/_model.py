"""ModelSource: what a profiler measures, an ONNX file or an architecture of a space."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hwnas.core import Architecture, ConfigError

if TYPE_CHECKING:
    import torch


@dataclass(frozen=True)
class ModelSource:
    """An ONNX model (bytes) or an architecture to build (space, input shape, classes).

    Build one with `ModelSource.from_onnx(path_or_bytes)` or
    `ModelSource.from_architecture(arch, input_shape=..., num_classes=...)`, or let
    `as_model_source` normalise what a user passed. Exported ONNX bytes are cached per
    batch size, so several profilers can share one source.
    """

    onnx: bytes | None = None
    architecture: Architecture | None = None
    input_shape: tuple[int, int, int] | None = None  # (C, H, W); None: the space default
    num_classes: int | None = None  # None: the space default
    reinitialize: bool = True  # random weights + calibrated BatchNorm: realistic activations
    label: str = ""
    _cache: dict[int, bytes] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_onnx(cls, model: str | Path | bytes) -> ModelSource:
        """An ONNX model from a file path or serialised bytes."""
        if isinstance(model, bytes):
            return cls(onnx=model, label="onnx-bytes")
        path = Path(model).expanduser()
        if not path.is_file():
            raise ConfigError(f"ONNX model {path} does not exist; check the path")
        return cls(onnx=path.read_bytes(), label=str(path))

    @classmethod
    def from_architecture(
        cls,
        arch: Architecture | str,
        space: str | None = None,
        input_shape: tuple[int, int, int] | None = None,
        num_classes: int | None = None,
        reinitialize: bool = True,
    ) -> ModelSource:
        """An architecture (or a string of `space`) built with its space's `to_torch`."""
        from hwnas.spaces import create_space

        if isinstance(arch, str):
            if space is None:
                raise ConfigError(
                    "an architecture string needs its space: pass space='nb201' "
                    "(or an Architecture)"
                )
            arch = create_space(space).parse(arch)
        elif not isinstance(arch, Architecture):
            raise ConfigError(f"expected an Architecture or a string, got {type(arch).__name__}")
        else:
            arch = create_space(arch.space).parse(arch)
        shape = tuple(int(d) for d in input_shape) if input_shape is not None else None
        if shape is not None and (len(shape) != 3 or min(shape) <= 0):
            raise ConfigError(f"input_shape must be (channels, height, width), got {input_shape}")
        return cls(
            architecture=arch,
            input_shape=shape,
            num_classes=num_classes,  # type: ignore[arg-type]
            reinitialize=reinitialize,
            label=arch.string,
        )

    # --- identity -------------------------------------------------------------------
    @property
    def arch_id(self) -> str:
        """The architecture's id, or a hash of the ONNX bytes (`onnx-<hex>`)."""
        if self.architecture is not None:
            return self.architecture.arch_id
        return "onnx-" + hashlib.sha256(self.onnx or b"").hexdigest()[:16]

    @property
    def arch_string(self) -> str:
        return self.architecture.string if self.architecture is not None else ""

    # --- building -------------------------------------------------------------------
    def resolved_input_shape(self) -> tuple[int, int, int] | None:
        """(C, H, W) of an architecture source (None for an ONNX source)."""
        if self.architecture is None:
            return None
        if self.input_shape is not None:
            return self.input_shape
        from hwnas.spaces import create_space

        return create_space(self.architecture.space).default_input_shape

    def to_torch(self) -> torch.nn.Module:
        """The torch network of an architecture source, in eval mode."""
        if self.architecture is None:
            raise ConfigError("this model is an ONNX file; a torch network needs an architecture")
        from hwnas.spaces import create_space
        from hwnas.toolchain import reinitialize_weights

        shape = self.resolved_input_shape()
        model = create_space(self.architecture.space).to_torch(
            self.architecture, input_shape=shape, num_classes=self.num_classes
        )
        if self.reinitialize:
            reinitialize_weights(model, shape)  # type: ignore[arg-type]
        return model.eval()

    def onnx_bytes(self, batch_size: int = 1) -> bytes:
        """The serialised ONNX model for `batch_size` (exported once per batch size)."""
        if self.onnx is not None:
            return self.onnx
        if batch_size not in self._cache:
            from hwnas.toolchain import export_onnx

            self._cache[batch_size] = export_onnx(
                self.to_torch(),
                self.resolved_input_shape(),
                batch_size=batch_size,  # type: ignore[arg-type]
            )
        return self._cache[batch_size]


def as_model_source(model: Any, space: str | None = None) -> ModelSource:
    """Normalise a model argument: a ModelSource, Architecture, ONNX bytes or path.

    A string is a path when it names a file (or ends in .onnx), else an architecture
    string of `space`.
    """
    if isinstance(model, ModelSource):
        return model
    if isinstance(model, Architecture):
        return ModelSource.from_architecture(model)
    if isinstance(model, bytes | Path):
        return ModelSource.from_onnx(model)
    if isinstance(model, str):
        if model.endswith(".onnx") or Path(model).expanduser().is_file():
            return ModelSource.from_onnx(model)
        return ModelSource.from_architecture(model, space=space)
    raise ConfigError(
        f"cannot profile a {type(model).__name__}: pass an ONNX path or bytes, an "
        "Architecture, or a ModelSource"
    )
