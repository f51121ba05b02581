"""hwnas metadata inside an ONNX model's `metadata_props` (string key/value pairs).

Every key starts with `hwnas.`; scalar values are written as text, nested ones
(objectives, input shape) as JSON. `read_metadata` reverses `write_metadata`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hwnas.core import ConfigError, HwnasError

PREFIX = "hwnas."
_JSON_KEYS = frozenset({"objectives", "input_shape", "num_classes", "pick", "pruned", "opset",
                        "simplified", "max_abs_error", "tolerance", "training"})


class ModelFileError(HwnasError):
    """A model file is missing, unreadable, or carries no hwnas metadata."""


class OutputExistsError(ConfigError):
    """An export would replace a file that is already there (pass --force / overwrite=True)."""


def refuse_existing(path: str | Path, overwrite: bool) -> None:
    """Raise OutputExistsError when `path` exists and `overwrite` is False."""
    if not overwrite and Path(path).exists():
        raise OutputExistsError(
            f"{path} already exists; pass --force to replace it, or choose another --out"
        )


def _load(model: bytes | str | Path) -> Any:
    import onnx

    try:
        if isinstance(model, bytes):
            return onnx.load_model_from_string(model)
        path = Path(model).expanduser()
        if not path.is_file():
            raise ModelFileError(f"model file {path} does not exist; check the path")
        return onnx.load_model(str(path), load_external_data=False)
    except ModelFileError:
        raise
    except Exception as error:  # noqa: BLE001  (protobuf raises several kinds)
        where = "the model bytes" if isinstance(model, bytes) else str(model)
        raise ModelFileError(
            f"{where} is not a readable ONNX model ({type(error).__name__}); "
            "re-export it with `hwnas export`"
        ) from None


def write_metadata(model_bytes: bytes, metadata: Mapping[str, Any]) -> bytes:
    """The model with `metadata` added to its metadata_props (existing hwnas keys replaced)."""
    model = _load(model_bytes)
    keep = [p for p in model.metadata_props if not p.key.startswith(PREFIX)]
    del model.metadata_props[:]
    model.metadata_props.extend(keep)
    for key, value in metadata.items():
        entry = model.metadata_props.add()
        entry.key = PREFIX + key
        if key not in _JSON_KEYS and not isinstance(value, str):
            raise TypeError(f"metadata {key!r} must be a string or one of {sorted(_JSON_KEYS)}")
        entry.value = json.dumps(value, sort_keys=True) if key in _JSON_KEYS else value
    return bytes(model.SerializeToString())


def read_metadata(model: bytes | str | Path) -> dict[str, Any]:
    """The hwnas metadata of an ONNX model (an empty dict when it has none)."""
    loaded = _load(model)
    out: dict[str, Any] = {}
    for entry in loaded.metadata_props:
        if not entry.key.startswith(PREFIX):
            continue
        key = entry.key[len(PREFIX):]
        value: Any = entry.value
        if key in _JSON_KEYS:
            try:
                value = json.loads(entry.value)
            except json.JSONDecodeError:
                raise ModelFileError(
                    f"metadata {entry.key} of the model is not valid JSON; re-export the model"
                ) from None
        out[key] = value
    return out
