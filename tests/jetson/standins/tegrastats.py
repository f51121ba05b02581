"""Stand-in for L4T's `tegrastats` (tests only): one line per --interval ms, in the
board's real format, until stopped. Rail power follows the `busy` flag trtexec sets."""

from __future__ import annotations

import signal
import sys
import time

from _common import BOARD, POWER_MW, STATE, log_call


def gpu(busy: bool, tick: int) -> tuple[str, str]:
    """GR3D_FREQ load@clock (Orin) and the GPU temperature: pinned at 624 MHz when
    `clocks_locked`, else DVFS moving between 306 and 624 MHz under load."""
    locked = (STATE / "clocks_locked").exists()
    clock = 624 if locked or (busy and tick % 2) else 306
    return f"{99 if busy else 0}%@[{clock}]", "52.25" if busy else "46.5"


def line(now: float, board_mw: float, average: dict[str, float], busy: bool = False,
         tick: int = 0) -> str:
    if BOARD == "tx2":  # JetPack 4 (L4T 32): no time stamp, rails without units
        rails = {"VDD_SYS_GPU": board_mw * 0.3, "VDD_SYS_SOC": 536.0, "VDD_4V0_WIFI": 0.0,
                 "VDD_IN": board_mw, "VDD_SYS_CPU": 536.0, "VDD_SYS_DDR": 557.0}
        for name, value in rails.items():
            average[name] = average.get(name, value) * 0.9 + value * 0.1
        power = " ".join(f"{n} {v:.0f}/{average[n]:.0f}" for n, v in rails.items())
        return ("RAM 2020/7852MB (lfb 1164x4MB) CPU [9%@345,21%@345,25%@345,3%@345,1%@345,1%@345] "
                "EMC_FREQ 0% GR3D_FREQ 0% PLL@42.5C MCPU@42.5C PMIC@100C Tboard@40C GPU@41C "
                f"BCPU@42.5C thermal@41.9C Tdiode@41.25C {power}")
    rails = {"VDD_IN": board_mw, "VDD_CPU_GPU_CV": board_mw * 0.35, "VDD_SOC": 1434.0}
    for name, value in rails.items():
        average[name] = average.get(name, value) * 0.9 + value * 0.1
    power = " ".join(f"{n} {v:.0f}mW/{average[n]:.0f}mW" for n, v in rails.items())
    stamp = time.strftime("%m-%d-%Y %H:%M:%S", time.localtime(now))
    load, temperature = gpu(busy, tick)
    return (f"{stamp} RAM 2510/7620MB (lfb 2x4MB) SWAP 0/3810MB (cached 0MB) "
            f"CPU [1%@729,0%@729,0%@729,0%@729,0%@729,0%@729] EMC_FREQ 0%@2133 GR3D_FREQ {load} "
            "VIC_FREQ 729 APE 174 CV0@-256C CPU@47.75C SOC2@45.5C SOC0@46.125C "
            f"GPU@{temperature}C tj@{temperature}C SOC1@45.593C {power}")


def main(argv: list[str]) -> int:
    log_call("tegrastats", argv)
    interval_ms = 1000.0
    if "--interval" in argv:
        interval_ms = float(argv[argv.index("--interval") + 1])
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    idle, busy = POWER_MW[BOARD]
    average: dict[str, float] = {}
    next_tick = time.time()
    tick = 0
    while True:
        next_tick += interval_ms / 1000.0
        tick += 1
        time.sleep(max(0.0, next_tick - time.time()))
        running = (STATE / "busy").exists()
        power = busy if running else idle
        sys.stdout.write(line(time.time(), power, average, running, tick) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
