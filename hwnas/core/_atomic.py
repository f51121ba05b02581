"""Atomic file writes: write to a temporary name in the target's folder, flush it to disk,
then `os.replace` it onto the target, so a reader (or a later run after a crash) sees the
old file or the new one, never half of one.

    atomic_write_bytes(path, data)
    atomic_write_text(path, text)
    with atomic_path(path) as temporary:   # for writers that take a path (TVM, TensorRT)
        library.export_library(str(temporary))

A temporary name keeps the target's suffix (some writers pick the format by it). On any
error, or if the writer produced no file, the temporary file is removed and the target is
left as it was.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def temporary_sibling(target: str | Path) -> Path:
    """A fresh hidden name next to `target`, with the same suffix(es)."""
    target = Path(target)
    return target.with_name(f".{target.stem}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
                            f"{''.join(target.suffixes[-1:])}")


@contextmanager
def atomic_path(target: str | Path, overwrite: bool = True) -> Iterator[Path]:
    """Yield a temporary path in `target`'s folder; on success it replaces `target`.

    `overwrite=False` refuses (FileExistsError) when `target` exists, checked again just
    before the replace."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    if not overwrite and target.exists():
        raise FileExistsError(17, "File exists", str(target))
    temporary = temporary_sibling(target)
    try:
        yield temporary
        if not temporary.exists():
            raise FileNotFoundError(2, "the writer produced no file", str(temporary))
        _fsync_file(temporary)
        if not overwrite and target.exists():
            raise FileExistsError(17, "File exists", str(target))
        os.replace(temporary, target)
        _fsync_folder(target.parent)
    finally:
        temporary.unlink(missing_ok=True)


def atomic_write_bytes(target: str | Path, data: bytes, overwrite: bool = True) -> Path:
    """Write `data` to `target` atomically (see the module docstring)."""
    target = Path(target)
    with atomic_path(target, overwrite) as temporary:
        with temporary.open("xb") as stream:  # the usual permissions, unlike mkstemp's 0600
            stream.write(data)
    return target


def atomic_write_text(target: str | Path, text: str, overwrite: bool = True) -> Path:
    """Write `text` (UTF-8) to `target` atomically."""
    return atomic_write_bytes(target, text.encode("utf-8"), overwrite)


def _fsync_file(path: Path) -> None:
    if path.is_file():
        with path.open("rb") as stream:
            os.fsync(stream.fileno())


def _fsync_folder(folder: Path) -> None:
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # some filesystems do not open folders; the rename is still atomic
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
