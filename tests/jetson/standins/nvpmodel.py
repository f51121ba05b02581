"""Stand-in for L4T's `nvpmodel` (tests only): `-q` prints the mode like the real tool."""

from __future__ import annotations

import sys

from _common import BOARD, STATE, log_call


def main(argv: list[str]) -> int:
    log_call("nvpmodel", argv)
    if (STATE / "nvpmodel_fails").exists():
        print("NVPM ERROR: failed to read PARAM", file=sys.stderr)
        return 1
    if "-q" in argv:
        if BOARD == "tx2":
            print("NV Power Mode: MAXN\n0")
        else:
            print("NV Fan Mode:quiet\nNV Power Mode: 15W\n0")
        return 0
    print("nvpmodel stand-in: only -q is supported", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
