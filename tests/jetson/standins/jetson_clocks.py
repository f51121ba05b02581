"""Stand-in for L4T's `jetson_clocks` (tests only): `--show` prints clock state in the
real layout; without arguments it pins the clocks (the `clocks_locked` state file)."""

from __future__ import annotations

import sys

from _common import BOARD, STATE, log_call


def show(locked: bool) -> str:
    cpus, cpu_min, cpu_max = (6, 729600, 1510400) if BOARD == "orin" else (6, 345600, 2035200)
    gpu_min, gpu_max = (306000000, 624750000) if BOARD == "orin" else (114750000, 1300500000)
    lines = [f"SOC family:{'tegra234' if BOARD == 'orin' else 'tegra186'}  "
             f"Machine:{'NVIDIA Jetson Orin Nano Developer Kit' if BOARD == 'orin' else 'quill'}",
             f"Online CPUs: 0-{cpus - 1}"]
    for cpu in range(cpus):
        low = cpu_max if locked else cpu_min
        lines.append(f"cpu{cpu}: Online=1 Governor=schedutil MinFreq={low} MaxFreq={cpu_max} "
                     f"CurrentFreq={cpu_max if locked else cpu_min} IdleStates: WFI=1 c7=1")
    low = gpu_max if locked else gpu_min
    lines.append(f"GPU MinFreq={low} MaxFreq={gpu_max} CurrentFreq={low}")
    lines.append(f"EMC MinFreq=204000000 MaxFreq=2133000000 CurrentFreq=2133000000 "
                 f"FreqOverride={1 if locked else 0}")
    lines.append("NV Power Mode: " + ("MAXN" if BOARD == "tx2" else "15W"))
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    log_call("jetson_clocks", argv)
    if argv == ["--show"]:
        print(show((STATE / "clocks_locked").exists()))
        return 0
    if not argv:
        (STATE / "clocks_locked").touch()
        return 0
    print(f"jetson_clocks stand-in: unsupported arguments {argv}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
