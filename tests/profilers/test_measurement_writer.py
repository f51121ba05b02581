"""The measurement CSV writer never cuts or rewrites a user's existing file: the header is
checked first, a last line without its newline is kept and closed, torn rows are kept but
not counted."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from hwnas.benchmarks import read_measurement_table
from hwnas.core import ConfigError
from hwnas.profilers import MEASUREMENT_COLUMNS, MeasurementWriter, row_key

ARCH = "|nor_conv_3x3~0|+|none~0|skip_connect~1|+|nor_conv_1x1~0|none~1|avg_pool_3x3~2|"
OTHER = "|skip_connect~0|+|none~0|skip_connect~1|+|nor_conv_1x1~0|none~1|avg_pool_3x3~2|"


def row(arch: str, arch_id: str, latency: str = "1.5") -> dict[str, str]:
    cells = dict.fromkeys(MEASUREMENT_COLUMNS, "")
    cells.update(arch=arch, arch_id=arch_id, space="nb201", device="host-cpu",
                 profiler="onnxruntime", batch_size="1", precision="fp32",
                 latency_p50_ms=latency, environment='{"threads": 1, "note": "a, b"}')
    return cells


def csv_text(*rows: dict[str, str]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=MEASUREMENT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


@pytest.mark.parametrize("content", [
    b"name,score\nalice,3\nbob,4",  # someone's data, no final newline: was cut to 2 lines
    b"just one line without a newline",  # was truncated to nothing
    b"arch,device\nx,y\n",
])
def test_a_wrong_header_is_one_line_and_the_file_is_untouched(tmp_path: Path,
                                                               content: bytes) -> None:
    path = tmp_path / "mine.csv"
    path.write_bytes(content)
    with pytest.raises(ConfigError, match="not a measurement table") as error:
        MeasurementWriter(path)
    assert str(path) in str(error.value) and "\n" not in str(error.value)
    assert path.read_bytes() == content


def test_a_file_that_is_not_utf8_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "binary.csv"
    content = b"\xff\xfe\x00arch_id\x00" * 10
    path.write_bytes(content)
    with pytest.raises(ConfigError, match="binary.csv is not a measurement table"):
        MeasurementWriter(path)
    assert path.read_bytes() == content


def test_a_whole_last_row_without_its_newline_is_kept_and_counted(tmp_path: Path) -> None:
    path = tmp_path / "edited.csv"
    text = csv_text(row(ARCH, "a1"), row(OTHER, "a2")).rstrip("\n")  # an editor dropped it
    path.write_text(text)
    writer = MeasurementWriter(path)
    assert [r["arch_id"] for r in writer.rows] == ["a1", "a2"]
    assert row_key(row(OTHER, "a2")) in writer and writer.incomplete_rows == 0
    assert path.read_text() == text + "\n"  # one newline appended, nothing cut
    writer.append(row(ARCH, "a3", "2.5"))
    parsed = list(csv.DictReader(path.open(newline="")))
    assert [r["arch_id"] for r in parsed] == ["a1", "a2", "a3"]


def test_a_torn_row_is_kept_closed_and_not_counted(tmp_path: Path) -> None:
    path = tmp_path / "torn.csv"
    whole = csv_text(row(ARCH, "a1"))
    torn = csv_text(row(OTHER, "a2")).split("\n")[1][:-12]  # cut inside the quoted JSON
    assert torn.count('"') % 2 == 1
    path.write_text(whole + torn)
    writer = MeasurementWriter(path)
    assert [r["arch_id"] for r in writer.rows] == ["a1"] and writer.incomplete_rows == 1
    assert row_key(row(OTHER, "a2")) not in writer  # measured again
    assert path.read_text() == whole + torn + '"\n'  # closed, never cut
    writer.append(row(OTHER, "a2", "3.5"))
    parsed = list(csv.reader(path.open(newline="")))
    assert len(parsed) == 4 and parsed[-1][1] == "a2"  # the open quote swallowed nothing
    table = read_measurement_table(path)
    assert table.value(OTHER, "latency_p50_ms") == 3.5
    assert table.value(ARCH, "latency_p50_ms") == 1.5
    assert any("1 torn row(s)" in problem for problem in table.validation.problems)
    again = MeasurementWriter(path)
    assert len(again.rows) == 2 and again.incomplete_rows == 1
    assert path.read_text().count("\n") == 4  # reopening adds nothing
