"""Typed records, errors and the plugin registry shared by every hwnas stage."""

from __future__ import annotations

from hwnas.core._atomic import atomic_path, atomic_write_bytes, atomic_write_text
from hwnas.core._errors import (
    ConfigError,
    DataError,
    DeviceError,
    DuplicatePluginError,
    HwnasError,
    InvalidArchitectureError,
    MissingDependencyError,
    MissingValueError,
    RunStoreError,
    UnknownPluginError,
)
from hwnas.core._manifest import (
    ManifestFormat,
    check_manifest,
    is_plain_name,
    member_path,
    read_manifest,
    write_manifest,
)
from hwnas.core._optional import import_optional
from hwnas.core._processes import exit_on_sigterm, spawn_group, stop_group
from hwnas.core._records import (
    Architecture,
    Candidate,
    DeviceAccess,
    DeviceSpec,
    LlmCall,
    Measurement,
    ObjectiveSource,
    ObjectiveValue,
    Prediction,
    RunRecord,
    architecture_id,
    to_plain,
    utc_now_iso,
)
from hwnas.core._registry import Registry

__all__ = [
    "Architecture",
    "Candidate",
    "ConfigError",
    "DataError",
    "DeviceAccess",
    "DeviceError",
    "DeviceSpec",
    "DuplicatePluginError",
    "HwnasError",
    "InvalidArchitectureError",
    "LlmCall",
    "ManifestFormat",
    "Measurement",
    "MissingDependencyError",
    "MissingValueError",
    "ObjectiveSource",
    "ObjectiveValue",
    "Prediction",
    "Registry",
    "RunRecord",
    "RunStoreError",
    "UnknownPluginError",
    "architecture_id",
    "atomic_path",
    "atomic_write_bytes",
    "atomic_write_text",
    "check_manifest",
    "exit_on_sigterm",
    "import_optional",
    "is_plain_name",
    "member_path",
    "read_manifest",
    "spawn_group",
    "stop_group",
    "to_plain",
    "utc_now_iso",
    "write_manifest",
]
