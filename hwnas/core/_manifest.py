"""Versioned JSON manifests: one reader that checks format and version with one-line
errors that say the fix, and one atomic writer (a temporary file, then `os.replace`).

Latency tables, saved predictors and proxy ensembles each declare a `ManifestFormat`:

    TABLE = ManifestFormat("hwnas-latency-table", (1,), DataError, missing=..., ...)
    data = read_manifest(path, TABLE)
    write_manifest(path, data)
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hwnas.core._errors import HwnasError


@dataclass(frozen=True)
class ManifestFormat:
    """What a manifest's `format` field must say, the versions this hwnas reads, the error
    class to raise, and one message template per failure.

    Templates may use `{path}` (what the caller named: a file or its folder), `{file}` (the
    manifest file read), `{error}` (the JSON error), `{format}` (the format found),
    `{version}` (the version found) and `{supported}` (the versions read, e.g. `1`).
    """

    name: str
    supported_versions: tuple[int, ...]
    error: type[HwnasError]
    missing: str = "{path} does not exist"
    not_json: str = "{file} is not valid JSON ({error})"
    wrong_format: str = "{path} is not a {name} file (format {format!r})"
    wrong_version: str = (
        "{path} has format version {version}; this hwnas reads version {supported}"
    )

    @property
    def version(self) -> int:
        """The version this hwnas writes (the newest it reads)."""
        return max(self.supported_versions)

    def fail(self, template: str, **fields: Any) -> HwnasError:
        supported = ", ".join(str(v) for v in self.supported_versions)
        return self.error(template.format(name=self.name, supported=supported, **fields))


def read_manifest(
    file: str | Path, spec: ManifestFormat, shown: str | Path | None = None
) -> dict[str, Any]:
    """The JSON object in `file`, checked for `spec`'s format name and versions.

    `shown` is the path named in errors as `{path}` (default `file`), e.g. the model folder
    the caller was given.
    """
    source = Path(file)
    path = source if shown is None else shown
    if not source.is_file():
        raise spec.fail(spec.missing, path=path, file=source)
    try:
        data = json.loads(source.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise spec.fail(spec.not_json, path=path, file=source, error=error) from None
    return check_manifest(data, spec, path, source)


def check_manifest(
    data: Any, spec: ManifestFormat, shown: str | Path, file: str | Path | None = None
) -> dict[str, Any]:
    """`data` itself when it is a JSON object of `spec`'s format and a supported version."""
    found = data.get("format") if isinstance(data, dict) else None
    if found != spec.name:
        raise spec.fail(spec.wrong_format, path=shown, file=file or shown, format=found)
    version = data.get("format_version")
    if version not in spec.supported_versions:
        raise spec.fail(spec.wrong_version, path=shown, file=file or shown, version=version)
    return data  # type: ignore[no-any-return]


def write_manifest(file: str | Path, data: Mapping[str, Any], sort_keys: bool = True) -> Path:
    """Write `data` as indented JSON, atomically: readers see the old file or the new one,
    never half of one. Values JSON cannot hold are written as their `str`."""
    target = Path(file)
    target.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(dict(data), indent=2, sort_keys=sort_keys, default=str) + "\n"
    temporary = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        with temporary.open("x") as stream:  # the usual permissions, unlike mkstemp's 0600
            stream.write(text)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return target
