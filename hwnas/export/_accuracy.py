"""Test accuracy of an exported model through ONNX Runtime, next to torch's.

The test split is rebuilt from the data the user names with the recipe the model's
`training` metadata records (input size, split seed and fractions), and normalised with
the training split's statistics, exactly as training saw it. Torch's figure comes from
the weights file beside the model (checked by its SHA-256) run in the torch network;
when that file is absent, from the accuracy the training recorded.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hwnas.core import Architecture, ConfigError


def _onnx_accuracy(path: Path, images: Any, labels: Any) -> float:
    """Top-1 accuracy (percent) of an ONNX file under ONNX Runtime on normalised images."""
    import numpy as np
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    declared = session.get_inputs()[0]
    batch = declared.shape[0] if isinstance(declared.shape[0], int) else 256
    array = images.numpy().astype(np.float32)
    predicted = []
    for start in range(0, len(array), batch):
        chunk = array[start:start + batch]
        if len(chunk) < batch and isinstance(declared.shape[0], int):
            chunk = np.concatenate([chunk, np.zeros((batch - len(chunk), *chunk.shape[1:]),
                                                    dtype=np.float32)])
        logits = session.run(None, {declared.name: chunk})[0]
        predicted.append(logits.argmax(1)[:min(batch, len(array) - start)])
    correct = int((np.concatenate(predicted) == labels.numpy()).sum())
    return 100.0 * correct / max(1, len(array))


def _torch_accuracy(path: Path, metadata: Mapping[str, Any], test_images: Any,
                    test_labels: Any) -> float | None:
    """Torch's accuracy with the weights file named in the metadata, when it is beside the
    model and its hash matches; None otherwise."""
    from hwnas.export._weights import load_checked, read_state_dict
    from hwnas.spaces import create_space
    from hwnas.train import evaluate

    name = metadata.get("weights_file")
    if not name:
        return None
    weights = path.parent / str(name)
    if not weights.is_file():
        return None
    if hashlib.sha256(weights.read_bytes()).hexdigest() != metadata.get("weights_sha256"):
        return None
    tensors, _ = read_state_dict(weights)
    space = create_space(str(metadata["space"]))
    arch = Architecture(space.name, str(metadata["arch_string"]))
    channels, height, width = (int(d) for d in metadata["input_shape"])
    shape = (channels, height, width)
    options = {"prune": True} if metadata.get("weights_layout") == "pruned" else {}
    model = space.to_torch(arch, shape, int(metadata["num_classes"]), **options)
    load_checked(model, tensors, arch.string)
    return evaluate(model, test_images, test_labels, "cpu")[1]


def model_accuracy(model_path: str | Path, metadata: Mapping[str, Any],
                   data: str) -> tuple[dict[str, Any], list[str]]:
    """(figures, notes): test accuracy through ONNX Runtime and torch on `data`'s test split."""
    from hwnas.train import Recipe, load_recipe, load_training_data

    path = Path(model_path).expanduser()
    notes: list[str] = []
    training = metadata.get("training") if isinstance(metadata.get("training"), Mapping) else None
    shape = [int(d) for d in metadata.get("input_shape") or []]
    if len(shape) != 3 or shape[1] != shape[2]:
        raise ConfigError(f"{path}: --data needs a square input in the model metadata, got "
                          f"{shape or 'none'}; export the model with `hwnas export`")
    if training is not None:
        recipe = load_recipe(**dict(training["recipe"]))
    else:
        recipe = Recipe(input_size=shape[1])
        notes.append("the model records no training: the test split and normalisation are "
                     "the default recipe's, which may differ from how its weights were trained")
    loaded = load_training_data(data, recipe)
    if loaded.input_shape != tuple(shape):
        raise ConfigError(f"{data} gives {list(loaded.input_shape)} inputs but the model takes "
                          f"{shape}; pass the data it was trained on")
    if int(metadata.get("num_classes") or 0) != loaded.num_classes:
        raise ConfigError(f"{data} has {loaded.num_classes} classes but the model outputs "
                          f"{metadata.get('num_classes')}; pass the data it was trained on")
    if training is not None and training.get("mean") is not None and any(
            abs(a - b) > 1e-5 for a, b in zip(loaded.mean, training["mean"], strict=False)):
        notes.append("the training split's mean differs from the one recorded at training: "
                     "the images are not the ones the model was trained on")
    if training is not None and training.get("data") != loaded.name:
        notes.append(f"the model was trained on {training.get('data')}, tested here on "
                     f"{loaded.name}")
    onnx_acc = _onnx_accuracy(path, loaded.test_images, loaded.test_labels)
    torch_acc = _torch_accuracy(path, metadata, loaded.test_images, loaded.test_labels)
    torch_from = "weights file beside the model"
    if torch_acc is None and training is not None:
        torch_acc, torch_from = float(training["test_acc"]), "training record (metadata)"
        notes.append("the weights file is not beside the model: torch's figure is the one "
                     "recorded at training time")
    elif torch_acc is None:
        torch_from = "unavailable"
    if metadata.get("weights_status") == "untrained":
        notes.append("the model holds untrained weights: its accuracy is chance level")
    figures = {
        "data": loaded.name, "test_images": len(loaded.test_labels),
        "split": dict(loaded.split), "onnxruntime_test_acc": onnx_acc,
        "torch_test_acc": torch_acc, "torch_from": torch_from,
        "delta_points": None if torch_acc is None else onnx_acc - torch_acc,
    }
    return figures, notes
