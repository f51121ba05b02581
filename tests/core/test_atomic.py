"""Atomic file writes (`hwnas.core.atomic_path`, `atomic_write_bytes/_text`): a failed or
killed write leaves the old file whole and no temporary file behind. The faults are real:
an exception in the writer, a file-size limit (RLIMIT_FSIZE: the kernel refuses the write
midway, as a full disk does) and SIGKILL in the middle of a stream of writes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hwnas.core import atomic_path, atomic_write_bytes, atomic_write_text


def limited(code: str, limit_bytes: int) -> subprocess.CompletedProcess[str]:
    """Run `code` in a child whose files may not grow past `limit_bytes` (a full disk)."""
    prologue = ("import resource, signal\nsignal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
                f"resource.setrlimit(resource.RLIMIT_FSIZE, ({limit_bytes}, {limit_bytes}))\n")
    return subprocess.run([sys.executable, "-c", prologue + code], capture_output=True,
                          text=True, timeout=300)


def leftovers(folder: Path, *keep: str) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name not in keep)


def test_write_replace_and_refuse(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "model.bin"
    atomic_write_bytes(target, b"one")
    atomic_write_text(target, "two")
    assert target.read_text() == "two"
    with pytest.raises(FileExistsError):
        atomic_write_bytes(target, b"three", overwrite=False)
    assert target.read_text() == "two" and leftovers(target.parent, "model.bin") == []


def test_a_failing_writer_leaves_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(target) as temporary:
        assert temporary.parent == tmp_path and temporary.suffix == ".html"
        temporary.write_text("half of the new")
        raise RuntimeError("the writer died")
    assert target.read_text() == "old" and leftovers(tmp_path, "report.html") == []
    with pytest.raises(FileNotFoundError, match="no file"), atomic_path(target):
        pass  # a writer that wrote nothing must not count as success
    assert target.read_text() == "old"


def test_a_full_disk_leaves_the_old_file(tmp_path: Path) -> None:
    for writer in ("atomic_write_bytes", "write_manifest"):
        target = tmp_path / f"{writer}.json"
        target.write_text('{"old": true}')
        data = "b'x' * 200_000" if writer == "atomic_write_bytes" else "{'x': 'y' * 200_000}"
        done = limited(f"from hwnas.core import {writer}\n"
                       f"try:\n    {writer}({str(target)!r}, {data})\n"
                       "except OSError as error:\n    print('refused', error.errno)\n", 50_000)
        assert "refused 27" in done.stdout, done.stderr  # EFBIG: the kernel stopped the write
        assert target.read_text() == '{"old": true}'
        assert leftovers(tmp_path, *(p.name for p in tmp_path.glob("*.json"))) == []
    # what a plain write does under the same limit: the old file is gone, the new one cut
    plain = tmp_path / "plain.json"
    plain.write_text('{"old": true}')
    limited(f"from pathlib import Path\ntry:\n    Path({str(plain)!r}).write_bytes(b'x' * 200_000)"
            "\nexcept OSError:\n    pass\n", 50_000)
    assert plain.stat().st_size == 50_000


def test_sigkill_mid_stream_leaves_one_whole_version(tmp_path: Path) -> None:
    target = tmp_path / "table.bin"
    versions = [bytes([65 + i]) * 3_000_000 for i in range(3)]
    atomic_write_bytes(target, versions[0])
    code = ("import sys\nfrom hwnas.core import atomic_write_bytes\ni = 0\n"
            "while True:\n    i += 1\n"
            f"    atomic_write_bytes({str(target)!r}, bytes([65 + i % 3]) * 3_000_000)\n")
    for delay_s in (0.3, 0.55, 0.8, 1.1):
        child = subprocess.Popen([sys.executable, "-c", code])
        time.sleep(delay_s)
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        assert target.read_bytes() in versions  # never a mix, never short
        for stale in tmp_path.glob(".table.*.tmp.bin"):  # a killed writer cannot clean up
            stale.unlink()
