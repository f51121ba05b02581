"""Versioned JSON manifests: one reader that checks format and version with one-line
errors that say the fix, one atomic writer (a temporary file, then `os.replace`), and
`member_path` for the file names a manifest lists (plain names inside its folder only).

Latency tables, saved predictors and proxy ensembles each declare a `ManifestFormat`:

    TABLE = ManifestFormat("hwnas-latency-table", (1,), DataError, missing=..., ...)
    data = read_manifest(path, TABLE)
    write_manifest(path, data)
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hwnas.core._atomic import atomic_write_text
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
    not_plain: str = (
        "{path}: its manifest names {what} {member!r}, not a plain file name in its folder "
        "(no '/', '..' or absolute paths); the manifest was edited or is not from hwnas: save "
        "it again"
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


def member_path(folder: str | Path, member: Any, spec: ManifestFormat,
                what: str = "file") -> Path:
    """`folder / member` for a name a manifest lists (a model file, a child folder), refused
    with `spec`'s `not_plain` message unless it is a plain name inside `folder`: a manifest
    must not reach outside its folder (`../x`, `/etc/x`) or name the folder itself (`.`)."""
    if not is_plain_name(member):
        raise spec.fail(spec.not_plain, path=folder, file=folder, what=what, member=member)
    return Path(folder) / member


def is_plain_name(name: Any) -> bool:
    """A non-empty file name with no folder part: not `.`, `..`, absolute, or with a slash."""
    return (
        isinstance(name, str) and name not in ("", ".", "..")
        and not any(c in name for c in "/\\\0") and not os.path.isabs(name)
    )


def write_manifest(file: str | Path, data: Mapping[str, Any], sort_keys: bool = True) -> Path:
    """Write `data` as indented JSON, atomically: readers see the old file or the new one,
    never half of one. Values JSON cannot hold are written as their `str`."""
    text = json.dumps(dict(data), indent=2, sort_keys=sort_keys, default=str) + "\n"
    return atomic_write_text(file, text)
