"""Fuzzing for benchmarks/reliability.py: architecture strings, LLM replies, table files.

Every case ends one of three ways: accepted (parsed, loaded), a counted rejection or a
one-line HwnasError (what the user sees), or a crash (any other exception, or an error
message over several lines). The figures count each; a crash is a bug.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import traceback
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

NB201_OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
JUNK = ["", " ", "\t", "\n", "|", "+", "~", "-", "_", "~~", "||", "é", "\u202e", "\x00",
        "💥", "0", "-1", "99999999999999999999", "nan", "None", "k7_e9", "skip", "g2", "{}",
        "[", "]", "\\", "'", '"', "%s", "${HOME}", "../", "\r\n"]


def _mutate(text: str, rng: random.Random) -> str:
    """One to four random edits: delete, insert, replace, duplicate or swap a span."""
    for _ in range(rng.randint(1, 4)):
        i = rng.randrange(len(text) + 1)
        kind = rng.choice(("delete", "insert", "replace", "duplicate", "swap", "case"))
        if kind == "delete" and text:
            j = min(len(text), i + rng.randint(1, 12))
            text = text[:i] + text[j:]
        elif kind == "insert":
            text = text[:i] + rng.choice(JUNK) + text[i:]
        elif kind == "replace" and text:
            text = text[:i] + rng.choice(JUNK + list(NB201_OPS)) + text[i + 1:]
        elif kind == "duplicate":
            j = min(len(text), i + rng.randint(1, 30))
            text = text[:i] + text[i:j] * rng.randint(2, 5) + text[j:]
        elif kind == "swap" and len(text) > 2:
            j = rng.randrange(len(text))
            chars = list(text)
            chars[min(i, len(text) - 1)], chars[j] = chars[j], chars[min(i, len(text) - 1)]
            text = "".join(chars)
        elif kind == "case":
            text = text.upper() if rng.random() < 0.5 else text.swapcase()
    return text


def architecture_cases(count: int, seed: int) -> list[tuple[str, str]]:
    """(space, string): mutated valid strings, random token soups, extremes."""
    from hwnas.spaces import create_space

    rng = random.Random(seed)
    valid = {name: [a.string for a in create_space(name).sample(50, seed=seed)]
             for name in ("nb201", "fbnet")}
    cases: list[tuple[str, str]] = []
    while len(cases) < count:
        space = rng.choice(("nb201", "fbnet"))
        roll = rng.random()
        if roll < 0.1:  # grammatical: swap whole tokens for other valid tokens
            text = rng.choice(valid[space])
            tokens = sorted({t for v in valid[space] for t in v.replace("|", "-").split("-")
                             if t and t != "+" and "~" not in t}) if space == "fbnet" else None
            for _ in range(rng.randint(1, 3)):
                if space == "nb201":
                    old = rng.choice(NB201_OPS)
                    text = text.replace(old, rng.choice(NB201_OPS), 1)
                elif tokens:
                    parts = text.split("-")
                    parts[rng.randrange(len(parts))] = rng.choice(tokens)
                    text = "-".join(parts)
        elif roll < 0.6:
            text = _mutate(rng.choice(valid[space]), rng)
        elif roll < 0.75:  # well-formed shape, wrong tokens or indices
            text = "|" + "|+|".join(
                "|".join(f"{rng.choice(NB201_OPS + ('conv', 'k3_e1'))}~{rng.randint(-1, 4)}"
                         for _ in range(rng.randint(0, 4))) for _ in range(rng.randint(1, 4))) + "|"
        elif roll < 0.85:
            text = "-".join(rng.choice(("k3_e1", "k5_e6", "skip", "k3_e1_g2", "k9_e9", "", "x"))
                            for _ in range(rng.randint(0, 30)))
        elif roll < 0.92:
            text = "".join(chr(rng.randint(0, 0x2FFF)) for _ in range(rng.randint(0, 60)))
        else:
            text = rng.choice(valid[space]) * rng.choice((2, 50, 2000))  # up to ~150 kB
        cases.append((space, text))
    return cases


def _one_line(error: BaseException) -> bool:
    return "\n" not in str(error) and bool(str(error).strip())


def fuzz_architectures(count: int, cli_sample: int, seed: int) -> dict[str, Any]:
    """Every string through `space.parse` (and a round trip), a sample through the CLI."""
    from hwnas.core import HwnasError
    from hwnas.spaces import create_space

    spaces = {name: create_space(name) for name in ("nb201", "fbnet")}
    outcomes: Counter[str] = Counter()
    crashes: list[str] = []
    for space_name, text in architecture_cases(count, seed):
        space = spaces[space_name]
        try:
            arch = space.parse(text)
            again = space.parse(arch.string)
            if again != arch or space.isomorphism_key(arch) != space.isomorphism_key(again):
                crashes.append(f"{space_name}: round trip changed {text[:80]!r}")
                outcomes["crash"] += 1
                continue
            outcomes["parsed"] += 1
        except HwnasError as error:
            if _one_line(error):
                outcomes["one_line_error"] += 1
            else:
                outcomes["crash"] += 1
                crashes.append(f"{space_name}: multi-line error for {text[:80]!r}")
        except Exception as error:  # noqa: BLE001  (what the fuzzing is looking for)
            outcomes["crash"] += 1
            crashes.append(f"{space_name}: {type(error).__name__}: {error} for {text[:80]!r}")
    cli = _cli_cases([(s, t) for s, t in architecture_cases(cli_sample * 3, seed + 1)
                      if "\x00" not in t and len(t) < 4000][:cli_sample],
                     lambda case: ["space", "parse", case[0], case[1]])
    return {"cases": count, **{k: outcomes.get(k, 0) for k in ("parsed", "one_line_error")},
            "crashes": outcomes.get("crash", 0), "crash_examples": crashes[:5], "cli": cli}


def _cli_cases(cases: list[Any], argv: Callable[[Any], list[str]]) -> dict[str, Any]:
    """Each case through `python -m hwnas ...`: exit 0, or exit 2 with one stderr line."""
    outcomes: Counter[str] = Counter()
    examples: list[str] = []
    for case in cases:
        done = subprocess.run([sys.executable, "-m", "hwnas", *argv(case)], capture_output=True,
                              text=True, timeout=300)
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        if done.returncode == 0:
            outcomes["ok"] += 1
        elif done.returncode == 2 and len(lines) == 1 and "Traceback" not in done.stderr:
            outcomes["one_line_error"] += 1
        else:
            outcomes["crash"] += 1
            examples.append(f"exit {done.returncode}: {done.stderr.strip()[-300:]}")
    return {"cases": len(cases), "ok": outcomes.get("ok", 0),
            "one_line_error": outcomes.get("one_line_error", 0),
            "crashes": outcomes.get("crash", 0), "crash_examples": examples[:3]}


# --- LLM replies ---------------------------------------------------------------------------
def reply_cases(count: int, seed: int) -> list[tuple[str, str, str]]:
    """(task, reply text, finish reason): propose or rewrite replies, malformed many ways."""
    from hwnas.spaces import create_space

    rng = random.Random(seed)
    archs = [a.string for a in create_space("nb201").sample(40, seed=seed)]

    def proposal(n: int) -> dict[str, Any]:
        return {"candidates": [{"changed": "edge 1 to conv", "why": "fewer skips",
                                "architecture": rng.choice(archs)} for _ in range(n)]}

    def knowledge(n: int) -> dict[str, Any]:
        return {"heuristics": [{"rule": "prefer nor_conv_3x3 on edge 3",
                                "evidence": "the elites use it"} for _ in range(n)]}

    kinds = ("truncated", "nested", "huge", "wrong_type", "wrong_grammar", "prose", "fence",
             "two_objects", "extra_field", "empty", "control", "numbers", "valid", "bytes",
             "unicode", "deep_valid", "duplicate")
    cases = []
    for index in range(count):
        task = "propose" if index % 5 else "rewrite"
        good = proposal(rng.randint(1, 4)) if task == "propose" else knowledge(rng.randint(1, 4))
        text = json.dumps(good)
        finish = "stop"
        kind = kinds[index % len(kinds)]
        if kind == "truncated":
            text, finish = text[: rng.randrange(len(text))], rng.choice(("length", "stop"))
        elif kind == "nested":
            depth = rng.choice((33, 100, 5000, 200_000))
            text = '{"candidates": ' + "[" * depth + "]" * depth + "}"
        elif kind == "huge":
            text = json.dumps({"candidates": [{"changed": "x" * rng.choice((300, 150_000)),
                                               "why": "y", "architecture": archs[0]}]})
        elif kind == "wrong_type":
            key = "candidates" if task == "propose" else "heuristics"
            text = json.dumps({key: rng.choice((None, 3, "list", {"a": 1}, [1, 2], [[]],
                                                [{"architecture": 5, "changed": [], "why": {}}]))})
        elif kind == "wrong_grammar":
            data = proposal(2)
            data["candidates"][0]["architecture"] = _mutate(archs[1], rng)
            text = json.dumps(data)
        elif kind == "prose":
            text = "Sure! Here are my ideas: " + text + " Hope this helps."
        elif kind == "fence":
            text = "```json\n" + text + "\n```"
        elif kind == "two_objects":
            text = text + "\n" + text
        elif kind == "extra_field":
            data = json.loads(text)
            data["note"] = "unrequested"
            text = json.dumps(data)
        elif kind == "empty":
            text = rng.choice(("", "   ", "\n", "null", "{}", "[]", '""'))
        elif kind == "control":
            text = text.replace("edge", "ed\x00ge\x07").replace("prefer", "pre\u2028fer")
        elif kind == "numbers":
            text = rng.choice(("NaN", "Infinity", "1e999", "-0", "123456789" * 50))
        elif kind == "bytes":
            text = "".join(chr(rng.randint(1, 255)) for _ in range(rng.randint(1, 400)))
        elif kind == "unicode":
            text = text.replace("a", "а")  # Cyrillic a: looks right, is not
        elif kind == "deep_valid":
            text = json.dumps(good, indent=rng.choice((None, 2, 40)))
        elif kind == "duplicate":
            data = proposal(1)
            data["candidates"] = data["candidates"] * 3
            text = json.dumps(data)
        cases.append((task, text, finish))
    return cases


def fuzz_replies(count: int, seed: int, endpoint: Any) -> dict[str, Any]:
    """Each reply served by the stand-in endpoint to the real client inside the real task
    functions (propose_candidates / rewrite_knowledge)."""
    from standin_endpoint import Scripted

    from hwnas.llm import LlmClient, LlmSettings
    from hwnas.llm._tasks import propose_candidates, rewrite_knowledge

    client = LlmClient(LlmSettings(base_url=endpoint.base_url, api_key=endpoint.api_key,
                                   model=endpoint.model, mode="json_object", timeout_s=30.0,
                                   max_retries=0))
    outcomes: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    crashes: list[str] = []
    elites = ["|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"]
    for index, (task, text, finish) in enumerate(reply_cases(count, seed)):
        endpoint.push(Scripted(content=text, finish_reason=finish))
        try:
            if task == "propose":
                result = propose_candidates(client, "nb201", band=0, elites=elites, count=4,
                                            seed=index)
                reply, rejections = result.reply, list(result.rejections)
                accepted = len(result.candidates)
            else:
                update = rewrite_knowledge(client, "nb201", band=0, evaluated=elites,
                                           seed=index)
                reply, rejections, accepted = update.reply, [], len(update.heuristics)
                if not update.reply.ok and update.reply.rejection is not None:
                    rejections = [update.reply.rejection]
        except Exception as error:  # noqa: BLE001
            outcomes["crash"] += 1
            crashes.append(f"{task} {text[:60]!r}: {type(error).__name__}: "
                           f"{traceback.format_exception_only(error)[-1].strip()[:200]}")
            continue
        for rejection in rejections:
            kinds[rejection.kind] += 1
            if "\n" in rejection.reason:
                outcomes["crash"] += 1
                crashes.append(f"multi-line rejection reason: {rejection.reason[:100]!r}")
        if reply.ok and not rejections:
            outcomes["accepted"] += 1
        elif reply.ok and accepted:
            outcomes["partly_rejected"] += 1
        else:
            outcomes["rejected"] += 1
    return {"cases": count, "accepted": outcomes.get("accepted", 0),
            "partly_rejected": outcomes.get("partly_rejected", 0),
            "rejected": outcomes.get("rejected", 0), "crashes": outcomes.get("crash", 0),
            "rejection_kinds": dict(sorted(kinds.items())), "crash_examples": crashes[:5],
            "endpoint_requests": len(endpoint.chat_requests)}


# --- table files ---------------------------------------------------------------------------
def _base_tables(folder: Path, data_dir: Path | None) -> dict[str, bytes]:
    """Valid files to corrupt: a measurement CSV (as hwnas profile writes it), its Parquet
    twin, a latency table (LUT JSON), and the head of the NAS-Bench-201 accuracy table."""
    import pandas as pd

    from hwnas.lut import OVERHEAD_KEY, LatencyTable, space_blocks
    from hwnas.profilers import MEASUREMENT_COLUMNS, MeasurementWriter
    from hwnas.spaces import create_space

    folder.mkdir(parents=True, exist_ok=True)
    csv_path = folder / "base-measurements.csv"
    csv_path.unlink(missing_ok=True)
    writer = MeasurementWriter(csv_path)
    for index, arch in enumerate(create_space("nb201").sample(30, seed=5)):
        row = dict.fromkeys(MEASUREMENT_COLUMNS, "")
        row.update(arch=arch.string, arch_id=arch.arch_id, space="nb201", device="host-cpu",
                   profiler="onnxruntime", batch_size="1", precision="fp32",
                   latency_p50_ms=f"{1 + index / 10:.6g}", latency_p90_ms="2.5",
                   repeats="20", noisy="false", environment='{"threads": 1}')
        writer.append(row)
    bases = {"measurement.csv": csv_path.read_bytes()}
    parquet = folder / "base.parquet"
    pd.read_csv(csv_path).to_parquet(parquet)
    bases["measurement.parquet"] = parquet.read_bytes()
    blocks = space_blocks("nb201", (3, 32, 32), 10)
    table = LatencyTable("nb201", "host-cpu", "onnxruntime", (3, 32, 32), 10,
                         {k: 0.1 + len(k) / 100 for k in blocks} | {OVERHEAD_KEY: 0.01})
    bases["lut.json"] = table.save(folder / "base-lut.json").read_bytes()
    if data_dir is not None and (data_dir / "nb201" / "accuracy.csv").is_file():
        with open(data_dir / "nb201" / "accuracy.csv", "rb") as handle:
            bases["accuracy.csv"] = b"".join(handle.readline() for _ in range(200))
    return bases


def _corrupt(name: str, data: bytes, rng: random.Random) -> bytes:
    text = data.decode("utf-8", errors="replace")
    kind = rng.choice(("truncate", "flip", "insert", "header", "values", "delimiter", "empty",
                       "binary", "bom", "long_line", "latin1", "quote", "nul", "json_keys",
                       "json_values", "duplicate_rows", "drop_column"))
    if kind == "truncate":
        return data[: rng.randrange(len(data))]
    if kind == "flip":
        out = bytearray(data)
        for _ in range(rng.randint(1, 20)):
            out[rng.randrange(len(out))] = rng.randrange(256)
        return bytes(out)
    if kind == "insert":
        i = rng.randrange(len(data))
        return data[:i] + bytes(rng.randrange(256) for _ in range(rng.randint(1, 200))) + data[i:]
    if kind == "empty":
        return rng.choice((b"", b"\n", b" ", b"\n\n\n"))
    if kind == "binary":
        return bytes(rng.randrange(256) for _ in range(rng.randint(1, 5000)))
    if kind == "bom":
        return b"\xef\xbb\xbf" + data
    if kind == "nul":
        i = rng.randrange(len(data))
        return data[:i] + b"\x00" * rng.randint(1, 50) + data[i:]
    if name.endswith(".parquet"):
        out = bytearray(data)
        out[rng.randrange(len(out))] ^= 0xFF
        return bytes(out)
    if name.endswith(".json"):
        try:
            value = json.loads(text)
        except ValueError:
            return data[:-3]
        if kind in ("json_keys", "header", "drop_column"):
            value.pop(rng.choice(sorted(value)), None)
        elif kind in ("json_values", "values"):
            key = rng.choice(sorted(value))
            value[key] = rng.choice((None, "x", -1, [], {}, float("nan"), 1e308))
            if rng.random() < 0.5 and isinstance(value.get("entries_ms"), dict) \
                    and value["entries_ms"]:
                entry = rng.choice(sorted(value["entries_ms"]))
                value["entries_ms"][entry] = rng.choice((0, -1, float("inf"), "fast", None))
        else:
            return json.dumps(value).encode()[: rng.randrange(10, 2000)]
        return json.dumps(value).encode()
    lines = text.split("\n")
    if kind == "header":
        header = lines[0].split(",")
        header[rng.randrange(len(header))] = rng.choice(("", "arch", "latency_ms", "x y", "ü"))
        lines[0] = ",".join(header)
    elif kind == "drop_column":
        column = rng.randrange(len(lines[0].split(",")))
        lines = [",".join(c for i, c in enumerate(line.split(",")) if i != column)
                 for line in lines]
    elif kind == "values":
        for _ in range(rng.randint(1, 10)):
            row = rng.randrange(1, max(2, len(lines) - 1))
            cells = lines[row].split(",")
            if len(cells) > 1:
                cells[rng.randrange(len(cells))] = rng.choice(
                    ("NaN", "inf", "-inf", "-1", "0", "abc", "", "1e999", "0x10", '"'))
                lines[row] = ",".join(cells)
    elif kind == "delimiter":
        lines = [line.replace(",", rng.choice((";", "\t", " | "))) for line in lines]
    elif kind == "long_line":
        lines.insert(rng.randrange(1, len(lines)), "x" * rng.choice((10_000, 1_000_000)))
    elif kind == "latin1":
        return text.replace("e", "é").encode("latin-1", errors="replace")
    elif kind == "quote":
        row = rng.randrange(len(lines))
        lines[row] = lines[row][: len(lines[row]) // 2] + '"' + lines[row][len(lines[row]) // 2:]
    elif kind == "duplicate_rows":
        lines = lines[:1] + lines[1:] * rng.randint(2, 4)
    return "\n".join(lines).encode("utf-8", errors="replace")


def fuzz_tables(count: int, cli_sample: int, seed: int, folder: Path,
                data_dir: Path | None) -> dict[str, Any]:
    """Corrupted copies through the readers a user reaches: `open_table` (as `hwnas bench
    show`), `load_table` for latency tables, and `MeasurementWriter` (as `hwnas profile
    --out`), which must also leave the file's bytes alone apart from closing a last line."""
    from hwnas.benchmarks import open_table
    from hwnas.core import HwnasError
    from hwnas.lut import load_table
    from hwnas.profilers import MeasurementWriter

    rng = random.Random(seed)
    bases = _base_tables(folder / "bases", data_dir)
    names = sorted(bases)
    outcomes: Counter[str] = Counter()
    crashes: list[str] = []
    written: list[Path] = []
    for index in range(count):
        name = names[index % len(names)]
        data = _corrupt(name, bases[name], rng)
        path = folder / f"case{index:03d}-{name}"
        path.write_bytes(data)
        written.append(path)
        readers: list[tuple[str, Callable[[], Any]]]
        if name == "lut.json":
            readers = [("load_table", lambda p=path: load_table(p))]
        else:
            readers = [("open_table", lambda p=path: open_table(p))]
            if name == "measurement.csv":
                readers.append(("MeasurementWriter", lambda p=path: MeasurementWriter(p)))
        for reader, call in readers:
            before = path.read_bytes()
            try:
                call()
                outcomes["loaded"] += 1
            except HwnasError as error:
                if _one_line(error):
                    outcomes["one_line_error"] += 1
                else:
                    outcomes["crash"] += 1
                    crashes.append(f"{path.name} {reader}: multi-line: {str(error)[:150]!r}")
            except Exception as error:  # noqa: BLE001
                outcomes["crash"] += 1
                crashes.append(f"{path.name} {reader}: {type(error).__name__}: "
                               f"{str(error).splitlines()[0][:150] if str(error) else ''}")
            after = path.read_bytes()
            closed = after.startswith(before) and len(after) - len(before) <= 2 \
                and after.endswith(b"\n")  # a last line closed, as documented
            if after != before and before and not closed:  # an empty file gets a header
                outcomes["crash"] += 1
                crashes.append(f"{path.name} {reader}: the file was changed")
    cli = _cli_cases(rng.sample([p for p in written if not p.name.endswith("lut.json")],
                                cli_sample), lambda p: ["bench", "show", str(p)])
    return {"cases": count, "loaded": outcomes.get("loaded", 0),
            "one_line_error": outcomes.get("one_line_error", 0),
            "crashes": outcomes.get("crash", 0), "crash_examples": crashes[:40], "cli": cli}
